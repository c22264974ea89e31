/**
 * ListPartitionReassignments (key 46), v0. Reassignments on a single node complete as they
 * are accepted (AlterPartitionReassignments), so none is ever in progress: the list is empty,
 * for missing topics too, as Kafka answers.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  defaultListPartitionReassignmentsResponse,
  codec,
} from '../../protocol/generated/046-list-partition-reassignments.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  ...schemaVersions(ApiKey.ListPartitionReassignments),
  codec,
  handle(_req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.DESCRIBE);
    return { ...defaultListPartitionReassignmentsResponse(), errorMessage: null, topics: [] };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListPartitionReassignmentsResponse(), errorCode, errorMessage: null, topics: [] };
  },
});
