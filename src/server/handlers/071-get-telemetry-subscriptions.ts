/**
 * GetTelemetrySubscriptions (key 71), v0 (KIP-714). The client metrics subscription for the
 * asking client (src/server/client-metrics.ts): a new client instance id when it sent the zero
 * one, the metrics its matching subscriptions want (none when none match) at the shortest of
 * their intervals (Kafka's 5-minute default otherwise). Asking again before the interval with
 * nothing changed is THROTTLING_QUOTA_EXCEEDED, answered with every other field at its
 * default, as Kafka answers it. Like Kafka without a client telemetry reporter, Skiff serves
 * this API but leaves it out of ApiVersions unless skiff.client.telemetry.enable is set.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type GetTelemetrySubscriptionsRequest,
  type GetTelemetrySubscriptionsResponse,
  defaultGetTelemetrySubscriptionsResponse,
  codec,
} from '../../protocol/generated/071-get-telemetry-subscriptions.js';
import { clientIdentity } from '../client-metrics.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const getTelemetrySubscriptionsHandler = defineHandler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse>({
  ...schemaVersions(ApiKey.GetTelemetrySubscriptions),
  codec,
  handle(req, ctx) {
    const identity = clientIdentity(ctx.header.clientId, ctx.connection);
    const answer = ctx.broker.clientMetrics.subscribe(req.clientInstanceId, identity, Date.now());
    if ('errorCode' in answer) return { ...defaultGetTelemetrySubscriptionsResponse(), errorCode: answer.errorCode };
    return { ...defaultGetTelemetrySubscriptionsResponse(), ...answer };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultGetTelemetrySubscriptionsResponse(), errorCode };
  },
});
