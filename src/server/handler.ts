/**
 * The shape of one API's handler. Each handler file under handlers/ registers its key and
 * the version range it implements; ApiVersions is built from that registry.
 *
 * src/server is the request layer: the listener and connections, dispatch, and one handler
 * per API. Handlers reach the broker only through BrokerServices (services.ts), over the
 * layers below (cluster, coordinator, storage, config, protocol); only the assembly
 * (src/broker.ts, src/launch.ts) and the other ways in (src/http, src/embedded) import it.
 */
import type { Logger } from '../log.js';
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import { implementedVersions } from '../protocol/implemented-versions.js';
import type { RequestHeader } from '../protocol/generated/headers.js';
import type { ConnectionContext, Sequenced } from './connection.js';
import type { BrokerServices } from './services.js';

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connection: ConnectionContext;
  /** What a handler may touch of the broker (services.ts); never the Broker class itself. */
  readonly broker: BrokerServices;
  readonly log: Logger;
  /** Every registered API by key: what this broker implements. */
  readonly handlers: HandlerRegistry;
  /**
   * For a handler that `overlaps`: call once the request's effects have their place in order,
   * before it is answered, so that the next such request on the connection may start
   * (connection.ts). Absent where nothing waits for it.
   */
  readonly sequenced?: Sequenced;
}

/**
 * One API as ApiVersions and dispatch know it before its handler module is loaded: the version
 * range it serves, and how to load the handler (on the API's first request, registry.ts).
 */
export interface HandlerEntry {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** As Handler's: the minimum ApiVersions lists where it is below `minVersion`. */
  readonly advertisedMinVersion?: number;
  /** False when ApiVersions leaves this API out (it is still served when asked); listed when absent. */
  advertised?(broker: BrokerServices): boolean;
  /** The handler once its module has loaded; undefined before. */
  readonly handler: Handler | undefined;
  /** Loads the handler's module; the same promise while it loads, a new attempt after a failure. */
  load(): Promise<Handler>;
}

export type HandlerRegistry = ReadonlyMap<number, HandlerEntry>;

export type HandlerRange = Pick<HandlerEntry, 'apiKey' | 'minVersion' | 'maxVersion' | 'advertisedMinVersion' | 'advertised'>;

/**
 * An entry whose handler comes from `load`. The loaded handler must declare the range the entry
 * advertises (checked here, so that ApiVersions never lists what the handler refuses).
 */
export function handlerEntry(range: HandlerRange, load: () => Promise<Handler>): HandlerEntry {
  let handler: Handler | undefined;
  let loading: Promise<Handler> | undefined;
  return {
    ...range,
    get handler() {
      return handler;
    },
    load() {
      if (handler) return Promise.resolve(handler);
      loading ??= load().then((h) => {
        if (h.apiKey !== range.apiKey || h.minVersion !== range.minVersion || h.maxVersion !== range.maxVersion || h.advertisedMinVersion !== range.advertisedMinVersion) {
          throw new Error(`the handler loaded for api key ${range.apiKey} serves key ${h.apiKey} v${h.minVersion}-v${h.maxVersion} (listed from v${h.advertisedMinVersion}); the registry lists v${range.minVersion}-v${range.maxVersion} (from v${range.advertisedMinVersion})`);
        }
        handler = h;
        return h;
      }).finally(() => {
        loading = undefined;
      });
      return loading;
    },
  };
}

/** An entry for a handler already loaded (ApiVersions, tests). */
export function loadedEntry(h: Handler): HandlerEntry {
  return { apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion, advertisedMinVersion: h.advertisedMinVersion, handler: h, load: () => Promise.resolve(h) };
}

/** Returned by a handler when the request gets no response at all (acks=0 produce). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type HandlerResult<Res> = Res | typeof NO_RESPONSE;

export interface Handler<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The API's generated codec (`codec` of its module): the broker loads no other API module. */
  readonly codec: ApiCodec<Req, Res>;
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
  /**
   * The response that answers `req` with `errorCode` everywhere an error can go, so that a
   * failing handler still answers well-formed (UNKNOWN_SERVER_ERROR at worst).
   */
  errorResponse(req: Req, errorCode: number, ctx: RequestContext): Res;
  /**
   * The v0 answer to a request newer than `maxVersion`, which every client can read (ApiVersions:
   * UNSUPPORTED_VERSION with our ranges, KIP-511). Without it such a request closes the connection.
   */
  newerVersionResponse?(handlers: HandlerRegistry, broker: BrokerServices): Res;
  /**
   * True when nothing of a request outlives its answer: no view of the request is kept (the log
   * copies what it keeps of a borrowed payload) and no work on it is left running once `handle`
   * settles, so the frame's memory may serve a later request (frame-pool.ts). Produce.
   */
  readonly releasesFrame?: boolean;
  /**
   * True when a request of this API may start while earlier requests on its connection are
   * unanswered, provided each of them overlaps too and has called `ctx.sequenced`; this handler
   * calls it once what later requests must see is fixed. Produce: its appends hold their place
   * in the partition logs' queues, and later appends go behind them.
   */
  readonly overlaps?: boolean;
  /** Bytes of stored record slices in `res` to pass through by reference (Fetch). */
  passThroughBytes?(res: Res): number;
  /**
   * The minimum ApiVersions lists, where it is below `minVersion`: versions advertised but
   * refused when sent (the connection closes, as for any version outside the served range).
   */
  readonly advertisedMinVersion?: number;
}

/** The versions of an API that Skiff can serve in full (src/protocol/implemented-versions.ts). */
export function schemaVersions(apiKey: number): { apiKey: number; minVersion: number; maxVersion: number } {
  return { apiKey, ...implementedVersions(apiKey) };
}

/** Keeps a handler's own request and response types while registering it untyped. */
export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler {
  return h as unknown as Handler;
}

/** Thrown by a handler when Kafka would close the connection (an acks=0 produce that failed). */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';
}
