/**
 * DescribeGroups (key 15), v0-v5. A group that does not exist is described as "Dead" with
 * no error (as Kafka before DescribeGroups v6). Member metadata and assignments are given
 * only while the group is Stable, and the protocol name is then the protocol data, as in
 * Kafka. Authorized operations (v3+): everything a group supports, since Skiff has no
 * authorizer.
 */
import { GROUP_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribedGroup,
  defaultDescribeGroupsResponse,
  codec,
} from '../../protocol/generated/015-describe-groups.js';
import { defineHandler, schemaVersions } from '../handler.js';

function described(g: Omit<DescribedGroup, 'authorizedOperations' | 'errorMessage'>, ops: number, version: number): DescribedGroup {
  return {
    ...g,
    errorMessage: null,
    members: g.members.map((m) => ({ ...m, groupInstanceId: version >= 4 ? m.groupInstanceId : null })),
    authorizedOperations: ops,
  };
}

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  ...schemaVersions(ApiKey.DescribeGroups),
  codec,
  handle(req, ctx) {
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map((id) => described(ctx.broker.groups.describeGroup(id), ops, ctx.apiVersion)),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultDescribeGroupsResponse(),
      groups: req.groups.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_OMITTED })),
    };
  },
});
