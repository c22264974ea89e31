/**
 * From a request frame to a response: version gate, decode, handler, encode. Protocol
 * errors close the connection as Kafka does; handler failures become the API's error
 * response, never a crash.
 */
import type { Logger } from '../log.js';
import type { ApiCounters } from '../metrics/broker-counters.js';
import { DecodeError } from '../protocol/codec/errors.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { encodeResponse, encodeResponseChunks, readRequestFrame } from '../protocol/frame.js';
import type { ConnectionContext, Dispatch, DispatchResult, Sequenced } from './connection.js';
import { CloseConnection, type Handler, type HandlerEntry, type HandlerRegistry, NO_RESPONSE, type RequestContext } from './handler.js';
import type { BrokerServices } from './services.js';
import { KafkaError } from '../errors.js';
import { SaslAuthenticator } from './sasl-authenticator.js';
import { applyQuotas } from './quota/request-throttle.js';

const NONE: DispatchResult = { kind: 'none' };

function close(reason: string): DispatchResult {
  return { kind: 'close', reason };
}

/** The registry's entry for a request's API key; undefined for a frame too short to have a header. */
function entryOf(handlers: HandlerRegistry, frame: Buffer): HandlerEntry | undefined {
  return frame.length >= 8 ? handlers.get(frame.readInt16BE(0)) : undefined;
}

export function createDispatch(handlers: HandlerRegistry, broker: BrokerServices, log: Logger): Dispatch {
  const serve = afterLoading(handlers, serveRequests(handlers, broker, log), log);
  const sasl = new SaslAuthenticator(broker.config.security, broker.config.values.listeners, broker.scram, broker.tokens, log);
  // Until a client on a SASL listener has authenticated, only the SASL exchange is served.
  const dispatch: Dispatch = (frame, connection, sequenced) =>
    connection.authenticated ? (sasl.handleAuthenticated(frame, connection, serve) ?? serve(frame, connection, sequenced)) : sasl.handle(frame, connection, serve);
  // A handler not loaded yet does not overlap: it waits for its module anyway.
  dispatch.overlaps = (frame) => entryOf(handlers, frame)?.handler?.overlaps === true;
  return dispatch;
}

/**
 * Serves a request whose handler is not loaded yet once its module has loaded. Until then, later
 * requests on the same connection wait too, so that handlers still start in arrival order; other
 * connections are not held up. A socket connection hands over one request at a time anyway
 * (connection.ts); this matters for callers that dispatch several at once on one context.
 */
function afterLoading(handlers: HandlerRegistry, serve: Dispatch, log: Logger): Dispatch {
  // Per connection: settles once the last waiting request has been handed to `serve`.
  const waiting = new WeakMap<ConnectionContext, Promise<unknown>>();
  return (frame, connection, sequenced) => {
    const before = waiting.get(connection);
    const entry = entryOf(handlers, frame);
    const loading = entry?.handler === undefined ? entry?.load() : undefined;
    if (before === undefined && loading === undefined) return serve(frame, connection, sequenced);
    const started = Promise.all([before, loading]).then(
      () => {
        try {
          return { result: serve(frame, connection, sequenced) };
        } catch (err) {
          return { result: Promise.reject(err as Error) };
        }
      },
      (err: unknown) => {
        log.error({ err, apiKey: entry!.apiKey }, 'handler could not be loaded');
        return { result: close(`the handler of api key ${entry!.apiKey} could not be loaded`) };
      },
    );
    waiting.set(connection, started);
    void started.then(() => {
      if (waiting.get(connection) === started) waiting.delete(connection);
    });
    return started.then(({ result }) => result);
  };
}

function serveRequests(handlers: HandlerRegistry, broker: BrokerServices, log: Logger): Dispatch {
  return (frame: Buffer, connection: ConnectionContext, sequenced?: Sequenced) => {
    if (frame.length < 8) return close(`request of ${frame.length} bytes`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const handler = handlers.get(apiKey)?.handler;
    if (handler?.newerVersionResponse && apiVersion > handler.maxVersion) {
      const correlationId = frame.readInt32BE(4);
      return { kind: 'response', chunks: [encodeResponse(handler.codec, 0, correlationId, handler.newerVersionResponse(handlers, broker))] };
    }
    if (!handler) return close(`unknown api key ${apiKey}`);
    const counters = broker.counters.api(apiKey);
    counters.requests++;
    const started = performance.now();
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      counters.error(ErrorCode.UNSUPPORTED_VERSION);
      return close(`api key ${apiKey} version ${apiVersion} is not supported`);
    }
    let ctx: RequestContext;
    let request: unknown;
    try {
      const { header, body } = readRequestFrame(frame);
      request = handler.codec.decodeRequest(body, apiVersion);
      // Bytes after the body are ignored, as Kafka does (librdkafka sends some with Metadata v12).
      ctx = { header, apiVersion, connection, broker, log, handlers, sequenced };
    } catch (err) {
      if (err instanceof DecodeError) {
        counters.error(ErrorCode.INVALID_REQUEST);
        return close(err.message);
      }
      throw err;
    }
    let result: unknown;
    const handlerStarted = performance.now();
    let handlerMs = 0;
    // Quotas see the answer before it is encoded: they may set its throttle time (or empty a fetch).
    const answer = (res: unknown): DispatchResult => {
      const throttled = applyQuotas(handler, ctx, res, frame.length, handlerMs);
      const result = withThrottle(encode(handler, ctx, throttled.res, request, counters), throttled.throttleMs);
      return handler.releasesFrame && result.kind !== 'close' ? { ...result, releaseFrame: true } : result;
    };
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      return timed(counters, started, answerError(handler, request, ctx, err, counters));
    } finally {
      // Only the handler's own work on the event loop, not what it waits for (as Kafka counts
      // request handler thread time, not purgatory time).
      handlerMs = performance.now() - handlerStarted;
    }
    if (result instanceof Promise) {
      return result.then(
        (res) => timed(counters, started, answer(res)),
        (err: unknown) => timed(counters, started, answerError(handler, request, ctx, err, counters)),
      );
    }
    return timed(counters, started, answer(result));
  };
}

function withThrottle(result: DispatchResult, throttleMs: number): DispatchResult {
  return throttleMs > 0 && result.kind !== 'close' ? { ...result, throttleMs } : result;
}

/** Kafka's TotalTimeMs less the time queued in the socket: from decode to an encoded response. */
function timed(counters: ApiCounters, started: number, result: DispatchResult): DispatchResult {
  counters.observe(performance.now() - started);
  return result;
}

function encode(handler: Handler, ctx: RequestContext, res: unknown, request: unknown, counters: ApiCounters): DispatchResult {
  if (res === NO_RESPONSE) return NONE;
  const { requestApiKey: apiKey, correlationId } = ctx.header;
  try {
    if (handler.passThroughBytes) {
      return { kind: 'response', chunks: encodeResponseChunks(handler.codec, ctx.apiVersion, correlationId, res, handler.passThroughBytes(res)) };
    }
    return { kind: 'response', chunks: [encodeResponse(handler.codec, ctx.apiVersion, correlationId, res)] };
  } catch (err) {
    ctx.log.error({ err, apiKey, apiVersion: ctx.apiVersion }, 'response could not be encoded');
    return answerError(handler, request, ctx, err, counters, true);
  }
}

function answerError(handler: Handler, request: unknown, ctx: RequestContext, err: unknown, counters: ApiCounters, encodingFailed = false): DispatchResult {
  if (err instanceof CloseConnection) return close(err.message);
  const code = err instanceof KafkaError && !encodingFailed ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  counters.error(code);
  if (!(err instanceof KafkaError)) {
    ctx.log.error({ err, apiKey: ctx.header.requestApiKey, apiVersion: ctx.apiVersion }, 'handler failed');
  }
  try {
    const res = handler.errorResponse(request, code, ctx);
    return { kind: 'response', chunks: [encodeResponse(handler.codec, ctx.apiVersion, ctx.header.correlationId, res)] };
  } catch (inner) {
    ctx.log.error({ err: inner }, 'error response could not be built');
    return close('internal error');
  }
}
