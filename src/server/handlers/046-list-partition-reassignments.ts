/**
 * ListPartitionReassignments (key 46), v0. Reassignments on a single node complete as they
 * are accepted (AlterPartitionReassignments), so none is ever in progress: the list is empty,
 * for missing topics too, as Kafka answers. In a virtual cluster, the controller's reassignments
 * under way (all of them, or those of the partitions asked for), with the replicas being added
 * and removed.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  type OngoingTopicReassignment,
  defaultListPartitionReassignmentsResponse,
  codec,
} from '../../protocol/generated/046-list-partition-reassignments.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  ...schemaVersions(ApiKey.ListPartitionReassignments),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.DESCRIBE);
    const ongoing = ctx.broker.cluster?.reassignments() ?? [];
    const asked = req.topics === null ? undefined : new Map(req.topics.map((t) => [t.name, new Set(t.partitionIndexes)]));
    const topics = new Map<string, OngoingTopicReassignment>();
    for (const { topic, partition, state } of ongoing) {
      if (asked && !asked.get(topic)?.has(partition)) continue;
      const t = topics.get(topic) ?? { name: topic, partitions: [] };
      topics.set(topic, t);
      t.partitions.push({ partitionIndex: partition, replicas: [...state.replicas], addingReplicas: [...(state.adding ?? [])], removingReplicas: [...(state.removing ?? [])] });
    }
    return { ...defaultListPartitionReassignmentsResponse(), errorMessage: null, topics: [...topics.values()] };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListPartitionReassignmentsResponse(), errorCode, errorMessage: null, topics: [] };
  },
});
