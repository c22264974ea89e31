/**
 * ConsumerGroupHeartbeat (key 68), v0-v1: the KIP-848 consumer group protocol
 * (src/coordinator/group/consumer-group-manager.ts). v1 adds regular-expression
 * subscriptions and has the client make its member id. While the coordinator loads, the
 * answer is COORDINATOR_LOAD_IN_PROGRESS and the client retries.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  defaultConsumerGroupHeartbeatResponse,
  codec,
} from '../../protocol/generated/068-consumer-group-heartbeat.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const consumerGroupHeartbeatHandler = defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  ...schemaVersions(ApiKey.ConsumerGroupHeartbeat),
  codec,
  async handle(req, ctx) {
    const r = await ctx.broker.groups.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      apiVersion: ctx.apiVersion,
    });
    return {
      ...defaultConsumerGroupHeartbeatResponse(),
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultConsumerGroupHeartbeatResponse(), errorCode };
  },
});
