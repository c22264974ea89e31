import type { Logger } from './log.js';
import { bindEndpoint, loadConfigFile, flattenConfig, resolveConfig, type BrokerConfig, type ConfigLayer } from './config/load.js';
import { formatEndpoint } from './config/listeners.js';

/**
 * Broker configuration: Kafka's property names and defaults (src/config/broker-configs.ts),
 * topic settings and their broker synonyms (src/config/topic-configs.ts), loading and
 * validation (src/config/load.ts), DescribeConfigs views (src/config/describe.ts).
 *
 * Config sits just above src/errors.ts and the logger; every layer from cluster up reads it
 * (storage gets its settings as a LogConfig instead).
 */

export * from './config/broker-configs.js';
export * from './config/topic-configs.js';
export * from './config/values.js';
export * from './config/listeners.js';
export * from './config/load.js';
export * from './config/describe.js';

export interface LoadBrokerConfigOptions {
  /** A YAML file of Kafka property names, flat or nested. */
  file?: string;
  /** Settings over the file: startBroker's `config`, or the CLI's --override pairs. */
  settings?: Readonly<Record<string, unknown>>;
  /** How `settings` is named in warnings and errors. */
  settingsSource?: string;
  /** Shorthands applied last: they replace the host / port of the PLAINTEXT listener. */
  host?: string;
  port?: number;
  /** Shorthand for log.dirs. */
  dataDir?: string;
  /** Shorthand for skiff.memory. */
  memory?: boolean;
  /** skiff.memory when nothing (file, settings, dataDir, memory) says where data goes. */
  memoryUnlessStorageNamed?: boolean;
  /** Shorthand for skiff.http.port. */
  httpPort?: number;
  /** Unknown keys are reported here. */
  logger?: Pick<Logger, 'warn'>;
}

/** The whole load order in one place: defaults < file < settings < shorthands. */
export async function loadBrokerConfig(opts: LoadBrokerConfigOptions = {}): Promise<BrokerConfig> {
  const layers: ConfigLayer[] = [];
  if (opts.file !== undefined) layers.push(await loadConfigFile(opts.file));
  if (opts.settings !== undefined) {
    const source = opts.settingsSource ?? 'settings';
    layers.push({ source, values: flattenConfig(opts.settings, source) });
  }
  const base = resolveConfig(layers, { logger: opts.logger });

  const shorthand: Record<string, unknown> = {};
  if (opts.host !== undefined || opts.port !== undefined) {
    const current = bindEndpoint(base.values);
    shorthand.listeners = formatEndpoint('PLAINTEXT', opts.host ?? current.host, opts.port ?? current.port);
  }
  if (opts.dataDir !== undefined) shorthand['log.dirs'] = [opts.dataDir];
  if (opts.memory !== undefined) shorthand['skiff.memory'] = opts.memory;
  const storageNamed = opts.dataDir !== undefined || opts.memory !== undefined || base.explicit.has('log.dirs') || base.explicit.has('skiff.memory');
  if (opts.memoryUnlessStorageNamed && !storageNamed) shorthand['skiff.memory'] = true;
  if (opts.httpPort !== undefined) shorthand['skiff.http.port'] = opts.httpPort;
  if (Object.keys(shorthand).length === 0) return base;
  // Unknown keys were already reported by the first pass.
  return resolveConfig([...layers, { source: 'command line', values: shorthand }]);
}
