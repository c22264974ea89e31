/**
 * The pure half of `make bench`: from the recorded runs to the comparison rows, the headline
 * figures of summary.json, the text table and the results section of BENCHMARKS.md. No I/O, so a
 * unit test can feed it recorded results and check that every figure it prints is one the
 * harness measured.
 */
import type { MicroSection } from './micro.js';
import { median } from './proc.js';

export type BrokerName = 'skiff' | 'kafka';

export interface RunRecord {
  broker: BrokerName;
  case: string;
  run: number;
  ok: boolean;
  error?: string;
  values: Record<string, number>;
  command: string;
}

export interface BrokerResults {
  startupMs: number[];
  connectMs: number[];
  startupCpuMs: number[];
  nodeBootMs: number[];
  /** RSS of a bare Node kept alive by a timer, 3 s after spawn (Skiff's startup rounds). */
  nodeIdleRssMb?: number[];
  idleRssMb: number[];
  runs: RunRecord[];
  notes: string[];
  apiKeys: number[];
}

/** The parts of the run plan that name cases and label rows. */
export interface ReportPlan {
  runs: number;
  startupRuns: number;
  fetchMib: number;
  /** produce latency (kafka-producer-perf-test at a fixed --throughput, franz-go's latency mode): one case per rate */
  latencyRates: number[];
  e2eRate: number;
  connections: number;
  bigPartitions: number;
}

/** Where and on what the figures were taken; stamped on every result file. */
export interface RunMeta {
  generated: string;
  smoke: boolean;
  duration_s: number;
  kafka_version: string | null;
  python_client: string | null;
  commit: { sha: string; dirty: boolean } | null;
  machine: {
    cpu_model: string;
    cores: number;
    memory: string;
    kernel: string;
    node: string;
    java: string;
    loadavg_at_start: string;
    loadavg_at_end: string;
  };
  plan: ReportPlan;
  headline_case: string;
}

export const SIZES = [100, 1024];
export const ACKS = ['1', '-1'];

/** Case names, shared by the harness that records runs and the report that reads them. */
export const cases = {
  produce: (client: string, size: number, acks: string, p: number) => `produce ${client} ${size}B acks=${acks} p${p}`,
  latencyJava: (rate: number) => `latency java produce 100B acks=1 p6 @${rate}/s`,
  latencyFranz: (size: number, acks: string, rate: number) => `latency franz-go produce ${size}B acks=${acks} p1 @${rate}/s`,
  latencyFranzE2e: (rate: number) => `latency franz-go e2e 100B acks=-1 p1 @${rate}/s`,
  latencyE2e: (plan: ReportPlan) => `latency rdkafka e2e 100B acks=1 p6 @${plan.e2eRate}/s`,
  fill: (client: string, plan: ReportPlan) => `fill ${plan.fetchMib} MiB (${client} 1KiB acks=1 p6)`,
  fetch: (client: string, plan: ReportPlan) => `fetch ${client} ${plan.fetchMib} MiB 1KiB p6`,
  connections: (k: number) => `connections rdkafka x${k} 100B acks=1 p6`,
  partitions: (client: string, plan: ReportPlan) => `partitions ${client} 100B acks=1 p${plan.bigPartitions}`,
};

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 10_000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function med(res: BrokerResults | undefined, caseName: string, key: string): number | null {
  if (!res) return null;
  return median(res.runs.filter((r) => r.case === caseName && r.ok && r.values[key] !== undefined).map((r) => r.values[key]!));
}

/** A median recorded in ms, shown in µs: franz-go's latency figures have microsecond resolution. */
function medUs(res: BrokerResults | undefined, caseName: string, key: string): number | null {
  const v = med(res, caseName, key);
  return v === null ? null : v * 1000;
}

export interface Row {
  section: string;
  label: string;
  unit: string;
  skiff: number | null;
  kafka: number | null;
  better: 'higher' | 'lower';
  target?: string;
}

function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

export function buildRows(plan: ReportPlan, sk: BrokerResults | undefined, ka: BrokerResults | undefined): Row[] {
  const rows: Row[] = [];
  const add = (section: string, label: string, unit: string, get: (r: BrokerResults | undefined) => number | null, better: 'higher' | 'lower', target?: string): void => {
    const skiff = get(sk);
    const kafka = get(ka);
    if (skiff === null && kafka === null) return;
    rows.push({ section, label, unit, skiff, kafka, better, target });
  };
  for (const client of ['java', 'rdkafka', 'franz-go']) {
    for (const p of [1, 6]) {
      for (const size of SIZES) {
        for (const acks of ACKS) {
          const c = cases.produce(client, size, acks, p);
          add('produce', `${client} ${size} B acks=${acks} ${p} part.`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher', '≥1.5x');
          add('produce', `${client} ${size} B acks=${acks} ${p} part.`, 'rec/s', (r) => med(r, c, 'records_s'), 'higher', '≥1.5x');
        }
      }
    }
  }
  // Which side was the limit: a client that needs more CPU per GiB than the broker measures
  // itself. franz-go is there to need less, so its rows are the broker-limited figures.
  for (const p of [1, 6]) {
    for (const size of SIZES) {
      for (const acks of ACKS) {
        const c = cases.produce('franz-go', size, acks, p);
        const label = `franz-go ${size} B acks=${acks} ${p} part.`;
        add('load generator', `${label}: client CPU per GiB`, 's/GiB', (r) => med(r, c, 'client_cpu_s_per_gib'), 'lower');
        add('load generator', `${label}: broker CPU per GiB`, 's/GiB', (r) => med(r, c, 'cpu_s_per_gib'), 'lower');
        add('load generator', `${label}: broker cores busy`, 'cores', (r) => med(r, c, 'broker_cpu_util'), 'lower');
      }
    }
  }
  add('load generator', 'rdkafka 1024 B acks=-1 1 part.: broker cores busy', 'cores', (r) => med(r, cases.produce('rdkafka', 1024, '-1', 1), 'broker_cpu_util'), 'lower');
  for (const client of ['java', 'rdkafka']) {
    const c = cases.fetch(client, plan);
    add('fetch', `${client}, ${plan.fetchMib} MiB of 1 KiB records, 6 part.`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher', '≥1.5x');
  }
  const percentiles = [
    ['p50_ms', 'p50'],
    ['p99_ms', 'p99'],
    ['p999_ms', 'p99.9'],
  ] as const;
  for (const rate of plan.latencyRates) {
    for (const [k, l] of percentiles) {
      add('latency', `produce (java) ${l} @${rate} rec/s`, 'ms', (r) => med(r, cases.latencyJava(rate), k), 'lower', k === 'p99_ms' ? '≤0.5x' : undefined);
    }
  }
  for (const [k, l] of percentiles) {
    add('latency', `end-to-end (rdkafka) ${l} @${plan.e2eRate} rec/s`, 'ms', (r) => med(r, cases.latencyE2e(plan), k), 'lower');
  }
  // franz-go's fixed-rate mode: microseconds, timed from when each record was due.
  const finer = [...percentiles, ['max_ms', 'max']] as const;
  for (const rate of plan.latencyRates) {
    for (const size of SIZES) {
      for (const acks of ACKS) {
        for (const [k, l] of finer) {
          add('latency (franz-go, fixed rate, 1 partition)', `produce ${size} B acks=${acks} ${l} @${rate} rec/s`, 'µs', (r) => medUs(r, cases.latencyFranz(size, acks, rate), k), 'lower', k === 'p99_ms' ? '≤0.5x' : undefined);
        }
      }
    }
    for (const [k, l] of finer) {
      add('latency (franz-go, fixed rate, 1 partition)', `end-to-end 100 B acks=-1 ${l} @${rate} rec/s`, 'µs', (r) => medUs(r, cases.latencyFranzE2e(rate), `e2e_${k}`), 'lower');
    }
  }
  const hj = cases.produce('java', 100, '1', 6);
  const fr = cases.fetch('rdkafka', plan);
  add('resources', 'start → first ApiVersions answered', 'ms', (r) => median(r?.startupMs ?? []), 'lower', '≤ bare node + 20 ms');
  add('resources', 'start → TCP connect accepted', 'ms', (r) => median(r?.connectMs ?? []), 'lower');
  add('resources', 'CPU time used by then (ApiVersions answered)', 'ms', (r) => median(r?.startupCpuMs ?? []), 'lower');
  add('resources', "for scale: bare 'node -e 0', spawn → exit", 'ms', (r) => median(r?.nodeBootMs ?? []), 'lower');
  add('resources', 'idle RSS', 'MB', (r) => median(r?.idleRssMb ?? []), 'lower', '≤45 MB');
  add('resources', 'for scale: bare node idle RSS', 'MB', (r) => median(r?.nodeIdleRssMb ?? []), 'lower');
  add('resources', "first ApiVersions answer − bare 'node -e 0' (medians)", 'ms', (r) => difference(median(r?.startupMs ?? []), median(r?.nodeBootMs ?? [])), 'lower', '≤20 ms');
  add('resources', 'idle RSS − bare node idle RSS (medians)', 'MB', (r) => difference(median(r?.idleRssMb ?? []), median(r?.nodeIdleRssMb ?? [])), 'lower');
  add('resources', 'peak RSS under load (java 100 B acks=1 6 part.)', 'MB', (r) => med(r, hj, 'peak_rss_mb'), 'lower');
  add('resources', `peak RSS, fetch ${plan.fetchMib} MiB (rdkafka)`, 'MB', (r) => med(r, fr, 'peak_rss_mb'), 'lower');
  add('resources', 'broker CPU per GiB produced (java 100 B acks=1 6 part.)', 's/GiB', (r) => med(r, hj, 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB produced (java 1 KiB acks=1 6 part.)', 's/GiB', (r) => med(r, cases.produce('java', 1024, '1', 6), 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB fetched (rdkafka)', 's/GiB', (r) => med(r, fr, 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB fetched (java)', 's/GiB', (r) => med(r, cases.fetch('java', plan), 'cpu_s_per_gib'), 'lower');
  for (const client of ['java', 'rdkafka']) {
    const one = cases.produce(client, 100, '1', 1);
    const big = cases.partitions(client, plan);
    add('scaling', `${client} 100 B acks=1, 1 partition`, 'MB/s', (r) => med(r, one, 'mb_s'), 'higher');
    add('scaling', `${client} 100 B acks=1, ${plan.bigPartitions} partitions`, 'MB/s', (r) => med(r, big, 'mb_s'), 'higher');
    add('scaling', `${client} CPU/GiB, 1 partition`, 's/GiB', (r) => med(r, one, 'cpu_s_per_gib'), 'lower');
    add('scaling', `${client} CPU/GiB, ${plan.bigPartitions} partitions`, 's/GiB', (r) => med(r, big, 'cpu_s_per_gib'), 'lower');
    add('scaling', `${client} peak RSS, ${plan.bigPartitions} partitions`, 'MB', (r) => med(r, big, 'peak_rss_mb'), 'lower');
  }
  for (const k of [1, plan.connections]) {
    const c = cases.connections(k);
    add('scaling', `rdkafka ${k} connection(s), 100 B acks=1`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher');
    add('scaling', `rdkafka ${k} connection(s) CPU/GiB`, 's/GiB', (r) => med(r, c, 'cpu_s_per_gib'), 'lower');
    add('scaling', `rdkafka ${k} connection(s) peak RSS`, 'MB', (r) => med(r, c, 'peak_rss_mb'), 'lower');
  }
  return rows;
}

/**
 * One row per target of issue 21, per case where the target is "in every case": Skiff's
 * figure, Kafka's, the ratio, met or missed and by how much. Computed from the recorded runs
 * only, so the target table can hold no figure the harness did not write.
 */
export interface TargetRow {
  target: string;
  case: string;
  unit: string;
  skiff: number | null;
  kafka: number | null;
  /** Skiff / Kafka for the ratio targets; null for the absolute ones or when a figure is missing */
  ratio: number | null;
  goal: string;
  /** null: a figure the target needs was not recorded in this run */
  met: boolean | null;
  /** how far from the goal, as the change Skiff's figure needs (missed) or has to spare (met) */
  result: string;
}

const THROUGHPUT_GOAL = 1.5;
const CPU_GOAL = 0.5;
const LATENCY_GOAL = 0.5;
const STARTUP_OVER_BARE_NODE_MS = 20;
const IDLE_RSS_MB = 45;

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Skiff must reach `goal` times Kafka's figure (min) or stay at most that (max). */
function ratioTarget(target: string, label: string, unit: string, skiff: number | null, kafka: number | null, goal: number, kind: 'min' | 'max'): TargetRow {
  const goalText = `${kind === 'min' ? '≥' : '≤'} ${goal}x Kafka`;
  const row = { target, case: label, unit, skiff, kafka, goal: goalText };
  if (skiff === null || kafka === null || kafka <= 0 || skiff <= 0) {
    return { ...row, ratio: null, met: null, result: skiff === null ? 'not recorded for Skiff' : 'no Kafka figure in this run' };
  }
  const r = skiff / kafka;
  const met = kind === 'min' ? r >= goal : r <= goal;
  const bound = goal * kafka;
  // The change in Skiff's own figure that would put it exactly on the goal.
  const change = bound / skiff - 1;
  const result = met
    ? `met, ${pct(Math.abs(change))} to spare`
    : `missed: Skiff needs ${change > 0 ? '+' : '−'}${pct(Math.abs(change))} (${kind === 'min' ? '≥' : '≤'} ${fmt(bound)} ${unit})`;
  return { ...row, ratio: r, met, result };
}

function limitTarget(target: string, label: string, unit: string, skiff: number | null, kafka: number | null, limit: number): TargetRow {
  const row = { target, case: label, unit, skiff, kafka, ratio: skiff !== null && kafka ? skiff / kafka : null, goal: `≤ ${limit} ${unit}` };
  if (skiff === null) return { ...row, met: null, result: 'not recorded for Skiff' };
  const met = skiff <= limit;
  return { ...row, met, result: met ? `met, ${fmt(limit - skiff)} ${unit} to spare` : `missed by ${fmt(skiff - limit)} ${unit}` };
}

export function targetRows(plan: ReportPlan, sk: BrokerResults | undefined, ka: BrokerResults | undefined): TargetRow[] {
  const rows: TargetRow[] = [];
  const matrix: { label: string; name: string }[] = [];
  for (const client of ['java', 'rdkafka', 'franz-go']) {
    for (const p of [1, 6]) {
      for (const size of SIZES) {
        for (const acks of ACKS) matrix.push({ label: `produce ${client} ${size} B acks=${acks} ${p} part.`, name: cases.produce(client, size, acks, p) });
      }
    }
  }
  for (const client of ['java', 'rdkafka']) matrix.push({ label: `fetch ${client} ${plan.fetchMib} MiB`, name: cases.fetch(client, plan) });
  const recorded = matrix.filter((c) => med(sk, c.name, 'mb_s') !== null || med(ka, c.name, 'mb_s') !== null);
  for (const c of recorded) {
    rows.push(ratioTarget('throughput', c.label, 'MB/s', med(sk, c.name, 'mb_s'), med(ka, c.name, 'mb_s'), THROUGHPUT_GOAL, 'min'));
  }
  for (const c of recorded) {
    rows.push(ratioTarget('broker CPU per GiB', c.label, 's/GiB', med(sk, c.name, 'cpu_s_per_gib'), med(ka, c.name, 'cpu_s_per_gib'), CPU_GOAL, 'max'));
  }
  // At each rate: franz-go's microsecond figures where this run has them (one row per record size
  // and acks), else the Java tool's whole milliseconds.
  for (const rate of plan.latencyRates) {
    const finer = SIZES.flatMap((size) => ACKS.map((acks) => ({ size, acks, c: cases.latencyFranz(size, acks, rate) }))).filter(
      ({ c }) => med(sk, c, 'p99_ms') !== null || med(ka, c, 'p99_ms') !== null,
    );
    for (const { size, acks, c } of finer) {
      rows.push(ratioTarget('p99 produce latency', `franz-go ${size} B acks=${acks} @${rate} rec/s`, 'µs', medUs(sk, c, 'p99_ms'), medUs(ka, c, 'p99_ms'), LATENCY_GOAL, 'max'));
    }
    if (finer.length === 0) {
      const c = cases.latencyJava(rate);
      rows.push(ratioTarget('p99 produce latency', `java @${rate} rec/s`, 'ms', med(sk, c, 'p99_ms'), med(ka, c, 'p99_ms'), LATENCY_GOAL, 'max'));
    }
  }
  rows.push(
    limitTarget(
      'first answer',
      "spawn → first ApiVersions answer − bare 'node -e 0' (medians)",
      'ms',
      difference(median(sk?.startupMs ?? []), median(sk?.nodeBootMs ?? [])),
      null,
      STARTUP_OVER_BARE_NODE_MS,
    ),
  );
  rows.push(limitTarget('idle RSS', 'idle RSS, 3 s after readiness', 'MB', median(sk?.idleRssMb ?? []), median(ka?.idleRssMb ?? []), IDLE_RSS_MB));
  return rows;
}

export function targetSummary(rows: TargetRow[]): string {
  const met = rows.filter((r) => r.met === true).length;
  const missed = rows.filter((r) => r.met === false).length;
  const open = rows.length - met - missed;
  return `${met} of ${rows.length} target rows met, ${missed} missed${open ? `, ${open} without the figures they need` : ''}.`;
}

export function targetTable(rows: TargetRow[]): string {
  const ratioText = (r: TargetRow): string => (r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`);
  return [
    '| target | case | unit | Skiff | Kafka | Skiff / Kafka | goal | result |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map((r) => `| ${r.target} | ${r.case} | ${r.unit} | ${fmt(r.skiff)} | ${fmt(r.kafka)} | ${ratioText(r)} | ${r.goal} | ${r.met === false ? `**${r.result}**` : r.result} |`),
  ].join('\n');
}

function ratio(row: Row): string {
  if (row.skiff === null || row.kafka === null || row.kafka === 0) return '—';
  return `${(row.skiff / row.kafka).toFixed(2)}x`;
}

export function markdownTable(rows: Row[]): string {
  const out: string[] = [];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      out.push('', `**${section}**`, '', '| case | unit | Skiff | Kafka | Skiff / Kafka | target |', '| --- | --- | ---: | ---: | ---: | --- |');
    }
    out.push(`| ${row.label} | ${row.unit} | ${fmt(row.skiff)} | ${fmt(row.kafka)} | ${ratio(row)} | ${row.target ?? ''} |`);
  }
  return out.join('\n');
}

export function textTable(rows: Row[]): string {
  const w = Math.max(...rows.map((r) => r.label.length), 10);
  const lines = [`${'case'.padEnd(w)}  ${'unit'.padEnd(6)} ${'Skiff'.padStart(10)} ${'Kafka'.padStart(10)} ${'S/K'.padStart(7)}  target`];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push(`-- ${section}`);
    }
    lines.push(`${r.label.padEnd(w)}  ${r.unit.padEnd(6)} ${fmt(r.skiff).padStart(10)} ${fmt(r.kafka).padStart(10)} ${ratio(r).padStart(7)}  ${r.target ?? ''}`);
  }
  return lines.join('\n');
}

export const HEADLINE_CASE =
  '100-byte records, acks=1, 6 partitions; produce = kafka-producer-perf-test, fetch = librdkafka, p50/p99/p99.9 = produce latency at the middle fixed rate, p99_ms_at_<rate> at each; franz_*_us_* = franz-go fixed-rate latency in µs, 100 B acks=-1 1 partition';

/** The headline figures of summary.json: the same medians the table shows. */
export function headline(plan: ReportPlan, res: BrokerResults | undefined): Record<string, number | null> | null {
  if (!res) return null;
  const hj = cases.produce('java', 100, '1', 6);
  const hr = cases.produce('rdkafka', 100, '1', 6);
  const fr = cases.fetch('rdkafka', plan);
  const fj = cases.fetch('java', plan);
  const rates = plan.latencyRates;
  const lj = cases.latencyJava(rates[rates.length >> 1] ?? 0);
  const le = cases.latencyE2e(plan);
  return {
    produce_mb_s: med(res, hj, 'mb_s') ?? med(res, hr, 'mb_s'),
    produce_records_s: med(res, hj, 'records_s') ?? med(res, hr, 'records_s'),
    produce_mb_s_rdkafka: med(res, hr, 'mb_s'),
    fetch_mb_s: med(res, fr, 'mb_s') ?? med(res, fj, 'mb_s'),
    fetch_mb_s_java: med(res, fj, 'mb_s'),
    p50_ms: med(res, lj, 'p50_ms'),
    p99_ms: med(res, lj, 'p99_ms'),
    p999_ms: med(res, lj, 'p999_ms'),
    ...Object.fromEntries(rates.map((rate) => [`p99_ms_at_${rate}`, med(res, cases.latencyJava(rate), 'p99_ms')])),
    ...Object.fromEntries(rates.map((rate) => [`franz_p99_us_at_${rate}`, medUs(res, cases.latencyFranz(100, '-1', rate), 'p99_ms')])),
    ...Object.fromEntries(rates.map((rate) => [`franz_e2e_p99_us_at_${rate}`, medUs(res, cases.latencyFranzE2e(rate), 'e2e_p99_ms')])),
    e2e_p50_ms: med(res, le, 'p50_ms'),
    e2e_p99_ms: med(res, le, 'p99_ms'),
    e2e_p999_ms: med(res, le, 'p999_ms'),
    startup_ms: median(res.startupMs),
    startup_connect_ms: median(res.connectMs),
    idle_rss_mb: median(res.idleRssMb),
    load_rss_mb: med(res, hj, 'peak_rss_mb') ?? med(res, hr, 'peak_rss_mb'),
    cpu_s_per_gib_produced: med(res, hj, 'cpu_s_per_gib') ?? med(res, hr, 'cpu_s_per_gib'),
    cpu_s_per_gib_fetched: med(res, fr, 'cpu_s_per_gib') ?? med(res, fj, 'cpu_s_per_gib'),
  };
}

export const RESULTS_START = '<!-- bench:results:start (written by bench/run.ts; edit outside these markers) -->';
export const RESULTS_END = '<!-- bench:results:end -->';

export function commitStamp(meta: Pick<RunMeta, 'commit'>): string {
  if (!meta.commit) return 'commit unknown (not a git checkout)';
  return `commit ${meta.commit.sha}${meta.commit.dirty ? ' with uncommitted changes' : ''}`;
}

/** Without `loadavg_at_end` (a stamp written before the work it stamps) only the load at start. */
export function machineStamp(meta: Pick<RunMeta, 'machine'>): string {
  const m = meta.machine;
  const end = m.loadavg_at_end ? `, at end ${m.loadavg_at_end}` : '';
  return `${m.cores} x ${m.cpu_model}, ${m.memory} RAM, ${m.kernel}, Node ${m.node}, ${m.java}. Load average (1, 5, 15 min) at start ${m.loadavg_at_start}${end}.`;
}

/** The results section of BENCHMARKS.md, markers included. */
export function resultsSection(input: {
  meta: RunMeta;
  results: Partial<Record<BrokerName, BrokerResults>>;
  micro: MicroSection[];
  envNotes: string[];
}): string {
  const { meta, results, micro } = input;
  const rows = buildRows(meta.plan, results.skiff, results.kafka);
  const targets = targetRows(meta.plan, results.skiff, results.kafka);
  const allRuns = [...(results.skiff?.runs ?? []), ...(results.kafka?.runs ?? [])];
  const commands = new Map<string, string>();
  for (const r of allRuns) {
    if (!commands.has(r.case)) commands.set(r.case, r.command.replace(/127\.0\.0\.1:\d+/g, '$BOOTSTRAP'));
  }
  const notes = [...input.envNotes, ...(results.skiff?.notes ?? []), ...(results.kafka?.notes ?? [])];
  const failed = allRuns.filter((r) => !r.ok);
  return [
    RESULTS_START,
    `_Generated ${meta.generated} by \`make bench\` in ${meta.duration_s} s from ${commitStamp(meta)}. Apache Kafka ${meta.kafka_version}; ${meta.python_client ?? 'no librdkafka client'}._`,
    '',
    `Machine: ${machineStamp(meta)}`,
    '',
    `Each figure is the median of ${meta.plan.runs} runs (startup: ${meta.plan.startupRuns} spawns for Skiff, one per broker start for Kafka).`,
    '',
    '**targets** (issue 21: one row per target and case, from the same medians as the tables below)',
    '',
    targetSummary(targets),
    '',
    targetTable(targets),
    markdownTable(rows),
    '',
    ...(notes.length ? ['**Notes from this run**', '', ...notes.map((n) => `- ${n}`), ''] : []),
    ...(failed.length ? ['**Runs that failed**', '', ...failed.map((f) => `- ${f.broker} ${f.case} #${f.run}: ${f.error}`), ''] : []),
    '<details><summary>Exact client commands (same for both brokers; $BOOTSTRAP is the broker under test)</summary>',
    '',
    '```',
    ...[...commands.entries()].map(([c, cmd]) => `# ${c}\n${cmd}`),
    '```',
    '</details>',
    '',
    '**Micro-benchmarks** (in-process, no broker)',
    '',
    ...micro.flatMap((s) => [`_${s.title}_`, '', '```', s.text.trimEnd(), '```', '']),
    RESULTS_END,
  ].join('\n');
}

/** Replaces the results section of `doc` (or appends one); the prose around it is kept. */
export function spliceResults(doc: string | null, section: string): string {
  if (doc === null) return `# Benchmarks\n\n${section}\n`;
  const a = doc.indexOf(RESULTS_START);
  const b = doc.indexOf(RESULTS_END);
  if (a < 0 || b < a) return `${doc.trimEnd()}\n\n${section}\n`;
  return doc.slice(0, a) + section + doc.slice(b + RESULTS_END.length);
}
