/**
 * StreamsGroupDescribe (key 89), v0: KIP-1071 streams groups with their epochs, topology,
 * members (process, endpoint, tags) and their current and target tasks. A group that does not
 * exist, or is not a streams group, answers GROUP_ID_NOT_FOUND, as Kafka's.
 */
import { GROUP_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type StreamsGroupDescribeRequest,
  type StreamsGroupDescribeResponse,
  defaultStreamsGroupDescribeResponse,
  codec,
} from '../../protocol/generated/089-streams-group-describe.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';

export const streamsGroupDescribeHandler = defineHandler<StreamsGroupDescribeRequest, StreamsGroupDescribeResponse>({
  ...schemaVersions(ApiKey.StreamsGroupDescribe),
  codec,
  async handle(req, ctx) {
    const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      ...defaultStreamsGroupDescribeResponse(),
      groups: await Promise.all(req.groupIds.map(async (id) => {
        if (!authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: '', groupEpoch: 0, assignmentEpoch: 0, topology: null, members: [], authorizedOperations: OPERATIONS_OMITTED };
        }
        const d = await ctx.broker.groups.streamsGroupDescribe(id);
        return {
          ...d,
          members: d.members.map((m) => ({ ...m, taskOffsets: [], taskEndOffsets: [], isClassic: false })),
          authorizedOperations: d.errorCode === ErrorCode.NONE ? ops : OPERATIONS_OMITTED,
        };
      })),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultStreamsGroupDescribeResponse(),
      groups: req.groupIds.map((groupId) => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, topology: null, members: [], authorizedOperations: OPERATIONS_OMITTED,
      })),
    };
  },
});
