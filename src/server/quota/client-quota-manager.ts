/**
 * Client quota enforcement as Kafka's ClientQuotaManager and ClientRequestQuotaManager do it:
 * produce bytes, fetch bytes and request handling time are recorded per quota entity, and a
 * request that takes its entity over the quota's bound is answered with a throttle time that
 * brings the rate back to the bound: (rate - bound) / bound x window. Request-time throttles
 * are capped at one sample window, as Kafka caps them; byte-rate throttles are not.
 *
 * The quota that applies to (user, client-id) is the first set among, in Kafka's order:
 * user+client-id, user+default client-id, user, default user+client-id, default user+default
 * client-id, default user, client-id, default client-id. Clients sharing the matched entity
 * share its rate (a user-level quota is one budget for all of the user's clients).
 */
import type { ClientQuotaStore, QuotaEntity } from '../../storage/index.js';
import { CLIENT_ID, REQUEST_PERCENTAGE, USER } from './client-quota-entities.js';
import { SampledRate } from './sampled-rate.js';

/** Kafka's quota.window.num and quota.window.size.seconds defaults. */
export const QUOTA_WINDOW_SAMPLES = 11;
export const QUOTA_SAMPLE_MS = 1000;
/** Sensors of entities idle this long are dropped (Kafka expires them after an hour). */
const SENSOR_IDLE_MS = 3_600_000;
const MAX_SENSORS = 10_000;

interface Resolved {
  bound: number;
  /** The sensor: the quota key and the (user, client-id) the matched entity stands for. */
  sensorKey: string;
}

/** Kafka's principal name for a connection without authentication. */
export const ANONYMOUS_USER = 'ANONYMOUS';

export class ClientQuotaManager {
  readonly #store: ClientQuotaStore;
  readonly #sensors = new Map<string, SampledRate>();
  /** Resolutions while the quotas stay as they were when `#cachedAt` was taken. */
  readonly #resolved = new Map<string, Resolved | null>();
  #cachedAt = -1;

  constructor(store: ClientQuotaStore) {
    this.#store = store;
  }

  /** True when any quota is set: without one nothing is measured, as in Kafka. */
  get enabled(): boolean {
    return this.#store.size > 0;
  }

  /** The bound of `key` for (user, clientId), or undefined when no quota applies. */
  resolve(key: string, user: string, clientId: string): Resolved | undefined {
    if (this.#cachedAt !== this.#store.changes || this.#resolved.size >= MAX_SENSORS) {
      this.#resolved.clear();
      this.#cachedAt = this.#store.changes;
    }
    const cacheKey = JSON.stringify([key, user, clientId]);
    let r = this.#resolved.get(cacheKey);
    if (r === undefined) {
      r = this.#lookUp(key, user, clientId) ?? null;
      this.#resolved.set(cacheKey, r);
    }
    return r ?? undefined;
  }

  #lookUp(key: string, user: string, clientId: string): Resolved | undefined {
    const candidates: Array<[QuotaEntity, string, string]> = [
      [{ [USER]: user, [CLIENT_ID]: clientId }, user, clientId],
      [{ [USER]: user, [CLIENT_ID]: null }, user, clientId],
      [{ [USER]: user }, user, ''],
      [{ [USER]: null, [CLIENT_ID]: clientId }, user, clientId],
      [{ [USER]: null, [CLIENT_ID]: null }, user, clientId],
      [{ [USER]: null }, user, ''],
      [{ [CLIENT_ID]: clientId }, '', clientId],
      [{ [CLIENT_ID]: null }, '', clientId],
    ];
    for (const [entity, u, c] of candidates) {
      const bound = this.#store.get(entity)?.values[key];
      if (bound !== undefined) return { bound, sensorKey: JSON.stringify([key, u, c]) };
    }
    return undefined;
  }

  /** Records `value` against the quota `key`; the throttle time in ms (0 within the quota). */
  record(key: string, user: string, clientId: string, value: number, now: number): number {
    const q = this.resolve(key, user, clientId);
    if (!q) return 0;
    const rate = this.#sensor(q.sensorKey, now);
    rate.record(value, now);
    const observed = rate.measure(now);
    if (observed <= q.bound) return 0;
    const throttle = Math.round(((observed - q.bound) / q.bound) * rate.windowMs(now));
    return key === REQUEST_PERCENTAGE ? Math.min(throttle, QUOTA_SAMPLE_MS) : throttle;
  }

  /** Takes back a recorded value (a fetch answered empty because it was throttled). */
  unrecord(key: string, user: string, clientId: string, value: number, now: number): void {
    const q = this.resolve(key, user, clientId);
    if (q) this.#sensors.get(q.sensorKey)?.record(-value, now);
  }

  /** The most `key` allows in one quota window (Kafka bounds a fetch's size by it); Infinity without a quota. */
  maxValueInWindow(key: string, user: string, clientId: string): number {
    const q = this.enabled ? this.resolve(key, user, clientId) : undefined;
    return q ? q.bound * ((QUOTA_WINDOW_SAMPLES - 1) * QUOTA_SAMPLE_MS / 1000) : Infinity;
  }

  #sensor(sensorKey: string, now: number): SampledRate {
    let s = this.#sensors.get(sensorKey);
    if (s) return s;
    if (this.#sensors.size >= MAX_SENSORS) this.#evict(now);
    s = new SampledRate(QUOTA_SAMPLE_MS, QUOTA_WINDOW_SAMPLES);
    this.#sensors.set(sensorKey, s);
    return s;
  }

  #evict(now: number): void {
    for (const [k, s] of this.#sensors) if (now - s.lastRecordMs > SENSOR_IDLE_MS) this.#sensors.delete(k);
    // Still full: the oldest created go first (a Map iterates in insertion order).
    for (const k of this.#sensors.keys()) {
      if (this.#sensors.size < MAX_SENSORS) break;
      this.#sensors.delete(k);
    }
  }
}
