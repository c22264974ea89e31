/**
 * AlterPartitionReassignments (key 45), v0-v1. With one node the only valid assignment is
 * that node alone, which is the current one: Kafka's controller accepts it and completes at
 * once (ListPartitionReassignments then lists nothing). Otherwise the answers and messages of
 * Kafka's ReplicationControlManager: an empty list, a broker named twice, or a broker that is
 * not registered get INVALID_REPLICA_ASSIGNMENT; a cancellation (null replicas)
 * NO_REASSIGNMENT_IN_PROGRESS, since none ever is; a missing topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION. allowReplicationFactorChange (v1) is echoed; a different
 * replication factor needs another broker, so it cannot be asked validly here.
 *
 * In a virtual cluster the controller runs the reassignment (ClusterController.reassign): new
 * replicas catch up as followers, and once they are all in the ISR the removed ones leave.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type ReassignablePartitionResponse,
  defaultAlterPartitionReassignmentsResponse,
  codec,
} from '../../protocol/generated/045-alter-partition-reassignments.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

function reassign(broker: BrokerServices, topic: string, partitionIndex: number, replicas: number[] | null): ReassignablePartitionResponse {
  const fail = (errorCode: number, errorMessage: string | null) => ({ partitionIndex, errorCode, errorMessage });
  const info = broker.topics.get(topic);
  if (!info) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topic}.`);
  if (partitionIndex < 0 || partitionIndex >= info.partitions) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}:${partitionIndex}.`);
  if (replicas === null) return fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null);
  if (replicas.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
  const seen = new Set<number>();
  for (const id of replicas) {
    if (seen.has(id)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${id} more than once.`);
    seen.add(id);
  }
  for (const id of replicas) {
    if (id !== broker.nodeId) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
  }
  return fail(ErrorCode.NONE, null);
}

export const alterPartitionReassignmentsHandler = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  ...schemaVersions(ApiKey.AlterPartitionReassignments),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER);
    const cluster = ctx.broker.cluster;
    const one = cluster
      ? (topic: string, partitionIndex: number, replicas: number[] | null) => ({ partitionIndex, ...cluster.reassign(topic, partitionIndex, replicas, req.allowReplicationFactorChange) })
      : (topic: string, partitionIndex: number, replicas: number[] | null) => reassign(ctx.broker, topic, partitionIndex, replicas);
    return {
      ...defaultAlterPartitionReassignmentsResponse(),
      allowReplicationFactorChange: req.allowReplicationFactorChange,
      errorMessage: null,
      responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => one(t.name, p.partitionIndex, p.replicas)) })),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultAlterPartitionReassignmentsResponse(),
      allowReplicationFactorChange: req.allowReplicationFactorChange,
      errorCode,
      errorMessage: null,
      responses: [],
    };
  },
});
