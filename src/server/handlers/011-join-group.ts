/**
 * JoinGroup (key 11), v0-v9: the join phase of the classic group protocol
 * (src/coordinator/group). The answer waits until the group completes its join phase.
 * v4+ first joins are answered MEMBER_ID_REQUIRED with the member id to join with; v0 has
 * no rebalance timeout and uses the session timeout, as Kafka does. Checks done here, as
 * in Kafka's service layer: an empty group id is INVALID_GROUP_ID, a session timeout
 * outside group.{min,max}.session.timeout.ms is INVALID_SESSION_TIMEOUT.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type JoinGroupRequest, type JoinGroupResponse, defaultJoinGroupResponse, codec } from '../../protocol/generated/011-join-group.js';
import { type JoinResult, joinError } from '../../coordinator/group/group.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    ...defaultJoinGroupResponse(),
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: version >= 7 ? r.protocolType : null,
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: version >= 9 ? r.skipAssignment : false,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: version >= 5 ? m.groupInstanceId : null, metadata: m.metadata })),
  };
}

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  ...schemaVersions(ApiKey.JoinGroup),
  codec,
  async handle(req, ctx: RequestContext) {
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId);
    const v = ctx.apiVersion;
    const coordinator = ctx.broker.groups;
    if (req.groupId === '') return toResponse(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID), v);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = coordinator.config;
    if (req.sessionTimeoutMs < minSessionTimeoutMs || req.sessionTimeoutMs > maxSessionTimeoutMs) {
      return toResponse(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT), v);
    }
    const result = await coordinator.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      // Copies: the request frame is not kept alive by a member's metadata.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: v >= 4,
      supportsSkipAssignment: v >= 9,
    });
    return toResponse(result, v);
  },
  errorResponse(req, errorCode, ctx) {
    return toResponse(joinError(req.memberId, errorCode), ctx.apiVersion);
  },
});
