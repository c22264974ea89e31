/**
 * PushTelemetry (key 72), v0 (KIP-714). Checks a client's push as Kafka's ClientMetricsManager
 * does and keeps it as the client's latest (src/server/client-metrics.ts): the zero instance
 * id or a second terminating push INVALID_REQUEST; an instance that never asked for its
 * subscription, or a subscription id that is no longer current, UNKNOWN_SUBSCRIPTION_ID; a
 * push before the interval THROTTLING_QUOTA_EXCEEDED (a terminating one may come at any time);
 * an unknown compression UNSUPPORTED_COMPRESSION_TYPE; more than telemetry.max.bytes
 * TELEMETRY_TOO_LARGE.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { type PushTelemetryRequest, type PushTelemetryResponse, defaultPushTelemetryResponse, codec } from '../../protocol/generated/072-push-telemetry.js';
import { clientIdentity } from '../client-metrics.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const pushTelemetryHandler = defineHandler<PushTelemetryRequest, PushTelemetryResponse>({
  ...schemaVersions(ApiKey.PushTelemetry),
  codec,
  handle(req, ctx) {
    const identity = clientIdentity(ctx.header.clientId, ctx.connection);
    return { ...defaultPushTelemetryResponse(), errorCode: ctx.broker.clientMetrics.push(req, identity, Date.now()) };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultPushTelemetryResponse(), errorCode };
  },
});
