/**
 * Hostile produce traffic against a running broker (disk backed) while a well-behaved kafkajs
 * producer and consumer use the same topic: batches whose counts and offsets disagree, codec
 * data that is not, records that do not parse, transactional batches without a transaction,
 * size fields that lie, and request frames cut short. Afterwards the log holds exactly the
 * good client's records, the good client got all of them back, and the broker still answers.
 * Every case is drawn from a fixed seed, so a failure replays.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { type ProduceResponse, defaultProduceRequest } from '../../src/protocol/generated/000-produce.js';
import { compress } from '../../src/protocol/records/compression.js';
import { Compression, Field, rewriteCrc, type CompressionType } from '../../src/protocol/records/record-batch.js';
import { createTopic } from '../support/admin-fixture.js';
import { fetchPartition } from '../support/fetch-all.js';
import { RawClient } from '../support/raw-client.js';
import { lengthPrefixed, plainRecords, rawBatch, rawRecord, varint } from '../support/raw-batches.js';
import { prng } from '../support/prng.js';

const TOPIC = 'hostile';
const ROUNDS = 12;
const GOOD_PER_ROUND = 5;
const CODECS: CompressionType[] = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd];


type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const now = () => BigInt(Date.now());
const pack = (codec: CompressionType, section: Buffer) => (codec === Compression.none ? section : compress(codec, section));

/** A record body after the attributes byte that cannot parse, one of several ways. */
function malformedBody(r: Rand): Buffer {
  const head = Buffer.concat([varint(0), varint(0)]);
  switch (int(r, 0, 5)) {
    case 0: // header count far beyond the record
      return Buffer.concat([head, varint(-1), varint(-1), varint(int(r, 1000, 0x7fffffff))]);
    case 1: // negative header count
      return Buffer.concat([head, varint(-1), varint(-1), varint(-int(r, 1, 1000))]);
    case 2: // key longer than the record
      return Buffer.concat([head, varint(int(r, 20, 100_000)), Buffer.from('k'), varint(-1), varint(0)]);
    case 3: // value length below -1
      return Buffer.concat([head, varint(-1), varint(-int(r, 2, 1000)), varint(0)]);
    case 4: // header value past the record
      return Buffer.concat([head, varint(-1), varint(-1), varint(1), lengthPrefixed('h'), varint(int(r, 5, 500))]);
    default: // bytes left over inside the record
      return Buffer.concat([head, varint(-1), varint(-1), varint(0), Buffer.alloc(int(r, 1, 9), 7)]);
  }
}

/** One hostile payload of the given class; every one of them must be refused. */
function hostileBatch(kind: string, r: Rand): Buffer {
  const codec = pick(r, CODECS);
  const n = int(r, 1, 20);
  const ts = now();
  switch (kind) {
    case 'count-mismatch': {
      const compressed = pick(r, CODECS.slice(1));
      const lies: Array<[number, number]> = [
        [n, 0x7fffffff],
        [n + int(r, 1, 5), n + int(r, 1, 5) - 1],
        [Math.max(1, n - 1), n - 2],
        [n, n],
      ];
      const [recordCount, lastOffsetDelta] = pick(r, lies);
      return rawBatch(pack(compressed, plainRecords(n)), { attributes: compressed, recordCount, lastOffsetDelta, baseTimestamp: ts });
    }
    case 'corrupt-codec': {
      const compressed = pick(r, CODECS.slice(1));
      const packed = Buffer.from(compress(compressed, plainRecords(n)));
      const how = int(r, 0, 2);
      let section: Buffer;
      if (how === 0) section = plainRecords(n); // not compressed at all
      else if (how === 1) section = packed.subarray(0, int(r, 0, packed.length - 1)); // cut short
      else {
        section = packed; // the codec's own framing broken
        for (let i = 0; i < Math.min(8, packed.length); i++) section[i] ^= 0xa5;
      }
      return rawBatch(section, { attributes: compressed, recordCount: n, lastOffsetDelta: n - 1, baseTimestamp: ts });
    }
    case 'malformed-record': {
      const at = int(r, 0, n - 1);
      const section = Buffer.concat(Array.from({ length: n }, (_, i) => (i === at ? rawRecord(i, null, null, malformedBody(r)) : rawRecord(i, `k${i}`, `v${i}`))));
      return rawBatch(pack(codec, section), { attributes: codec, recordCount: n, lastOffsetDelta: n - 1, baseTimestamp: ts });
    }
    case 'base-offset':
      return rawBatch(pack(codec, plainRecords(n)), { attributes: codec, recordCount: n, lastOffsetDelta: n - 1, baseOffset: BigInt(pick(r, [1, 1000, -5, 2 ** 40])), baseTimestamp: ts });
    case 'transactional':
      return rawBatch(pack(codec, plainRecords(n)), { attributes: codec | 0x10, recordCount: n, lastOffsetDelta: n - 1, producerId: BigInt(int(r, 1000, 1_000_000)), baseTimestamp: ts });
    case 'batch-length-lie': {
      const b = rawBatch(pack(codec, plainRecords(n)), { attributes: codec, recordCount: n, lastOffsetDelta: n - 1, baseTimestamp: ts });
      const length = b.readInt32BE(Field.batchLength);
      b.writeInt32BE(pick(r, [length + int(r, 1, 1 << 20), length - int(r, 1, 10), 3, -1, 0x7fffffff]), Field.batchLength);
      return b;
    }
    default: {
      // A valid batch whose count was patched after the CRC was computed, CRC fixed again.
      const b = rawBatch(pack(codec, plainRecords(n)), { attributes: codec, recordCount: n, lastOffsetDelta: n - 1, baseTimestamp: ts });
      b.writeInt32BE(n + int(r, 1, 1000), Field.recordCount);
      b.writeInt32BE(n + int(r, 1, 1000), Field.lastOffsetDelta);
      rewriteCrc(b);
      return b;
    }
  }
}

const KINDS = ['count-mismatch', 'corrupt-codec', 'malformed-record', 'base-offset', 'transactional', 'batch-length-lie', 'patched-count'];

/** A request frame that lies about its size or stops half way, then the socket closes. */
async function sendBrokenFrame(port: number, r: Rand): Promise<void> {
  const header = Buffer.alloc(8);
  header.writeInt16BE(ApiKey.Produce, 0);
  header.writeInt16BE(9, 2);
  header.writeInt32BE(int(r, 1, 1 << 30), 4);
  const frames = [
    Buffer.concat([Buffer.from([0, 0, 0x10, 0]), header]), // claims 4096 bytes, sends 8
    Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0xff]), header]), // claims 2 GiB
    Buffer.concat([Buffer.from([0, 0, 0, 3]), header.subarray(0, 3)]), // too short for a header
    Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xf0])]), // negative size
    Buffer.from([0, 0]), // a size cut in two
  ];
  const frame = pick(r, frames);
  await new Promise<void>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.write(frame);
      s.end();
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

let broker: RunningBroker;
let dataDir: string;
let kafka: Kafka;
let producer: Producer;
let consumer: Consumer;
let raw: RawClient;
const consumed: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skiff-hostile-'));
  broker = await startBroker({ dataDir, logLevel: 'silent' });
  raw = await RawClient.connect(broker.host, broker.port);
  await createTopic(raw, TOPIC, 1);
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'good-client', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  consumer = kafka.consumer({ groupId: 'hostile-good', retry: { retries: 3 } });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      consumed.push(message.value!.toString());
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await raw?.close();
  await broker?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function produceHostile(records: Buffer): Promise<number> {
  const res = await raw.request<ProduceResponse>(ApiKey.Produce, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

describe('hostile produce beside a good client', () => {
  it('refuses every hostile payload, stores only the good records and keeps serving', async () => {
    const r = prng(0x5eed);
    const sent: string[] = [];
    const codes = new Map<string, Set<number>>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        const code = await produceHostile(hostileBatch(kind, r));
        expect(code, `${kind} in round ${round}`).not.toBe(0);
        (codes.get(kind) ?? codes.set(kind, new Set()).get(kind)!).add(code);
      }
      await sendBrokenFrame(broker.port, r);
      const values = Array.from({ length: GOOD_PER_ROUND }, (_, i) => `good-${round}-${i}`);
      // kafkajs itself writes uncompressed and gzip batches (CompressionTypes.GZIP = 1).
      await producer.send({ topic: TOPIC, compression: round % 2, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      sent.push(...values);
    }
    // The codes Kafka answers for each class.
    expect(Object.fromEntries([...codes].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]))).toEqual({
      'count-mismatch': [87],
      'corrupt-codec': [-1],
      'malformed-record': [87],
      'base-offset': [87],
      transactional: [53],
      'batch-length-lie': [2, 87],
      'patched-count': [87],
    });

    const fetched = await fetchPartition(raw, TOPIC, 0);
    expect(fetched.highWatermark).toBe(BigInt(sent.length));
    expect(fetched.records.map((x) => x.value!.toString())).toEqual(sent);
    expect(fetched.records.map((x) => x.offset)).toEqual(sent.map((_, i) => BigInt(i)));

    while (consumed.length < sent.length) await new Promise((res) => setTimeout(res, 50));
    expect(consumed).toEqual(sent);

    const fresh = await RawClient.connect(broker.host, broker.port);
    const versions = await fresh.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'after', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    await fresh.close();
  });
});
