/**
 * Client metrics (KIP-714): the subscriptions (CLIENT_METRICS config resources) and the
 * client instances that asked for them, as Kafka's ClientMetricsManager keeps them.
 *
 * A subscription names the metrics it wants (`metrics`: prefixes, "*" for all), how often
 * (`interval.ms`) and from which clients (`match`: selector=regex pairs, all of which must
 * match in full; none matches every client). They are read, as Kafka-named settings, from
 * whatever stores CLIENT_METRICS configs (the broker's dynamic configs); ListConfigResources
 * lists the names.
 *
 * A client asks for its subscription (GetTelemetrySubscriptions), then pushes at the interval
 * it was given (PushTelemetry); asking or pushing sooner is THROTTLING_QUOTA_EXCEEDED, except a
 * terminating push, which may come at any time but only once. As in Kafka, these rules hold
 * per client instance and connection: the same instance id on a new connection starts afresh. The latest push of each client
 * is kept for inspection (the HTTP server's /api/client-metrics), for a bounded number of
 * clients.
 */
import { createHash } from 'node:crypto';
import { decompress } from '../protocol/records/compression.js';
import type { CompressionType } from '../protocol/records/record-batch.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { ZERO_UUID, randomUuid } from '../protocol/codec/uuid.js';
import { metricNames } from './otlp-metric-names.js';

/** A subscription's settings by Kafka's names: metrics, interval.ms, match (lists comma-separated). */
export type SubscriptionSettings = Readonly<Record<string, string>>;

interface ClientMetricsSubscription {
  readonly metrics: readonly string[];
  readonly intervalMs: number;
  readonly match: readonly string[];
}

const listItems = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function subscriptionOf(settings: SubscriptionSettings): ClientMetricsSubscription {
  const interval = Number(settings['interval.ms']);
  return { metrics: listItems(settings.metrics), intervalMs: Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_PUSH_INTERVAL_MS, match: listItems(settings.match) };
}

/** What a client is known by: the selectors a subscription's `match` can name. */
export interface ClientIdentity {
  clientId: string;
  sourceAddress: string;
  sourcePort: number;
}

export function clientIdentity(clientId: string | null, connection: { remoteAddress: string; remotePort: number }): ClientIdentity {
  return { clientId: clientId ?? '', sourceAddress: connection.remoteAddress, sourcePort: connection.remotePort };
}

export interface Subscription {
  clientInstanceId: string;
  subscriptionId: number;
  acceptedCompressionTypes: number[];
  pushIntervalMs: number;
  telemetryMaxBytes: number;
  deltaTemporality: boolean;
  requestedMetrics: string[];
}

export interface LatestPush {
  clientInstanceId: string;
  clientId: string;
  sourceAddress: string;
  subscriptionId: number;
  pushedAt: string;
  terminating: boolean;
  compressionType: number;
  bytes: number;
  metrics: string[];
}

/** Kafka's telemetry.max.bytes and default push interval (when no subscription matches). */
export const TELEMETRY_MAX_BYTES = 1_048_576;
export const DEFAULT_PUSH_INTERVAL_MS = 300_000;
/** zstd, lz4, gzip, snappy: Kafka's order of preference. */
const ACCEPTED_COMPRESSION = [4, 3, 1, 2];
const MAX_INSTANCES = 10_000;

interface Instance {
  identity: ClientIdentity;
  subscription: Subscription;
  lastGetMs: number;
  lastPushMs: number;
  terminating: boolean;
  latest?: LatestPush;
}

export class ClientMetrics {
  readonly #subscriptions: () => ReadonlyMap<string, SubscriptionSettings>;
  readonly #instances = new Map<string, Instance>();

  constructor(subscriptions: () => ReadonlyMap<string, SubscriptionSettings>) {
    this.#subscriptions = subscriptions;
  }

  names(): string[] {
    return [...this.#subscriptions().keys()];
  }

  /** GetTelemetrySubscriptions: the subscription for this client, or THROTTLING_QUOTA_EXCEEDED. */
  subscribe(clientInstanceId: string, identity: ClientIdentity, now: number): Subscription | { errorCode: number } {
    const instance = this.#instance(clientInstanceId === ZERO_UUID ? randomUuid() : clientInstanceId, identity);
    if (now - instance.lastGetMs < instance.subscription.pushIntervalMs) return { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED };
    instance.lastGetMs = now;
    return instance.subscription;
  }

  /** PushTelemetry: the error code for this push; a NONE push is kept as the client's latest. */
  push(
    req: { clientInstanceId: string; subscriptionId: number; terminating: boolean; compressionType: number; metrics: Buffer },
    identity: ClientIdentity,
    now: number,
  ): number {
    if (req.clientInstanceId === ZERO_UUID) return ErrorCode.INVALID_REQUEST;
    const instance = this.#instance(req.clientInstanceId, identity);
    if (instance.terminating) return ErrorCode.INVALID_REQUEST;
    if (!req.terminating && now - instance.lastPushMs < instance.subscription.pushIntervalMs) return ErrorCode.THROTTLING_QUOTA_EXCEEDED;
    // An instance id never handed out gets a fresh subscription the client cannot know.
    if (req.subscriptionId !== instance.subscription.subscriptionId) return ErrorCode.UNKNOWN_SUBSCRIPTION_ID;
    if (req.compressionType !== 0 && !ACCEPTED_COMPRESSION.includes(req.compressionType)) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
    if (req.metrics.length > TELEMETRY_MAX_BYTES) return ErrorCode.TELEMETRY_TOO_LARGE;
    // Kafka accepts what it does not read (it hands the payload to a reporter, if any), so a
    // payload that does not decode is kept as bytes without metric names, not refused.
    let names: string[] = [];
    let bytes = req.metrics.length;
    try {
      const raw = req.compressionType === 0 ? req.metrics : decompress(req.compressionType as CompressionType, req.metrics, { maxSize: TELEMETRY_MAX_BYTES * 16 });
      bytes = raw.length;
      names = metricNames(raw);
    } catch {
      // kept as it came
    }
    instance.lastPushMs = now;
    instance.terminating = req.terminating;
    instance.latest = {
      clientInstanceId: req.clientInstanceId,
      clientId: identity.clientId,
      sourceAddress: identity.sourceAddress,
      subscriptionId: req.subscriptionId,
      pushedAt: new Date(now).toISOString(),
      terminating: req.terminating,
      compressionType: req.compressionType,
      bytes,
      metrics: names,
    };
    return ErrorCode.NONE;
  }

  /** The latest push of every client that pushed, newest first. */
  latestPushes(): LatestPush[] {
    const out: LatestPush[] = [];
    for (const i of this.#instances.values()) if (i.latest) out.push(i.latest);
    return out.sort((a, b) => (a.pushedAt < b.pushedAt ? 1 : -1));
  }

  #compute(clientInstanceId: string, identity: ClientIdentity): Subscription {
    const matching = [...this.#subscriptions().values()].map(subscriptionOf).filter((s) => matches(s.match, clientInstanceId, identity));
    const metrics = new Set<string>();
    for (const s of matching) for (const m of s.metrics) metrics.add(m === '*' ? '' : m);
    // A client that wants everything gets the one empty prefix, not others beside it.
    const requestedMetrics = metrics.has('') ? [''] : [...metrics].sort();
    const pushIntervalMs = matching.length > 0 ? Math.min(...matching.map((s) => s.intervalMs)) : DEFAULT_PUSH_INTERVAL_MS;
    const digest = createHash('sha256').update(JSON.stringify([requestedMetrics, pushIntervalMs, clientInstanceId])).digest();
    return {
      clientInstanceId,
      subscriptionId: digest.readInt32BE(0),
      acceptedCompressionTypes: ACCEPTED_COMPRESSION,
      pushIntervalMs,
      telemetryMaxBytes: TELEMETRY_MAX_BYTES,
      deltaTemporality: true,
      requestedMetrics,
    };
  }

  /**
   * The client's state; a fresh one (no request seen yet) when the client is new, comes on
   * another connection or its subscription changed, as Kafka starts a new client instance then.
   */
  #instance(id: string, identity: ClientIdentity): Instance {
    const subscription = this.#compute(id, identity);
    const known = this.#instances.get(id);
    if (known && sameIdentity(known.identity, identity) && known.subscription.subscriptionId === subscription.subscriptionId) return known;
    const instance: Instance = { identity, subscription, lastGetMs: -Infinity, lastPushMs: -Infinity, terminating: false, latest: known?.latest };
    this.#instances.delete(id);
    this.#instances.set(id, instance);
    // The least recently created go first (a Map iterates in insertion order).
    for (const k of this.#instances.keys()) {
      if (this.#instances.size <= MAX_INSTANCES) break;
      this.#instances.delete(k);
    }
    return instance;
  }
}

function sameIdentity(a: ClientIdentity, b: ClientIdentity): boolean {
  return a.clientId === b.clientId && a.sourceAddress === b.sourceAddress && a.sourcePort === b.sourcePort;
}

function matches(match: readonly string[], clientInstanceId: string, identity: ClientIdentity): boolean {
  const values: Record<string, string> = {
    client_instance_id: clientInstanceId,
    client_id: identity.clientId,
    client_source_address: identity.sourceAddress,
    client_source_port: String(identity.sourcePort),
    // Skiff does not keep what a connection's ApiVersions said its software was.
    client_software_name: '',
    client_software_version: '',
  };
  return match.every((m) => {
    const eq = m.indexOf('=');
    const value = values[m.slice(0, eq)];
    if (eq < 0 || value === undefined) return false;
    try {
      return new RegExp(`^(?:${m.slice(eq + 1)})$`).test(value);
    } catch {
      return false;
    }
  });
}
