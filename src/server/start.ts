import { bindEndpoint, formatEndpoint, loadBrokerConfig, type BrokerConfig, type LoadBrokerConfigOptions } from '../config.js';
import { lookup } from 'node:dns/promises';
import { connectableHost, parsePerIpOverrides } from '../config/listeners.js';
import { isIpAddress, normalizeAddress } from './connection-quotas.js';
import type { Logger } from '../log.js';
import type { Dispatch } from './connection.js';
import { Listener } from './listener.js';
import type { BrokerRuntime, CreateBrokerRuntime } from './runtime.js';

export interface LaunchOptions extends Omit<LoadBrokerConfigOptions, 'logger'> {
  logger: Logger;
}

export interface RunningBroker {
  /** The bound address, as the socket reports it. */
  host: string;
  port: number;
  /** host:port a local client can dial (loopback when bound to every interface). */
  bootstrap: string;
  /** Stops accepting, lets in-flight requests finish, then closes the broker. Idempotent. */
  close(): Promise<void>;
}

/**
 * Shared by the CLI and the embedded API: load config, bind, build the runtime, log the one
 * "listening" line. The runtime is built after binding so that it sees the real port; a
 * request arriving in between waits for it.
 */
export async function launchBroker(opts: LaunchOptions, createRuntime: CreateBrokerRuntime): Promise<RunningBroker> {
  const { logger } = opts;
  const loaded = await loadBrokerConfig({ ...opts, logger });
  const endpoint = bindEndpoint(loaded.values);

  let runtime: BrokerRuntime | undefined;
  let settle!: { resolve: (r: BrokerRuntime) => void; reject: (e: unknown) => void };
  const ready = new Promise<BrokerRuntime>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Nobody may be waiting when startup fails; the failure is reported by the throw below.
  ready.catch(() => {});
  const dispatch: Dispatch = (frame, conn) =>
    runtime !== undefined ? runtime.dispatch(frame, conn) : ready.then((r) => r.dispatch(frame, conn));

  const idleMs = loaded.values['connections.max.idle.ms'];
  const maxRequestBytes = loaded.values['socket.request.max.bytes'];
  const listener = await Listener.listen({
    host: endpoint.host === '' ? '0.0.0.0' : endpoint.host,
    port: endpoint.port,
    dispatch,
    logger,
    limits: {
      maxFrameBytes: maxRequestBytes,
      maxQueuedBytes: maxRequestBytes,
      idleTimeoutMs: idleMs > 0 ? Math.min(idleMs, 2 ** 31 - 1) : 0,
    },
    queuedMaxRequestBytes: loaded.values['queued.max.request.bytes'],
    quotas: {
      maxConnections: loaded.values['max.connections'],
      maxConnectionsPerIp: loaded.values['max.connections.per.ip'],
      perIpOverrides: await resolvePerIpOverrides(loaded.values['max.connections.per.ip.overrides'], logger),
    },
  });
  const config: BrokerConfig = {
    values: { ...loaded.values, listeners: formatEndpoint('PLAINTEXT', listener.host, listener.port) },
    explicit: loaded.explicit,
  };

  try {
    runtime = await createRuntime(config, logger);
  } catch (err) {
    settle.reject(err);
    await listener.close({ timeoutMs: 0 });
    throw err;
  }
  settle.resolve(runtime);

  const host = listener.host;
  const port = listener.port;
  const dialHost = connectableHost(host);
  const bootstrap = `${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`;
  const memory = config.values['skiff.memory'];
  logger.info(
    { host, port, bootstrap, memory, dataDir: memory ? null : config.values['log.dirs'][0] },
    `Skiff listening on ${host.includes(':') ? `[${host}]` : host}:${port}`,
  );

  const shutdownTimeoutMs = config.values['skiff.shutdown.timeout.ms'];
  const started = runtime;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    bootstrap,
    close() {
      closing ??= (async () => {
        await listener.close({ timeoutMs: shutdownTimeoutMs });
        await started.close();
      })();
      return closing;
    },
  };
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
      for (const { address } of await lookup(host, { all: true })) out.set(normalizeAddress(address), max);
    } catch (err) {
      logger.warn({ host, err }, 'max.connections.per.ip.overrides: host not resolved, entry ignored');
    }
  }
  return out;
}
