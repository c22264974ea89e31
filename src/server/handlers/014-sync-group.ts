/**
 * SyncGroup (key 14), v0-v5: members wait for the leader's assignment; the leader's is
 * stored in __consumer_offsets and the group becomes Stable once that record is appended.
 * v5+ must name the protocol type and name (INCONSISTENT_GROUP_PROTOCOL otherwise, as
 * Kafka). While the coordinator loads, the answer is REBALANCE_IN_PROGRESS, as Kafka's
 * (older clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type SyncGroupRequest, type SyncGroupResponse, defaultSyncGroupResponse, codec } from '../../protocol/generated/014-sync-group.js';
import { type SyncResult, syncError } from '../../coordinator/group/group.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

function toResponse(r: SyncResult, version: number): SyncGroupResponse {
  return {
    ...defaultSyncGroupResponse(),
    errorCode: r.errorCode,
    protocolType: version >= 5 ? r.protocolType : null,
    protocolName: version >= 5 ? r.protocolName : null,
    assignment: r.assignment,
  };
}

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  ...schemaVersions(ApiKey.SyncGroup),
  codec,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    if (v >= 5 && (req.protocolType === null || req.protocolName === null)) return toResponse(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL), v);
    if (req.groupId === '') return toResponse(syncError(ErrorCode.INVALID_GROUP_ID), v);
    try {
      return toResponse(
        await ctx.broker.groups.sync({
          groupId: req.groupId,
          generationId: req.generationId,
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId,
          protocolType: req.protocolType,
          protocolName: req.protocolName,
          assignments: req.assignments,
        }),
        v,
      );
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return toResponse(syncError(ErrorCode.REBALANCE_IN_PROGRESS), v);
      throw err;
    }
  },
  errorResponse(_req, errorCode, ctx) {
    return toResponse(syncError(errorCode), ctx.apiVersion);
  },
});
