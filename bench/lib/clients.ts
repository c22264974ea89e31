/**
 * The load clients, identical for both brokers:
 *  - Kafka's own perf tools (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance,
 *    from the release kafka.sh fetched), run with a full JIT and a 1 GiB heap;
 *  - a librdkafka client (confluent-kafka for Python, bench/clients/rdkafka_bench.py) in a
 *    venv under .cache/bench/venv.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaClasspath, REPO } from './brokers.js';
import { run } from './proc.js';

const VENV = join(REPO, '.cache/bench/venv');
const PY = join(VENV, 'bin/python');
const RDKAFKA = join(REPO, 'bench/clients/rdkafka_bench.py');
const REQS = join(REPO, 'bench/clients/requirements.txt');

/** Creates the venv and installs confluent-kafka once (keyed on requirements.txt). */
export async function ensurePythonClient(): Promise<string | null> {
  const stamp = join(VENV, '.requirements');
  const want = readFileSync(REQS, 'utf8');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return null;
  let r = await run('python3', ['-m', 'venv', VENV], { timeoutMs: 120_000 });
  if (r.code !== 0) return `python3 -m venv failed: ${r.stderr.slice(-500)}`;
  r = await run(join(VENV, 'bin/pip'), ['install', '-q', '--disable-pip-version-check', '-r', REQS], { timeoutMs: 300_000 });
  if (r.code !== 0) return `pip install failed: ${r.stderr.slice(-500)}`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(stamp, want);
  return null;
}

export async function pythonClientVersion(): Promise<string> {
  const r = await run(PY, ['-c', 'import confluent_kafka as c; print(c.__version__ + " " + c.libversion()[0])'], { timeoutMs: 20_000 });
  const [py, lib] = r.stdout.trim().split(' ');
  return `confluent-kafka ${py}, librdkafka ${lib}`;
}

export interface Measured {
  ok: boolean;
  error?: string;
  values: Record<string, number>;
  /** for the record: the exact command */
  command: string;
}

function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

const JAVA_FLAGS = ['-Xmx1g', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${join(REPO, 'test/compat/kafka/log4j2-tools.properties')}`];

export async function javaProduce(o: {
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  acks: string;
  throughput?: number;
  /** records sent first and left out of the figures (the tool's --warmup-records) */
  warmupRecords?: number;
  /** more producer properties, `key=value` */
  props?: string[];
  timeoutMs: number;
}): Promise<Measured> {
  const args = [
    ...JAVA_FLAGS,
    '-cp',
    kafkaClasspath(),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    o.topic,
    '--num-records',
    String(o.records),
    '--record-size',
    String(o.size),
    '--throughput',
    String(o.throughput ?? -1),
    ...(o.warmupRecords ? ['--warmup-records', String(o.warmupRecords)] : []),
    // One flag, then every property (repeating the flag keeps only the last one). Idempotence
    // is left at the client's default: on with acks=-1, and turned off by the client itself
    // with acks=1.
    '--command-property',
    `bootstrap.servers=${o.bootstrap}`,
    `acks=${o.acks}`,
    ...(o.props ?? []),
  ];
  const command = `java ${shellQuote(args).replace(kafkaClasspath(), '"$KAFKA_LIBS/*"')}`;
  const r = await run('java', args, { timeoutMs: o.timeoutMs });
  // "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th."
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((l) => /records sent.*99\.9th/.test(l));
  const m = line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(line);
  if (!m || r.code !== 0) {
    return { ok: false, error: r.timedOut ? 'timed out' : `exit ${r.code}: ${(r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | ')}`, values: {}, command };
  }
  return {
    ok: true,
    command,
    values: {
      records_s: Number(m[1]),
      // The tool's "MB" is MiB; report MB (1e6) like everything else here.
      mb_s: (Number(m[1]) * o.size) / 1e6,
      avg_ms: Number(m[3]),
      max_ms: Number(m[4]),
      p50_ms: Number(m[5]),
      p95_ms: Number(m[6]),
      p99_ms: Number(m[7]),
      p999_ms: Number(m[8]),
      bytes: o.records * o.size,
    },
  };
}

export async function javaConsume(o: { bootstrap: string; topic: string; records: number; group: string; timeoutMs: number }): Promise<Measured> {
  const args = [
    ...JAVA_FLAGS,
    '-cp',
    kafkaClasspath(),
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    o.bootstrap,
    '--topic',
    o.topic,
    '--messages',
    String(o.records),
    '--group',
    o.group,
    '--timeout',
    '20000',
  ];
  const command = `java ${shellQuote(args).replace(kafkaClasspath(), '"$KAFKA_LIBS/*"')}`;
  const r = await run('java', args, { timeoutMs: o.timeoutMs });
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const hi = lines.findIndex((l) => l.startsWith('start.time'));
  if (r.code !== 0 || hi < 0 || !lines[hi + 1]) {
    return { ok: false, error: r.timedOut ? 'timed out' : `exit ${r.code}: ${(r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | ')}`, values: {}, command };
  }
  const head = lines[hi]!.split(',').map((s) => s.trim());
  const vals = lines[hi + 1]!.split(',').map((s) => s.trim());
  const get = (k: string): number => Number(vals[head.indexOf(k)]);
  const mib = get('data.consumed.in.MB');
  const fetchMs = get('fetch.time.ms');
  return {
    ok: get('data.consumed.in.nMsg') >= o.records,
    error: get('data.consumed.in.nMsg') >= o.records ? undefined : `consumed ${get('data.consumed.in.nMsg')} of ${o.records}`,
    command,
    values: {
      // fetch.time.ms excludes the group join; MB here = 1e6 bytes.
      mb_s: (mib * 1048576) / 1e6 / (fetchMs / 1000),
      records_s: get('data.consumed.in.nMsg') / (fetchMs / 1000),
      total_mb_s: (get('MB.sec') * 1048576) / 1e6,
      rebalance_ms: get('rebalance.time.ms'),
      bytes: mib * 1048576,
    },
  };
}

export async function rdkafka(mode: 'produce' | 'consume' | 'e2e', o: Record<string, string | number | boolean>, timeoutMs: number): Promise<Measured> {
  const args = [RDKAFKA, mode];
  for (const [k, v] of Object.entries(o)) {
    if (v === true) args.push(`--${k}`);
    else if (v !== false) args.push(`--${k}`, String(v));
  }
  args.push('--deadline', String(Math.max(10, Math.floor(timeoutMs / 1000) - 5)));
  const command = `.cache/bench/venv/bin/python ${shellQuote(args).replace(REPO + '/', '')}`;
  const r = await run(PY, args, { timeoutMs });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  let parsed: Record<string, number> | undefined;
  try {
    parsed = JSON.parse(line) as Record<string, number>;
  } catch {
    parsed = undefined;
  }
  if (r.code !== 0 || !parsed) {
    return { ok: false, error: r.timedOut ? 'timed out' : `exit ${r.code}: ${(r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | ')}`, values: {}, command };
  }
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') values[k] = v;
  if (mode === 'produce') values.bytes = Number(o.count) * Number(o.size);
  if (mode === 'e2e' && values.received! < values.sent! * 0.99) {
    return { ok: false, error: `received ${values.received} of ${values.sent}`, values, command };
  }
  return { ok: true, values, command };
}

const FRANZ_DIR = join(REPO, 'bench/clients/franz-bench');
const FRANZ_BIN = join(REPO, '.cache/bench/franz-bench');

/** Builds bench/clients/franz-bench (franz-go through the Go module proxy) once per source change. */
export async function ensureFranzBench(): Promise<string | null> {
  const mtime = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : 0);
  const built = mtime(FRANZ_BIN);
  const sources = readdirSync(FRANZ_DIR).filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum');
  if (built > 0 && sources.every((f) => mtime(join(FRANZ_DIR, f)) < built)) return null;
  const r = await run('go', ['build', '-o', FRANZ_BIN, '.'], { timeoutMs: 300_000, cwd: FRANZ_DIR });
  return r.code === 0 ? null : `go build of bench/clients/franz-bench failed: ${(r.stderr || 'go not found').slice(-500)}`;
}

/** Runs franz-bench with these arguments (plus its deadline) and parses its JSON line. */
async function franz(args: string[], timeoutMs: number): Promise<{ command: string; error?: string; parsed?: Record<string, number> }> {
  args = [...args, '-deadline', `${Math.max(10, Math.floor(timeoutMs / 1000) - 5)}s`];
  const command = `.cache/bench/franz-bench ${shellQuote(args)}`;
  const r = await run(FRANZ_BIN, args, { timeoutMs });
  let parsed: Record<string, number> | undefined;
  try {
    parsed = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, number>;
  } catch {
    parsed = undefined;
  }
  if (r.code !== 0 || !parsed) return { command, error: r.timedOut ? 'timed out' : `exit ${r.code}: ${(r.stderr + r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  return { command, parsed };
}

/**
 * Produce with franz-go (bench/clients/franz-bench): a client that needs several times less
 * CPU per byte than the broker, so that with it the broker, not the client, is the limit.
 * `client_cpu_s` is the client's own CPU over the measured part. `batchBytes`: franz-go's
 * largest batch (1,000,000 by default; a record larger than it is refused by the client).
 */
export async function franzProduce(
  o: { bootstrap: string; topic: string; count: number; size: number; acks: string; clients?: number; batchBytes?: number; compression?: string },
  timeoutMs: number,
): Promise<Measured> {
  const args = ['-bootstrap', o.bootstrap, '-topic', o.topic, '-count', String(o.count), '-size', String(o.size), '-acks', o.acks];
  if (o.clients !== undefined && o.clients > 1) args.push('-clients', String(o.clients));
  if (o.batchBytes !== undefined) args.push('-batch-bytes', String(o.batchBytes));
  if (o.compression !== undefined && o.compression !== 'none') args.push('-compression', o.compression);
  const { command, error, parsed } = await franz(args, timeoutMs);
  if (!parsed) return { ok: false, error, values: {}, command };
  return { ok: true, command, values: { mb_s: parsed.mb_per_s!, records_s: parsed.records_per_sec!, bytes: parsed.bytes!, client_cpu_s: parsed.client_cpu_s!, seconds: parsed.seconds! } };
}

/**
 * Read `count` records of the topic back from the start of every partition with franz-go (no
 * group); with `clients` > 1, that many readers at once, each its own connection reading one
 * slice of one partition, the whole topic between them (`size`: the value size it was filled
 * with, so each asks for about its slice's bytes).
 */
export async function franzConsume(
  o: { bootstrap: string; topic: string; count: number; maxBytes?: number; clients?: number; size?: number },
  timeoutMs: number,
): Promise<Measured> {
  const args = ['-mode', 'consume', '-bootstrap', o.bootstrap, '-topic', o.topic, '-count', String(o.count)];
  if (o.maxBytes !== undefined) args.push('-batch-bytes', String(o.maxBytes));
  if (o.clients !== undefined && o.clients > 1) args.push('-clients', String(o.clients), '-size', String(o.size ?? 100));
  const { command, error, parsed } = await franz(args, timeoutMs);
  if (!parsed) return { ok: false, error, values: {}, command };
  return {
    ok: true,
    command,
    values: { mb_s: parsed.mb_per_s!, records_s: parsed.records_per_sec!, bytes: parsed.bytes!, client_cpu_s: parsed.client_cpu_s!, seconds: parsed.seconds!, ...(parsed.first_record_s !== undefined ? { first_record_s: parsed.first_record_s } : {}) },
  };
}

/** CreateTopics of `partitions` partitions, then Metadata until each has a leader: `create_s` and `ready_s`. */
export async function franzCreateTopic(o: { bootstrap: string; topic: string; partitions: number }, timeoutMs: number): Promise<Measured> {
  const { command, error, parsed } = await franz(['-mode', 'create', '-bootstrap', o.bootstrap, '-topic', o.topic, '-partitions', String(o.partitions)], timeoutMs);
  if (!parsed) return { ok: false, error, values: {}, command };
  return { ok: true, command, values: { create_s: parsed.create_s!, ready_s: parsed.ready_s! } };
}

/**
 * Produce latency at a fixed rate with franz-go (`-mode latency`): one partition, linger 0, each
 * record timed from when it was due (so a stall delays every record due during it) to its
 * acknowledgement, in ms with microsecond resolution; with `e2e`, also to when a consumer in the
 * same process reads it back (`e2e_p99_ms`, ...). `lag_*` is how late the sender itself was.
 */
export async function franzLatency(
  o: { bootstrap: string; topic: string; rate: number; seconds: number; size: number; acks: string; e2e?: boolean },
  timeoutMs: number,
): Promise<Measured> {
  const args = ['-mode', 'latency', '-bootstrap', o.bootstrap, '-topic', o.topic, '-rate', String(o.rate), '-warmup', '1s', '-seconds', `${o.seconds}s`, '-size', String(o.size), '-acks', o.acks];
  if (o.e2e) args.push('-e2e');
  const { command, error, parsed } = await franz(args, timeoutMs);
  if (!parsed) return { ok: false, error, values: {}, command };
  return { ok: true, command, values: { ...parsed } };
}
