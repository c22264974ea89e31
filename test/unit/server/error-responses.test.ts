/**
 * The path the dispatcher takes when a handler fails: every registered handler, at every
 * version it advertises, builds an error response that encodes, for the default request of
 * that version and for random ones.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../../src/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { encodeResponse } from '../../../src/protocol/frame.js';
import { plaintextConnection } from '../../support/connection-context.js';
import type { Handler, RequestContext } from '../../../src/server/handler.js';
import { HANDLERS } from '../../../src/server/registry.js';
import { loadSchema, messageArbitrary, schemaFiles } from '../../support/schema-arbitrary.js';

const log = createLogger({ level: 'silent' });
let broker: Broker;
// Every handler's module, loaded as dispatch loads it on its API's first request.
const LOADED: Handler[] = await Promise.all([...HANDLERS.values()].map((e) => e.load()));
beforeAll(async () => {
  broker = await Broker.open(resolveConfig([{ source: 'test', values: { 'skiff.memory': true } }]), log);
});
afterAll(async () => {
  await broker.close();
});

const connection = plaintextConnection(0);
const schemaByKey = new Map(
  schemaFiles('client')
    .filter((f) => f.endsWith('Request.json'))
    .map((f) => {
      const m = loadSchema('client', f);
      return [m.apiKey!, m] as const;
    }),
);

/** What dispatch hands a handler for a request of `apiKey` at `version`. */
function requestContext(apiKey: number, version: number, correlationId: number): RequestContext {
  return {
    header: { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'test' } as RequestContext['header'],
    apiVersion: version,
    connection,
    broker,
    log,
    handlers: HANDLERS,
  };
}

describe('handler error responses', () => {
  it('every handler is covered', () => {
    expect(HANDLERS.size).toBeGreaterThan(30);
  });

  for (const handler of LOADED) {
    it(`api key ${handler.apiKey} v${handler.minVersion}-v${handler.maxVersion}`, () => {
      const schema = schemaByKey.get(handler.apiKey)!;
      for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
        const ctx = requestContext(handler.apiKey, version, 42);
        const check = (raw: unknown): void => {
          // What the dispatcher hands a handler: a request as decoded from the wire at this version.
          const request = handler.codec.decodeRequest(new Reader(handler.codec.encodeRequest(raw, version)), version);
          const res = handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, ctx);
          const frame = encodeResponse(handler.codec, version, 42, res);
          expect(frame.readInt32BE(0)).toBe(42);
        };
        check(handler.codec.defaultRequest());
        fc.assert(fc.property(messageArbitrary(schema, version), check), { numRuns: 5, seed: handler.apiKey * 1000 + version });
      }
    });
  }
});

describe('Metadata v10-v11 asking by topic id', () => {
  it('answers INVALID_REQUEST, as Kafka, with the topic named "" in a response that encodes', async () => {
    const handler = await HANDLERS.get(3)!.load();
    const version = 10;
    const ctx = requestContext(3, version, 7);
    const request = { ...(handler.codec.defaultRequest() as object), topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }] };
    await expect(handler.handle(request, ctx)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    const res = handler.errorResponse(request, ErrorCode.INVALID_REQUEST, ctx) as { topics: Array<{ name: string; errorCode: number }> };
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([['', ErrorCode.INVALID_REQUEST]]);
    expect(encodeResponse(handler.codec, version, 7, res).length).toBeGreaterThan(0);
  });
});

describe('Metadata v13 top-level error code', () => {
  it('is 0 in an answer and the failure\'s code in an error response, as Kafka', async () => {
    const handler = await HANDLERS.get(3)!.load();
    const version = 13;
    const ctx = requestContext(3, version, 7);
    const request = { ...(handler.codec.defaultRequest() as object), topics: [{ name: 'absent', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false };
    const decode = (res: unknown) => {
      // Through the wire: the v13 field must be encoded, not only set.
      const frame = encodeResponse(handler.codec, version, 7, res);
      const r = new Reader(frame);
      r.int32();
      r.unsignedVarint(); // the header's tagged fields
      return handler.codec.decodeResponse(r, version) as { errorCode: number; topics: Array<{ errorCode: number }> };
    };
    const ok = decode(await handler.handle(request, ctx));
    expect(ok.errorCode).toBe(ErrorCode.NONE);
    expect(ok.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const failed = decode(handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, ctx));
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });
});
