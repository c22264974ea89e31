import { resolve } from 'node:path';
import { bindEndpoint, formatEndpoint, loadBrokerConfig, type BrokerConfig, type LoadBrokerConfigOptions } from './config.js';
import { connectableHost, parseListeners, parsePerIpOverrides } from './config/listeners.js';
import { listenerSecurity, usesTls } from './config/security.js';
import { ConnectionCounts, isIpAddress, normalizeAddress } from './server/connection-quotas.js';
import { RequestMemoryPool } from './server/request-memory.js';
import type { Logger } from './log.js';
import type { ConsumeOptions, ConsumedRecord, CreateTopicOptions, EmbeddedAdmin, ProduceRecord } from './embedded/admin.js';
import type { Dispatch } from './server/connection.js';
import { Listener } from './server/listener.js';
import type { BrokerRuntime, CreateBrokerRuntime } from './server/runtime.js';

export interface LaunchOptions extends Omit<LoadBrokerConfigOptions, 'logger'> {
  logger: Logger;
  /** Starts a virtual cluster when skiff.brokers > 1 (src/virtual-cluster.ts, passed in by the entry points). */
  launchCluster?: (opts: LaunchOptions, brokers: number) => Promise<RunningBroker>;
}

export interface RunningBroker {
  /** The main listener's bound address (PLAINTEXT, else the first), as the socket reports it. */
  host: string;
  port: number;
  /** host:port a local client can dial (loopback when bound to every interface). */
  bootstrap: string;
  /** Every listener as bound: name, security protocol, host and port. */
  listeners: ReadonlyArray<{ name: string; securityProtocol: string; host: string; port: number }>;
  /** The data directory (absolute), or null when everything is kept in memory. */
  dataDir: string | null;
  /** The console, /metrics, /health and /ready (skiff.http.port); undefined when off. */
  readonly httpUrl: string | undefined;
  /** Stops accepting, lets in-flight requests finish, then closes the broker. Idempotent. */
  close(): Promise<void>;
  /**
   * Forgets every topic, group, committed offset and transaction (a memory broker only), for
   * isolation between tests. Connections stay open; requests that arrive meanwhile wait.
   */
  reset(): Promise<void>;
  /** Creates a topic (fixtures); throws FixtureError with Kafka's error code on failure. */
  createTopic(name: string, opts?: CreateTopicOptions): Promise<void>;
  /** Appends records with acks=all (fixtures); resolves with each record's partition and offset. */
  produce(topic: string, records: readonly ProduceRecord[]): Promise<Array<{ partition: number; offset: bigint }>>;
  /** Reads one partition's committed records up to its end (checks). */
  consume(topic: string, opts?: ConsumeOptions): Promise<ConsumedRecord[]>;
}

/**
 * Shared by the CLI and the embedded API: load config, bind, build the runtime, log the one
 * "listening" line. The runtime is built after binding so that it sees the real port; a
 * request arriving in between waits for it.
 */
export async function launchBroker(opts: LaunchOptions, createRuntime: CreateBrokerRuntime): Promise<RunningBroker> {
  const { logger } = opts;
  const loaded = await loadBrokerConfig({ ...opts, logger });
  const brokers = loaded.values['skiff.brokers'];
  // Several brokers in this process: the virtual cluster starts each of them through here.
  if (brokers > 1) {
    if (!opts.launchCluster) throw new Error('skiff.brokers > 1 needs `skiff start` or startBroker()');
    return opts.launchCluster(opts, brokers);
  }
  const endpoint = bindEndpoint(loaded.values);

  // The runtime is built after binding, and again by reset(); a request arriving while there
  // is none waits for the next.
  let runtime: BrokerRuntime | undefined;
  let next = deferred<BrokerRuntime>();
  const dispatch: Dispatch = (frame, conn) =>
    runtime !== undefined ? runtime.dispatch(frame, conn) : next.promise.then((r) => r.dispatch(frame, conn));

  const idleMs = loaded.values['connections.max.idle.ms'];
  const maxRequestBytes = loaded.values['socket.request.max.bytes'];
  // Broker-wide, as in Kafka: every listener draws on the same connection and memory budgets.
  const counts = new ConnectionCounts({
    maxConnections: loaded.values['max.connections'],
    maxConnectionsPerIp: loaded.values['max.connections.per.ip'],
    perIpOverrides: await resolvePerIpOverrides(loaded.values['max.connections.per.ip.overrides'], logger),
  });
  const requestMemory = new RequestMemoryPool(loaded.values['queued.max.request.bytes']);
  const listeners: Listener[] = [];
  const bound: Array<{ name: string; securityProtocol: string; host: string; port: number }> = [];
  try {
    // The main listener first: it may take over the socket bound early by the CLI.
    const endpoints = parseListeners(loaded.values.listeners).sort((a, b) => Number(b.name === endpoint.name) - Number(a.name === endpoint.name));
    for (const e of endpoints) {
      const security = listenerSecurity(e, loaded.security);
      listeners.push(
        await Listener.listen({
          host: e.host === '' ? '0.0.0.0' : e.host,
          port: e.port,
          dispatch,
          logger,
          limits: {
            maxFrameBytes: maxRequestBytes,
            maxQueuedBytes: maxRequestBytes,
            idleTimeoutMs: idleMs > 0 ? Math.min(idleMs, 2 ** 31 - 1) : 0,
          },
          counts,
          memory: requestMemory,
          name: e.name,
          securityProtocol: security.protocol,
          tls: usesTls(security.protocol) ? (await import('./security/tls-context.js')).listenerTls(security) : undefined,
        }),
      );
      bound.push({ name: e.name, securityProtocol: security.protocol, host: listeners.at(-1)!.host, port: listeners.at(-1)!.port });
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close({ timeoutMs: 0 })));
    throw err;
  }
  const listener = listeners[0]!;
  const config: BrokerConfig = {
    values: { ...loaded.values, listeners: bound.map((b) => formatEndpoint(b.name, b.host, b.port)).join(',') },
    explicit: loaded.explicit,
    security: loaded.security,
    // Kafka's settings that Skiff has no own definition of (group.share.*, share.coordinator.*) travel too.
    kafkaOnly: loaded.kafkaOnly,
  };

  try {
    runtime = await createRuntime(config, logger);
  } catch (err) {
    next.reject(err);
    await Promise.all(listeners.map((l) => l.close({ timeoutMs: 0 })));
    throw err;
  }
  next.resolve(runtime);
  runtime.attachListener?.(listener);

  const host = listener.host;
  const port = listener.port;
  const dialHost = connectableHost(host);
  const bootstrap = `${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`;
  const memory = config.values['skiff.memory'];
  const dataDir = memory ? null : resolve(config.values['log.dirs'][0]!);
  logger.info(
    { host, port, bootstrap, memory, dataDir },
    `Skiff listening on ${host.includes(':') ? `[${host}]` : host}:${port}`,
  );

  const shutdownTimeoutMs = config.values['skiff.shutdown.timeout.ms'];
  let closing: Promise<void> | undefined;
  let resetting: Promise<void> = Promise.resolve();
  // Loaded with the first fixture call: `skiff start` never makes one, and the admin brings the
  // Produce, Fetch and CreateTopics codecs with it.
  let admin: Promise<EmbeddedAdmin> | undefined;
  const embeddedAdmin = (): Promise<EmbeddedAdmin> => (admin ??= import('./embedded/admin.js').then((m) => new m.EmbeddedAdmin(dispatch)));
  return {
    host,
    port,
    bootstrap,
    listeners: bound,
    dataDir,
    get httpUrl() {
      return runtime?.httpUrl;
    },
    close() {
      closing ??= (async () => {
        runtime?.shuttingDown?.();
        await Promise.all(listeners.map((l) => l.close({ timeoutMs: shutdownTimeoutMs })));
        await resetting.catch(() => {});
        await (runtime ?? (await next.promise)).close();
      })();
      return closing;
    },
    reset() {
      if (!memory) return Promise.reject(new Error('reset() needs a memory broker (memory: true, the default of startBroker)'));
      if (closing !== undefined) return Promise.reject(new Error('reset() after close()'));
      resetting = resetting.catch(() => {}).then(async () => {
        const old = runtime!;
        runtime = undefined;
        next = deferred<BrokerRuntime>();
        try {
          await old.close();
          runtime = await createRuntime(config, logger);
          next.resolve(runtime);
          runtime.attachListener?.(listener);
        } catch (err) {
          next.reject(err);
          throw err;
        }
      });
      return resetting;
    },
    createTopic: async (name, opts) => (await embeddedAdmin()).createTopic(name, opts),
    produce: async (topic, records) => (await embeddedAdmin()).produce(topic, records),
    consume: async (topic, opts) => (await embeddedAdmin()).consume(topic, opts),
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when startup fails; the failure is reported where it happens.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** max.connections.per.ip.overrides by address; a host name counts for every address it resolves to, as in Kafka. */
async function resolvePerIpOverrides(text: string, logger: Logger): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { host, max } of parsePerIpOverrides(text)) {
    if (isIpAddress(host)) {
      out.set(normalizeAddress(host), max);
      continue;
    }
    try {
      // node:dns loads only for a host name here: most brokers have no overrides.
      const { lookup } = await import('node:dns/promises');
      for (const { address } of await lookup(host, { all: true })) out.set(normalizeAddress(address), max);
    } catch (err) {
      logger.warn({ host, err }, 'max.connections.per.ip.overrides: host not resolved, entry ignored');
    }
  }
  return out;
}
