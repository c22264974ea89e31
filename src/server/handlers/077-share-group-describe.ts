/**
 * ShareGroupDescribe (key 77), v1: share groups with their epochs, members and assignments
 * (KIP-932). A group that does not exist, or is not a share group, answers GROUP_ID_NOT_FOUND,
 * as Kafka's; DESCRIBE on the group is needed (GROUP_AUTHORIZATION_FAILED for that group).
 */
import { GROUP_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribedGroup,
  type ShareGroupDescribeRequest,
  type ShareGroupDescribeResponse,
  defaultShareGroupDescribeResponse,
  codec,
} from '../../protocol/generated/077-share-group-describe.js';
import { authorized, authorizedOperations, Operation, ResourceType } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

function groupError(groupId: string, errorCode: number): DescribedGroup {
  return { errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: OPERATIONS_OMITTED };
}

export const shareGroupDescribeHandler = defineHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse>({
  ...schemaVersions(ApiKey.ShareGroupDescribe),
  codec,
  async handle(req, ctx) {
    return {
      ...defaultShareGroupDescribeResponse(),
      groups: await Promise.all(req.groupIds.map(async (id) => {
        if (!authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, id)) return groupError(id, ErrorCode.GROUP_AUTHORIZATION_FAILED);
        const d = await ctx.broker.groups.shareGroupDescribe(id);
        const ops = d.errorCode === ErrorCode.NONE && req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, id, GROUP_OPERATIONS) : OPERATIONS_OMITTED;
        return { ...d, authorizedOperations: ops };
      })),
    };
  },
  errorResponse(req, errorCode) {
    return { ...defaultShareGroupDescribeResponse(), groups: req.groupIds.map((id) => groupError(id, errorCode)) };
  },
});
