/** Skiff's embedded API: start a broker inside a test or an app. */
import { createBrokerRuntime } from './broker.js';
import { flattenConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { launchBroker, type RunningBroker } from './launch.js';

export type { RunningBroker } from './launch.js';
export type { BrokerRuntime, CreateBrokerRuntime } from './server/runtime.js';
export type { Dispatch, DispatchResult, ConnectionContext } from './server/connection.js';
export type { BrokerConfig, BrokerConfigValues, BrokerConfigName, TopicConfigValues, TopicConfigName } from './config.js';
export { ConfigError } from './errors.js';
export type { Logger } from './log.js';
export { FixtureError } from './embedded/admin.js';
export type { ConsumeOptions, ConsumedRecord, CreateTopicOptions, ProduceRecord } from './embedded/admin.js';

export interface StartBrokerOptions {
  /** Bind address; 127.0.0.1 unless `config.listeners` says otherwise. */
  host?: string;
  /** 0 (a free port) unless `config.listeners` names one. */
  port?: number;
  /** log.dirs: keep the data on disk there. */
  dataDir?: string;
  /**
   * skiff.memory: keep everything in memory, touch no disk. The default, unless `dataDir`,
   * or log.dirs / skiff.memory in `config` or `configFile`, say otherwise.
   */
  memory?: boolean;
  /** skiff.http.port: serve the console, /metrics, /health and /ready on this port (0: a free one); see `httpUrl`. */
  httpPort?: number;
  /** Kafka property names, flat ('log.retention.ms') or nested ({ log: { retention: { ms } } }). */
  config?: Record<string, unknown>;
  /** A YAML config file, applied under `config`. */
  configFile?: string;
  /** Where to log; otherwise a JSON-lines logger on stdout. */
  logger?: Logger;
  /** Level of the default logger; SKIFF_LOG_LEVEL, then 'warn', when unset. */
  logLevel?: string;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const logger = opts.logger ?? createLogger({ level: opts.logLevel, defaultLevel: 'warn' });
  // An embedded broker must not collide with a real one on 9092: pick a free port unless
  // the caller chose one, directly or through `listeners`.
  const namesListeners =
    opts.config !== undefined && Object.hasOwn(flattenConfig(opts.config, 'startBroker config'), 'listeners');
  const port = opts.port ?? (namesListeners ? undefined : 0);
  return launchBroker(
    {
      file: opts.configFile,
      settings: opts.config,
      settingsSource: 'startBroker config',
      host: opts.host,
      port,
      dataDir: opts.dataDir,
      memory: opts.memory,
      // Nothing on disk unless the caller named a place for it: a test must not leave ./data behind.
      memoryUnlessStorageNamed: true,
      httpPort: opts.httpPort,
      logger,
    },
    createBrokerRuntime,
  );
}
