/**
 * The pure half of the growth curves (bench/growth-bench.ts): from the measured points to the
 * table, the vega-lite chart specs and the growth section of BENCHMARKS.md. No I/O, so a unit
 * test can check that every figure printed is a measured one and that failed points are shown
 * as failed, never dropped.
 */
import type { BrokerName } from './report.js';

export type GrowthAxis = 'partitions' | 'connections' | 'sizes';
export type GrowthOp = 'produce' | 'fetch';
export const GROWTH_AXES: readonly GrowthAxis[] = ['partitions', 'connections', 'sizes'];

export interface GrowthPoint {
  broker: BrokerName;
  axis: GrowthAxis;
  /** partitions of the topic, client connections, or record size in bytes */
  x: number;
  op: GrowthOp;
  ok: boolean;
  error?: string;
  records?: number;
  mb_s?: number;
  cpu_s_per_gib?: number;
  /** RSS right after the broker answered its first ApiVersions, before the topic existed */
  idle_rss_mb?: number;
  /** highest RSS sampled during this operation */
  peak_rss_mb?: number;
  /** CreateTopics sent → every partition has a leader in Metadata */
  topic_ready_s?: number;
  command?: string;
}

export interface GrowthMeta {
  generated: string;
  /** as commitStamp words it: "commit <sha>" (with uncommitted changes) */
  commit: string;
  machine: string;
  /** load average (1, 5, 15 min) at start and end */
  load: [string, string];
  /** records of 100 B per point on the partitions and connections axes */
  records: number;
  /** bytes produced per point on the record-size axis */
  sizeBytes: number;
  /** message.max.bytes of both brokers on the record-size axis */
  messageMaxBytes: number;
  duration_s: number;
  /**
   * Set when this run re-measured some points of an earlier growth.json and kept the rest:
   * the points this run measured ("skiff connections 1, …") and the earlier run's stamp.
   */
  merged?: { measured: string; earlier: string };
}

export const GROWTH_START = '<!-- bench:growth:start (written by bench/growth-bench.ts and bench/run.ts; edit outside these markers) -->';
export const GROWTH_END = '<!-- bench:growth:end -->';

const AXIS_TITLE: Record<GrowthAxis, string> = {
  partitions: 'partitions of the topic',
  connections: 'client connections (producers, then readers)',
  sizes: 'record size, bytes',
};

export function xLabel(axis: GrowthAxis, x: number): string {
  if (axis !== 'sizes') return x.toLocaleString('en-US');
  if (x >= 1 << 20 && x % (1 << 20) === 0) return `${x >> 20} MiB`;
  if (x >= 1024 && x % 1024 === 0) return `${x >> 10} KiB`;
  return `${x} B`;
}

const num = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

function find(points: readonly GrowthPoint[], broker: BrokerName, axis: GrowthAxis, x: number, op: GrowthOp): GrowthPoint | undefined {
  return points.find((p) => p.broker === broker && p.axis === axis && p.x === x && p.op === op);
}

/**
 * One row per (axis, x, operation), Skiff and Kafka side by side in each cell ("skiff / kafka";
 * a broker not run is left out). A failed point reads "failed" in the MB/s column, shows what
 * it did measure before failing (say, the time its topic took) and has its reason listed below.
 */
export function growthTable(points: readonly GrowthPoint[]): string {
  const brokers = (['skiff', 'kafka'] as const).filter((b) => points.some((p) => p.broker === b));
  const both = brokers.length === 2;
  const cell = (axis: GrowthAxis, x: number, op: GrowthOp, f: (p: GrowthPoint) => string, failed = f): string =>
    brokers
      .map((b) => {
        const p = find(points, b, axis, x, op);
        return p === undefined ? '—' : p.ok ? f(p) : failed(p);
      })
      .join(' / ');
  const head = both ? ' (skiff / kafka)' : ` (${brokers[0] ?? 'skiff'})`;
  const lines = [
    `| axis | x | operation | MB/s${head} | ${both ? 'skiff ÷ kafka MB/s | ' : ''}broker CPU s/GiB | peak RSS MB | idle RSS MB | topic ready, s |`,
    `| --- | ---: | --- | ---: | ${both ? '---: | ' : ''}---: | ---: | ---: | ---: |`,
  ];
  const failures: string[] = [];
  for (const axis of GROWTH_AXES) {
    const xs = [...new Set(points.filter((p) => p.axis === axis).map((p) => p.x))].sort((a, b) => a - b);
    for (const x of xs) {
      for (const op of ['produce', 'fetch'] as const) {
        if (!points.some((p) => p.axis === axis && p.x === x && p.op === op)) continue;
        let ratio = '';
        if (both) {
          const s = find(points, 'skiff', axis, x, op);
          const k = find(points, 'kafka', axis, x, op);
          ratio = s?.ok && k?.ok && s.mb_s !== undefined && k.mb_s ? `${(s.mb_s / k.mb_s).toFixed(2)}x | ` : '— | ';
        }
        lines.push(
          `| ${axis} | ${xLabel(axis, x)} | ${op} | ${cell(axis, x, op, (p) => num(p.mb_s), () => 'failed')} | ${ratio}${cell(axis, x, op, (p) => num(p.cpu_s_per_gib, 2))} | ${cell(axis, x, op, (p) => num(p.peak_rss_mb))} | ${cell(axis, x, op, (p) => num(p.idle_rss_mb))} | ${cell(axis, x, op, (p) => num(p.topic_ready_s, 2))} |`,
        );
        for (const b of brokers) {
          const p = find(points, b, axis, x, op);
          if (p && !p.ok) failures.push(`- ${b}, ${axis} ${xLabel(axis, x)}, ${op}: ${p.error ?? 'failed'}`);
        }
      }
    }
  }
  return failures.length === 0 ? lines.join('\n') : `${lines.join('\n')}\n\nFailed points (not drawn):\n\n${failures.join('\n')}`;
}

const MEASURES: ReadonlyArray<[keyof GrowthPoint, string]> = [
  ['mb_s', 'MB/s'],
  ['cpu_s_per_gib', 'broker CPU s per GiB'],
  ['peak_rss_mb', 'peak RSS MB'],
];

/**
 * One chart per axis: a row per measure, a column per operation, a line per broker, both
 * scales logarithmic (the measures span two orders of magnitude along the partitions axis).
 * Failed points are not drawn; the subtitle names them.
 */
export function growthChartSpec(axis: GrowthAxis, points: readonly GrowthPoint[], stamp: string): object {
  const mine = points.filter((p) => p.axis === axis);
  const values = mine
    .filter((p) => p.ok)
    .flatMap((p) =>
      MEASURES.filter(([k]) => typeof p[k] === 'number' && (p[k] as number) > 0).map(([k, label]) => ({ broker: p.broker, op: p.op, x: p.x, measure: label, value: p[k] as number })),
    );
  const failed = mine.filter((p) => !p.ok).map((p) => `${p.broker} ${xLabel(axis, p.x)} ${p.op}`);
  // One line per part of the stamp: a single line would set the chart's width.
  const subtitle = [...stamp.split('; '), ...(failed.length > 0 ? [`failed, not drawn: ${failed.join(', ')}`] : [])];
  const ops = (['produce', 'fetch'] as const).filter((op) => mine.some((p) => p.op === op));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Skiff and Kafka as ${AXIS_TITLE[axis]} grow (franz-go load)`, subtitle },
    data: { values },
    facet: {
      row: { field: 'measure', type: 'nominal', title: null, sort: MEASURES.map(([, l]) => l) },
      column: { field: 'op', type: 'nominal', title: null, sort: ops },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 140,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: AXIS_TITLE[axis] },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: null },
        color: { field: 'broker', type: 'nominal', sort: ['skiff', 'kafka'] },
      },
    },
  };
}

/**
 * The stamp under every chart and table: commit, machine, load, counts, and for a merged run
 * which points it measured and the stamp of the run the others come from.
 */
export function growthStamp(m: GrowthMeta): string {
  const stamp = `${m.commit}; ${m.machine}; load ${m.load[0]} → ${m.load[1]}; ${m.records.toLocaleString('en-US')} records of 100 B per partitions/connections point, ${Math.round(m.sizeBytes / 2 ** 20)} MiB per record-size point`;
  return m.merged ? `${stamp}; measured in that run: ${m.merged.measured}; the other points from an earlier run: ${m.merged.earlier}` : stamp;
}

/** The generated part of BENCHMARKS.md's growth section; `charts` are the SVGs' paths from the repository root. */
export function growthSection(m: GrowthMeta, points: readonly GrowthPoint[], charts: Partial<Record<GrowthAxis, string>>): string {
  const images = GROWTH_AXES.filter((a) => charts[a] !== undefined).map((a) => `![${AXIS_TITLE[a]}](${charts[a]})`);
  return [
    GROWTH_START,
    `_Generated ${m.generated} in ${m.duration_s} s. ${growthStamp(m)}. Record-size points: message.max.bytes=${m.messageMaxBytes} on both brokers._`,
    '',
    growthTable(points),
    '',
    ...images,
    GROWTH_END,
  ].join('\n');
}

/** `doc` with its growth section replaced (appended at the end when the markers are missing). */
export function spliceGrowth(doc: string, section: string): string {
  const a = doc.indexOf(GROWTH_START);
  const b = doc.indexOf(GROWTH_END);
  if (a < 0 || b < a) return `${doc.trimEnd()}\n\n## Growth curves\n\n${section}\n`;
  return doc.slice(0, a) + section + doc.slice(b + GROWTH_END.length);
}
