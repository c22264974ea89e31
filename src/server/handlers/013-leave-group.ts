/**
 * LeaveGroup (key 13), v0-v5. v0-v2 name one member; v3+ a batch (by member id, or by
 * group instance id alone to remove a static member administratively), each with its own
 * error. For v0-v2 the answer's error is the top-level error, else the member's, as Kafka
 * folds it.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type LeaveGroupRequest, type LeaveGroupResponse, defaultLeaveGroupResponse, codec } from '../../protocol/generated/013-leave-group.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

function toResponse(errorCode: number, members: LeaveGroupResponse['members'], version: number): LeaveGroupResponse {
  if (version >= 3) return { ...defaultLeaveGroupResponse(), errorCode, members };
  const memberError = members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
  return { ...defaultLeaveGroupResponse(), errorCode: errorCode !== ErrorCode.NONE ? errorCode : memberError };
}

function identities(req: LeaveGroupRequest, version: number): Array<{ memberId: string; groupInstanceId: string | null }> {
  return version >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
}

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  ...schemaVersions(ApiKey.LeaveGroup),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId);
    const v = ctx.apiVersion;
    if (req.groupId === '') return toResponse(ErrorCode.INVALID_GROUP_ID, [], v);
    const res = await ctx.broker.groups.leave(req.groupId, identities(req, v));
    return toResponse(res.errorCode, res.members, v);
  },
  errorResponse(_req, errorCode, ctx) {
    return toResponse(errorCode, [], ctx.apiVersion);
  },
});
