/**
 * ShareGroupHeartbeat (key 76), v1: membership of a share group (KIP-932,
 * src/coordinator/group/share-group-manager.ts). The client makes its member id; epoch 0
 * joins, -1 leaves. READ on the group is needed, and DESCRIBE on each subscribed topic, as in
 * Kafka's KafkaApis (an unauthorized topic fails the whole heartbeat with
 * TOPIC_AUTHORIZATION_FAILED).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
  defaultShareGroupHeartbeatResponse,
  codec,
} from '../../protocol/generated/076-share-group-heartbeat.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const shareGroupHeartbeatHandler = defineHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>({
  ...schemaVersions(ApiKey.ShareGroupHeartbeat),
  codec,
  async handle(req, ctx) {
    if (!authorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultShareGroupHeartbeatResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if ((req.subscribedTopicNames ?? []).some((t) => !authorized(ctx, Operation.DESCRIBE, ResourceType.TOPIC, t))) {
      return { ...defaultShareGroupHeartbeatResponse(), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    }
    const r = await ctx.broker.groups.shareGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
    });
    return {
      ...defaultShareGroupHeartbeatResponse(),
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultShareGroupHeartbeatResponse(), errorCode };
  },
});
