/**
 * Applies the client quotas to one answered request, as Kafka's KafkaApis does before it
 * sends a response: Produce records the request's size against producer_byte_rate, Fetch the
 * bytes it returns against consumer_byte_rate, and every request its handling time against
 * request_percentage (as a percentage of one thread: 10 ms is 1). The answer carries the
 * larger throttle time, and the connection stops reading for that long once it is sent
 * (KIP-219). A fetch that is throttled is answered empty and its bytes are taken back, as
 * Kafka's getThrottledResponse does, so the client gets them after the throttle.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import type { Handler, RequestContext } from '../handler.js';
import { NO_RESPONSE } from '../handler.js';
import { CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE } from './client-quota-entities.js';
import { ANONYMOUS_USER } from './client-quota-manager.js';

export interface Throttled {
  res: unknown;
  throttleMs: number;
}

export function applyQuotas(handler: Handler, ctx: RequestContext, res: unknown, requestBytes: number, handlerMs: number): Throttled {
  const quotas = ctx.broker.quotas;
  if (!quotas.enabled) return { res, throttleMs: 0 };
  const now = Date.now();
  const clientId = ctx.header.clientId ?? '';
  const user = ANONYMOUS_USER;
  const requestThrottle = quotas.record(REQUEST_PERCENTAGE, user, clientId, handlerMs / 10, now);
  let bandwidthThrottle = 0;
  if (ctx.header.requestApiKey === ApiKey.Produce) {
    bandwidthThrottle = quotas.record(PRODUCER_BYTE_RATE, user, clientId, requestBytes, now);
  } else if (ctx.header.requestApiKey === ApiKey.Fetch && res !== NO_RESPONSE && handler.passThroughBytes) {
    const bytes = handler.passThroughBytes(res);
    bandwidthThrottle = quotas.record(CONSUMER_BYTE_RATE, user, clientId, bytes, now);
    if (Math.max(bandwidthThrottle, requestThrottle) > 0) {
      quotas.unrecord(CONSUMER_BYTE_RATE, user, clientId, bytes, now);
      res = { ...(res as object), responses: [] };
    }
  }
  const throttleMs = Math.max(requestThrottle, bandwidthThrottle);
  if (throttleMs > 0 && typeof res === 'object' && res !== null && 'throttleTimeMs' in res) {
    res = { ...res, throttleTimeMs: Math.max((res as { throttleTimeMs: number }).throttleTimeMs, throttleMs) };
  }
  return { res, throttleMs };
}
