/**
 * DescribeGroups (key 15), v0-v6. A group that does not exist is described as "Dead" with
 * no error before v6; from v6 (KIP-1043) with GROUP_ID_NOT_FOUND and a message, as Kafka 4 does. Member metadata and assignments are given
 * only while the group is Stable, and the protocol name is then the protocol data, as in
 * Kafka. Authorized operations (v3+): everything a group supports, since Skiff has no
 * authorizer.
 */
import { GROUP_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribedGroup,
  defaultDescribeGroupsResponse,
  codec,
} from '../../protocol/generated/015-describe-groups.js';
import { authorized, authorizedOperations, Operation, ResourceType } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

function described(g: Omit<DescribedGroup, 'authorizedOperations' | 'errorMessage'>, ops: number, version: number): DescribedGroup {
  if (version >= 6 && g.errorCode === ErrorCode.NONE && g.groupState === 'Dead') {
    return { ...g, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${g.groupId} not found.`, authorizedOperations: OPERATIONS_OMITTED };
  }
  return {
    ...g,
    errorMessage: null,
    members: g.members.map((m) => ({ ...m, groupInstanceId: version >= 4 ? m.groupInstanceId : null })),
    authorizedOperations: ops,
  };
}

function groupError(groupId: string, errorCode: number): DescribedGroup {
  return { errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_OMITTED };
}

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  ...schemaVersions(ApiKey.DescribeGroups),
  codec,
  handle(req, ctx) {
    const withOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map((id) =>
        authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, id)
          ? described(ctx.broker.groups.describeGroup(id), withOps ? authorizedOperations(ctx, ResourceType.GROUP, id, GROUP_OPERATIONS) : OPERATIONS_OMITTED, ctx.apiVersion)
          : groupError(id, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      ),
    };
  },
  errorResponse(req, errorCode) {
    return { ...defaultDescribeGroupsResponse(), groups: req.groups.map((groupId) => groupError(groupId, errorCode)) };
  },
});
