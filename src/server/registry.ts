/** Every API Skiff implements: one handler per API key, each with its version range. */
import type { Handler, HandlerRegistry } from './handler.js';
import { produceHandler } from './handlers/000-produce.js';
import { fetchHandler } from './handlers/001-fetch.js';
import { metadataHandler } from './handlers/003-metadata.js';
import { apiVersionsHandler } from './handlers/018-api-versions.js';

export function buildRegistry(handlers: readonly Handler[]): HandlerRegistry {
  const map = new Map<number, Handler>();
  for (const h of handlers) {
    if (map.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
    map.set(h.apiKey, h);
  }
  return map;
}

export const HANDLERS: HandlerRegistry = buildRegistry([
  produceHandler,
  fetchHandler,
  metadataHandler,
  apiVersionsHandler,
]);
