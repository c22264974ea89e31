/**
 * Produce and fetch throughput over TLS against plaintext, on one broker with both listeners
 * (fetch over TLS copies file regions through the TLS stream; plaintext uses sendfile). kafkajs
 * in the same process as the broker, so the numbers compare the two paths, not Skiff with
 * other brokers. Each phase sends a fixed amount and stops by itself (a timeout bounds it too).
 * Certificates are made with the openssl CLI.
 *
 *   npx tsx bench/tls-bench.ts [mib=64] [rounds=2]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startBroker, type RunningBroker } from '../src/index.js';

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 2);
const RECORD = Buffer.alloc(1024, 'x');
const BATCH = 1000;
const PHASE_TIMEOUT_MS = 120_000;

function certificates(dir: string): { pem: string; ca: string } {
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench CA');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext');
  writeFileSync(join(dir, 'server.pem'), readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  return { pem: join(dir, 'server.pem'), ca: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

function bounded<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

async function produce(config: KafkaConfig, topic: string): Promise<number> {
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

async function fetchAll(config: KafkaConfig, topic: string, group: string): Promise<number> {
  const consumer = new Kafka(config).consumer({ groupId: group, maxBytes: 16 * 1024 * 1024 });
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

const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-bench-'));
let broker: RunningBroker | undefined;
try {
  const { pem, ca } = certificates(dir);
  broker = await startBroker({
    dataDir: join(dir, 'data'),
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': pem, 'num.partitions': 1 },
  });
  const portOf = (name: string): number => broker!.listeners.find((l) => l.name === name)!.port;
  const clients: Array<[string, KafkaConfig]> = [
    ['PLAINTEXT', { brokers: [`127.0.0.1:${portOf('PLAINTEXT')}`], logLevel: logLevel.NOTHING }],
    ['SSL', { brokers: [`127.0.0.1:${portOf('SSL')}`], ssl: { ca: [ca] }, logLevel: logLevel.NOTHING }],
  ];
  const rows: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, config] of clients) {
      const topic = `bench-${name}-${round}`;
      const produced = await bounded(`${name} produce`, produce(config, topic));
      const fetched = await bounded(`${name} fetch`, fetchAll(config, topic, `${topic}-group`));
      rows.push(`| ${round + 1} | ${name} | ${produced.toFixed(1)} | ${fetched.toFixed(1)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
  console.log(`${mib} MiB of 1 KiB records per run, kafkajs, acks=1\n\n| round | listener | produce MB/s | fetch MB/s |\n| --- | --- | --- | --- |\n${rows.join('\n')}`);
} finally {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
}
