/**
 * Heartbeat (key 12), v0-v4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells
 * it to rejoin. While the coordinator loads the answer is NONE, as Kafka's ("the group is
 * still loading, so respond just blindly").
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type HeartbeatRequest, type HeartbeatResponse, defaultHeartbeatResponse, codec } from '../../protocol/generated/012-heartbeat.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  ...schemaVersions(ApiKey.Heartbeat),
  codec,
  async handle(req, ctx) {
    if (req.groupId === '') return { ...defaultHeartbeatResponse(), errorCode: ErrorCode.INVALID_GROUP_ID };
    try {
      const errorCode = await ctx.broker.groups.heartbeat(req);
      return { ...defaultHeartbeatResponse(), errorCode };
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return defaultHeartbeatResponse();
      throw err;
    }
  },
  errorResponse(_req, errorCode) {
    return { ...defaultHeartbeatResponse(), errorCode };
  },
});
