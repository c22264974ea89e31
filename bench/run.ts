/**
 * `make bench`: Skiff and real Apache Kafka side by side, one after the other on this machine,
 * with the same clients and settings; prints one table with both brokers and the ratio
 * Skiff / Kafka, writes bench/results/summary.json, bench/results/runs.json and the results
 * section of BENCHMARKS.md (between the bench:results markers; the prose around them is kept).
 *
 * Then the growth curves (bench/growth-bench.ts: partitions, connections and record sizes,
 * produce and fetch, charts under bench/results/ and the bench:growth section of BENCHMARKS.md),
 * and produce and fetch over SASL_PLAINTEXT, SSL and SASL_SSL on both (bench/tls-bench.ts),
 * written to bench/results/tls.md.
 *
 * `make bench-smoke` (--smoke): Skiff only, tiny counts, one run per case: keeps the harness
 * working in CI. Its numbers are not meaningful. Writes only under .cache/bench/smoke/.
 *
 *   npx tsx bench/run.ts [--smoke] [--runs N] [--skiff-only | --kafka-only] [--groups p1,p6,p1000,lat]
 *                        [--no-micro] [--no-tls] [--no-growth] [--fetch-mib N] [--out DIR]
 *
 * `--out DIR` writes summary.json and runs.json there and leaves BENCHMARKS.md alone (a partial
 * run, e.g. `--groups lat`, that should not replace the recorded matrix).
 *
 * Not a test: nothing here passes or fails on a number. Every load is bounded (record counts,
 * per-client time limits) and every broker started here is stopped here.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaAvailable, kafkaLibsReady, kafkaVersion, measureBareNode, measureSkiffStartup, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, ensurePythonClient, franzLatency, franzProduce, javaConsume, javaProduce, pythonClientVersion, rdkafka, type Measured } from './lib/clients.js';
import { freePort } from './lib/ports.js';
import { GROWTH_PLAN, GROWTH_SMOKE_PLAN, runGrowth } from './growth-bench.js';
import type { GrowthPoint } from './lib/growth-report.js';
import { run, sample, Sampler } from './lib/proc.js';
import { runMicro, type MicroSection } from './lib/micro.js';
import { commit, loadavg, machine } from './lib/stamp.js';
import { runTlsBench, tlsTable, type TlsRow } from './tls-bench.js';
import {
  ACKS,
  buildRows,
  cases,
  commitStamp,
  fmt,
  HEADLINE_CASE,
  headline,
  machineStamp,
  resultsSection,
  SIZES,
  spliceResults,
  targetRows,
  targetSummary,
  targetTable,
  textTable,
  type BrokerName,
  type BrokerResults,
  type RunMeta,
  type RunRecord,
} from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    runs: { type: 'string' },
    'skiff-only': { type: 'boolean' },
    'kafka-only': { type: 'boolean' },
    groups: { type: 'string' },
    'no-micro': { type: 'boolean' },
    'no-tls': { type: 'boolean' },
    'no-growth': { type: 'boolean' },
    'fetch-mib': { type: 'string' },
    out: { type: 'string' },
  },
});
const SMOKE = flags.smoke === true;

interface Plan {
  runs: number;
  startupRuns: number;
  records: Record<number, number>;
  fetchMib: number;
  /** kafka-producer-perf-test at each fixed rate (rec/s), for latencySeconds after a 1 s warm-up */
  latencyRates: number[];
  latencySeconds: number;
  /** franz-go's latency mode (group `lat`, one partition): these sizes and acks at each of latencyRates */
  franzLatency: { sizes: number[]; acks: string[] };
  e2eRate: number;
  e2eSeconds: number;
  connections: number;
  connRecords: number;
  bigPartitions: number;
  bigRecords: number;
  clientTimeoutMs: number;
  /** bench/tls-bench.ts: MiB per listener and run */
  tlsMib: number;
}

const PLAN: Plan = SMOKE
  ? {
      runs: 1,
      startupRuns: 2,
      records: { 100: 20_000, 1024: 5_000 },
      fetchMib: 8,
      latencyRates: [200, 500, 1_000],
      latencySeconds: 2,
      franzLatency: { sizes: [100], acks: ['-1'] },
      e2eRate: 200,
      e2eSeconds: 2,
      connections: 5,
      connRecords: 10_000,
      bigPartitions: 50,
      bigRecords: 20_000,
      clientTimeoutMs: 60_000,
      tlsMib: 2,
    }
  : {
      runs: 3,
      startupRuns: 7,
      records: { 100: 500_000, 1024: 150_000 },
      fetchMib: 1024,
      latencyRates: [1_000, 10_000, 50_000],
      latencySeconds: 5,
      franzLatency: { sizes: SIZES, acks: ACKS },
      e2eRate: 2_000,
      e2eSeconds: 6,
      connections: 100,
      connRecords: 500_000,
      bigPartitions: 1000,
      bigRecords: 500_000,
      clientTimeoutMs: 150_000,
      tlsMib: 64,
    };
if (flags.runs) PLAN.runs = Number(flags.runs);
if (flags['fetch-mib']) PLAN.fetchMib = Number(flags['fetch-mib']);
const GROUPS = new Set((flags.groups ?? 'p1,p6,p1000,lat').split(','));

const OUT_DIR = flags.out ?? (SMOKE ? join(REPO, '.cache/bench/smoke') : join(REPO, 'bench/results'));

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ------------------------------------------------------------------------------ one broker

interface Env {
  java: boolean;
  python: boolean;
  /** bench/clients/franz-bench built: the produce load that costs less CPU than the broker */
  go: boolean;
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
    if (values.client_cpu_s !== undefined && values.bytes) values.client_cpu_s_per_gib = values.client_cpu_s / (values.bytes / 2 ** 30);
    if (values.bytes) values.cpu_s_per_gib = values.broker_cpu_s / (values.bytes / 2 ** 30);
    values.peak_rss_mb = Math.max(sampler.peakRssMb, after.rssMb);
    values.rss_after_mb = after.rssMb;
  }
  const rec: RunRecord = { broker: broker.name, case: name, run: runNo, ok: m.ok, error: m.error, values, command: m.command };
  res.runs.push(rec);
  const show = m.ok
    ? Object.entries(values)
        .filter(([k]) => ['mb_s', 'records_s', 'p99_ms', 'e2e_p99_ms', 'lag_p99_ms', 'cpu_s_per_gib', 'peak_rss_mb'].includes(k))
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

async function produceMatrix(b: StartedBroker, s: Sampler, res: BrokerResults, env: Env, p: number): Promise<void> {
  for (const size of SIZES) {
    for (const acks of ACKS) {
      const records = PLAN.records[size]!;
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          await measure(b, s, res, cases.produce('java', size, acks, p), r, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: `pj-${size}-${acks === '1' ? 'a1' : 'aall'}-${r}`, records, size, acks, timeoutMs: PLAN.clientTimeoutMs }),
          );
        }
        if (env.python) {
          await measure(b, s, res, cases.produce('rdkafka', size, acks, p), r, () =>
            rdkafka('produce', { bootstrap: b.bootstrap, topic: `pr-${size}-${acks === '1' ? 'a1' : 'aall'}-${r}`, count: records, size, acks }, PLAN.clientTimeoutMs),
          );
        }
        if (env.go) {
          // Four times the records: this client is fast enough that the others' counts last well under a second.
          await measure(b, s, res, cases.produce('franz-go', size, acks, p), r, () =>
            franzProduce({ bootstrap: b.bootstrap, topic: `pf-${size}-${acks === '1' ? 'a1' : 'aall'}-${r}`, count: records * 4, size, acks }, PLAN.clientTimeoutMs),
          );
        }
      }
    }
  }
}

async function benchBroker(name: BrokerName, env: Env): Promise<BrokerResults> {
  const res: BrokerResults = { startupMs: [], connectMs: [], startupCpuMs: [], nodeBootMs: [], nodeIdleRssMb: [], idleRssMb: [], runs: [], notes: [], apiKeys: [] };

  if (name === 'skiff') {
    // Precise startup: fixed free port, spawn → TCP accept and → first ApiVersions answer.
    for (let i = 0; i < PLAN.startupRuns; i++) {
      const port = await freePort();
      const st = await measureSkiffStartup(port);
      res.startupMs.push(st.readyMs);
      res.connectMs.push(st.connectMs);
      res.startupCpuMs.push(st.cpuMsAtReady);
      res.idleRssMb.push(st.idleRssMb);
      const bare = await measureBareNode();
      res.nodeBootMs.push(bare.exitMs);
      res.nodeIdleRssMb!.push(bare.idleRssMb);
      log(`skiff startup #${i + 1}: connect ${st.connectMs.toFixed(1)} ms, ApiVersions ${st.readyMs.toFixed(1)} ms (CPU ${st.cpuMsAtReady.toFixed(0)} ms), idle RSS ${st.idleRssMb.toFixed(1)} MB; bare 'node -e 0' ${bare.exitMs.toFixed(1)} ms, bare node idle RSS ${bare.idleRssMb.toFixed(1)} MB`);
    }
  }

  if (GROUPS.has('p1')) {
    await withBroker(name, 1, res, (b, s) => produceMatrix(b, s, res, env, 1));
  }

  if (GROUPS.has('p6')) {
    await withBroker(name, 6, res, async (b, s) => {
      await produceMatrix(b, s, res, env, 6);

      // Produce latency at fixed rates below saturation; the first second is the tool's warm-up.
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          for (const rate of PLAN.latencyRates) {
            await measure(b, s, res, cases.latencyJava(rate), r, () =>
              javaProduce({
                bootstrap: b.bootstrap,
                topic: `lat-j-${rate}-${r}`,
                records: rate * (PLAN.latencySeconds + 1),
                warmupRecords: rate,
                size: 100,
                acks: '1',
                throughput: rate,
                // Send at once: with the default 5 ms linger the wait for a batch to fill would
                // be most of the latency at low rates, on both brokers alike.
                props: ['linger.ms=0'],
                timeoutMs: PLAN.clientTimeoutMs,
              }),
            );
          }
        }
        if (env.python) {
          await measure(b, s, res, cases.latencyE2e(PLAN), r, () =>
            rdkafka('e2e', { bootstrap: b.bootstrap, topic: `lat-e-${r}`, rate: PLAN.e2eRate, seconds: PLAN.e2eSeconds, size: 100, acks: '1' }, PLAN.clientTimeoutMs),
          );
        }
      }

      // Fetch: write fetchMib of 1 KiB records once, read them all back per run.
      const fetchRecords = Math.floor((PLAN.fetchMib * 1048576) / 1024);
      const fill = env.python
        ? await measure(b, s, res, cases.fill('rdkafka', PLAN), 1, () =>
            rdkafka('produce', { bootstrap: b.bootstrap, topic: 'fetch', count: fetchRecords, size: 1024, acks: '1' }, PLAN.clientTimeoutMs * 2),
          )
        : await measure(b, s, res, cases.fill('java', PLAN), 1, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: 'fetch', records: fetchRecords, size: 1024, acks: '1', timeoutMs: PLAN.clientTimeoutMs * 2 }),
          );
      if (fill.ok) {
        const groups = b.apiKeys.has(10) && b.apiKeys.has(11) && b.apiKeys.has(14);
        if (env.java && !groups) res.notes.push(`${name}: kafka-consumer-perf-test needs consumer groups (FindCoordinator/JoinGroup/SyncGroup), which this build does not serve: not run`);
        for (let r = 1; r <= PLAN.runs; r++) {
          if (env.java && groups) {
            await measure(b, s, res, cases.fetch('java', PLAN), r, () =>
              javaConsume({ bootstrap: b.bootstrap, topic: 'fetch', records: fetchRecords, group: `bench-${r}-${Date.now()}`, timeoutMs: PLAN.clientTimeoutMs }),
            );
          }
          if (env.python) {
            await measure(b, s, res, cases.fetch('rdkafka', PLAN), r, () =>
              rdkafka('consume', { bootstrap: b.bootstrap, topic: 'fetch', partitions: 6, count: fetchRecords }, PLAN.clientTimeoutMs),
            );
          }
        }
      }

      // Connections: the same load from 1 and from N producer connections.
      if (env.python) {
        for (const k of [1, PLAN.connections]) {
          for (let r = 1; r <= PLAN.runs; r++) {
            await measure(b, s, res, cases.connections(k), r, () =>
              rdkafka('produce', { bootstrap: b.bootstrap, topic: `conn-${k}-${r}`, count: PLAN.connRecords, size: 100, acks: '1', producers: k }, PLAN.clientTimeoutMs),
            );
          }
        }
      }
    });
  }

  if (GROUPS.has('lat') && env.go) {
    // A broker of its own, so no earlier case's logs or page cache weigh on the figures.
    await withBroker(name, 1, res, async (b, s) => {
      for (let r = 1; r <= PLAN.runs; r++) {
        for (const rate of PLAN.latencyRates) {
          for (const size of PLAN.franzLatency.sizes) {
            for (const acks of PLAN.franzLatency.acks) {
              await measure(b, s, res, cases.latencyFranz(size, acks, rate), r, () =>
                franzLatency({ bootstrap: b.bootstrap, topic: `lat-f-${size}-${acks === '1' ? 'a1' : 'aall'}-${rate}-${r}`, rate, seconds: PLAN.latencySeconds, size, acks }, PLAN.clientTimeoutMs),
              );
            }
          }
          await measure(b, s, res, cases.latencyFranzE2e(rate), r, () =>
            franzLatency({ bootstrap: b.bootstrap, topic: `lat-fe-${rate}-${r}`, rate, seconds: PLAN.latencySeconds, size: 100, acks: '-1', e2e: true }, PLAN.clientTimeoutMs),
          );
        }
      }
    });
  }

  if (GROUPS.has('p1000')) {
    await withBroker(name, PLAN.bigPartitions, res, async (b, s) => {
      for (let r = 1; r <= PLAN.runs; r++) {
        if (env.java) {
          await measure(b, s, res, cases.partitions('java', PLAN), r, () =>
            javaProduce({ bootstrap: b.bootstrap, topic: `big-j-${r}`, records: PLAN.bigRecords, size: 100, acks: '1', timeoutMs: PLAN.clientTimeoutMs }),
          );
        }
        if (env.python) {
          await measure(b, s, res, cases.partitions('rdkafka', PLAN), r, () =>
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

// ------------------------------------------------------------------------------ helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const t0 = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  if (SMOKE) {
    process.stdout.write('bench-smoke: Skiff only, tiny loads, one run each. It checks that the harness works; its numbers are NOT meaningful.\n');
  }
  const env: Env = { java: false, python: false, go: false, notes: [] };
  const pyErr = await ensurePythonClient();
  if (pyErr) env.notes.push(`librdkafka client unavailable: ${pyErr}`);
  else env.python = true;
  const goErr = await ensureFranzBench();
  if (goErr) env.notes.push(`franz-go load generator unavailable: ${goErr}`);
  else env.go = true;
  const wantKafka = !SMOKE && !flags['skiff-only'];
  if (!kafkaAvailable()) env.notes.push('test/compat/kafka/kafka.sh is missing: Kafka and its Java perf tools were not run');
  else if (kafkaLibsReady() || wantKafka) {
    if (!kafkaLibsReady()) await run(join(REPO, 'test/compat/kafka/kafka.sh'), ['fetch'], { timeoutMs: 600_000 });
    env.java = kafkaLibsReady();
    if (!env.java) env.notes.push('Kafka release could not be fetched: Java perf tools not run');
  } else env.notes.push('Kafka jars not cached: the Java perf tools were skipped in this smoke run');
  env.notes.forEach((n) => log(n));

  const info = await machine();
  const sha = await commit();
  const results: Partial<Record<BrokerName, BrokerResults>> = {};
  if (!flags['kafka-only']) results.skiff = await benchBroker('skiff', env);
  if (wantKafka && kafkaAvailable() && env.java) results.kafka = await benchBroker('kafka', env);

  let growth: GrowthPoint[] = [];
  let growthError: string | undefined;
  if (!flags['no-growth']) {
    if (!env.go) growthError = 'the franz-go load generator is unavailable';
    else {
      log('growth curves (bench/growth-bench.ts)');
      try {
        growth = await runGrowth({
          plan: SMOKE ? GROWTH_SMOKE_PLAN : GROWTH_PLAN,
          kafka: wantKafka && env.java,
          out: OUT_DIR,
          doc: SMOKE ? undefined : join(REPO, 'BENCHMARKS.md'),
          log,
        });
      } catch (err) {
        growthError = String(err);
      }
    }
    if (growthError) log(`growth curves failed: ${growthError}`);
  }

  let micro: MicroSection[] = [];
  if (!flags['no-micro']) {
    log('micro-benchmarks');
    micro = await runMicro(SMOKE);
  }

  let tls: TlsRow[] = [];
  let tlsError: string | undefined;
  if (!flags['no-tls']) {
    log('produce and fetch over SASL_PLAINTEXT, SSL and SASL_SSL (bench/tls-bench.ts)');
    try {
      tls = await runTlsBench({ mib: PLAN.tlsMib, rounds: PLAN.runs, kafka: wantKafka && env.java, log });
    } catch (err) {
      tlsError = String(err);
      log(`tls-bench failed: ${tlsError}`);
    }
  }

  process.stdout.write(`\n${textTable(buildRows(PLAN, results.skiff, results.kafka))}\n`);
  const targets = targetRows(PLAN, results.skiff, results.kafka);
  process.stdout.write(`\nTargets of issue 21: ${targetSummary(targets)}\n${targetTable(targets)}\n`);
  if (tls.length > 0) {
    process.stdout.write(`\n${tlsTable(tls, PLAN.tlsMib)}\n`);
  }
  for (const n of [...env.notes, ...(results.skiff?.notes ?? []), ...(results.kafka?.notes ?? [])]) process.stdout.write(`note: ${n}\n`);
  const failed = [...(results.skiff?.runs ?? []), ...(results.kafka?.runs ?? [])].filter((r) => !r.ok);
  for (const f of failed) process.stdout.write(`failed: ${f.broker} ${f.case} #${f.run}: ${f.error}\n`);
  if (tlsError) process.stdout.write(`failed: tls-bench: ${tlsError}\n`);
  if (growthError) process.stdout.write(`failed: growth-bench: ${growthError}\n`);
  const growthFailed = growth.filter((p) => !p.ok);
  for (const p of growthFailed) process.stdout.write(`failed: growth ${p.broker} ${p.axis}=${p.x} ${p.op}: ${p.error}\n`);
  if (SMOKE) process.stdout.write('bench-smoke: done. These numbers are NOT meaningful (tiny loads, shared CI machine).\n');

  const meta: RunMeta = {
    generated: new Date().toISOString(),
    smoke: SMOKE,
    duration_s: Math.round((Date.now() - t0) / 1000),
    kafka_version: kafkaAvailable() ? kafkaVersion() : null,
    python_client: env.python ? await pythonClientVersion() : null,
    commit: sha,
    machine: { ...info, loadavg_at_end: loadavg() },
    plan: PLAN,
    headline_case: HEADLINE_CASE,
  };
  const summary = { skiff: headline(PLAN, results.skiff), kafka: headline(PLAN, results.kafka), targets, meta };
  if (tls.length > 0) {
    const stamp = `_${meta.generated}, ${commitStamp(meta)}; ${machineStamp(meta)}_`;
    writeFileSync(join(OUT_DIR, 'tls.md'), `# Produce and fetch over TLS and SASL_SSL (bench/tls-bench.ts)\n\n${stamp}\n\n${tlsTable(tls, PLAN.tlsMib)}\n`);
  }
  writeFileSync(join(OUT_DIR, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'runs.json'), `${JSON.stringify({ meta, env: env.notes, results, micro, tls }, null, 2)}\n`);
  if (!SMOKE && !flags.out) {
    const path = join(REPO, 'BENCHMARKS.md');
    const doc = existsSync(path) ? readFileSync(path, 'utf8') : null;
    writeFileSync(path, spliceResults(doc, resultsSection({ meta, results, micro, envNotes: env.notes })));
  }
  log(`done in ${meta.duration_s} s; wrote ${OUT_DIR}/summary.json`);
  // The smoke run guards the harness, not the numbers: a case that could not run at all fails it.
  if (SMOKE && (failed.length > 0 || tlsError || growthError || growthFailed.length > 0)) process.exitCode = 1;
}

await main();
