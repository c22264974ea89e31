/**
 * Many partitions under a descriptor limit: a Skiff broker in a child process under
 * `ulimit -n 20000` gets topics totalling N partitions (CreateTopics of at most 10,000
 * partitions each), one small batch produced to every partition, every partition fetched
 * back, then a clean restart on the same data dir and every partition fetched again. Prints
 * counts, timings, the broker's peak descriptors (from /proc/<pid>/fd) and RSS per phase.
 * Not a pass/fail test, though it exits 1 when a count is wrong or a phase fails.
 *
 *   npx tsx bench/many-partitions.ts [partitions=100000] [time limit in s=1500]
 *
 * Needs `make build` (it runs bin/skiff.js). The data dir is a temp folder, removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch } from '../src/protocol/records/records.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../src/protocol/generated/001-fetch.js';
import { mapBounded } from '../src/storage/bounded-map.js';
import { RawClient } from '../test/support/raw-client.js';
import { REPO } from './lib/brokers.js';
import { freePort } from './lib/ports.js';
import { sample, waitReady } from './lib/proc.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const LIMIT_S = Number(process.argv[3] ?? 1500);
const FD_LIMIT = 20_000;
const PER_TOPIC = 10_000;
const PER_REQUEST = 1000;
const IN_FLIGHT = 4;

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-many-partitions-'));
let child: ChildProcess | undefined;
const deadline = setTimeout(() => {
  process.stderr.write(`time limit of ${LIMIT_S} s reached\n`);
  finish(1);
}, LIMIT_S * 1000);

function finish(code: number): never {
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  clearTimeout(deadline);
  process.exit(code);
}

/** Peak descriptors and RSS of the broker, sampled every 100 ms. */
class Watch {
  peakFds = 0;
  peakRssMb = 0;
  #timer: NodeJS.Timeout;
  constructor(readonly pid: number) {
    this.#timer = setInterval(() => this.poll(), 100);
  }
  poll(): void {
    try {
      this.peakFds = Math.max(this.peakFds, readdirSync(`/proc/${this.pid}/fd`).length);
    } catch {
      // gone
    }
    const s = sample(this.pid);
    if (s) this.peakRssMb = Math.max(this.peakRssMb, s.rssMb);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

async function startBroker(port: number): Promise<{ child: ChildProcess; exited: Promise<number | null>; readyMs: number; watch: Watch }> {
  const t0 = Date.now();
  const node = [process.execPath, join(REPO, 'bin/skiff.js'), 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
  const c = spawn('bash', ['-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'bash', ...node], { stdio: ['ignore', 'ignore', 'pipe'] });
  child = c;
  c.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  const watch = new Watch(c.pid!);
  const ready = await waitReady(() => ['127.0.0.1', port], LIMIT_S * 1000, 20);
  return { child: c, exited, readyMs: ready.at - t0, watch };
}

const topics = Array.from({ length: Math.ceil(TOTAL / PER_TOPIC) }, (_, i) => ({ name: `many-${i}`, partitions: Math.min(PER_TOPIC, TOTAL - i * PER_TOPIC) }));
/** Requests of PER_REQUEST partitions of one topic. */
const slices = topics.flatMap((t) => Array.from({ length: Math.ceil(t.partitions / PER_REQUEST) }, (_, i) => ({ topic: t.name, from: i * PER_REQUEST, to: Math.min(t.partitions, (i + 1) * PER_REQUEST) })));
const valueOf = (topic: string, p: number): Buffer => Buffer.from(`${topic}/${p}`);

async function produceAll(c: RawClient): Promise<number> {
  let acked = 0;
  await mapBounded(slices, IN_FLIGHT, async ({ topic, from, to }) => {
    const partitionData = [];
    for (let p = from; p < to; p++) partitionData.push({ index: p, records: buildBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: valueOf(topic, p) }] }) });
    const res = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 60_000, topicData: [{ name: topic, partitionData }] });
    for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode === 0 && p.baseOffset === 0n) acked++;
  });
  return acked;
}

/** Partitions whose fetch returned exactly the batch produced to them. */
async function fetchAll(c: RawClient): Promise<number> {
  let found = 0;
  await mapBounded(slices, IN_FLIGHT, async ({ topic, from, to }) => {
    const partitions = [];
    for (let p = from; p < to; p++) partitions.push({ ...defaultFetchPartition(), partition: p, fetchOffset: 0n, partitionMaxBytes: 1024 * 1024 });
    const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 64 * 1024 * 1024,
      topics: [{ ...defaultFetchTopic(), topic, partitions }],
    });
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const records = p.records as Buffer | null;
        if (p.errorCode === 0 && p.highWatermark === 1n && records !== null && records.includes(valueOf(topic, p.partitionIndex))) found++;
      }
    }
  });
  return found;
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const report = (phase: string, ms: number, w: Watch, extra = ''): void => {
  w.poll();
  const now = sample(w.pid);
  process.stdout.write(`${phase.padEnd(28)} ${fmt(ms).padStart(9)}   peak fds ${String(w.peakFds).padStart(6)}   RSS now ${(now?.rssMb ?? 0).toFixed(0).padStart(5)} MB, peak ${w.peakRssMb.toFixed(0).padStart(5)} MB${extra}\n`);
};

let failed = false;
const expect = (what: string, got: number, want: number): void => {
  if (got !== want) failed = true;
  process.stdout.write(`  ${what}: ${got} of ${want}${got === want ? '' : '  <-- WRONG'}\n`);
};

const port = await freePort();
process.stdout.write(`${TOTAL} partitions in ${topics.length} topics, broker under ulimit -n ${FD_LIMIT}, data in ${dataDir}\n`);
try {
  let b = await startBroker(port);
  report('start (empty)', b.readyMs, b.watch);
  let c = await RawClient.connect('127.0.0.1', port);

  let t = Date.now();
  let created = 0;
  for (const topic of topics) {
    const res = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic.name, numPartitions: topic.partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: LIMIT_S * 1000,
      validateOnly: false,
    });
    const r = res.topics[0];
    if (r.errorCode !== 0) throw new Error(`CreateTopics ${topic.name}: error ${r.errorCode} ${r.errorMessage ?? ''}`);
    created += r.numPartitions;
  }
  report('create topics', Date.now() - t, b.watch);
  expect('partitions created', created, TOTAL);

  t = Date.now();
  const acked = await produceAll(c);
  report('produce one batch each', Date.now() - t, b.watch);
  expect('partitions acknowledged at offset 0', acked, TOTAL);

  t = Date.now();
  expect('partitions fetched back', await fetchAll(c), TOTAL);
  report('fetch all', Date.now() - t, b.watch);

  await c.close();
  t = Date.now();
  b.child.kill('SIGTERM');
  const code = await b.exited;
  b.watch.stop();
  process.stdout.write(`${'clean shutdown'.padEnd(28)} ${fmt(Date.now() - t).padStart(9)}   exit code ${code}\n`);

  b = await startBroker(port);
  report('restart (load all)', b.readyMs, b.watch);
  c = await RawClient.connect('127.0.0.1', port);
  t = Date.now();
  expect('partitions fetched after restart', await fetchAll(c), TOTAL);
  report('fetch all after restart', Date.now() - t, b.watch);
  await c.close();
  b.watch.stop();
  // The clean shutdown was measured above; this one would only add its time again.
  b.child.kill('SIGKILL');
  await b.exited;
} catch (e) {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  failed = true;
}
finish(failed ? 1 : 0);
