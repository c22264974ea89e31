/**
 * Where Skiff's CPU and memory go in the cases that miss a target of issue 21, written as one
 * Markdown file (default bench/results/profiles.md). Skiff runs under node --cpu-prof, one
 * broker per case; per case:
 *  - the client's result, and the CPU of both sides over the client's run: broker user and
 *    system CPU per GiB and cores busy from /proc/PID/stat, the client's from the wait status
 *    of its process (this process's cutime/cstime), so the side that was the limit shows;
 *  - the broker's CPU per thread (/proc/PID/task): the main thread (the event loop) against
 *    libuv's pool, V8's helper threads and the rest;
 *  - the main thread's profile over the client's run only (the samples between its start and
 *    its end; startup is left out): top functions by self time, self time by source file
 *    (through the bundle's source maps) and the garbage collector's share.
 * Then the startup to the first ApiVersions answer (profile cut at the answer) and the idle
 * broker's memory: RSS by mapping (/proc/PID/smaps) and a heap snapshot's live objects by
 * kind, beside a bare Node. With --kafka the produce and fetch cases also run against Kafka
 * (kafka.sh; no profile), for its user/system CPU per GiB and its client's. With --perf,
 * `perf record` samples each broker's threads on CPU over the client's run (kernel included:
 * where the system time goes, for both brokers alike).
 *
 *   npx tsx bench/profile-cases.ts [--only name,...] [--kafka] [--fetch-mib 512] [--perf] [--out FILE]
 *
 * Profiles stay in .cache/bench/profile-cases/. Not a test: nothing passes or fails on a number;
 * every client run has a deadline and every broker started here is stopped here.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaLibsReady, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, ensurePythonClient, franzProduce, javaConsume, rdkafka, type Measured } from './lib/clients.js';
import { freePort } from './lib/ports.js';
import { apiVersions, cpuMsPrecise, median, run as runCommand } from './lib/proc.js';
import { commitStamp, machineStamp } from './lib/report.js';
import { commit, loadavg, machine } from './lib/stamp.js';
import { summariseProfile, type ProfileSummary } from './profile-summary.js';

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    kafka: { type: 'boolean' },
    perf: { type: 'boolean' },
    'fetch-mib': { type: 'string', default: '512' },
    out: { type: 'string', default: join(REPO, 'bench/results/profiles.md') },
  },
});
const PROF_DIR = join(REPO, '.cache/bench/profile-cases');
const TIMEOUT_MS = 150_000;
const CLK_TCK = 100;
const TOP = 12;

interface ProduceCase {
  name: string;
  client: 'franz-go' | 'rdkafka';
  size: number;
  acks: string;
  partitions: number;
  count: number;
}
// The matrix's record counts (bench/run.ts), so the figures compare with its runs.
const PRODUCE: ProduceCase[] = [
  { name: 'franz-100-a1-p1', client: 'franz-go', size: 100, acks: '1', partitions: 1, count: 2_000_000 },
  { name: 'franz-100-aall-p1', client: 'franz-go', size: 100, acks: '-1', partitions: 1, count: 2_000_000 },
  { name: 'franz-100-a1-p6', client: 'franz-go', size: 100, acks: '1', partitions: 6, count: 2_000_000 },
  { name: 'franz-100-aall-p6', client: 'franz-go', size: 100, acks: '-1', partitions: 6, count: 2_000_000 },
  { name: 'franz-1024-a1-p1', client: 'franz-go', size: 1024, acks: '1', partitions: 1, count: 600_000 },
  { name: 'rdkafka-1024-a1-p1', client: 'rdkafka', size: 1024, acks: '1', partitions: 1, count: 150_000 },
];
const only = flags.only ? new Set(flags.only.split(',')) : null;
const wanted = (name: string): boolean => only === null || only.has(name);

// ------------------------------------------------------------------------------ /proc

interface Ticks {
  user: number;
  sys: number;
}
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
/** user/system CPU seconds of a whole process (threads that exited included). */
function processCpu(pid: number): Ticks {
  const f = statFields(`/proc/${pid}/stat`);
  return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
}
/** user/system CPU seconds of this process's children that have exited and been waited for. */
function childrenCpu(): Ticks {
  const f = statFields('/proc/self/stat');
  return { user: Number(f[13]) / CLK_TCK, sys: Number(f[14]) / CLK_TCK };
}
/** Per live thread: its name and user/system CPU seconds. */
function threadCpu(pid: number): Map<number, Ticks & { comm: string }> {
  const out = new Map<number, Ticks & { comm: string }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      out.set(Number(tid), { comm, user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
/**
 * Node 20 leaves its threads unnamed ("node"), so they are told apart by the order they were
 * created in: after the main thread, the platform's (V8's workers for concurrent marking,
 * parallel scavenges and compilation, and its delayed-task thread) start before any JavaScript
 * runs, as many as a bare Node has; libuv's pool starts at its first use, after them. Skiff
 * starts no worker_threads. Named threads (the profiler's) keep their names.
 */
let platformThreads = 0;
async function countPlatformThreads(): Promise<void> {
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => bare.on('exit', () => r()));
  await new Promise((r) => setTimeout(r, 500));
  platformThreads = readdirSync(`/proc/${bare.pid}/task`).length - 1;
  bare.kill('SIGTERM');
  await exited;
}
function threadRoles(pid: number, before: Map<number, Ticks & { comm: string }>, after: Map<number, Ticks & { comm: string }>): Map<string, Ticks> {
  const roles = new Map<string, Ticks>();
  const unnamed = [...after].filter(([tid, t]) => tid !== pid && t.comm === 'node').map(([tid]) => tid).sort((a, b) => a - b);
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { user: 0, sys: 0 };
    const role =
      tid === pid ? 'main thread (event loop)' : a.comm !== 'node' ? a.comm : unnamed.indexOf(tid) < platformThreads ? 'V8 platform (GC helpers, compiler)' : 'libuv pool';
    const r = roles.get(role) ?? { user: 0, sys: 0 };
    r.user += a.user - b.user;
    r.sys += a.sys - b.sys;
    roles.set(role, r);
  }
  return roles;
}
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

// ------------------------------------------------------------------------------ one measured client run

interface Measurement {
  result: Measured;
  wallS: number;
  gib: number;
  broker: Ticks;
  client: Ticks;
  threads: Map<string, Ticks>;
  window: { fromUs: number; toUs: number };
  load: string;
  /** perf's on-CPU samples of every thread, kernel included (--perf) */
  perf?: string;
}

/**
 * With --perf: `perf record` of the process (every thread, kernel included) over the client's
 * run, so that the kernel's share and where it goes (the page-cache copy, the socket) show for
 * both brokers alike. Resolves with a stop function that returns perf's top symbols.
 */
async function perfRecord(pid: number, name: string): Promise<() => Promise<string | undefined>> {
  if (!flags.perf) return async () => undefined;
  const file = join(PROF_DIR, `${name}.perf.data`);
  const rec = spawn('perf', ['record', '-F', '499', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  let failed = false;
  const exited = new Promise<void>((r) => {
    rec.on('exit', () => r());
    rec.on('error', () => {
      failed = true;
      r();
    });
  });
  await new Promise((r) => setTimeout(r, 300));
  return async () => {
    rec.kill('SIGINT');
    await exited;
    if (failed) return 'perf record could not run (is perf installed?)';
    const r = await runCommand('perf', ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio'], { timeoutMs: 60_000 });
    const lines = r.stdout.split('\n').filter((l) => /^\s+[\d.]+%/.test(l));
    const kernel = lines.filter((l) => l.includes('[k]')).reduce((a, l) => a + Number(/([\d.]+)%/.exec(l)![1]), 0);
    return [`perf record -F 499 (all threads, on CPU): kernel ${kernel.toFixed(1)}% of samples`, ...lines.slice(0, 8).map((l) => l.replace(/\s+/g, ' ').trim().slice(0, 110))].join('\n');
  };
}

async function measured(broker: StartedBroker, bytes: number, body: () => Promise<Measured>): Promise<Measurement> {
  const pid = broker.pid;
  const t0 = threadCpu(pid);
  const p0 = processCpu(pid);
  const c0 = childrenCpu();
  const stopPerf = await perfRecord(pid, `${broker.name}-${pid}`);
  const fromUs = monotonicUs();
  const result = await body();
  const toUs = monotonicUs();
  const perf = await stopPerf();
  const p1 = processCpu(pid);
  const c1 = childrenCpu();
  const threads = threadRoles(pid, t0, threadCpu(pid));
  if (!result.ok) throw new Error(`client failed: ${result.error}`);
  return {
    result,
    wallS: (toUs - fromUs) / 1e6,
    gib: bytes / 2 ** 30,
    broker: { user: p1.user - p0.user, sys: p1.sys - p0.sys },
    client: { user: c1.user - c0.user, sys: c1.sys - c0.sys },
    threads,
    window: { fromUs, toUs },
    load: loadavg(),
    perf,
  };
}

function log(msg: string): void {
  process.stderr.write(`[profile-cases ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function profiledSkiff(name: string, partitions: number): Promise<{ broker: StartedBroker; profile: () => string }> {
  const dir = join(PROF_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const broker = await startSkiff({ numPartitions: partitions, nodeFlags: ['--cpu-prof', '--cpu-prof-interval', '500', `--cpu-prof-dir=${dir}`] });
  return { broker, profile: () => join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!) };
}

// ------------------------------------------------------------------------------ Markdown

const f2 = (n: number): string => n.toFixed(2);
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;

/** The broker's CPU without the profiler's own thread, which the matrix's broker does not run. */
function withoutProfiler(m: Measurement): Ticks {
  const p = m.threads.get('v8:ProfEvntProc') ?? { user: 0, sys: 0 };
  return { user: m.broker.user - p.user, sys: m.broker.sys - p.sys };
}

function cpuTable(m: Measurement, kafka?: Measurement): string {
  const row = (who: string, t: Ticks, gib: number, wallS: number): string =>
    `| ${who} | ${f2((t.user + t.sys) / gib)} | ${f2(t.user / gib)} | ${f2(t.sys / gib)} | ${f2((t.user + t.sys) / wallS)} |`;
  const lines = [
    '| process | CPU s/GiB | user s/GiB | system s/GiB | cores busy |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('Skiff (less the profiler\'s thread)', withoutProfiler(m), m.gib, m.wallS),
    row('its client', m.client, m.gib, m.wallS),
  ];
  if (kafka) lines.push(row('Kafka (a fresh JVM, one run)', kafka.broker, kafka.gib, kafka.wallS), row('its client', kafka.client, kafka.gib, kafka.wallS));
  return lines.join('\n');
}

function threadTable(m: Measurement): string {
  const total = m.broker.user + m.broker.sys;
  const rows = [...m.threads].filter(([, t]) => t.user + t.sys > 0).sort((a, b) => b[1].user + b[1].sys - (a[1].user + a[1].sys));
  return [
    '| Skiff thread | user s | system s | share of the broker\'s CPU |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(([role, t]) => `| ${role} | ${f2(t.user)} | ${f2(t.sys)} | ${pct(t.user + t.sys, total)} |`),
  ].join('\n');
}

function profileBlock(s: ProfileSummary, mainCpuS?: number): string {
  const cpu = mainCpuS === undefined ? '' : ` (its CPU by /proc: ${(mainCpuS * 1000).toFixed(0)} ms; the profiler samples wall time, so a thread preempted by others counts as busy where it stopped)`;
  const line = (k: string, ms: number): string => `${ms.toFixed(1).padStart(8)} ms ${pct(ms, s.busyMs).padStart(6)}  ${k}`;
  return [
    '```',
    `main thread: ${s.busyMs.toFixed(0)} ms busy of ${s.sampledMs.toFixed(0)} ms sampled${cpu}; garbage collector ${pct(s.gcMs, s.busyMs)} of busy (percentages below are of busy time)`,
    'top functions by self time:',
    ...s.functions.map(([k, v]) => line(k, v)),
    'self time by file:',
    ...s.files.slice(0, 10).map(([k, v]) => line(k, v)),
    '```',
  ].join('\n');
}

function mainCpu(m: Measurement): number | undefined {
  const t = m.threads.get('main thread (event loop)');
  return t && t.user + t.sys;
}

function perfBlock(m: Measurement, kafka?: Measurement): string {
  if (!m.perf) return '';
  return ['', '```', `Skiff: ${m.perf}`, ...(kafka?.perf ? ['', `Kafka: ${kafka.perf}`] : []), '```'].join('\n');
}

function resultLine(m: Measurement): string {
  const v = m.result.values;
  return `${(v.mb_s ?? 0).toFixed(1)} MB/s, ${Math.round(v.records_s ?? 0).toLocaleString('en')} records/s over ${m.wallS.toFixed(1)} s of client run (load ${m.load} at its end)`;
}

// ------------------------------------------------------------------------------ cases

const sections: string[] = [];

async function kafkaRun(partitions: number, bytes: number, body: (bootstrap: string) => Promise<Measured>, warm: (bootstrap: string) => Promise<void>): Promise<Measurement | undefined> {
  if (!flags.kafka) return undefined;
  const k = await startKafka({ numPartitions: partitions });
  try {
    await warm(k.bootstrap);
    return await measured(k, bytes, () => body(k.bootstrap));
  } finally {
    await k.stop();
  }
}

async function produceCase(c: ProduceCase): Promise<void> {
  const produce = (bootstrap: string, topic: string, count: number): Promise<Measured> =>
    c.client === 'franz-go'
      ? franzProduce({ bootstrap, topic, count, size: c.size, acks: c.acks }, TIMEOUT_MS)
      : rdkafka('produce', { bootstrap, topic, count, size: c.size, acks: c.acks }, TIMEOUT_MS);
  // A broker of the matrix has served other cases before (and the median of three runs is
  // kept): a quarter of the load first loads Skiff's handlers and CRC addon, which would
  // otherwise be in the profile of a sub-second run, and lets Kafka's JIT compile its path.
  const warm = async (bootstrap: string): Promise<void> => void (await produce(bootstrap, 'warm-up', c.count / 4));
  const run = (bootstrap: string): Promise<Measured> => produce(bootstrap, `prof-${c.name}`, c.count);
  log(`${c.name} (load ${loadavg()})`);
  const { broker, profile } = await profiledSkiff(c.name, c.partitions);
  let m: Measurement;
  try {
    await warm(broker.bootstrap);
    m = await measured(broker, c.count * c.size, () => run(broker.bootstrap));
  } finally {
    await broker.stop();
  }
  const kafka = await kafkaRun(c.partitions, c.count * c.size, run, warm);
  pushSection(`${c.client} ${c.size} B, acks=${c.acks}, ${c.partitions} partition(s), ${c.count.toLocaleString('en')} records`, '', '.', m, kafka, profile());
}

/** One case's section: the command and its result beside Kafka's, CPU, threads, profile, perf. */
function pushSection(title: string, before: string, after: string, m: Measurement, kafka: Measurement | undefined, profiled: string): void {
  const command = `\`${m.result.command.replace(/127\.0\.0\.1:\d+/, '$BOOTSTRAP')}\``;
  const s = summariseProfile(profiled, TOP, m.window);
  sections.push(
    [
      `## ${title}`,
      '',
      `${before}${command}: ${resultLine(m)}${kafka ? `; Kafka ${resultLine(kafka)}` : ''}${after}`,
      '',
      cpuTable(m, kafka),
      '',
      threadTable(m),
      '',
      profileBlock(s, mainCpu(m)),
      perfBlock(m, kafka),
    ].join('\n'),
  );
}

async function fetchCase(): Promise<void> {
  const mib = Number(flags['fetch-mib']);
  const records = mib * 1024;
  const fill = (bootstrap: string): Promise<Measured> => rdkafka('produce', { bootstrap, topic: 'fetch', count: records, size: 1024, acks: '1' }, TIMEOUT_MS * 2);
  const read = (bootstrap: string): Promise<Measured> => javaConsume({ bootstrap, topic: 'fetch', records, group: `prof-${Date.now()}`, timeoutMs: TIMEOUT_MS });
  log(`java fetch of ${mib} MiB (load ${loadavg()})`);
  // As in the matrix: filled through the same broker, then read back.
  const both = async (b: StartedBroker): Promise<Measurement> => {
    const filled = await fill(b.bootstrap);
    if (!filled.ok) throw new Error(`fill failed: ${filled.error}`);
    // As the matrix keeps the median of three reads: the first one warms both brokers' path.
    await read(b.bootstrap);
    return measured(b, records * 1024, () => read(b.bootstrap));
  };
  const { broker, profile } = await profiledSkiff('java-fetch', 6);
  let m: Measurement;
  try {
    m = await both(broker);
  } finally {
    await broker.stop();
  }
  let kafka: Measurement | undefined;
  if (flags.kafka) {
    const k = await startKafka({ numPartitions: 6 });
    try {
      kafka = await both(k);
    } finally {
      await k.stop();
    }
  }
  pushSection(
    `Java consumer fetch, ${mib} MiB of 1 KiB records, 6 partitions`,
    'Filled with librdkafka through the same broker, read once to warm it, then ',
    ". The CPU and the profile cover the consumer's whole run (JVM start and group join included).",
    m,
    kafka,
    profile(),
  );
}

/** Startup to the first ApiVersions answer, the profile cut at the answer (three runs, the median kept). */
async function startupCase(): Promise<void> {
  log(`startup (load ${loadavg()})`);
  const runs: Array<{ readyMs: number; cpuMs: number; mainMs: number; s: ProfileSummary }> = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(PROF_DIR, `startup-${i}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-prof-start-'));
    const port = await freePort();
    const fromUs = monotonicUs();
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', `--cpu-prof-dir=${dir}`, join(REPO, 'bin/skiff.js'), 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 20_000;
    let toUs = 0;
    let cpuMs = NaN;
    let mainMs = NaN;
    while (Date.now() < deadline) {
      try {
        await apiVersions('127.0.0.1', port, 1000);
        toUs = monotonicUs();
        cpuMs = cpuMsPrecise(child.pid!) ?? NaN;
        mainMs = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
        break;
      } catch {
        await new Promise((r) => setImmediate(r));
      }
    }
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    if (toUs === 0) throw new Error('Skiff did not answer within 20 s');
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!);
    runs.push({ readyMs: (toUs - fromUs) / 1000, cpuMs, mainMs, s: summariseProfile(file, TOP, { fromUs, toUs }) });
  }
  runs.sort((a, b) => a.cpuMs - b.cpuMs);
  const mid = runs[1]!;
  sections.push(
    [
      '## Startup: spawn to the first ApiVersions answer',
      '',
      `\`node --cpu-prof --cpu-prof-interval 100 bin/skiff.js start --port P --data-dir <empty> --log-level warn\`, polled with ApiVersions every event-loop turn; 3 runs, the one with the median CPU shown (load ${loadavg()}). The profiler itself slows a start: these are shares, the target table has the unprofiled times.`,
      '',
      `First answer after ${runs.map((r) => r.readyMs.toFixed(0)).join(' / ')} ms; CPU by then ${runs.map((r) => r.cpuMs.toFixed(0)).join(' / ')} ms (all threads), of it the main thread ${runs.map((r) => r.mainMs.toFixed(0)).join(' / ')} ms (/proc/PID/task/*/schedstat).`,
      '',
      profileBlock(mid.s),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------------------ idle memory

/** RSS (kB) by mapping kind from /proc/PID/smaps. */
function rssByMapping(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!;
      kind = path === '' ? 'anonymous (V8 heap, stacks, other mmap)' : path === '[heap]' ? '[heap] (malloc)' : path.endsWith('/node') ? 'node executable' : path.startsWith('[') ? path : /\.so(\.|$)/.test(path) ? 'shared libraries' : 'other files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.set(kind, (out.get(kind) ?? 0) + Number(rss[1]));
  }
  return out;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}
/** Live heap bytes by kind (objects by constructor), from a .heapsnapshot. */
function heapByKind(file: string): { total: number; byKind: Map<string, number>; largest: Array<[string, number]> } {
  const h = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = h.snapshot.meta.node_fields;
  const types = h.snapshot.meta.node_types[0];
  const [ti, ni, si] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const byKind = new Map<string, number>();
  const largest: Array<[string, number]> = [];
  let total = 0;
  for (let i = 0; i < h.nodes.length; i += fields.length) {
    const type = types[h.nodes[i + ti]!]!;
    const size = h.nodes[i + si]!;
    total += size;
    const kind = /string/.test(type) ? 'strings' : type;
    byKind.set(kind, (byKind.get(kind) ?? 0) + size);
    if (size >= 32 * 1024) largest.push([`${kind}: ${JSON.stringify(h.strings[h.nodes[i + ni]!]!.slice(0, 60))}`, size]);
  }
  return { total, byKind, largest: largest.sort((a, b) => b[1] - a[1]).slice(0, TOP) };
}

/** Starts a process with the heap-snapshot signal armed, lets it idle 3 s, reads its RSS and takes a snapshot. */
async function idleMemory(name: string, args: string[]): Promise<{ rssKb: Map<string, number>; heap: ReturnType<typeof heapByKind> }> {
  const dir = join(PROF_DIR, `idle-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`, ...args], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const rssKb = rssByMapping(child.pid!);
    child.kill('SIGUSR2');
    const deadline = Date.now() + 30_000;
    // The snapshot is written under a temporary name first; wait until its size stops growing.
    let last = -1;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no heap snapshot from ${name}`);
      await new Promise((r) => setTimeout(r, 300));
      const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
      if (!f) continue;
      const size = statSync(join(dir, f)).size;
      if (size > 0 && size === last) return { rssKb, heap: heapByKind(join(dir, f)) };
      last = size;
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function idleCase(): Promise<void> {
  log(`idle memory (load ${loadavg()})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-prof-idle-'));
  let skiff;
  try {
    skiff = await idleMemory('skiff', [join(REPO, 'bin/skiff.js'), 'start', '--port', String(await freePort()), '--data-dir', dataDir, '--log-level', 'warn']);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const bare = await idleMemory('bare-node', ['-e', 'setInterval(() => {}, 60_000)']);
  const mb = (kb: number | undefined): string => ((kb ?? 0) / 1024).toFixed(1);
  const kinds = [...new Set([...skiff.rssKb.keys(), ...bare.rssKb.keys()])].filter((k) => (skiff.rssKb.get(k) ?? 0) + (bare.rssKb.get(k) ?? 0) >= 100).sort((a, b) => (skiff.rssKb.get(b) ?? 0) - (skiff.rssKb.get(a) ?? 0));
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const hb = (n: number | undefined): string => ((n ?? 0) / 2 ** 20).toFixed(2);
  const heapKinds = [...new Set([...skiff.heap.byKind.keys()])].sort((a, b) => skiff.heap.byKind.get(b)! - skiff.heap.byKind.get(a)!);
  sections.push(
    [
      '## Idle: what stays resident',
      '',
      `\`node --heapsnapshot-signal=SIGUSR2 bin/skiff.js start --port P --data-dir <empty> --log-level warn\` and a bare \`node -e "setInterval(() => {}, 60_000)"\`, each 3 s after spawn with no client: RSS by mapping from /proc/PID/smaps, then a heap snapshot (SIGUSR2) of the live JavaScript heap (load ${loadavg()}).`,
      '',
      '| RSS by mapping | Skiff MB | bare Node MB | Skiff − bare |',
      '| --- | ---: | ---: | ---: |',
      ...kinds.map((k) => `| ${k} | ${mb(skiff.rssKb.get(k))} | ${mb(bare.rssKb.get(k))} | ${mb((skiff.rssKb.get(k) ?? 0) - (bare.rssKb.get(k) ?? 0))} |`),
      `| **total** | **${mb(sum(skiff.rssKb))}** | **${mb(sum(bare.rssKb))}** | **${mb(sum(skiff.rssKb) - sum(bare.rssKb))}** |`,
      '',
      '| live heap by kind (snapshot) | Skiff MiB | bare Node MiB |',
      '| --- | ---: | ---: |',
      ...heapKinds.map((k) => `| ${k} | ${hb(skiff.heap.byKind.get(k))} | ${hb(bare.heap.byKind.get(k))} |`),
      `| **total** | **${hb(skiff.heap.total)}** | **${hb(bare.heap.total)}** |`,
      '',
      'Skiff\'s largest single heap objects (kind: the start of its name or text):',
      '',
      '| object | KiB |',
      '| --- | ---: |',
      ...skiff.heap.largest.map(([k, v]) => `| ${k.replace(/\|/g, '\\|').replace(/\\n/g, ' ')} | ${(v / 1024).toFixed(0)} |`),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------------------ the matrix run

interface RecordedRun {
  case: string;
  ok: boolean;
  values: Record<string, number>;
}
/**
 * The last matrix run's figures (bench/results/runs.json) for the cases profiled here, medians:
 * throughput and CPU per GiB of both brokers, and cores busy of the broker and, where the client
 * reports its CPU (franz-go), of the client, so that a client-limited case shows as one.
 */
function matrixTable(): string {
  let runs: { meta: { generated: string; commit: { sha: string } | null }; results: Record<string, { runs: RecordedRun[] }> };
  try {
    runs = JSON.parse(readFileSync(join(REPO, 'bench/results/runs.json'), 'utf8')) as typeof runs;
  } catch {
    return '';
  }
  const med = (broker: string, name: string, get: (v: Record<string, number>) => number | undefined): number | null =>
    median((runs.results[broker]?.runs ?? []).filter((r) => r.ok && r.case === name).map((r) => get(r.values) ?? NaN));
  const names = [
    ...PRODUCE.map((c) => `produce ${c.client} ${c.size}B acks=${c.acks} p${c.partitions}`),
    ...[...new Set(runs.results.skiff?.runs.map((r) => r.case) ?? [])].filter((n) => n.startsWith('fetch java')),
  ];
  const n = (x: number | null, d: number): string => (x === null ? '-' : x.toFixed(d));
  const ratio = (a: number | null, b: number | null): string => (a === null || b === null ? '-' : `${(a / b).toFixed(2)}x`);
  const clientCores = (v: Record<string, number>): number | undefined => (v.client_cpu_s !== undefined && v.seconds ? v.client_cpu_s / v.seconds : undefined);
  return [
    `## The matrix run these cases miss in`,
    '',
    `From \`bench/results/runs.json\` (run of ${runs.meta.generated}, commit ${runs.meta.commit?.sha.slice(0, 7) ?? '?'}), medians. Cores busy: the broker's CPU over the client process's run; the client's (franz-go only: it reports its own CPU) over its measured part. A client near one core or more, on two cores, leaves the broker less than the rest.`,
    '',
    '| case | MB/s Skiff | Kafka | ratio | CPU s/GiB Skiff | Kafka | ratio | cores Skiff / its client | cores Kafka / its client |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...names.map((c) => {
      const [ms, mk] = [med('skiff', c, (v) => v.mb_s), med('kafka', c, (v) => v.mb_s)];
      const [cs, ck] = [med('skiff', c, (v) => v.cpu_s_per_gib), med('kafka', c, (v) => v.cpu_s_per_gib)];
      const cores = (b: string): string => `${n(med(b, c, (v) => v.broker_cpu_util), 2)} / ${n(med(b, c, clientCores), 2)}`;
      return `| ${c} | ${n(ms, 0)} | ${n(mk, 0)} | ${ratio(ms, mk)} | ${n(cs, 2)} | ${n(ck, 2)} | ${ratio(cs, ck)} | ${cores('skiff')} | ${cores('kafka')} |`;
    }),
  ].join('\n');
}

// ------------------------------------------------------------------------------ main

const started = new Date().toISOString();
const meta = { commit: await commit(), machine: { ...(await machine()), loadavg_at_end: '' } };
await countPlatformThreads();
const needFranz = PRODUCE.some((c) => c.client === 'franz-go' && wanted(c.name));
for (const err of [needFranz ? await ensureFranzBench() : null, await ensurePythonClient()]) if (err) throw new Error(err);
if ((flags.kafka || wanted('java-fetch')) && !kafkaLibsReady()) throw new Error('Kafka jars not cached (test/compat/kafka/kafka.sh fetch, or KAFKA_CACHE)');

for (const c of PRODUCE) if (wanted(c.name)) await produceCase(c);
if (wanted('java-fetch')) await fetchCase();
if (wanted('startup')) await startupCase();
if (wanted('idle')) await idleCase();

meta.machine.loadavg_at_end = loadavg();
const argv = process.argv.slice(2).join(' ');
writeFileSync(
  flags.out!,
  [
    '# Where Skiff\'s CPU and memory go in the cases that miss a target (bench/profile-cases.ts)',
    '',
    `_${started}, ${commitStamp(meta)}; ${machineStamp(meta)}_`,
    '',
    `\`npx tsx bench/profile-cases.ts${argv ? ` ${argv.replace(REPO + '/', '')}` : ''}\`. One run per case with Skiff under \`node --cpu-prof --cpu-prof-interval 500\` (the profiler costs a few percent; the throughput figures of record are the matrix's). CPU per GiB and cores busy are over the client process's whole run, as in the matrix; "system" is kernel time (the copy into the page cache, socket reads and writes). The thread table splits Skiff's CPU by thread: the main thread is the event loop (all JavaScript, the profile below), the libuv pool takes the appends above 64 KiB, reads and zlib, the V8 platform threads do concurrent marking, parallel scavenges and compilation, and \`v8:ProfEvntProc\` is the profiler itself. The profile is the main thread's only, cut to the client's run; frames of the bundle are named by their source file through its source maps; \`(garbage collector)\` is the GC work done on the main thread, \`(program)\` V8 outside JavaScript, and native frames such as \`writeBuffers\` (appends: the file write, inline up to 64 KiB) and \`writev\` (socket) are the binding's call including the kernel's work when it is done on this thread.`,
    '',
    matrixTable(),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n'),
);
log(`wrote ${relative(REPO, flags.out!)}`);
