/**
 * What produce validation costs, per codec (none, gzip, snappy, lz4, zstd): batches of
 * 100-byte JSON-like records, compressed once up front, produced over the raw protocol (acks=1,
 * a few requests in flight) for a fixed time each; reported as produce MB/s of record data
 * and broker CPU seconds per GiB of record data (utime+stime from /proc, so CPU rather than
 * wall clock). Both brokers must decompress and walk every record of a compressed batch, so
 * `--kafka` runs Apache Kafka beside it for the same load. `--micro` adds the validator alone,
 * in this process (record data per CPU second, per codec).
 *
 *   npx tsx bench/validation-bench.ts [seconds per codec=5] [--kafka] [--micro]
 *
 * Needs `make build` (bin/skiff.js runs dist/); --kafka needs the jars of test/compat/kafka/kafka.sh.
 */
import { RawClient } from '../test/support/raw-client.js';
import { startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { sample } from './lib/proc.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { defaultProduceRequest } from '../src/protocol/generated/000-produce.js';
import { Compression, type CompressionType } from '../src/protocol/records/record-batch.js';
import { buildBatch } from '../src/protocol/records/records.js';
import { validateProduceBatch } from '../src/storage/log-validator.js';
import { benchValidationOptions } from './lib/validation-options.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const seconds = Number(args[0] ?? 5);
const withKafka = process.argv.includes('--kafka');
const micro = process.argv.includes('--micro');
const RECORDS_PER_BATCH = 1000;
const RECORD_SIZE = 100;
const IN_FLIGHT = 8;
const CODECS: Array<[string, CompressionType]> = [
  ['none', Compression.none],
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ['zstd', Compression.zstd],
];

/** One batch of records that compress as real payloads do (repeated field names, varying values). */
function makeBatch(codec: CompressionType, seed: number): Buffer {
  return buildBatch({
    baseTimestamp: BigInt(Date.now()),
    compression: codec,
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => {
      const n = seed * RECORDS_PER_BATCH + i;
      const value = JSON.stringify({ id: n, user: `user-${(n * 7919) % 1000}`, amount: (n * 31) % 977, tag: n % 17 }).padEnd(RECORD_SIZE, ' ');
      return { key: Buffer.from(`key-${n % 100}`), value: Buffer.from(value), timestampDelta: i };
    }),
  });
}

/** Record bytes (key + value) in one batch: what MB/s and per-GiB figures count. */
const PAYLOAD_BYTES = RECORDS_PER_BATCH * (RECORD_SIZE + 'key-00'.length);

interface Row {
  broker: string;
  codec: string;
  mbPerSec: number;
  cpuSecPerGiB: number;
  wireRatio: number;
}

async function produceFor(b: StartedBroker, codec: string, batches: Buffer[]): Promise<Row> {
  const [host, port] = [b.bootstrap.slice(0, b.bootstrap.lastIndexOf(':')), Number(b.bootstrap.slice(b.bootstrap.lastIndexOf(':') + 1))];
  const client = await RawClient.connect(host, port);
  const topic = `validation-${codec}`;
  const send = async (records: Buffer) => {
    const res = await client.request(ApiKey.Produce, 9, {
      ...defaultProduceRequest(),
      acks: 1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    return res.responses[0].partitionResponses[0].errorCode as number;
  };
  await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  // Until the new partition has a leader (Kafka takes a moment).
  for (let i = 0; i < 100 && (await send(batches[0]!)) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const cpu0 = sample(b.pid)!.cpuSeconds;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let sent = 0;
  const lane = async (start: number) => {
    for (let i = start; performance.now() < deadline; i += IN_FLIGHT) {
      const code = await send(batches[i % batches.length]!);
      if (code !== 0) throw new Error(`${b.name} ${codec}: produce error ${code}`);
      sent++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => lane(i)));
  const wall = (performance.now() - t0) / 1000;
  const cpu = sample(b.pid)!.cpuSeconds - cpu0;
  await client.close();
  const bytes = sent * PAYLOAD_BYTES;
  const wire = batches.reduce((n, x) => n + x.length, 0) / batches.length;
  return { broker: b.name, codec, mbPerSec: bytes / 1e6 / wall, cpuSecPerGiB: cpu / (bytes / 2 ** 30), wireRatio: PAYLOAD_BYTES / wire };
}

/** The validator's own cost: record data validated per second of this process's CPU (not wall clock, which a shared machine dilutes). */
function microRow(codec: string, batches: Buffer[]): { codec: string; mbPerCpuSec: number } {
  const opts = benchValidationOptions();
  let n = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - t0 < Math.min(2000, seconds * 1000)) {
    if (validateProduceBatch(batches[n % batches.length]!, opts) !== null) throw new Error(`${codec}: the validator refused a good batch`);
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return { codec, mbPerCpuSec: (n * PAYLOAD_BYTES) / 1e6 / ((cpu.user + cpu.system) / 1e6) };
}

const batchesByCodec = new Map(CODECS.map(([name, codec]) => [name, Array.from({ length: 16 }, (_, i) => makeBatch(codec, i))]));
const rows: Row[] = [];
for (const start of withKafka ? [startSkiff, startKafka] : [startSkiff]) {
  const b = await start({ numPartitions: 1 });
  try {
    for (const [name] of CODECS) {
      const row = await produceFor(b, name, batchesByCodec.get(name)!);
      rows.push(row);
      process.stderr.write(`${row.broker} ${name}: ${row.mbPerSec.toFixed(1)} MB/s, ${row.cpuSecPerGiB.toFixed(2)} s/GiB broker CPU\n`);
    }
  } finally {
    await b.stop();
  }
}

console.log(`\nProduce, ${RECORDS_PER_BATCH} records of ${RECORD_SIZE} B per batch, acks=1, ${IN_FLIGHT} in flight, ${seconds} s per codec (MB/s and CPU per GiB of record data)\n`);
console.log('| broker | codec | wire ratio | MB/s | broker CPU s/GiB |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.broker} | ${r.codec} | ${r.wireRatio.toFixed(1)} | ${r.mbPerSec.toFixed(1)} | ${r.cpuSecPerGiB.toFixed(2)} |`);
if (micro) {
  console.log('\nValidator alone, in process (MB of record data per CPU second, and CPU s/GiB)\n');
  console.log('| codec | MB per CPU s | CPU s/GiB |');
  console.log('|---|---|---|');
  for (const [name] of CODECS) {
    const r = microRow(name, batchesByCodec.get(name)!);
    console.log(`| ${r.codec} | ${r.mbPerCpuSec.toFixed(0)} | ${(2 ** 30 / 1e6 / r.mbPerCpuSec).toFixed(2)} |`);
  }
}
