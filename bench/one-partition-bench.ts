/**
 * One produce case of the matrix, looked at closely: librdkafka (bench/clients/rdkafka_bench.py
 * with --stats) producing to a single partition, against one or more Skiff builds and Kafka,
 * all started once and measured in turn, round after round (the order rotates each round), so
 * that A/B differences are not the machine's load drifting between blocks of runs.
 *
 *   npx tsx bench/one-partition-bench.ts [--rounds 5] [--records 150000] [--size 1024]
 *        [--acks 1] [--partitions 1] [--skiff name=path/to/bin/skiff.js[+key=value...],...]
 *        [--no-kafka] [--prof] [--client franz]
 *
 * Each --skiff entry is one broker: a name, the build's bin/skiff.js and broker settings after
 * '+' (`small=bin/skiff.js+socket.request.max.bytes=4194304` runs this build with that setting).
 * Per broker, medians over the rounds: MB/s; broker CPU per GiB (all threads, /proc) and the
 * system part of it (where the page-cache copy is counted); cores
 * busy; the share of the run the main thread was on a CPU (for Skiff, how busy the event loop
 * was: far below 1 means it waited); peak RSS; and from librdkafka's statistics, the same for
 * both brokers: Produce requests, bytes per request, records per batch, the average request
 * round trip and the most requests awaiting an answer at once. Each round's load average is
 * printed beside it. `--client franz` produces with franz-go (bench/clients/franz-bench) instead,
 * which reports no request statistics (those columns stay empty). --prof runs every Skiff under
 * --cpu-prof and prints the summaries (bench/profile-summary.ts; the profiles stay in
 * .cache/bench/one-partition/).
 *
 * Not a test: nothing passes or fails on a number. Record counts and a deadline per run bound
 * every load; every broker started here is stopped here.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaLibsReady, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, ensurePythonClient, franzProduce, rdkafka } from './lib/clients.js';
import { mainThreadCpuSeconds, median, sample, Sampler } from './lib/proc.js';
import { loadavg } from './lib/stamp.js';
import { summarise } from './profile-summary.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    records: { type: 'string', default: '150000' },
    size: { type: 'string', default: '1024' },
    acks: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '1' },
    skiff: { type: 'string', default: `skiff=${join(REPO, 'bin/skiff.js')}` },
    'no-kafka': { type: 'boolean' },
    prof: { type: 'boolean' },
    client: { type: 'string', default: 'rdkafka' },
  },
});
const rounds = Number(flags.rounds);
const records = Number(flags.records);
const size = Number(flags.size);
const partitions = Number(flags.partitions);
const franzClient = flags.client === 'franz';
const PROF_DIR = join(REPO, '.cache/bench/one-partition');
const TIMEOUT_MS = 150_000;

interface Target {
  name: string;
  broker: StartedBroker;
  sampler: Sampler;
  profDir?: string;
  runs: Array<Record<string, number>>;
}

/** System CPU seconds of a process (all threads), where the page-cache copy is counted. */
function systemCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / 100;
  } catch {
    return null;
  }
}

function log(msg: string): void {
  process.stderr.write(`[one-partition ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function measureOnce(t: Target, round: number): Promise<void> {
  const pid = t.broker.pid;
  t.sampler.resetPeak();
  const before = sample(pid);
  const mainBefore = mainThreadCpuSeconds(pid);
  const sysBefore = systemCpuSeconds(pid);
  const started = performance.now();
  const topic = `op-${round}`;
  const m = franzClient
    ? await franzProduce({ bootstrap: t.broker.bootstrap, topic, count: records, size, acks: flags.acks! }, TIMEOUT_MS)
    : await rdkafka('produce', { bootstrap: t.broker.bootstrap, topic, count: records, size, acks: flags.acks!, stats: true }, TIMEOUT_MS);
  const wallS = (performance.now() - started) / 1000;
  const after = sample(pid);
  const mainAfter = mainThreadCpuSeconds(pid);
  const sysAfter = systemCpuSeconds(pid);
  if (!m.ok || !before || !after || mainBefore === null || mainAfter === null || sysBefore === null || sysAfter === null) {
    log(`${t.name} round ${round}: FAILED ${m.error ?? 'broker gone'}`);
    return;
  }
  // The client's own clock covers the produce only; the broker's CPU is over the whole client
  // run (start, metadata, produce, flush), so the per-GiB figure charges it the setup too.
  const cpuS = after.cpuSeconds - before.cpuSeconds;
  const gib = (records * size) / 2 ** 30;
  const v: Record<string, number> = {
    ...m.values,
    cpu_s_per_gib: cpuS / gib,
    sys_s_per_gib: (sysAfter - sysBefore) / gib,
    cores_busy: cpuS / wallS,
    main_thread_busy: (mainAfter - mainBefore) / wallS,
    peak_rss_mb: Math.max(t.sampler.peakRssMb, after.rssMb),
  };
  t.runs.push(v);
  log(
    `${t.name} round ${round}: ${v.mb_s!.toFixed(0)} MB/s, ${v.cpu_s_per_gib!.toFixed(2)} s/GiB (system ${v.sys_s_per_gib!.toFixed(2)}), cores ${v.cores_busy!.toFixed(2)}, main thread ${v.main_thread_busy!.toFixed(2)}, ` +
      `${v.produce_requests ?? '-'} requests of ${((v.bytes_per_request ?? 0) / 1024).toFixed(0)} KiB, rtt ${(v.rtt_avg_ms ?? 0).toFixed(1)} ms, ` +
      `awaiting <= ${v.max_awaiting_response}, peak RSS ${v.peak_rss_mb!.toFixed(0)} MB (load ${loadavg()})`,
  );
}

const COLUMNS: Array<[string, string, number]> = [
  ['mb_s', 'MB/s', 0],
  ['cpu_s_per_gib', 'CPU s/GiB', 2],
  ['sys_s_per_gib', 'of it system', 2],
  ['cores_busy', 'cores', 2],
  ['main_thread_busy', 'main thr.', 2],
  ['produce_requests', 'requests', 0],
  ['bytes_per_request', 'B/request', 0],
  ['batch_records_avg', 'rec/batch', 0],
  ['rtt_avg_ms', 'rtt ms', 1],
  ['max_awaiting_response', 'awaiting', 0],
  ['peak_rss_mb', 'RSS MB', 0],
];

function table(targets: readonly Target[]): string {
  const head = ['broker', 'runs', ...COLUMNS.map((c) => c[1])];
  const rows = targets.map((t) => [t.name, String(t.runs.length), ...COLUMNS.map(([k, , d]) => median(t.runs.map((r) => r[k] ?? NaN))?.toFixed(d) ?? '-')]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  const clientErr = franzClient ? await ensureFranzBench() : await ensurePythonClient();
  if (clientErr) throw new Error(clientErr);
  const targets: Target[] = [];
  const start = async (name: string, start: () => Promise<StartedBroker>, profDir?: string): Promise<void> => {
    const broker = await start();
    targets.push({ name, broker, sampler: new Sampler(broker.pid), profDir, runs: [] });
    log(`${name} ready at ${broker.bootstrap} (pid ${broker.pid})`);
  };
  if (flags.prof) rmSync(PROF_DIR, { recursive: true, force: true });
  try {
    for (const spec of flags.skiff!.split(',')) {
      const [name, rest] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, spec];
      const [bin, ...settings] = rest.split('+');
      const profDir = flags.prof ? join(PROF_DIR, name) : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      const nodeFlags = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
      await start(name, () => startSkiff({ numPartitions: partitions, bin, nodeFlags, settings }), profDir);
    }
    if (!flags['no-kafka']) {
      if (!kafkaLibsReady()) throw new Error('Kafka jars not cached (test/compat/kafka/kafka.sh fetch, or KAFKA_CACHE)');
      await start('kafka', () => startKafka({ numPartitions: partitions }));
    }
    log(`load ${loadavg()}; ${rounds} rounds of ${records} records of ${size} B, acks=${flags.acks}, ${partitions} partition(s)`);
    for (let r = 1; r <= rounds; r++) {
      for (let i = 0; i < targets.length; i++) await measureOnce(targets[(i + r - 1) % targets.length]!, r);
    }
  } finally {
    for (const t of targets) {
      t.sampler.stop();
      await t.broker.stop();
    }
  }
  process.stdout.write(`\n${franzClient ? 'franz-go' : 'librdkafka'} ${size} B acks=${flags.acks}, ${partitions} partition(s), ${records} records, medians of ${rounds} (load at end ${loadavg()})\n${table(targets)}\n`);
  for (const t of targets) {
    if (!t.profDir) continue;
    const file = readdirSync(t.profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) process.stdout.write(`\n=== ${t.name}: ${join(t.profDir, file)}\n${summarise(join(t.profDir, file), 20)}\n`);
  }
}

await main();
