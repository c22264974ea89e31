/**
 * The two brokers under test, behind one interface: start with a given num.partitions (topics
 * are auto-created by the clients' metadata requests, the same way on both), report the pid
 * to sample, stop and delete the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartEpochMs, run, waitReady } from './proc.js';

export interface StartedBroker {
  name: 'skiff' | 'kafka';
  bootstrap: string;
  pid: number;
  /** process start → first ApiVersions answered, ms */
  startupMs: number;
  /** process start → TCP connect accepted, ms (Skiff only; Kafka binds before it serves) */
  connectMs?: number;
  apiKeys: Set<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  numPartitions: number;
  /** extra node flags for Skiff (e.g. --cpu-prof) */
  nodeFlags?: string[];
  /** reuse this data dir (not deleted on stop) */
  dataDir?: string;
  /** more `skiff start` arguments (e.g. --http-port N) */
  extraArgs?: string[];
  /** broker settings (`message.max.bytes=2097152`), given to either broker the same way */
  settings?: string[];
  /** another Skiff build's bin/skiff.js (an A/B run in one process); default SKIFF_BIN */
  bin?: string;
}

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const KAFKA_SH = join(REPO, 'test/compat/kafka/kafka.sh');
/** The Skiff under test; SKIFF_BIN points elsewhere for an A/B run (e.g. a build of the previous commit). */
const SKIFF_BIN = process.env.SKIFF_BIN ?? join(REPO, 'bin/skiff.js');
const KAFKA_STATE = join(REPO, '.cache/kafka/bench-run');

export function kafkaAvailable(): boolean {
  return existsSync(KAFKA_SH);
}

/** Skiff from bin/skiff.js, on-disk in a temp dir, default flush policy, port 0. */
export async function startSkiff(opts: StartOptions): Promise<StartedBroker> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const t0 = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(opts.nodeFlags ?? []),
      opts.bin ?? SKIFF_BIN,
      'start',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      '--override',
      `num.partitions=${opts.numPartitions}`,
      ...(opts.settings ?? []).flatMap((kv) => ['--override', kv]),
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let port = 0;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    if (port !== 0) return;
    out += d.toString();
    const m = /"port":(\d+)/.exec(out);
    if (m) port = Number(m[1]);
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // Port 0: the port is known from the log line; the probe starts as soon as it is.
  let ready;
  try {
    ready = await waitReady(() => (port ? ['127.0.0.1', port] : null), 20_000, 1);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`Skiff did not start: ${String(e)}\n${out}\n${err}`);
  }
  return {
    name: 'skiff',
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid!,
    startupMs: ready.at - t0,
    apiKeys: ready.keys,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Spawn → first accepted connection, measured precisely with a fixed port (no log parsing in
 * the way): TCP connect and ApiVersions answered, polled every millisecond.
 */
export async function measureSkiffStartup(
  port: number,
  opts: { bin?: string; node?: string } = {},
): Promise<{ connectMs: number; readyMs: number; cpuMsAtReady: number; idleRssMb: number; idleCpuMs: number }> {
  const { connect } = await import('node:net');
  const { sample, apiVersions, cpuMsPrecise } = await import('./proc.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
  const t0 = performance.now();
  const child = spawn(opts.node ?? process.execPath, [opts.bin ?? SKIFF_BIN, 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let connectMs = NaN;
  const deadline = t0 + 20_000;
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('connect', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => {
        s.destroy();
        r(false);
      });
    });
    if (ok) {
      connectMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  let readyMs = NaN;
  let cpuMsAtReady = NaN;
  while (performance.now() < deadline) {
    try {
      await apiVersions('127.0.0.1', port, 1000);
      readyMs = performance.now() - t0;
      cpuMsAtReady = cpuMsPrecise(child.pid!) ?? NaN;
      break;
    } catch {
      await new Promise((r) => setImmediate(r));
    }
  }
  // Idle RSS: 3 s after startup, no client connected.
  await new Promise((r) => setTimeout(r, 3000));
  const idleRssMb = sample(child.pid!)?.rssMb ?? NaN;
  const idleCpuMs = cpuMsPrecise(child.pid!) ?? NaN;
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
  return { connectMs, readyMs, cpuMsAtReady, idleRssMb, idleCpuMs };
}

/**
 * The same Node with nothing to run, for scale: `node -e 0` spawn → exit, and the RSS and CPU of
 * a Node kept alive by a timer, read 3 s after spawn as for the broker.
 */
export async function measureBareNode(node = process.execPath): Promise<{ exitMs: number; idleRssMb: number; idleCpuMs: number }> {
  const { sample, cpuMsPrecise } = await import('./proc.js');
  const t0 = performance.now();
  await run(node, ['-e', '0'], { timeoutMs: 20_000 });
  const exitMs = performance.now() - t0;
  const child = spawn(node, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise((r) => setTimeout(r, 3000));
  const idleRssMb = sample(child.pid!)?.rssMb ?? NaN;
  const idleCpuMs = cpuMsPrecise(child.pid!) ?? NaN;
  child.kill('SIGTERM');
  await exited;
  return { exitMs, idleRssMb, idleCpuMs };
}

/** Real Apache Kafka through test/compat/kafka/kafka.sh (KRaft, one node, loopback, on-disk). */
export async function startKafka(opts: StartOptions): Promise<StartedBroker> {
  const env = {
    ...process.env,
    KAFKA_STATE,
    KAFKA_PROPS: [`num.partitions=${opts.numPartitions}`, ...(opts.settings ?? [])].join('\n'),
  };
  rmSync(join(KAFKA_STATE, 'bootstrap'), { force: true });
  // Probe while kafka.sh formats and starts, so the first answer is timed, not the script's poll.
  const readBootstrap = (): [string, number] | null => {
    try {
      const b = readFileSync(join(KAFKA_STATE, 'bootstrap'), 'utf8').trim();
      const [h, p] = b.split(':');
      return p ? [h!, Number(p)] : null;
    } catch {
      return null;
    }
  };
  const probe = waitReady(readBootstrap, 180_000, 5);
  probe.catch(() => {});
  const started = await run(KAFKA_SH, ['start'], { timeoutMs: 180_000, env });
  if (started.code !== 0) throw new Error(`kafka.sh start failed: ${started.stderr.slice(-2000)}`);
  const bootstrap = started.stdout.trim().split('\n').at(-1)!;
  const ready = await probe;
  const pid = Number(readFileSync(join(KAFKA_STATE, 'pid'), 'utf8').trim());
  const startupMs = ready.at - processStartEpochMs(pid);
  return {
    name: 'kafka',
    bootstrap,
    pid,
    startupMs,
    apiKeys: ready.keys,
    async stop() {
      await run(KAFKA_SH, ['stop'], { timeoutMs: 60_000, env });
    },
  };
}

export function kafkaClasspath(): string {
  return join(kafkaCache(), 'libs') + '/*';
}

export function kafkaVersion(): string {
  const out = readFileSync(KAFKA_SH, 'utf8');
  return process.env.KAFKA_VERSION ?? /KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"/.exec(out)?.[1] ?? 'unknown';
}

/** Where kafka.sh keeps the release's jars: KAFKA_CACHE, as kafka.sh reads it, or the repo's cache. */
export function kafkaCache(): string {
  return process.env.KAFKA_CACHE ?? join(REPO, '.cache/kafka', kafkaVersion());
}

export function kafkaLibsReady(): boolean {
  return existsSync(join(kafkaCache(), 'libs/.complete'));
}
