/**
 * Growth curves: produce and fetch throughput, broker CPU per GiB and RSS as three things grow,
 * Skiff beside Apache Kafka (kafka.sh) with --kafka:
 *  - partitions: one topic of P partitions; 100 B records produced round-robin, then read back;
 *  - connections: C franz-go producer clients in one process, each its own connection, on a
 *    6-partition topic, then C readers at once, each reading one slice of one partition;
 *  - record sizes: 100 B … 1 MiB on a 6-partition topic, the same bytes per point, produced then
 *    read back; both brokers get message.max.bytes=2097152 and franz-go batches of up to
 *    2,000,000 bytes, so that a 1 MiB record (plus its batch overhead) is accepted by either.
 * Every point is a fresh broker on disk; the topic is created with CreateTopics (and
 * CreatePartitions, 5,000 partitions a request) and waited for (every partition led in
 * Metadata), timed; the load is franz-go (bench/clients/franz-bench, acks=1, no compression),
 * the reader a franz-go consumer from the start of every partition.
 * Writes growth.json and growth-<axis>.svg (vega-lite rendered by vega into SVG, both installed
 * at pinned versions into .cache/bench/plot) under --out, and the growth section of
 * BENCHMARKS.md (between the bench:growth markers) unless --smoke. `make bench` runs it after
 * the matrix (bench/run.ts; --no-growth skips it), `make bench-smoke` a tiny Skiff-only version.
 *
 *   npx tsx bench/growth-bench.ts [--kafka] [--smoke] [--partitions 1,100,1000,10000,100000]
 *       [--connections 1,10,100,1000] [--sizes 100,1024,16384,1048576] [--records 200000]
 *       [--size-mib 128] [--timeout 120] [--out bench/results]
 *   npx tsx bench/growth-bench.ts --render bench/results/growth.json   (charts and section again, no run)
 *   … --merge: the points measured replace the same broker, axis and x of the growth.json under
 *   --out, the others are kept (the section names both runs' stamps)
 *
 * Bounded: each point (creating the topic, producing, reading back) has a hard time limit
 * (--timeout seconds, shared by its client runs) and every broker started is stopped; a point
 * that fails is recorded as failed with its reason, listed under the table and named on its
 * chart, not dropped.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { kafkaAvailable, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, franzConsume, franzCreateTopic, franzProduce, type Measured } from './lib/clients.js';
import { GROWTH_AXES, growthChartSpec, growthSection, growthStamp, growthTable, spliceGrowth, xLabel, type GrowthAxis, type GrowthMeta, type GrowthPoint } from './lib/growth-report.js';
import { run, sample, Sampler } from './lib/proc.js';
import { commitStamp, type BrokerName } from './lib/report.js';
import { commit, loadavg as load, machine } from './lib/stamp.js';

export interface GrowthPlan {
  partitions: number[];
  connections: number[];
  sizes: number[];
  /** 100 B records per point on the partitions and connections axes */
  records: number;
  /** bytes per point on the record-size axis */
  sizeBytes: number;
  /** the time limit of one point (creating the topic, producing, reading back), broker start and stop aside */
  timeoutMs: number;
}

/** `make bench`: with Kafka beside, about 15 minutes on a loaded 2-core machine. */
export const GROWTH_PLAN: GrowthPlan = {
  partitions: [1, 100, 1000, 10_000, 100_000],
  connections: [1, 10, 100, 1000],
  sizes: [100, 1024, 16_384, 1_048_576],
  records: 200_000,
  sizeBytes: 128 * 2 ** 20,
  timeoutMs: 120_000,
};

/** `make bench-smoke`: every axis and both operations once, tiny. */
export const GROWTH_SMOKE_PLAN: GrowthPlan = {
  partitions: [1, 100],
  connections: [1, 10],
  sizes: [100, 1_048_576],
  records: 5000,
  sizeBytes: 4 * 2 ** 20,
  timeoutMs: 60_000,
};

const SMALL = 100;
const OTHER_PARTITIONS = 6;
const MESSAGE_MAX_BYTES = 2_097_152;
const SIZE_BATCH_BYTES = 2_000_000;
const PLOT_DIR = join(REPO, '.cache/bench/plot');
const PLOT_PACKAGES = ['vega@6.4.0', 'vega-lite@6.5.0'];

type Log = (line: string) => void;

/** Broker CPU per GiB and peak RSS over one client run. */
async function measured(b: StartedBroker, fn: () => Promise<Measured>): Promise<{ m: Measured; cpuSPerGib?: number; peakRssMb?: number }> {
  const sampler = new Sampler(b.pid);
  const cpu0 = sample(b.pid)?.cpuSeconds ?? NaN;
  const m = await fn();
  const after = sample(b.pid);
  sampler.stop();
  if (!m.ok || !m.values.bytes) return { m };
  return { m, cpuSPerGib: ((after?.cpuSeconds ?? NaN) - cpu0) / (m.values.bytes / 2 ** 30), peakRssMb: Math.max(sampler.peakRssMb, after?.rssMb ?? 0) };
}

/** One fresh broker: create the topic, produce, and read it all back. */
async function points(broker: BrokerName, axis: GrowthAxis, x: number, plan: GrowthPlan): Promise<GrowthPoint[]> {
  const partitions = axis === 'partitions' ? x : OTHER_PARTITIONS;
  const clients = axis === 'connections' ? x : 1;
  const size = axis === 'sizes' ? x : SMALL;
  const count = axis === 'sizes' ? Math.ceil(plan.sizeBytes / size) : Math.max(plan.records, clients);
  const settings = axis === 'sizes' ? [`message.max.bytes=${MESSAGE_MAX_BYTES}`] : [];
  const failAll = (error: string, command?: string): GrowthPoint[] => (['produce', 'fetch'] as const).map((op) => ({ broker, axis, x, op, ok: false, error, command }));
  let b: StartedBroker | undefined;
  let deadline = Infinity;
  // What is left of the point's time limit for the next client run (franz-bench needs 10 s at least).
  const left = (): number => {
    const ms = Math.min(plan.timeoutMs, deadline - Date.now());
    if (ms < 10_000) throw new Error(`the point's time limit of ${plan.timeoutMs / 1000} s was reached`);
    return ms;
  };
  try {
    b = broker === 'skiff' ? await startSkiff({ numPartitions: 1, settings }) : await startKafka({ numPartitions: 1, settings });
    const idle = sample(b.pid)?.rssMb;
    deadline = Date.now() + plan.timeoutMs;
    const topic = `growth-${axis}-${x}`;
    const created = await franzCreateTopic({ bootstrap: b.bootstrap, topic, partitions }, left());
    if (!created.ok) return failAll(`creating the topic of ${partitions} partitions: ${created.error}`, created.command);
    const out: GrowthPoint[] = [];
    const p = await measured(b, () =>
      franzProduce({ bootstrap: b!.bootstrap, topic, count, size, acks: '1', clients, batchBytes: axis === 'sizes' ? SIZE_BATCH_BYTES : undefined }, left()),
    );
    out.push({
      broker,
      axis,
      x,
      op: 'produce',
      ok: p.m.ok,
      error: p.m.error,
      records: count,
      mb_s: p.m.values.mb_s,
      cpu_s_per_gib: p.cpuSPerGib,
      idle_rss_mb: idle,
      peak_rss_mb: p.peakRssMb,
      topic_ready_s: created.values.ready_s,
      command: p.m.command,
    });
    if (!p.m.ok) out.push({ broker, axis, x, op: 'fetch', ok: false, error: 'not run: the produce before it failed' });
    else {
      try {
        const f = await measured(b, () => franzConsume({ bootstrap: b!.bootstrap, topic, count, maxBytes: axis === 'sizes' ? SIZE_BATCH_BYTES : undefined, clients, size }, left()));
        out.push({ broker, axis, x, op: 'fetch', ok: f.m.ok, error: f.m.error, records: count, mb_s: f.m.values.mb_s, cpu_s_per_gib: f.cpuSPerGib, peak_rss_mb: f.peakRssMb, command: f.m.command });
      } catch (err) {
        out.push({ broker, axis, x, op: 'fetch', ok: false, error: String(err).slice(0, 500) });
      }
    }
    return out;
  } catch (err) {
    return failAll(String(err).slice(0, 500));
  } finally {
    await b?.stop();
  }
}

/** vega and vega-lite at pinned versions under .cache/bench/plot (not project dependencies). */
async function plotter(): Promise<(spec: object) => Promise<string>> {
  const req = createRequire(join(PLOT_DIR, 'package.json'));
  const installed = (): boolean => PLOT_PACKAGES.every((p) => existsSync(join(PLOT_DIR, 'node_modules', p.slice(0, p.lastIndexOf('@')), 'package.json')));
  if (!installed()) {
    mkdirSync(PLOT_DIR, { recursive: true });
    const r = await run('npm', ['install', '--no-save', '--no-fund', '--no-audit', '--prefix', PLOT_DIR, ...PLOT_PACKAGES], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`npm install ${PLOT_PACKAGES.join(' ')} failed: ${r.stderr.slice(-500)}`);
  }
  const vega = await import(pathToFileURL(req.resolve('vega')).href);
  const vl = await import(pathToFileURL(req.resolve('vega-lite')).href);
  return async (spec) => new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG();
}

/**
 * Runs every point of the plan (Skiff, then Kafka when `kafka`), writes growth.json and the
 * charts under `out`, and the growth section of `doc` (BENCHMARKS.md) when given. Returns the
 * points; a failed one has `ok: false` and its reason.
 */
export async function runGrowth(o: { plan: GrowthPlan; kafka: boolean; out: string; doc?: string; merge?: boolean; log: Log }): Promise<GrowthPoint[]> {
  const franzError = await ensureFranzBench();
  if (franzError) throw new Error(franzError);
  const t0 = Date.now();
  const loadStart = load();
  const stamp = { commit: commitStamp({ commit: await commit() }), machine: await machine() };
  const brokers: BrokerName[] = ['skiff', ...(o.kafka && kafkaAvailable() ? (['kafka'] as const) : [])];
  const all: GrowthPoint[] = [];
  const xs: Record<GrowthAxis, number[]> = { partitions: o.plan.partitions, connections: o.plan.connections, sizes: o.plan.sizes };
  for (const axis of GROWTH_AXES) {
    for (const x of xs[axis]) {
      for (const broker of brokers) {
        o.log(`growth: ${broker} ${axis} ${xLabel(axis, x)} (load ${load()})`);
        for (const p of await points(broker, axis, x, o.plan)) {
          all.push(p);
          o.log(
            `growth: ${broker} ${axis} ${xLabel(axis, x)} ${p.op}: ${p.ok ? `${p.mb_s!.toFixed(1)} MB/s, ${p.cpu_s_per_gib!.toFixed(2)} s/GiB, peak RSS ${p.peak_rss_mb!.toFixed(1)} MB` : `failed: ${p.error}`}`,
          );
        }
      }
    }
  }
  const meta: GrowthMeta = {
    generated: new Date().toISOString(),
    commit: stamp.commit,
    machine: `${stamp.machine.cores} x ${stamp.machine.cpu_model}, ${stamp.machine.memory} RAM, Node ${stamp.machine.node}`,
    load: [loadStart, load()],
    records: o.plan.records,
    sizeBytes: o.plan.sizeBytes,
    messageMaxBytes: MESSAGE_MAX_BYTES,
    duration_s: Math.round((Date.now() - t0) / 1000),
  };
  mkdirSync(o.out, { recursive: true });
  const file = join(o.out, 'growth.json');
  let recorded = all;
  if (o.merge && existsSync(file)) {
    const earlier = JSON.parse(readFileSync(file, 'utf8')) as { meta: GrowthMeta; points: GrowthPoint[] };
    const key = (p: GrowthPoint): string => `${p.broker} ${p.axis} ${p.x}`;
    const fresh = new Set(all.map(key));
    recorded = [...earlier.points.filter((p) => !fresh.has(key(p))), ...all];
    // One short line per axis ("connections 1, 10 (skiff, kafka)"): a chart's subtitle line sets its width.
    const measured = GROWTH_AXES.filter((a) => all.some((p) => p.axis === a)).map((a) => {
      const mine = all.filter((p) => p.axis === a);
      return `${a} ${[...new Set(mine.map((p) => p.x))].map((x) => xLabel(a, x)).join(', ')} (${[...new Set(mine.map((p) => p.broker))].join(', ')})`;
    });
    meta.merged = { measured: measured.join('; '), earlier: growthStamp(earlier.meta) };
  }
  writeFileSync(file, `${JSON.stringify({ meta, plan: o.plan, points: recorded }, null, 2)}\n`);
  await writeReport(meta, recorded, o.out, o.doc);
  o.log(`growth: done in ${meta.duration_s} s; wrote ${o.out}/growth.json`);
  return all;
}

/** The charts of the axes that have points, under `out`, and the growth section of `doc` when given. */
async function writeReport(meta: GrowthMeta, all: GrowthPoint[], out: string, doc: string | undefined): Promise<void> {
  const render = await plotter();
  const charts: Partial<Record<GrowthAxis, string>> = {};
  for (const axis of GROWTH_AXES) {
    if (!all.some((p) => p.axis === axis)) continue;
    const file = join(out, `growth-${axis}.svg`);
    writeFileSync(file, await render(growthChartSpec(axis, all, growthStamp(meta))));
    charts[axis] = relative(REPO, file);
  }
  if (doc !== undefined) writeFileSync(doc, spliceGrowth(existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n', growthSection(meta, all, charts)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      kafka: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      partitions: { type: 'string' },
      connections: { type: 'string' },
      sizes: { type: 'string' },
      records: { type: 'string' },
      'size-mib': { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      merge: { type: 'boolean', default: false },
    },
  });
  const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);
  const plan: GrowthPlan = { ...(args.smoke ? GROWTH_SMOKE_PLAN : GROWTH_PLAN) };
  if (args.partitions !== undefined) plan.partitions = list(args.partitions);
  if (args.connections !== undefined) plan.connections = list(args.connections);
  if (args.sizes !== undefined) plan.sizes = list(args.sizes);
  if (args.records !== undefined) plan.records = Number(args.records);
  if (args['size-mib'] !== undefined) plan.sizeBytes = Number(args['size-mib']) * 2 ** 20;
  if (args.timeout !== undefined) plan.timeoutMs = Number(args.timeout) * 1000;
  const out = args.out ?? join(REPO, args.smoke ? '.cache/bench/smoke' : 'bench/results');
  const doc = args.smoke ? undefined : join(REPO, 'BENCHMARKS.md');
  if (args.render !== undefined) {
    const recorded = JSON.parse(readFileSync(args.render, 'utf8')) as { meta: GrowthMeta; points: GrowthPoint[] };
    await writeReport(recorded.meta, recorded.points, out, doc);
    process.stdout.write(`${growthTable(recorded.points)}\n`);
    process.exit(0);
  }
  const all = await runGrowth({ plan, kafka: args.kafka, out, doc, merge: args.merge, log: (l) => void process.stderr.write(`${l}\n`) });
  process.stdout.write(`${growthTable(all)}\n`);
  if (args.smoke && all.some((p) => !p.ok)) process.exitCode = 1;
}
