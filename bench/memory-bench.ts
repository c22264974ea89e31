/**
 * Where the broker's memory goes, over time and per partition. The broker runs on disk with its
 * HTTP server on; after each step this prints its RSS beside the process.memoryUsage() parts that
 * /metrics exposes (V8 heap used and reserved, external memory, array buffers), the tail cache
 * and the idle frame pool, and the peak RSS during the step. A figure the build does not
 * expose prints as "-".
 *
 *   npx tsx bench/memory-bench.ts lat [--rounds 3] [--seconds 3] [--bin A --bin B]
 *       franz-go's fixed-rate latency cases of `bench/run.ts --groups lat` (1,000 / 10,000 /
 *       50,000 rec/s; 100 B and 1 KiB; acks=1 and -1; end-to-end), a fresh topic per case, the
 *       whole list `--rounds` times on one broker: a leak keeps growing round after round, a
 *       bound levels off.
 *   npx tsx bench/memory-bench.ts partitions [--partitions 20000] [--bin A --bin B]
 *       one topic of N partitions created, then 2 records produced to each, twice: the
 *       memory per partition created-but-empty, at its first write and at a later one.
 *
 * With several `--bin`, the builds run one after another, the whole list `--repeat` times.
 * `--node-flags='...'` passes V8/Node flags to the broker. `--snapshots DIR` writes a V8 heap
 * snapshot before each figure (SIGUSR2; it collects garbage first, so heap used is then what
 * is retained; RSS then includes the snapshot writer's memory).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { REPO, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, franzLatency } from './lib/clients.js';
import { freePort } from './lib/ports.js';
import { run, Sampler } from './lib/proc.js';
import { loadavg } from './lib/stamp.js';
import { join, resolve } from 'node:path';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '20000' },
    repeat: { type: 'string', default: '1' },
    bin: { type: 'string', multiple: true },
    snapshots: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});
const mode = positionals[0] ?? 'lat';
const bins = flags.bin?.length ? flags.bin.map((b) => resolve(b)) : [join(REPO, 'bin/skiff.js')];
const FRANZ = join(REPO, '.cache/bench/franz-bench');

const GAUGES = {
  rss: 'process_resident_memory_bytes',
  heapUsed: 'nodejs_heap_size_used_bytes',
  heapTotal: 'nodejs_heap_size_total_bytes',
  external: 'nodejs_external_memory_bytes',
  arrayBuffers: 'nodejs_array_buffers_bytes',
  tailCache: 'skiff_tail_cache_used_bytes',
  framePool: 'skiff_frame_pool_idle_bytes',
} as const;
type Gauges = Partial<Record<keyof typeof GAUGES, number>>;

async function scrape(httpPort: number): Promise<Gauges> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out: Gauges = {};
  for (const [k, name] of Object.entries(GAUGES)) {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (m) out[k as keyof typeof GAUGES] = Number(m[1]);
  }
  return out;
}

const mb = (n: number | undefined): string => (n === undefined ? '-' : (n / 1048576).toFixed(1));

class Run {
  constructor(
    readonly broker: StartedBroker,
    readonly httpPort: number,
    readonly sampler: Sampler,
    readonly snapshotDir: string | undefined,
  ) {}

  /** One step's line: the gauges now (after a heap snapshot when asked) and the peak RSS since the last. */
  async record(step: string): Promise<Gauges> {
    await sleep(1000);
    if (this.snapshotDir !== undefined) await this.#snapshot();
    const g = await scrape(this.httpPort);
    const peak = this.sampler.peakRssMb;
    this.sampler.resetPeak();
    console.log(
      [step, mb(g.rss), peak.toFixed(1), mb(g.heapUsed), mb(g.heapTotal), mb(g.external), mb(g.arrayBuffers), mb(g.tailCache), mb(g.framePool), loadavg()].join(' | '),
    );
    return g;
  }

  async #snapshot(): Promise<void> {
    const dir = this.snapshotDir!;
    const before = new Set(readdirSync(dir));
    process.kill(this.broker.pid, 'SIGUSR2');
    // Written synchronously by the broker; done when the new file stops growing.
    let last = -1;
    for (let i = 0; i < 600; i++) {
      await sleep(500);
      const f = readdirSync(dir).find((n) => !before.has(n) && n.endsWith('.heapsnapshot'));
      if (f === undefined) continue;
      const size = statSync(join(dir, f)).size;
      if (size > 0 && size === last) return;
      last = size;
    }
  }
}

async function withBroker(bin: string, body: (r: Run) => Promise<void>): Promise<void> {
  const httpPort = await freePort();
  let snapDir: string | undefined;
  if (flags.snapshots !== undefined) {
    snapDir = resolve(flags.snapshots, `${Date.now()}`);
    mkdirSync(snapDir, { recursive: true });
  }
  const broker = await startSkiff({
    numPartitions: 1,
    bin,
    settings: [`skiff.http.port=${httpPort}`],
    nodeFlags: [...flags['node-flags'].split(' ').filter(Boolean), ...(snapDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`])],
  });
  const sampler = new Sampler(broker.pid, 50);
  console.log(`\n${bin} ${flags['node-flags']} (pid ${broker.pid})${snapDir ? `, snapshots in ${snapDir}` : ''}`);
  console.log('step | RSS MB | peak RSS MB | heap used | heap total | external | array buffers | tail cache | idle frames | load');
  try {
    const r = new Run(broker, httpPort, sampler, snapDir);
    await r.record('started');
    await body(r);
  } finally {
    sampler.stop();
    await broker.stop();
  }
}

async function latencyRounds(r: Run): Promise<void> {
  const rounds = Number(flags.rounds);
  const seconds = Number(flags.seconds);
  for (let round = 1; round <= rounds; round++) {
    for (const rate of [1_000, 10_000, 50_000]) {
      for (const size of [100, 1024]) {
        for (const acks of ['1', '-1']) {
          const topic = `mem-${size}-${acks === '1' ? 'a1' : 'aall'}-${rate}-${round}`;
          const m = await franzLatency({ bootstrap: r.broker.bootstrap, topic, rate, seconds, size, acks }, 120_000);
          if (!m.ok) console.log(`  ${topic}: ${m.error}`);
          await r.record(`r${round} ${size} B acks=${acks} @${rate} (p99 ${m.values.p99_ms ?? '-'} ms)`);
        }
      }
      const m = await franzLatency({ bootstrap: r.broker.bootstrap, topic: `mem-e2e-${rate}-${round}`, rate, seconds, size: 100, acks: '-1', e2e: true }, 120_000);
      if (!m.ok) console.log(`  e2e: ${m.error}`);
      await r.record(`r${round} e2e @${rate} (p99 ${m.values.p99_ms ?? '-'} ms)`);
    }
  }
}

async function franz(args: string[]): Promise<void> {
  const res = await run(FRANZ, [...args, '-deadline', '600s'], { timeoutMs: 620_000 });
  if (res.code !== 0) console.log(`  franz-bench ${args.join(' ')}: exit ${res.code} ${(res.stderr + res.stdout).trim().split('\n').slice(-2).join(' | ')}`);
}

async function partitions(r: Run): Promise<void> {
  const n = Number(flags.partitions);
  const topic = 'mem-parts';
  await franz(['-mode', 'create', '-bootstrap', r.broker.bootstrap, '-topic', topic, '-partitions', String(n)]);
  const created = await r.record(`${n} partitions created`);
  await franz(['-bootstrap', r.broker.bootstrap, '-topic', topic, '-count', String(2 * n), '-size', '100', '-acks', '1']);
  const first = await r.record('first write (2 records each)');
  await franz(['-bootstrap', r.broker.bootstrap, '-topic', topic, '-count', String(2 * n), '-size', '100', '-acks', '1']);
  const second = await r.record('second write (2 records each)');
  const per = (a: Gauges, b: Gauges, k: keyof Gauges): string => (a[k] === undefined || b[k] === undefined ? '-' : ((b[k]! - a[k]!) / n).toFixed(0));
  console.log(`per partition, bytes: first write RSS ${per(created, first, 'rss')}, heap used ${per(created, first, 'heapUsed')}, external ${per(created, first, 'external')}; second write RSS ${per(first, second, 'rss')}, heap used ${per(first, second, 'heapUsed')}`);
}

const err = await ensureFranzBench();
if (err) throw new Error(err);
console.log(`memory-bench ${mode}, load ${loadavg()}`);
for (let i = 0; i < Number(flags.repeat); i++) {
  for (const bin of bins) {
    if (mode === 'lat') await withBroker(bin, latencyRounds);
    else if (mode === 'partitions') await withBroker(bin, partitions);
    else throw new Error(`unknown mode ${mode}: lat or partitions`);
  }
}
