/**
 * DeleteGroups (key 42), v0-v2. Only an Empty group can go (NON_EMPTY_GROUP otherwise); an
 * unknown one is GROUP_ID_NOT_FOUND. Deleting writes tombstones for the group's offsets
 * and for its metadata; the answer comes once they are appended.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type DeleteGroupsRequest, type DeleteGroupsResponse, defaultDeleteGroupsResponse, codec } from '../../protocol/generated/042-delete-groups.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { KafkaError } from '../../errors.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  ...schemaVersions(ApiKey.DeleteGroups),
  codec,
  async handle(req, ctx) {
    const results = await Promise.all(
      req.groupsNames.map(async (groupId) => {
        if (!authorized(ctx, Operation.DELETE, ResourceType.GROUP, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
        try {
          return { groupId, errorCode: await ctx.broker.groups.deleteGroup(groupId) };
        } catch (err) {
          if (err instanceof KafkaError) return { groupId, errorCode: err.code };
          throw err;
        }
      }),
    );
    return { ...defaultDeleteGroupsResponse(), results };
  },
  errorResponse(req, errorCode) {
    return { ...defaultDeleteGroupsResponse(), results: req.groupsNames.map((groupId) => ({ groupId, errorCode: errorCode || ErrorCode.UNKNOWN_SERVER_ERROR })) };
  },
});
