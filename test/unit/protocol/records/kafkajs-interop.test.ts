import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, decompress } from '../../../../src/protocol/records/compression.js';
import {
  BatchHeader,
  Compression,
  computeCrc,
  validateBatch,
  type CompressionType,
} from '../../../../src/protocol/records/record-batch.js';
import { buildBatch, decodeRecords } from '../../../../src/protocol/records/records.js';
import { kafkajsBatch, kafkajsDecode, lz4Unavailable, type KjsRecordInput } from './kafkajs-helpers.js';

const arbRecords = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { nil: null }),
    timestampDelta: fc.integer({ min: 0, max: 1_000_000 }),
    headers: fc.dictionary(
      // kafkajs's header decoder folds into a plain object, so avoid names it inherits.
      fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !(k in {})),
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      { maxKeys: 3 },
    ),
  }),
  { minLength: 1, maxLength: 20 },
);

function toKjs(recs: Array<Omit<KjsRecordInput, 'offsetDelta'>>): KjsRecordInput[] {
  return recs.map((r, i) => ({ ...r, offsetDelta: i }));
}

async function checkKafkajsBatch(compression: CompressionType, recs: KjsRecordInput[]): Promise<void> {
  const base = 1_700_000_000_000;
  const maxDelta = Math.max(...recs.map((r) => r.timestampDelta));
  const buf = await kafkajsBatch({
    compression,
    firstOffset: 42n,
    firstTimestamp: base,
    maxTimestamp: base + maxDelta,
    lastOffsetDelta: recs.length - 1,
    producerId: 7n,
    producerEpoch: 3,
    firstSequence: 11,
    records: recs,
  });
  const h = new BatchHeader(buf);
  expect(h.compression).toBe(compression);
  expect(h.crc).toBe(computeCrc(buf, 0));
  expect(validateBatch(buf, 0, { contiguousOffsets: true })).toBeNull();
  expect(h.baseOffset).toBe(42n);
  expect(h.producerId).toBe(7n);
  expect(h.recordCount).toBe(recs.length);
  const decoded = decodeRecords(buf);
  expect(decoded.length).toBe(recs.length);
  decoded.forEach((d, i) => {
    const r = recs[i]!;
    expect(d.offsetDelta).toBe(i);
    expect(d.timestampDelta).toBe(r.timestampDelta);
    expect(d.key).toEqual(r.key);
    expect(d.value).toEqual(r.value);
    const hdrs = Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) }));
    expect(d.headers).toEqual(hdrs);
  });
}

describe('batches produced by kafkajs', () => {
  const codecs: Array<[string, CompressionType]> = [
    ['none', Compression.none],
    ['gzip', Compression.gzip],
    ['snappy (kafkajs-snappy, raw)', Compression.snappy],
    ['lz4 (kafkajs-lz4)', Compression.lz4],
  ];
  for (const [name, type] of codecs) {
    it.skipIf(type === Compression.lz4 && lz4Unavailable !== undefined)(`${name}: CRC matches ours and records decode to what was written`, async () => {
      await fc.assert(
        fc.asyncProperty(arbRecords, async (recs) => checkKafkajsBatch(type, toKjs(recs))),
        { numRuns: 40 },
      );
    });
  }

  it('a fixed batch has the CRC kafkajs computed with its own crc32c', async () => {
    const buf = await kafkajsBatch({
      compression: Compression.none,
      firstTimestamp: 1_600_000_000_000,
      maxTimestamp: 1_600_000_000_000,
      lastOffsetDelta: 0,
      records: [{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    // Flipping any covered byte must change the CRC we compute.
    const crc = new BatchHeader(buf).crc;
    expect(computeCrc(buf, 0)).toBe(crc);
    buf[buf.length - 1]! ^= 1;
    expect(computeCrc(buf, 0)).not.toBe(crc);
    expect(validateBatch(buf, 0)).toBe('crc_mismatch');
  });
});

describe('batches we build, read by kafkajs', () => {
  const codecs: CompressionType[] = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4];
  for (const type of codecs) {
    it.skipIf(type === Compression.lz4 && lz4Unavailable !== undefined)(`compression ${type}`, async () => {
      await fc.assert(
        fc.asyncProperty(arbRecords, async (recs) => {
          const buf = buildBatch({
            baseOffset: 100n,
            compression: type,
            baseTimestamp: 1_700_000_000_000n,
            producerId: 5n,
            producerEpoch: 1,
            baseSequence: 0,
            isTransactional: true,
            records: recs.map((r) => ({
              key: r.key,
              value: r.value,
              timestampDelta: r.timestampDelta,
              headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
            })),
          });
          const out = await kafkajsDecode(buf);
          expect(out.inTransaction).toBe(true);
          expect(out.producerId).toBe('5');
          expect(out.records.length).toBe(recs.length);
          out.records.forEach((o, i) => {
            const r = recs[i]!;
            expect(o.offset).toBe(String(100 + i));
            expect(o.timestamp).toBe(String(1_700_000_000_000 + r.timestampDelta));
            expect(o.key).toEqual(r.key);
            expect(o.value).toEqual(r.value);
            expect(o.headers).toEqual(r.headers);
          });
        }),
        { numRuns: 30 },
      );
    });
  }
});

describe('codec interop with the kafkajs plugins', () => {
  const data = Buffer.from('kafka '.repeat(30_000) + 'tail');

  it('kafkajs-snappy reads our xerial framing', async () => {
    const { createRequire } = await import('node:module');
    const codec = (createRequire(import.meta.url)('kafkajs-snappy') as () => { decompress(b: Buffer): Promise<Buffer> })();
    const ours = compress(Compression.snappy, data);
    expect(ours.subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00');
    expect(await codec.decompress(ours)).toEqual(data);
  });

  it.skipIf(lz4Unavailable !== undefined)('kafkajs-lz4 (node lz4) reads our LZ4 frames and we read its', async () => {
    const { createRequire } = await import('node:module');
    const lz4 = createRequire(import.meta.url)('lz4') as { encode(b: Buffer): Buffer; decode(b: Buffer): Buffer };
    expect(lz4.decode(compress(Compression.lz4, data))).toEqual(data);
    const theirs = lz4.encode(data);
    // node-lz4 sets a content checksum and 4 MiB blocks: both paths of our frame walk.
    expect(theirs[4]! & 0x04).toBe(0x04);
    expect(decompress(Compression.lz4, theirs)).toEqual(data);
  });
});
