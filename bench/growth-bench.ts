/**
 * Growth curves: produce throughput, broker CPU per GiB and RSS as the partitions of the
 * produced topic grow (one topic of P partitions, auto-created with num.partitions=P) and as
 * producer connections grow (C franz-go clients in one process on a 6-partition topic). Every
 * point is a fresh broker on disk whose topic a first client creates, then loaded by franz-go
 * (bench/clients/franz-bench, 100 B records, acks=1, round-robin over the partitions); --kafka
 * adds Apache Kafka (kafka.sh) beside Skiff.
 * Writes bench/results/growth.json and one SVG chart per axis (a vega-lite spec rendered by
 * vega's SVG renderer, both installed at pinned versions into .cache/bench/plot).
 *
 *   npx tsx bench/growth-bench.ts [--partitions 1,100,1000,10000] [--connections 1,10,100,1000]
 *       [--records 500000] [--kafka] [--out bench/results]
 *
 * Bounded: each client run has a hard limit (--timeout seconds, 120 by default) and every broker
 * started is stopped; a point that fails is recorded with its error and left off the chart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { kafkaAvailable, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, franzProduce } from './lib/clients.js';
import { run, sample, Sampler } from './lib/proc.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1,100,1000,10000' },
    connections: { type: 'string', default: '1,10,100,1000' },
    records: { type: 'string', default: '500000' },
    timeout: { type: 'string', default: '120' },
    kafka: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO, 'bench/results') },
  },
});
const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);
const RECORDS = Number(args.records);
const SIZE = 100;
const TIMEOUT_MS = Number(args.timeout) * 1000;
const PLOT_DIR = join(REPO, '.cache/bench/plot');
const PLOT_PACKAGES = ['vega@6.4.0', 'vega-lite@6.5.0'];

interface Point {
  broker: 'skiff' | 'kafka';
  axis: 'partitions' | 'connections';
  x: number;
  ok: boolean;
  error?: string;
  mb_s?: number;
  cpu_s_per_gib?: number;
  idle_rss_mb?: number;
  peak_rss_mb?: number;
  command?: string;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function point(name: Point['broker'], axis: Point['axis'], x: number): Promise<Point> {
  const partitions = axis === 'partitions' ? x : 6;
  const clients = axis === 'connections' ? x : 1;
  let b: StartedBroker | undefined;
  try {
    b = name === 'skiff' ? await startSkiff({ numPartitions: partitions }) : await startKafka({ numPartitions: partitions });
    const idle = sample(b.pid);
    const topic = `growth-${axis}-${x}`;
    // The topic is created by a first client, so that creating its partitions is not counted.
    const created = await franzProduce({ bootstrap: b.bootstrap, topic, count: 1, size: SIZE, acks: '1' }, TIMEOUT_MS);
    if (!created.ok) return { broker: name, axis, x, ok: false, error: `creating the topic: ${created.error}`, command: created.command };
    const sampler = new Sampler(b.pid);
    const cpu0 = sample(b.pid)?.cpuSeconds ?? NaN;
    const r = await franzProduce({ bootstrap: b.bootstrap, topic, count: Math.max(RECORDS, clients), size: SIZE, acks: '1', clients }, TIMEOUT_MS);
    const cpu1 = sample(b.pid)?.cpuSeconds ?? NaN;
    sampler.stop();
    if (!r.ok) return { broker: name, axis, x, ok: false, error: r.error, command: r.command };
    const gib = r.values.bytes! / 2 ** 30;
    return {
      broker: name,
      axis,
      x,
      ok: true,
      mb_s: r.values.mb_s,
      // The whole client run, its connecting and metadata requests included.
      cpu_s_per_gib: (cpu1 - cpu0) / gib,
      idle_rss_mb: idle?.rssMb,
      peak_rss_mb: sampler.peakRssMb,
      command: r.command,
    };
  } catch (err) {
    return { broker: name, axis, x, ok: false, error: String(err).slice(0, 500) };
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

/** One chart per axis: a row per measure against x on a log scale, a line per broker. */
function chartSpec(axis: Point['axis'], points: Point[], stamp: string): object {
  const measures: Array<[keyof Point, string]> = [
    ['mb_s', 'produce MB/s'],
    ['cpu_s_per_gib', 'broker CPU s per GiB'],
    ['peak_rss_mb', 'peak RSS MB'],
  ];
  const values = points
    .filter((p) => p.ok && p.axis === axis)
    .flatMap((p) => measures.map(([k, label]) => ({ broker: p.broker, x: p.x, measure: label, value: p[k] as number })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Produce as ${axis} grow (franz-go, ${SIZE} B, acks=1)`, subtitle: stamp },
    data: { values },
    facet: { row: { field: 'measure', type: 'nominal', title: null, sort: measures.map(([, l]) => l) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420,
      height: 140,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: axis === 'partitions' ? 'partitions of the topic' : 'producer connections' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'broker', type: 'nominal' },
      },
    },
  };
}

const franzError = await ensureFranzBench();
if (franzError) throw new Error(franzError);
const brokers: Point['broker'][] = ['skiff', ...(args.kafka && kafkaAvailable() ? (['kafka'] as const) : [])];
const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const points: Point[] = [];
for (const [axis, xs] of [
  ['partitions', list(args.partitions)],
  ['connections', list(args.connections)],
] as const) {
  for (const x of xs) {
    for (const name of brokers) {
      const p = await point(name, axis, x);
      points.push(p);
      log(`${name} ${axis}=${x}: ${p.ok ? `${p.mb_s!.toFixed(1)} MB/s, ${p.cpu_s_per_gib!.toFixed(2)} s/GiB, RSS idle ${p.idle_rss_mb!.toFixed(1)} / peak ${p.peak_rss_mb!.toFixed(1)} MB` : `failed: ${p.error}`}`);
    }
  }
}

let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '') commit += ' (dirty)';
} catch {
  // not a checkout
}
const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadStart} → ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const stamp = `commit ${commit}; ${machine}; ${RECORDS} records per point`;
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'growth.json'), `${JSON.stringify({ generated: new Date().toISOString(), commit, machine, records: RECORDS, size: SIZE, points }, null, 2)}\n`);
const render = await plotter();
for (const axis of ['partitions', 'connections'] as const) {
  writeFileSync(join(args.out, `growth-${axis}.svg`), await render(chartSpec(axis, points, stamp)));
}
process.stdout.write(
  ['| broker | axis | x | MB/s | broker CPU s/GiB | idle RSS MB | peak RSS MB |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |']
    .concat(points.map((p) => (p.ok ? `| ${p.broker} | ${p.axis} | ${p.x} | ${p.mb_s!.toFixed(1)} | ${p.cpu_s_per_gib!.toFixed(2)} | ${p.idle_rss_mb!.toFixed(1)} | ${p.peak_rss_mb!.toFixed(1)} |` : `| ${p.broker} | ${p.axis} | ${p.x} | failed: ${p.error} | | | |`)))
    .join('\n') + `\n\n${stamp}\n`,
);
