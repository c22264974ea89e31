import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from './log.js';
import { startupBanner } from './cli/banner.js';
import { StartupError, explainArgsError, explainStartupError } from './cli/startup-hints.js';
import { bindEarly } from './server/listener.js';
import type { RunningBroker } from './launch.js';

const USAGE = `Usage: skiff start [options]
       skiff topic|produce|consume|group|cluster ... (see skiff <command> --help)
       skiff --help | --version

A single-node broker that speaks the Apache Kafka protocol, and a client for any Kafka cluster:
  skiff topic      create, list, describe, reconfigure and delete topics
  skiff produce    send lines from stdin as records
  skiff consume    print records of a topic
  skiff group      list, describe (with lag), reset offsets of and delete consumer groups
  skiff cluster    brokers, controller, cluster id and API versions

Options for start:
  --host HOST          bind address (default 127.0.0.1, or from listeners)
  --port PORT          bind port; 0 picks a free one (default 9092, or from listeners)
  --data-dir DIR       data directory, log.dirs (default ./data)
  --memory             keep everything in memory; nothing is written to disk
  --http-port PORT     serve the console, /metrics, /health and /ready on PORT
                       (0 picks a free one; skiff.http.port; off by default);
                       with --brokers, the cluster's fault API and /metrics, and
                       each broker's console on PORT+1, PORT+2, ... (README)
  --brokers N          run N brokers in this process as one cluster (skiff.brokers),
                       on ports PORT, PORT+1, ... with data in DIR/broker-<id>
  --config FILE        YAML file of Kafka property names, flat or nested
  --override KEY=VAL   set one property over the file; repeatable
  --log-level LEVEL    fatal, error, warn, info, debug, trace, silent
                       (default: SKIFF_LOG_LEVEL, else info)
  --log-format FORMAT  pretty (default on a terminal) or json (default otherwise)

Logs go to stdout. SIGINT (Ctrl+C) or SIGTERM shuts down cleanly.
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  memory: { type: 'boolean' },
  'http-port': { type: 'string' },
  brokers: { type: 'string' },
  config: { type: 'string' },
  override: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Client commands, run by src/cli (loaded only for them). */
const CLIENT_COMMANDS = ['topic', 'produce', 'consume', 'group', 'cluster'];

/** The CLI. Resolves when the command is done (for start: after a clean shutdown). */
export async function main(argv: readonly string[]): Promise<void> {
  if (CLIENT_COMMANDS.includes(argv[0] ?? '')) {
    process.exitCode = await (await import('./cli/index.js')).runClientCommand(argv);
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw explainArgsError(err, Object.keys(OPTIONS));
  }
  const { values: flags, positionals } = parsed;
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.version) {
    process.stdout.write(`skiff ${readVersion()}\n`);
    return;
  }
  const [command, ...extra] = positionals;
  if (command !== 'start' || extra.length > 0) {
    throw new Error(
      command === undefined ? `missing command\n\n${USAGE}` : `unknown command "${[command, ...extra].join(' ')}"\n\n${USAGE}`,
    );
  }

  const format = flags['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'pretty' && format !== 'json') {
    throw new StartupError(`--log-format expects pretty or json, got "${format}"`, 'pretty for people, json for log collectors');
  }

  // Startup: bind first, load later. Only node: built-ins and the listener are imported
  // statically; the logger (pino), config (yaml) and the broker (codecs, storage, native
  // addons) load after the socket accepts, the broker in parallel with config and binding.
  const address = flags.brokers === undefined ? earlyAddress(flags.host, flags.port, flags.config, flags.override ?? []) : undefined;
  const bound = address === undefined ? undefined : bindEarly(address.host, address.port);
  // V8's optimising compiler is off while the broker's chunks load: resolving their imports
  // makes two of Node's own path functions hot enough to be optimised, and its first use maps
  // ~3.7 MB of compiler code into a broker that then sits idle. On again as soon as they are
  // loaded, before the broker's own startup work (log recovery, coordinator loads) and requests.
  setFlagsFromString('--no-opt');
  const brokerModule = import('./broker.js');
  void brokerModule.then(optimiseAgain, optimiseAgain); // a failed load is reported where it is awaited
  await bound;
  const [{ createLogger }, { launchBroker }] = await Promise.all([import('./log.js'), import('./launch.js')]);

  const logger = createLogger({ level: flags['log-level'], base: { version: readVersion() }, format });
  // Installed before the listener opens: a signal sent as soon as "listening" is logged must
  // shut the broker down cleanly, not find Node's default handler.
  const stopped = untilStopped(logger);
  let broker: RunningBroker;
  try {
    broker = await launchBroker(
      {
        file: flags.config,
        settings: { ...parseOverrides(flags.override ?? []), ...(flags.brokers === undefined ? {} : { 'skiff.brokers': flags.brokers }) },
        settingsSource: '--override',
        host: flags.host,
        port: flags.port === undefined ? undefined : parsePort(flags.port),
        dataDir: flags['data-dir'],
        memory: flags.memory,
        httpPort: flags['http-port'] === undefined ? undefined : parsePort(flags['http-port'], '--http-port'),
        logger,
        launchCluster: async (o, n) => (await import('./virtual-cluster.js')).launchCluster(o, n),
      },
      async (config, log) => (await brokerModule).createBrokerRuntime(config, log),
    );
  } catch (err) {
    stopped.cancel();
    throw explainStartupError(err);
  }
  if (format === 'pretty') {
    const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
    process.stdout.write(startupBanner({ version: readVersion(), bootstrap: broker.bootstrap, dataDir: broker.dataDir, httpUrl: broker.httpUrl }, color));
  }
  await stopped.with(broker);
}

/**
 * Waits for SIGINT or SIGTERM, then closes the broker given to `with` (at once if the signal
 * came first). `cancel` removes the handlers when the broker never started.
 */
function untilStopped(logger: Logger): { with(broker: RunningBroker): Promise<void>; cancel(): void } {
  let signalled: NodeJS.Signals | undefined;
  let stop: ((signal: NodeJS.Signals) => void) | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    stopping = true;
    if (stop) stop(signal);
    else signalled = signal;
  };
  const cancel = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const withBroker = (broker: RunningBroker): Promise<void> =>
    new Promise((resolve) => {
      stop = (signal) => {
        logger.info({ signal }, 'shutting down');
        broker.close().then(
          () => {
            logger.info('stopped');
            finish();
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            finish();
          },
        );
      };
      const finish = (): void => {
        cancel();
        // Something left running (a stray timer or socket) must not keep a stopped broker alive.
        setTimeout(() => process.exit(), 2_000).unref();
        resolve();
      };
      if (signalled) stop(signalled);
    });
  return { with: withBroker, cancel };
}

/**
 * The address to bind before the configuration is loaded: only when the command line alone
 * decides it (no config file, no override of the listener). Otherwise undefined, and the
 * listener binds once the configuration is known. A wrong guess is harmless: the listener
 * closes the early socket and binds its own.
 */
function earlyAddress(host: string | undefined, port: string | undefined, config: string | undefined, overrides: readonly string[]): { host: string; port: number } | undefined {
  if (config !== undefined || overrides.some((o) => /^\s*(listeners|host|port)\s*=/.test(o))) return undefined;
  let p = 9092;
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65_535) return undefined;
    p = Number(port);
  }
  const h = host ?? '127.0.0.1';
  return { host: h === '' ? '0.0.0.0' : h, port: p };
}

function optimiseAgain(): void {
  setFlagsFromString('--opt');
}

function parsePort(text: string, flag = '--port'): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65_535)) throw new Error(`${flag} expects 0-65535, got "${text}"`);
  return port;
}

function parseOverrides(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--override expects KEY=VALUE, got "${pair}"`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

let version: string | undefined;
/** From package.json, found from src/ (tsx), dist/src/ and dist/bundle/ (built). */
function readVersion(): string {
  if (version !== undefined) return version;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'skiff' && pkg.version !== undefined) return (version = pkg.version);
    } catch {
      // Not at this level; try the next.
    }
  }
  return (version = 'unknown');
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

// `tsx src/main.ts` runs this file directly; bin/skiff.js imports main() instead.
if (isEntryPoint()) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
