/**
 * `make bench`: Skiff and real Apache Kafka side by side, one after the other on this machine,
 * with the same clients and settings; prints one table with both brokers and the ratio
 * Skiff / Kafka, writes bench/results/summary.json, bench/results/runs.json and the results
 * section of BENCHMARKS.md (between the bench:results markers; the prose around them is kept).
 *
 * `make bench-smoke` (--smoke): Skiff only, tiny counts, one run per case: keeps the harness
 * working in CI. Its numbers are not meaningful. Writes only under .cache/bench/smoke/.
 *
 *   npx tsx bench/run.ts [--smoke] [--runs N] [--skiff-only | --kafka-only] [--groups p1,p6,p1000]
 *                        [--no-micro] [--fetch-mib N]
 *
 * Not a test: nothing here passes or fails on a number. Every load is bounded (record counts,
 * per-client time limits) and every broker started here is stopped here.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaAvailable, kafkaLibsReady, kafkaVersion, measureSkiffStartup, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensurePythonClient, javaConsume, javaProduce, pythonClientVersion, rdkafka, type Measured } from './lib/clients.js';
import { median, run, sample, Sampler } from './lib/proc.js';
import { runMicro, type MicroSection } from './lib/micro.js';

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    runs: { type: 'string' },
    'skiff-only': { type: 'boolean' },
    'kafka-only': { type: 'boolean' },
    groups: { type: 'string' },
    'no-micro': { type: 'boolean' },
    'fetch-mib': { type: 'string' },
  },
});
const SMOKE = flags.smoke === true;

interface Plan {
  runs: number;
  startupRuns: number;
  records: Record<number, number>;
  fetchMib: number;
  latencyRate: number;
  latencySeconds: number;
  e2eRate: number;
  e2eSeconds: number;
  connections: number;
  connRecords: number;
  bigPartitions: number;
  bigRecords: number;
  clientTimeoutMs: number;
}

const PLAN: Plan = SMOKE
  ? {
      runs: 1,
      startupRuns: 2,
      records: { 100: 20_000, 1024: 5_000 },
      fetchMib: 8,
      latencyRate: 500,
      latencySeconds: 2,
      e2eRate: 200,
      e2eSeconds: 2,
      connections: 5,
      connRecords: 10_000,
      bigPartitions: 50,
      bigRecords: 20_000,
      clientTimeoutMs: 60_000,
    }
  : {
      runs: 3,
      startupRuns: 7,
      records: { 100: 500_000, 1024: 150_000 },
      fetchMib: 1024,
      latencyRate: 10_000,
      latencySeconds: 6,
      e2eRate: 2_000,
      e2eSeconds: 6,
      connections: 100,
      connRecords: 500_000,
      bigPartitions: 1000,
      bigRecords: 500_000,
      clientTimeoutMs: 150_000,
    };
if (flags.runs) PLAN.runs = Number(flags.runs);
if (flags['fetch-mib']) PLAN.fetchMib = Number(flags['fetch-mib']);
const GROUPS = new Set((flags.groups ?? 'p1,p6,p1000').split(','));

const OUT_DIR = SMOKE ? join(REPO, '.cache/bench/smoke') : join(REPO, 'bench/results');

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ------------------------------------------------------------------------------ one broker

type BrokerName = 'skiff' | 'kafka';

interface RunRecord {
  broker: BrokerName;
  case: string;
  run: number;
  ok: boolean;
  error?: string;
  values: Record<string, number>;
  command: string;
}

interface BrokerResults {
  startupMs: number[];
  connectMs: number[];
  startupCpuMs: number[];
  nodeBootMs: number[];
  idleRssMb: number[];
  runs: RunRecord[];
  notes: string[];
  apiKeys: number[];
}

interface Env {
  java: boolean;
  python: boolean;
  notes: string[];
}

async function measure(
  broker: StartedBroker,
  sampler: Sampler,
  res: BrokerResults,
  name: string,
  runNo: number,
  fn: () => Promise<Measured>,
): Promise<RunRecord> {
  sampler.resetPeak();
  const before = sample(broker.pid);
  const started = performance.now();
  const m = await fn();
  const wallS = (performance.now() - started) / 1000;
  const after = sample(broker.pid);
  const values = { ...m.values };
  if (before && after) {
    values.broker_cpu_s = after.cpuSeconds - before.cpuSeconds;
    values.broker_cpu_util = values.broker_cpu_s / wallS;
    if (values.bytes) values.cpu_s_per_gib = values.broker_cpu_s / (values.bytes / 2 ** 30);
    values.peak_rss_mb = Math.max(sampler.peakRssMb, after.rssMb);
    values.rss_after_mb = after.rssMb;
  }
  const rec: RunRecord = { broker: broker.name, case: name, run: runNo, ok: m.ok, error: m.error, values, command: m.command };
  res.runs.push(rec);
  const show = m.ok
    ? Object.entries(values)
        .filter(([k]) => ['mb_s', 'records_s', 'p99_ms', 'cpu_s_per_gib', 'peak_rss_mb'].includes(k))
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join(' ')
    : `FAILED: ${m.error}`;
  log(`${broker.name} ${name} #${runNo}: ${show}`);
  return rec;
}

async function withBroker(
  name: BrokerName,
  numPartitions: number,
  res: BrokerResults,
  body: (b: StartedBroker, s: Sampler) => Promise<void>,
): Promise<void> {
  log(`starting ${name} (num.partitions=${numPartitions})`);
  const b = name === 'skiff' ? await startSkiff({ numPartitions }) : await startKafka({ numPartitions });
  res.apiKeys = [...b.apiKeys].sort((x, y) => x - y);
  if (name === 'kafka') res.startupMs.push(b.startupMs);
  log(`${name} ready at ${b.bootstrap} (pid ${b.pid}, ${b.startupMs.toFixed(0)} ms from process start)`);
  const sampler = new Sampler(b.pid);
  try {
    // Idle RSS: 3 s after readiness, before any client connects.
    await sleep(3000);
    const idle = sample(b.pid);
    if (idle && (name === 'kafka' || numPartitions === 6)) res.idleRssMb.push(idle.rssMb);
    await body(b, sampler);
  } finally {
    sampler.stop();
    log(`stopping ${name}`);
    await b.stop();
  }
}

const SIZES = [100, 1024];
const ACKS = ['1', '-1'];

async function produceMatrix(b: StartedBroker, s: Sampler, res: BrokerResults, env: Env, p: number): Promise<void> {
  for (const size of SIZES) {
    for (const acks of ACKS) {
      const records = PLAN.records[size]!;
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          await measure(b, s, res, `produce java ${size}B acks=${acks} p${p}`, r, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: `pj-${size}-${acks === '1' ? 'a1' : 'aall'}-${r}`, records, size, acks, timeoutMs: PLAN.clientTimeoutMs }),
          );
        }
        if (env.python) {
          await measure(b, s, res, `produce rdkafka ${size}B acks=${acks} p${p}`, r, () =>
            rdkafka('produce', { bootstrap: b.bootstrap, topic: `pr-${size}-${acks === '1' ? 'a1' : 'aall'}-${r}`, count: records, size, acks }, PLAN.clientTimeoutMs),
          );
        }
      }
    }
  }
}

async function benchBroker(name: BrokerName, env: Env): Promise<BrokerResults> {
  const res: BrokerResults = { startupMs: [], connectMs: [], startupCpuMs: [], nodeBootMs: [], idleRssMb: [], runs: [], notes: [], apiKeys: [] };

  if (name === 'skiff') {
    // Precise startup: fixed free port, spawn → TCP accept and → first ApiVersions answer.
    for (let i = 0; i < PLAN.startupRuns; i++) {
      const port = await freePort();
      const st = await measureSkiffStartup(port);
      res.startupMs.push(st.readyMs);
      res.connectMs.push(st.connectMs);
      res.startupCpuMs.push(st.cpuMsAtReady);
      res.idleRssMb.push(st.idleRssMb);
      const boot = performance.now();
      await run(process.execPath, ['-e', '0'], { timeoutMs: 20_000 });
      res.nodeBootMs.push(performance.now() - boot);
      log(`skiff startup #${i + 1}: connect ${st.connectMs.toFixed(1)} ms, ApiVersions ${st.readyMs.toFixed(1)} ms (CPU ${st.cpuMsAtReady.toFixed(0)} ms), idle RSS ${st.idleRssMb.toFixed(1)} MB; bare 'node -e 0' ${res.nodeBootMs.at(-1)!.toFixed(1)} ms`);
    }
  }

  if (GROUPS.has('p1')) {
    await withBroker(name, 1, res, (b, s) => produceMatrix(b, s, res, env, 1));
  }

  if (GROUPS.has('p6')) {
    await withBroker(name, 6, res, async (b, s) => {
      await produceMatrix(b, s, res, env, 6);

      // Latency at a fixed rate well below saturation.
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          await measure(b, s, res, `latency java produce 100B acks=1 p6 @${PLAN.latencyRate}/s`, r, () =>
            javaProduce({
              bootstrap: b.bootstrap,
              topic: `lat-j-${r}`,
              records: PLAN.latencyRate * PLAN.latencySeconds,
              size: 100,
              acks: '1',
              throughput: PLAN.latencyRate,
              timeoutMs: PLAN.clientTimeoutMs,
            }),
          );
        }
        if (env.python) {
          await measure(b, s, res, `latency rdkafka e2e 100B acks=1 p6 @${PLAN.e2eRate}/s`, r, () =>
            rdkafka('e2e', { bootstrap: b.bootstrap, topic: `lat-e-${r}`, rate: PLAN.e2eRate, seconds: PLAN.e2eSeconds, size: 100, acks: '1' }, PLAN.clientTimeoutMs),
          );
        }
      }

      // Fetch: write fetchMib of 1 KiB records once, read them all back per run.
      const fetchRecords = Math.floor((PLAN.fetchMib * 1048576) / 1024);
      const fill = env.python
        ? await measure(b, s, res, `fill ${PLAN.fetchMib} MiB (rdkafka 1KiB acks=1 p6)`, 1, () =>
            rdkafka('produce', { bootstrap: b.bootstrap, topic: 'fetch', count: fetchRecords, size: 1024, acks: '1' }, PLAN.clientTimeoutMs * 2),
          )
        : await measure(b, s, res, `fill ${PLAN.fetchMib} MiB (java 1KiB acks=1 p6)`, 1, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: 'fetch', records: fetchRecords, size: 1024, acks: '1', timeoutMs: PLAN.clientTimeoutMs * 2 }),
          );
      if (fill.ok) {
        const groups = b.apiKeys.has(10) && b.apiKeys.has(11) && b.apiKeys.has(14);
        if (env.java && !groups) res.notes.push(`${name}: kafka-consumer-perf-test needs consumer groups (FindCoordinator/JoinGroup/SyncGroup), which this build does not serve: not run`);
        for (let r = 1; r <= PLAN.runs; r++) {
          if (env.java && groups) {
            await measure(b, s, res, `fetch java ${PLAN.fetchMib} MiB 1KiB p6`, r, () =>
              javaConsume({ bootstrap: b.bootstrap, topic: 'fetch', records: fetchRecords, group: `bench-${r}-${Date.now()}`, timeoutMs: PLAN.clientTimeoutMs }),
            );
          }
          if (env.python) {
            await measure(b, s, res, `fetch rdkafka ${PLAN.fetchMib} MiB 1KiB p6`, r, () =>
              rdkafka('consume', { bootstrap: b.bootstrap, topic: 'fetch', partitions: 6, count: fetchRecords }, PLAN.clientTimeoutMs),
            );
          }
        }
      }

      // Connections: the same load from 1 and from N producer connections.
      if (env.python) {
        for (const k of [1, PLAN.connections]) {
          for (let r = 1; r <= PLAN.runs; r++) {
            await measure(b, s, res, `connections rdkafka x${k} 100B acks=1 p6`, r, () =>
              rdkafka('produce', { bootstrap: b.bootstrap, topic: `conn-${k}-${r}`, count: PLAN.connRecords, size: 100, acks: '1', producers: k }, PLAN.clientTimeoutMs),
            );
          }
        }
      }
    });
  }

  if (GROUPS.has('p1000')) {
    await withBroker(name, PLAN.bigPartitions, res, async (b, s) => {
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          await measure(b, s, res, `partitions java 100B acks=1 p${PLAN.bigPartitions}`, r, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: `big-j-${r}`, records: PLAN.bigRecords, size: 100, acks: '1', timeoutMs: PLAN.clientTimeoutMs }),
          );
        }
        if (env.python) {
          await measure(b, s, res, `partitions rdkafka 100B acks=1 p${PLAN.bigPartitions}`, r, () =>
            rdkafka('produce', { bootstrap: b.bootstrap, topic: `big-r-${r}`, count: PLAN.bigRecords, size: 100, acks: '1' }, PLAN.clientTimeoutMs),
          );
        }
      }
      const after = sample(b.pid);
      if (after) res.notes.push(`${name}: RSS with ${PLAN.runs * (env.java && env.python ? 2 : 1)} topics of ${PLAN.bigPartitions} partitions: ${after.rssMb.toFixed(0)} MB`);
    });
  }
  return res;
}

// ------------------------------------------------------------------------------ reporting

function fmt(v: number | null | undefined): string {
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

interface Row {
  section: string;
  label: string;
  unit: string;
  skiff: number | null;
  kafka: number | null;
  better: 'higher' | 'lower';
  target?: string;
}

function buildRows(sk: BrokerResults | undefined, ka: BrokerResults | undefined): Row[] {
  const rows: Row[] = [];
  const add = (section: string, label: string, unit: string, get: (r: BrokerResults | undefined) => number | null, better: 'higher' | 'lower', target?: string): void => {
    const skiff = get(sk);
    const kafka = get(ka);
    if (skiff === null && kafka === null) return;
    rows.push({ section, label, unit, skiff, kafka, better, target });
  };
  for (const client of ['java', 'rdkafka']) {
    for (const p of [1, 6]) {
      for (const size of SIZES) {
        for (const acks of ACKS) {
          const c = `produce ${client} ${size}B acks=${acks} p${p}`;
          add('produce', `${client} ${size} B acks=${acks} ${p} part.`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher', '≥1.5x');
          add('produce', `${client} ${size} B acks=${acks} ${p} part.`, 'rec/s', (r) => med(r, c, 'records_s'), 'higher', '≥1.5x');
        }
      }
    }
  }
  for (const client of ['java', 'rdkafka']) {
    const c = `fetch ${client} ${PLAN.fetchMib} MiB 1KiB p6`;
    add('fetch', `${client}, ${PLAN.fetchMib} MiB of 1 KiB records, 6 part.`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher', '≥1.5x');
  }
  const lj = `latency java produce 100B acks=1 p6 @${PLAN.latencyRate}/s`;
  for (const [k, l] of [
    ['p50_ms', 'p50'],
    ['p99_ms', 'p99'],
    ['p999_ms', 'p99.9'],
  ] as const) {
    add('latency', `produce (java) ${l} @${PLAN.latencyRate} rec/s`, 'ms', (r) => med(r, lj, k), 'lower', k === 'p99_ms' ? '≤0.5x' : undefined);
  }
  const le = `latency rdkafka e2e 100B acks=1 p6 @${PLAN.e2eRate}/s`;
  for (const [k, l] of [
    ['p50_ms', 'p50'],
    ['p99_ms', 'p99'],
    ['p999_ms', 'p99.9'],
  ] as const) {
    add('latency', `end-to-end (rdkafka) ${l} @${PLAN.e2eRate} rec/s`, 'ms', (r) => med(r, le, k), 'lower');
  }
  add('resources', 'start → first ApiVersions answered', 'ms', (r) => median(r?.startupMs ?? []), 'lower', '≤50 ms');
  add('resources', 'start → TCP connect accepted', 'ms', (r) => median(r?.connectMs ?? []), 'lower');
  add('resources', 'CPU time used by then (ApiVersions answered)', 'ms', (r) => median(r?.startupCpuMs ?? []), 'lower');
  add('resources', "for scale: bare 'node -e 0', spawn → exit", 'ms', (r) => median(r?.nodeBootMs ?? []), 'lower');
  add('resources', 'idle RSS', 'MB', (r) => median(r?.idleRssMb ?? []), 'lower', '≤60 MB');
  const hj = 'produce java 100B acks=1 p6';
  add('resources', 'peak RSS under load (java 100 B acks=1 6 part.)', 'MB', (r) => med(r, hj, 'peak_rss_mb'), 'lower');
  add('resources', `peak RSS, fetch ${PLAN.fetchMib} MiB (rdkafka)`, 'MB', (r) => med(r, `fetch rdkafka ${PLAN.fetchMib} MiB 1KiB p6`, 'peak_rss_mb'), 'lower');
  add('resources', 'broker CPU per GiB produced (java 100 B acks=1 6 part.)', 's/GiB', (r) => med(r, hj, 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB produced (java 1 KiB acks=1 6 part.)', 's/GiB', (r) => med(r, 'produce java 1024B acks=1 p6', 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB fetched (rdkafka)', 's/GiB', (r) => med(r, `fetch rdkafka ${PLAN.fetchMib} MiB 1KiB p6`, 'cpu_s_per_gib'), 'lower');
  add('resources', 'broker CPU per GiB fetched (java)', 's/GiB', (r) => med(r, `fetch java ${PLAN.fetchMib} MiB 1KiB p6`, 'cpu_s_per_gib'), 'lower');
  for (const client of ['java', 'rdkafka']) {
    const one = `produce ${client} 100B acks=1 p1`;
    const big = `partitions ${client} 100B acks=1 p${PLAN.bigPartitions}`;
    add('scaling', `${client} 100 B acks=1, 1 partition`, 'MB/s', (r) => med(r, one, 'mb_s'), 'higher');
    add('scaling', `${client} 100 B acks=1, ${PLAN.bigPartitions} partitions`, 'MB/s', (r) => med(r, big, 'mb_s'), 'higher');
    add('scaling', `${client} CPU/GiB, 1 partition`, 's/GiB', (r) => med(r, one, 'cpu_s_per_gib'), 'lower');
    add('scaling', `${client} CPU/GiB, ${PLAN.bigPartitions} partitions`, 's/GiB', (r) => med(r, big, 'cpu_s_per_gib'), 'lower');
    add('scaling', `${client} peak RSS, ${PLAN.bigPartitions} partitions`, 'MB', (r) => med(r, big, 'peak_rss_mb'), 'lower');
  }
  for (const k of [1, PLAN.connections]) {
    const c = `connections rdkafka x${k} 100B acks=1 p6`;
    add('scaling', `rdkafka ${k} connection(s), 100 B acks=1`, 'MB/s', (r) => med(r, c, 'mb_s'), 'higher');
    add('scaling', `rdkafka ${k} connection(s) CPU/GiB`, 's/GiB', (r) => med(r, c, 'cpu_s_per_gib'), 'lower');
    add('scaling', `rdkafka ${k} connection(s) peak RSS`, 'MB', (r) => med(r, c, 'peak_rss_mb'), 'lower');
  }
  return rows;
}

function ratio(row: Row): string {
  if (row.skiff === null || row.kafka === null || row.kafka === 0) return '—';
  return `${(row.skiff / row.kafka).toFixed(2)}x`;
}

function markdownTable(rows: Row[]): string {
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

function textTable(rows: Row[]): string {
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

function headline(res: BrokerResults | undefined): Record<string, number | null> | null {
  if (!res) return null;
  const hj = 'produce java 100B acks=1 p6';
  const hr = 'produce rdkafka 100B acks=1 p6';
  const fr = `fetch rdkafka ${PLAN.fetchMib} MiB 1KiB p6`;
  const fj = `fetch java ${PLAN.fetchMib} MiB 1KiB p6`;
  const lj = `latency java produce 100B acks=1 p6 @${PLAN.latencyRate}/s`;
  const le = `latency rdkafka e2e 100B acks=1 p6 @${PLAN.e2eRate}/s`;
  return {
    produce_mb_s: med(res, hj, 'mb_s') ?? med(res, hr, 'mb_s'),
    produce_records_s: med(res, hj, 'records_s') ?? med(res, hr, 'records_s'),
    produce_mb_s_rdkafka: med(res, hr, 'mb_s'),
    fetch_mb_s: med(res, fr, 'mb_s') ?? med(res, fj, 'mb_s'),
    fetch_mb_s_java: med(res, fj, 'mb_s'),
    p50_ms: med(res, lj, 'p50_ms'),
    p99_ms: med(res, lj, 'p99_ms'),
    p999_ms: med(res, lj, 'p999_ms'),
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

// ------------------------------------------------------------------------------ helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function machine(): Promise<Record<string, string>> {
  const cpu = cpus();
  const java = await run('java', ['-version'], { timeoutMs: 20_000 });
  const load = readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
  return {
    cpu: `${cpu.length} x ${cpu[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: `Linux ${release()}`,
    node: process.version,
    java: java.stderr.split('\n')[0] ?? '?',
    loadavg_at_start: load,
  };
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const t0 = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  if (SMOKE) {
    process.stdout.write('bench-smoke: Skiff only, tiny loads, one run each. It checks that the harness works; its numbers are NOT meaningful.\n');
  }
  const env: Env = { java: false, python: false, notes: [] };
  const pyErr = await ensurePythonClient();
  if (pyErr) env.notes.push(`librdkafka client unavailable: ${pyErr}`);
  else env.python = true;
  const wantKafka = !SMOKE && !flags['skiff-only'];
  if (!kafkaAvailable()) env.notes.push('test/compat/kafka/kafka.sh is missing: Kafka and its Java perf tools were not run');
  else if (kafkaLibsReady() || wantKafka) {
    if (!kafkaLibsReady()) await run(join(REPO, 'test/compat/kafka/kafka.sh'), ['fetch'], { timeoutMs: 600_000 });
    env.java = kafkaLibsReady();
    if (!env.java) env.notes.push('Kafka release could not be fetched: Java perf tools not run');
  } else env.notes.push('Kafka jars not cached: the Java perf tools were skipped in this smoke run');
  env.notes.forEach((n) => log(n));

  const info = await machine();
  const results: Partial<Record<BrokerName, BrokerResults>> = {};
  if (!flags['kafka-only']) results.skiff = await benchBroker('skiff', env);
  if (wantKafka && kafkaAvailable() && env.java) results.kafka = await benchBroker('kafka', env);

  let micro: MicroSection[] = [];
  if (!flags['no-micro']) {
    log('micro-benchmarks');
    micro = await runMicro(SMOKE);
  }

  const rows = buildRows(results.skiff, results.kafka);
  const table = textTable(rows);
  process.stdout.write(`\n${table}\n`);
  for (const n of [...env.notes, ...(results.skiff?.notes ?? []), ...(results.kafka?.notes ?? [])]) process.stdout.write(`note: ${n}\n`);
  const failed = [...(results.skiff?.runs ?? []), ...(results.kafka?.runs ?? [])].filter((r) => !r.ok);
  for (const f of failed) process.stdout.write(`failed: ${f.broker} ${f.case} #${f.run}: ${f.error}\n`);
  if (SMOKE) process.stdout.write('bench-smoke: done. These numbers are NOT meaningful (tiny loads, shared CI machine).\n');

  const meta = {
    generated: new Date().toISOString(),
    smoke: SMOKE,
    duration_s: Math.round((Date.now() - t0) / 1000),
    kafka_version: kafkaAvailable() ? kafkaVersion() : null,
    python_client: env.python ? await pythonClientVersion() : null,
    machine: { ...info, loadavg_at_end: readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ') },
    plan: PLAN,
    headline_case: '100-byte records, acks=1, 6 partitions; produce = kafka-producer-perf-test, fetch = librdkafka, p99 = produce latency at a fixed rate',
  };
  const summary = { skiff: headline(results.skiff), kafka: headline(results.kafka), meta };
  writeFileSync(join(OUT_DIR, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'runs.json'), `${JSON.stringify({ meta, env: env.notes, results, micro }, null, 2)}\n`);
  if (!SMOKE) writeBenchmarksMd(rows, results, micro, meta, env);
  log(`done in ${meta.duration_s} s; wrote ${OUT_DIR}/summary.json`);
  // The smoke run guards the harness, not the numbers: a case that could not run at all fails it.
  if (SMOKE && failed.length > 0) process.exitCode = 1;
}

function writeBenchmarksMd(rows: Row[], results: Partial<Record<BrokerName, BrokerResults>>, micro: MicroSection[], meta: Record<string, unknown>, env: Env): void {
  const path = join(REPO, 'BENCHMARKS.md');
  const START = '<!-- bench:results:start (written by bench/run.ts; edit outside these markers) -->';
  const END = '<!-- bench:results:end -->';
  const m = meta.machine as Record<string, string>;
  const commands = new Map<string, string>();
  for (const r of [...(results.skiff?.runs ?? []), ...(results.kafka?.runs ?? [])]) {
    if (!commands.has(r.case)) commands.set(r.case, r.command.replace(/127\.0\.0\.1:\d+/g, '$BOOTSTRAP'));
  }
  const notes = [...env.notes, ...(results.skiff?.notes ?? []), ...(results.kafka?.notes ?? [])];
  const failed = [...(results.skiff?.runs ?? []), ...(results.kafka?.runs ?? [])].filter((r) => !r.ok);
  const body = [
    START,
    `_Generated ${meta.generated} by \`make bench\` in ${meta.duration_s} s. Apache Kafka ${meta.kafka_version}; ${meta.python_client ?? 'no librdkafka client'}._`,
    '',
    `Machine: ${m.cpu}, ${m.memory} RAM, ${m.kernel}, Node ${m.node}, ${m.java}. Load average at start ${m.loadavg_at_start}, at end ${m.loadavg_at_end}.`,
    '',
    `Each figure is the median of ${PLAN.runs} runs (startup: ${PLAN.startupRuns} spawns for Skiff, one per broker start for Kafka).`,
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
    END,
  ].join('\n');
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n' + START + '\n' + END + '\n';
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < 0) doc = `${doc.trimEnd()}\n\n${body}\n`;
  else doc = doc.slice(0, a) + body + doc.slice(b + END.length);
  writeFileSync(path, doc);
}

await main();
