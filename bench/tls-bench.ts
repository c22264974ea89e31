/**
 * Produce and fetch throughput over TLS and SASL_SSL beside SASL_PLAINTEXT, for Skiff and for
 * Apache Kafka configured the same way: both get the compat suite's security profile (kafka.sh
 * security-props: the same listener names, PEM key material from test/compat/security/certs.sh,
 * SASL PLAIN users) without its authorizer, since this measures the transport. Fetch over TLS
 * cannot use sendfile; SASL_PLAINTEXT is the baseline that can. kafkajs in this process is the
 * client for both brokers, each a process of its own. Every phase sends a fixed amount and a
 * timeout bounds it too.
 *
 *   npx tsx bench/tls-bench.ts [mib=64] [rounds=2] [--skiff-only]
 *
 * bench/run.ts runs it (make bench: with Kafka; make bench-smoke: Skiff only, a tiny amount).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { KAFKA_SH, REPO } from './lib/brokers.js';
import { run } from './lib/proc.js';
import { freePort } from './lib/ports.js';

const { Kafka, logLevel } = kafkajs;
const RECORD = Buffer.alloc(1024, 'x');
const BATCH = 1000;
const PHASE_TIMEOUT_MS = 120_000;
const LISTENERS = ['SASL_PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
type Listener = (typeof LISTENERS)[number];

export interface TlsRow {
  broker: 'skiff' | 'kafka';
  round: number;
  listener: Listener;
  produceMbS: number;
  fetchMbS: number;
}

interface Target {
  name: 'skiff' | 'kafka';
  listeners: Record<string, string>;
  stop(): Promise<void>;
}

function bounded<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

async function produce(config: KafkaConfig, topic: string, mib: number): Promise<number> {
  const producer = new Kafka(config).producer();
  await producer.connect();
  const batches = Math.ceil((mib * 1024) / BATCH);
  const messages = Array.from({ length: BATCH }, () => ({ value: RECORD }));
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) await producer.send({ topic, acks: 1, messages });
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return (batches * BATCH * RECORD.length) / 1e6 / seconds;
}

async function fetchAll(config: KafkaConfig, topic: string, mib: number): Promise<number> {
  const consumer = new Kafka(config).consumer({ groupId: `${topic}-group`, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const total = Math.ceil((mib * 1024) / BATCH) * BATCH;
  let seen = 0;
  let t0 = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          if (t0 === 0) t0 = performance.now();
          seen += batch.messages.length;
          if (seen >= total) resolve();
        },
      })
      .catch(reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return (seen * RECORD.length) / 1e6 / seconds;
}

/** kafka.sh security-props without the authorizer, as key/value pairs. */
function sharedSettings(certs: string): Record<string, string> {
  const out: Record<string, string> = {};
  const text = execFileSync(KAFKA_SH, ['security-props'], { env: { ...process.env, KAFKA_SECURITY: certs }, encoding: 'utf8' });
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  delete out['authorizer.class.name'];
  delete out['super.users'];
  return out;
}

async function startSkiff(dir: string, certs: string): Promise<Target> {
  const settings: Record<string, string> = { ...sharedSettings(certs), 'num.partitions': '1' };
  const listeners: Record<string, string> = {};
  const names = ['SASL_PLAINTEXT', 'SSL', 'MTLS', 'SASL_SSL'];
  for (const n of names) listeners[n] = `127.0.0.1:${await freePort()}`;
  settings.listeners = names.map((n) => `${n}://${listeners[n]}`).join(',');
  const config = join(dir, 'skiff.yaml');
  // JSON is YAML, and keeps every value a string.
  writeFileSync(config, JSON.stringify(settings));
  const child = spawn(process.execPath, [join(REPO, 'bin/skiff.js'), 'start', '--config', config, '--data-dir', join(dir, 'skiff-data'), '--log-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`Skiff did not start in 20 s: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Skiff listening on')) {
        clearTimeout(timer);
        res();
      }
    });
    child.once('exit', (code) => rej(new Error(`Skiff exited with ${code}: ${err}`)));
  });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: 'skiff',
    listeners,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startKafka(certs: string): Promise<Target> {
  const env = {
    ...process.env,
    KAFKA_STATE: join(REPO, '.cache/kafka/bench-tls-run'),
    KAFKA_SECURITY: certs,
    KAFKA_PROPS: 'authorizer.class.name=\nnum.partitions=1',
  };
  const started = await run(KAFKA_SH, ['start'], { timeoutMs: 180_000, env });
  if (started.code !== 0) throw new Error(`kafka.sh start failed: ${started.stderr.slice(-2000)}`);
  const shown = await run(KAFKA_SH, ['env'], { timeoutMs: 20_000, env });
  const line = shown.stdout.split('\n').find((l) => l.startsWith('KAFKA_LISTENERS='))!;
  const listeners = Object.fromEntries(line.slice('KAFKA_LISTENERS='.length).split(',').map((e) => e.split('=') as [string, string]));
  return {
    name: 'kafka',
    listeners,
    async stop() {
      await run(KAFKA_SH, ['stop'], { timeoutMs: 60_000, env });
    },
  };
}

function clientConfig(listener: Listener, address: string, ca: string): KafkaConfig {
  const base: KafkaConfig = { brokers: [address], clientId: 'skiff-tls-bench', logLevel: logLevel.NOTHING };
  const sasl = { mechanism: 'plain' as const, username: 'admin', password: 'admin-secret' };
  if (listener === 'SASL_PLAINTEXT') return { ...base, sasl };
  if (listener === 'SSL') return { ...base, ssl: { ca: [ca] } };
  return { ...base, ssl: { ca: [ca] }, sasl };
}

/** Runs every listener on each broker in turn; `log` gets one line per measured row. */
export async function runTlsBench(opts: { mib: number; rounds: number; kafka: boolean; log: (line: string) => void }): Promise<TlsRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-bench-'));
  const rows: TlsRow[] = [];
  try {
    const certs = join(dir, 'certs');
    execFileSync(join(REPO, 'test/compat/security/certs.sh'), [certs], { stdio: ['ignore', 'ignore', 'inherit'] });
    const ca = readFileSync(join(certs, 'ca.pem'), 'utf8');
    const starts: Array<() => Promise<Target>> = [() => startSkiff(dir, certs)];
    if (opts.kafka) starts.push(() => startKafka(certs));
    for (const start of starts) {
      const target = await start();
      try {
        for (let round = 1; round <= opts.rounds; round++) {
          for (const listener of LISTENERS) {
            const config = clientConfig(listener, target.listeners[listener]!, ca);
            const topic = `tls-bench-${listener.toLowerCase()}-${round}`;
            const produceMbS = await bounded(`${target.name} ${listener} produce`, produce(config, topic, opts.mib));
            const fetchMbS = await bounded(`${target.name} ${listener} fetch`, fetchAll(config, topic, opts.mib));
            rows.push({ broker: target.name, round, listener, produceMbS, fetchMbS });
            opts.log(`tls ${target.name} ${listener} #${round}: produce ${produceMbS.toFixed(1)} MB/s, fetch ${fetchMbS.toFixed(1)} MB/s`);
          }
        }
      } finally {
        await target.stop();
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A markdown table: per listener and direction, the median over rounds for each broker, and Skiff / Kafka. */
export function tlsTable(rows: readonly TlsRow[], mib: number): string {
  const median = (xs: number[]): number | undefined => {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const show = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));
  const out = [
    `${mib} MiB of 1 KiB records per run, kafkajs (acks=1), SASL PLAIN where the listener has SASL; median of ${Math.max(...rows.map((r) => r.round), 0)} run(s)`,
    '',
    '| listener | direction | Skiff MB/s | Kafka MB/s | Skiff / Kafka |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const listener of LISTENERS) {
    for (const [direction, pick] of [['produce', (r: TlsRow) => r.produceMbS], ['fetch', (r: TlsRow) => r.fetchMbS]] as const) {
      const s = median(rows.filter((r) => r.broker === 'skiff' && r.listener === listener).map(pick));
      const k = median(rows.filter((r) => r.broker === 'kafka' && r.listener === listener).map(pick));
      out.push(`| ${listener} | ${direction} | ${show(s)} | ${show(k)} | ${s !== undefined && k !== undefined ? `${(s / k).toFixed(2)}x` : '-'} |`);
    }
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const mib = Number(args[0] ?? 64);
  const rows = await runTlsBench({
    mib,
    rounds: Number(args[1] ?? 2),
    kafka: !process.argv.includes('--skiff-only'),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  console.log(tlsTable(rows, mib));
}
