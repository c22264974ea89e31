/**
 * Faults injected into a virtual cluster, each listed with an id until cleared:
 *   isolate   broker `broker` cannot reach broker `peer` (its replica fetches fail), or every
 *             other broker when `peer` is omitted;
 *   latency   requests to `broker` are answered `ms` later (optionally one API key only);
 *   error     requests of `apiKey` to `broker` are answered with `errorCode`, `count` times or
 *             for a `ratio` of them (0..1), through the API's own error response;
 *   drop      a request of `apiKey` to `broker` is applied but its response never sent (the
 *             connection is closed instead, which is how a client sees a lost response);
 *   close-after  a connection to `broker` is closed once its responses (counted from when the
 *             fault was added) would pass `bytes`: the request is applied, that answer lost;
 * Every fault is logged when added and when cleared. Connections are killed directly
 * (RunningCluster.killConnections), which leaves nothing to list.
 */
import type { Logger } from '../log.js';
import type { ConnectionContext, Dispatch } from './connection.js';
import { CloseConnection, type Handler, type HandlerEntry, type HandlerRegistry, handlerEntry } from './handler.js';

export type FaultSpec =
  | { kind: 'isolate'; broker: number; peer?: number }
  | { kind: 'latency'; broker: number; ms: number; apiKey?: number }
  | { kind: 'error'; broker: number; apiKey: number; errorCode: number; count?: number; ratio?: number }
  | { kind: 'drop'; broker: number; apiKey: number; count?: number }
  | { kind: 'close-after'; broker: number; bytes: number };

export type Fault = FaultSpec & { id: number; applied: number };

export class FaultError extends Error {}

const MAX_FAULTS = 1000;
const MAX_LATENCY_MS = 60_000;

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new FaultError(`${name} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Checks a fault as it comes from JSON; throws FaultError naming the bad field. */
export function parseFault(body: unknown, brokerIds: readonly number[]): FaultSpec {
  if (typeof body !== 'object' || body === null) throw new FaultError('a fault is a JSON object');
  const b = body as Record<string, unknown>;
  const broker = int(b.broker, 'broker', 0, 2 ** 31 - 1);
  if (!brokerIds.includes(broker)) throw new FaultError(`no broker ${broker}`);
  const count = b.count === undefined ? undefined : int(b.count, 'count', 1, 2 ** 31 - 1);
  switch (b.kind) {
    case 'isolate': {
      const peer = b.peer === undefined ? undefined : int(b.peer, 'peer', 0, 2 ** 31 - 1);
      if (peer !== undefined && !brokerIds.includes(peer)) throw new FaultError(`no broker ${peer}`);
      return { kind: 'isolate', broker, peer };
    }
    case 'latency':
      return { kind: 'latency', broker, ms: int(b.ms, 'ms', 0, MAX_LATENCY_MS), apiKey: b.apiKey === undefined ? undefined : int(b.apiKey, 'apiKey', 0, 32767) };
    case 'error': {
      const ratio = b.ratio === undefined ? undefined : Number(b.ratio);
      if (ratio !== undefined && !(ratio > 0 && ratio <= 1)) throw new FaultError('ratio must be in (0, 1]');
      return { kind: 'error', broker, apiKey: int(b.apiKey, 'apiKey', 0, 32767), errorCode: int(b.errorCode, 'errorCode', -1, 32767), count, ratio };
    }
    case 'drop':
      return { kind: 'drop', broker, apiKey: int(b.apiKey, 'apiKey', 0, 32767), count };
    case 'close-after':
      return { kind: 'close-after', broker, bytes: int(b.bytes, 'bytes', 0, 2 ** 31 - 1) };
    default:
      throw new FaultError('kind must be one of isolate, latency, error, drop, close-after');
  }
}

export class FaultTable {
  readonly #faults = new Map<number, Fault>();
  #nextId = 1;

  constructor(
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  add(spec: FaultSpec): Fault {
    if (this.#faults.size >= MAX_FAULTS) throw new FaultError(`at most ${MAX_FAULTS} faults at once`);
    const fault: Fault = { ...spec, id: this.#nextId++, applied: 0 };
    this.#faults.set(fault.id, fault);
    this.logger.warn({ fault }, 'fault injected');
    return fault;
  }

  list(): Fault[] {
    return [...this.#faults.values()];
  }

  clear(id: number): boolean {
    const f = this.#faults.get(id);
    if (!f) return false;
    this.#faults.delete(id);
    this.logger.warn({ fault: f }, 'fault cleared');
    return true;
  }

  clearAll(): void {
    for (const id of [...this.#faults.keys()]) this.clear(id);
  }

  isolated(from: number, to: number): boolean {
    for (const f of this.#faults.values()) {
      if (f.kind !== 'isolate') continue;
      if ((f.broker === from && (f.peer === undefined || f.peer === to)) || (f.broker === to && (f.peer === undefined || f.peer === from))) return true;
    }
    return false;
  }

  /** The first fault of `kind` for this request that fires now (counted; one with its count spent goes). */
  #take<K extends Fault['kind']>(kind: K, broker: number, apiKey: number): Extract<Fault, { kind: K }> | undefined {
    for (const f of this.#faults.values()) {
      if (f.kind !== kind || f.broker !== broker) continue;
      if ('apiKey' in f && f.apiKey !== undefined && f.apiKey !== apiKey) continue;
      if (f.kind === 'error' && f.ratio !== undefined && this.random() >= f.ratio) continue;
      f.applied++;
      if ('count' in f && f.count !== undefined && f.applied >= f.count) this.clear(f.id);
      return f as Extract<Fault, { kind: K }>;
    }
    return undefined;
  }

  /** `broker`'s dispatch with the close-after faults behind it: response bytes counted per connection. */
  wrapDispatch(dispatch: Dispatch, broker: number): Dispatch {
    const sent = new WeakMap<ConnectionContext, Map<number, number>>();
    const wrapped: Dispatch = async (frame, conn, sequenced) => {
      const res = await dispatch(frame, conn, sequenced);
      if (res.kind !== 'response') return res;
      const size = res.chunks.reduce((n, c) => n + c.length, 0);
      for (const f of this.#faults.values()) {
        if (f.kind !== 'close-after' || f.broker !== broker) continue;
        const counts = sent.get(conn) ?? new Map<number, number>();
        sent.set(conn, counts);
        const total = (counts.get(f.id) ?? 0) + size;
        counts.set(f.id, total);
        if (total > f.bytes) {
          f.applied++;
          this.logger.warn({ fault: f, connection: conn.id }, 'fault: connection closed');
          return { kind: 'close', reason: `fault ${f.id}: connection closed after ${f.bytes} bytes` };
        }
      }
      return res;
    };
    wrapped.overlaps = dispatch.overlaps;
    return wrapped;
  }

  /** The handlers of `broker` with this table's latency, error and drop faults in front. */
  wrap(handlers: HandlerRegistry, broker: number): HandlerRegistry {
    const out = new Map<number, HandlerEntry>();
    for (const [key, entry] of handlers) {
      out.set(key, handlerEntry(entry, async () => this.#wrapHandler(await entry.load(), broker)));
    }
    return out;
  }

  #wrapHandler(h: Handler, broker: number): Handler {
    const key = h.apiKey;
    return {
      ...h,
      handle: async (req, ctx) => {
        const delay = this.#take('latency', broker, key);
        if (delay) await new Promise((r) => setTimeout(r, delay.ms));
        const error = this.#take('error', broker, key);
        if (error) return h.errorResponse(req, error.errorCode, ctx);
        const res = await h.handle(req, ctx);
        if (this.#take('drop', broker, key)) throw new CloseConnection(`fault: response to api key ${key} dropped`);
        return res;
      },
    };
  }
}
