/**
 * Three brokers: (1) startup of a 3-broker Skiff (one process, `skiff.brokers=3`) beside a
 * single broker, spawn → the first ApiVersions answered by every broker, polled every event-loop
 * turn on fixed free ports, min and median of N rounds; (2) acks=all produce of 1 KiB records
 * (franz-go, bench/clients/franz-bench) to a topic of 3 partitions, replication factor 3,
 * min.insync.replicas 2, on that Skiff and on a 3-node KRaft Kafka on loopback
 * (test/compat/kafka/kafka-cluster.sh; skipped with a note when its jars are missing).
 * Prints a Markdown table stamped with the commit and the machine.
 *
 *   npx tsx bench/cluster-bench.ts [--rounds N=5] [--records N=200000] [--skiff-only]
 *
 * Not a test: nothing passes or fails on a number. Every run is bounded (record count, a time
 * limit per client and per startup) and every broker started here is stopped here.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { kafkaCache, kafkaLibsReady, kafkaVersion, REPO } from './lib/brokers.js';
import { ensureFranzBench, franzProduce, type Measured } from './lib/clients.js';
import { freePorts } from './lib/ports.js';
import { apiVersions, median, run } from './lib/proc.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string' }, records: { type: 'string' }, 'skiff-only': { type: 'boolean' } } });
const ROUNDS = Number(flags.rounds ?? 5);
const RECORDS = Number(flags.records ?? 200_000);
const SIZE = 1024;
const PRODUCE_TIMEOUT_MS = 120_000;
const SKIFF_BIN = process.env.SKIFF_BIN ?? join(REPO, 'bin/skiff.js');
const KAFKA_CLUSTER_SH = join(REPO, 'test/compat/kafka/kafka-cluster.sh');

interface SkiffProcess {
  bootstrap: string;
  /** spawn → first ApiVersions answered, per broker, ms */
  readyMs: number[];
  stop(): Promise<void>;
}

async function spawnSkiff(brokers: number): Promise<SkiffProcess> {
  const port = await freePorts(brokers);
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-cluster-'));
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [SKIFF_BIN, 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', '--override', `skiff.brokers=${brokers}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = t0 + 30_000;
  const ports = Array.from({ length: brokers }, (_, i) => port + i);
  const readyMs = await Promise.all(
    ports.map(async (p) => {
      while (performance.now() < deadline && child.exitCode === null) {
        try {
          await apiVersions('127.0.0.1', p, 1000);
          return performance.now() - t0;
        } catch {
          await new Promise((r) => setImmediate(r));
        }
      }
      return NaN;
    }),
  );
  if (readyMs.some((v) => Number.isNaN(v))) {
    await stop();
    throw new Error(`Skiff (${brokers} brokers) did not answer on every port within 30 s\n${err}`);
  }
  return { bootstrap: ports.map((p) => `127.0.0.1:${p}`).join(','), readyMs, stop };
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const kafka = new kafkajs.Kafka({ brokers: bootstrap.split(','), clientId: 'cluster-bench', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
      timeout: 30_000,
    });
  } finally {
    await admin.disconnect();
  }
}

async function produce(bootstrap: string): Promise<Measured> {
  const topic = 'cluster-bench';
  await createTopic(bootstrap, topic);
  // franz-bench takes one seed broker (a comma list is read as one host); it finds the others.
  return franzProduce({ bootstrap: bootstrap.split(',')[0]!, topic, count: RECORDS, size: SIZE, acks: '-1' }, PRODUCE_TIMEOUT_MS);
}

// (1) startup, the two shapes alternating within a round
const startup = new Map<number, { all: number[]; first: number[] }>([
  [1, { all: [], first: [] }],
  [3, { all: [], first: [] }],
]);
const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
for (let i = 0; i < ROUNDS; i++) {
  for (const brokers of i % 2 ? [3, 1] : [1, 3]) {
    const s = await spawnSkiff(brokers);
    await s.stop();
    startup.get(brokers)!.all.push(Math.max(...s.readyMs));
    startup.get(brokers)!.first.push(Math.min(...s.readyMs));
    process.stderr.write(`#${i + 1} ${brokers} broker(s): ApiVersions answered at ${s.readyMs.map((v) => v.toFixed(1)).join(', ')} ms\n`);
  }
}

// (2) acks=all produce on three brokers
const built = await ensureFranzBench();
if (built) throw new Error(built);
const produced: Array<{ name: string; result: Measured | string; startMs?: number }> = [];
{
  const s = await spawnSkiff(3);
  try {
    produced.push({ name: 'Skiff, 3 brokers in one process', result: await produce(s.bootstrap) });
  } finally {
    await s.stop();
  }
}
const notes: string[] = [];
if (flags['skiff-only']) {
  notes.push('Kafka not measured (--skiff-only).');
} else if (!kafkaLibsReady()) {
  notes.push(`Kafka not measured: no jars under ${kafkaCache()} (run test/compat/kafka/kafka.sh fetch).`);
} else {
  const env = { ...process.env, KAFKA_CACHE: kafkaCache(), KAFKA_CLUSTER_STATE: join(REPO, '.cache/kafka/cluster-bench') };
  const t0 = performance.now();
  const started = await run(KAFKA_CLUSTER_SH, ['start'], { timeoutMs: 400_000, env });
  const startMs = performance.now() - t0;
  try {
    if (started.code !== 0) throw new Error(`kafka-cluster.sh start failed: ${started.stderr.slice(-2000)}`);
    const bootstrap = started.stdout.trim().split('\n').at(-1)!;
    produced.push({ name: `Kafka ${kafkaVersion()}, 3 nodes (KRaft, each broker and controller)`, result: await produce(bootstrap), startMs });
  } catch (e) {
    produced.push({ name: `Kafka ${kafkaVersion()}, 3 nodes`, result: String(e instanceof Error ? e.message : e).split('\n')[0]! });
  } finally {
    await run(KAFKA_CLUSTER_SH, ['stop'], { timeoutMs: 120_000, env });
  }
}

const f1 = (v: number | null): string => (v === null || Number.isNaN(v) ? '—' : v.toFixed(1));
const mm = (v: number[]): string => `${f1(Math.min(...v))} / ${f1(median(v))}`;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '') commit += ' (dirty)';
} catch {
  // not a checkout
}
const one = startup.get(1)!;
const three = startup.get(3)!;
const out = [
  `Three brokers. Commit ${commit}; ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}; load average ${loadStart} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end.`,
  '',
  `Startup of Skiff, ${ROUNDS} rounds, min / median: spawn → ApiVersions answered (first broker; every broker).`,
  '',
  '| | first broker ms | every broker ms |',
  '| --- | ---: | ---: |',
  `| Skiff, 1 broker | ${mm(one.first)} | ${mm(one.all)} |`,
  `| Skiff, 3 brokers in one process | ${mm(three.first)} | ${mm(three.all)} |`,
  '',
  `acks=all produce, franz-go (one client, 5 ms linger, no compression, no idempotence), ${RECORDS.toLocaleString('en-US')} records of ${SIZE} B, topic of 3 partitions, replication factor 3, min.insync.replicas 2; from the first record sent to the last acknowledged (topic creation and metadata before).`,
  '',
  '| | MB/s | records/s | client CPU s |',
  '| --- | ---: | ---: | ---: |',
];
for (const p of produced) {
  const r = p.result;
  if (typeof r === 'string' || !r.ok) out.push(`| ${p.name} | error: ${typeof r === 'string' ? r : r.error} | | |`);
  else out.push(`| ${p.name} | ${r.values.mb_s!.toFixed(1)} | ${Math.round(r.values.records_s!).toLocaleString('en-US')} | ${r.values.client_cpu_s!.toFixed(2)} |`);
}
const kafkaStart = produced.find((p) => p.startMs !== undefined);
if (kafkaStart) notes.push(`kafka-cluster.sh start (format, start the three nodes, wait until each has started): ${(kafkaStart.startMs! / 1000).toFixed(1)} s, once.`);
if (notes.length) out.push('', ...notes);
process.stdout.write(`${out.join('\n')}\n`);
