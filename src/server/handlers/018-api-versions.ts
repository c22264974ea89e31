/**
 * ApiVersions (key 18), v0-v4. Built from the handler registry, so Skiff advertises exactly
 * what it implements. An unknown newer version is answered at v0 (newerVersionResponse).
 * Like Kafka, v3+ rejects client software names outside [a-zA-Z0-9.-] with INVALID_REQUEST.
 * v3+ also carries the feature flags (src/server/features.ts); Admin describeFeatures reads them.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  defaultApiVersionsResponse,
  codec,
} from '../../protocol/generated/018-api-versions.js';
import { FINALIZED_FEATURES, FINALIZED_FEATURES_EPOCH, SUPPORTED_FEATURES } from '../features.js';
import { defineHandler, type HandlerRegistry, schemaVersions } from '../handler.js';
import type { BrokerServices } from '../services.js';

const SOFTWARE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

export function apiVersionsResponse(handlers: HandlerRegistry, errorCode: number, version = 0, broker?: BrokerServices): ApiVersionsResponse {
  const apiKeys = [...handlers.values()]
    .filter((h) => broker === undefined || h.advertised?.(broker) !== false)
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.advertisedMinVersion ?? h.minVersion, maxVersion: h.maxVersion }));
  const res = { ...defaultApiVersionsResponse(), errorCode, apiKeys };
  // Kafka's error answers carry no features.
  if (errorCode !== ErrorCode.NONE) return res;
  // Below v4, Kafka leaves out supported ranges starting at 0: clients before KIP-1022
  // reject a range with minimum 0.
  const supportedFeatures = SUPPORTED_FEATURES.filter((f) => version >= 4 || f.minVersion > 0);
  return { ...res, supportedFeatures, finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH, finalizedFeatures: [...FINALIZED_FEATURES] };
}

export const apiVersionsHandler = defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  ...schemaVersions(ApiKey.ApiVersions),
  codec,
  handle(req, ctx) {
    if (ctx.apiVersion >= 3 && !(SOFTWARE_NAME.test(req.clientSoftwareName) && SOFTWARE_NAME.test(req.clientSoftwareVersion))) {
      return apiVersionsResponse(ctx.handlers, ErrorCode.INVALID_REQUEST, 0, ctx.broker);
    }
    return apiVersionsResponse(ctx.handlers, ErrorCode.NONE, ctx.apiVersion, ctx.broker);
  },
  errorResponse(_req, errorCode, ctx) {
    return apiVersionsResponse(ctx.handlers, errorCode, 0, ctx.broker);
  },
  newerVersionResponse(handlers, broker) {
    return apiVersionsResponse(handlers, ErrorCode.UNSUPPORTED_VERSION, 0, broker);
  },
});
