/** Every rule of the produce validator, and well-formed batches of every codec. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { compress } from '../../../src/protocol/records/compression.js';
import { BATCH_HEADER_SIZE, Compression, Field, rewriteCrc, type CompressionType } from '../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import {
  isTransactionalBatch,
  OFF_THREAD_MIN_SECTION_BYTES,
  startProduceValidation,
  validateProduceBatch,
  type ProduceValidationOptions,
} from '../../../src/storage/log-validator.js';
import { lengthPrefixed, plainRecords, rawBatch, rawRecord, varint } from '../../support/raw-batches.js';

const NOW = 1_700_000_000_000;
const opts = (o: Partial<ProduceValidationOptions> = {}): ProduceValidationOptions => ({
  apiVersion: 9,
  maxMessageBytes: 1_048_588,
  topicPartition: 't-0',
  compacted: false,
  createTime: true,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3_600_000,
  now: NOW,
  ...o,
});
const CODECS: Array<[string, CompressionType]> = [
  ['none', Compression.none],
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ['zstd', Compression.zstd],
];
const pack = (codec: CompressionType, section: Buffer) => (codec === Compression.none ? section : compress(codec, section));
const batchOf = (codec: CompressionType, section: Buffer, count: number, lastOffsetDelta = count - 1) =>
  rawBatch(pack(codec, section), { attributes: codec, recordCount: count, lastOffsetDelta, baseTimestamp: BigInt(NOW) });
const validate = (b: Buffer | null, o?: Partial<ProduceValidationOptions>) => validateProduceBatch(b, opts(o));
const code = (b: Buffer | null, o?: Partial<ProduceValidationOptions>) => validate(b, o)?.errorCode ?? 0;

describe('well-formed batches pass', () => {
  for (const [name, codec] of CODECS) {
    it(`${name}: keys, null values, headers, many records`, () => {
      const b = buildBatch({
        baseTimestamp: BigInt(NOW),
        compression: codec,
        records: Array.from({ length: 300 }, (_, i) => ({
          timestampDelta: i,
          key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
          value: i % 5 === 0 ? null : Buffer.alloc(i * 3, i),
          headers: i % 3 === 0 ? [{ key: 'h', value: Buffer.from('x') }, { key: '', value: null }] : [],
        })),
      });
      expect(validate(b)).toBeNull();
    });
  }
  it('an idempotent batch with a sequence', () => {
    expect(validate(rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, producerId: 7n, baseSequence: 0, baseTimestamp: BigInt(NOW) }))).toBeNull();
  });
});

describe('request-level checks (no log start offset, no message)', () => {
  it('no records at all', () => {
    expect(validate(null)).toMatchObject({ inLog: false, errorCode: 87 });
    expect(validate(Buffer.alloc(0))).toMatchObject({ inLog: false, errorCode: 87 });
  });
  it('a batch cut short is no batch at all (INVALID_RECORD), as Kafka frames it', () => {
    const b = batchOf(Compression.none, plainRecords(2), 2);
    expect(validate(b.subarray(0, 40))).toMatchObject({ inLog: false, errorCode: 87 });
    expect(validate(b.subarray(0, b.length - 1))).toMatchObject({ inLog: false, errorCode: 87 });
    expect(validate(b.subarray(0, 11))).toMatchObject({ inLog: false, errorCode: 87 });
  });
  it("a batch length below 14 is CORRUPT_MESSAGE with Kafka's message; one below a v2 header too, without", () => {
    const b = batchOf(Compression.none, plainRecords(2), 2);
    b.writeInt32BE(10, Field.batchLength);
    expect(validate(b)).toMatchObject({ inLog: false, errorCode: 2, sendMessage: true, message: 'Record size 10 is less than the minimum record overhead (14)' });
    b.writeInt32BE(20, Field.batchLength);
    expect(validate(b.subarray(0, 32))).toMatchObject({ inLog: false, errorCode: 2, sendMessage: false });
  });
  it('a few bytes after the batch are ignored; a second batch, or a bad length after it, is refused', () => {
    const b = batchOf(Compression.none, plainRecords(2), 2);
    expect(validate(Buffer.concat([b, Buffer.alloc(16, 1)]))).toBeNull();
    const badLength = Buffer.alloc(12);
    badLength.writeInt32BE(-1, 8);
    expect(validate(Buffer.concat([b, badLength]))).toMatchObject({ errorCode: 2 });
  });
  it('magic other than 2', () => {
    const b = batchOf(Compression.none, plainRecords(1), 1);
    b.writeInt8(1, Field.magic);
    expect(validate(b)).toMatchObject({ inLog: false, errorCode: 87 });
  });
  it('two batches in one partition', () => {
    const b = batchOf(Compression.none, plainRecords(1), 1);
    expect(validate(Buffer.concat([b, b]))).toMatchObject({ inLog: false, errorCode: 87 });
  });
  it('zstd before v7, and an unknown codec id', () => {
    const z = batchOf(Compression.zstd, plainRecords(1), 1);
    expect(code(z, { apiVersion: 6 })).toBe(76);
    expect(code(z, { apiVersion: 7 })).toBe(0);
    expect(code(rawBatch(plainRecords(1), { attributes: 5, recordCount: 1, lastOffsetDelta: 0 }))).toBe(2);
    expect(code(z, { apiVersion: 6 })).toBe(76);
  });
  it('a batch over max.message.bytes', () => {
    const b = batchOf(Compression.none, plainRecords(3), 3);
    expect(validate(b, { maxMessageBytes: b.length - 1 })).toMatchObject({ inLog: false, errorCode: 10 });
    expect(validate(b, { maxMessageBytes: b.length })).toBeNull();
  });
  it('a wrong CRC is CORRUPT_MESSAGE', () => {
    const b = batchOf(Compression.gzip, plainRecords(2), 2);
    b[b.length - 1] ^= 1;
    expect(validate(b)).toMatchObject({ inLog: false, errorCode: 2 });
  });
  it('isTransactionalBatch reads the attribute', () => {
    expect(isTransactionalBatch(rawBatch(plainRecords(1), { attributes: 0x10, recordCount: 1, lastOffsetDelta: 0, producerId: 4242n }))).toBe(true);
    expect(isTransactionalBatch(rawBatch(plainRecords(1), { recordCount: 1, lastOffsetDelta: 0 }))).toBe(false);
    expect(isTransactionalBatch(null)).toBe(false);
    expect(isTransactionalBatch(Buffer.alloc(10))).toBe(false);
  });
});

describe('batch rules (INVALID_RECORD with the log start offset)', () => {
  it('baseOffset must be 0', () => {
    for (const baseOffset of [1000n, -5n]) {
      expect(validate(rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, baseOffset, baseTimestamp: BigInt(NOW) }))).toMatchObject({ inLog: true, errorCode: 87 });
    }
  });
  it('record count against lastOffsetDelta', () => {
    expect(code(batchOf(Compression.none, Buffer.alloc(0), 0))).toBe(87);
    expect(code(batchOf(Compression.none, plainRecords(2), 2, 2))).toBe(87);
    expect(code(batchOf(Compression.none, plainRecords(1), 1, -2))).toBe(87);
  });
  it('control batches and idempotent batches without a sequence', () => {
    expect(code(rawBatch(plainRecords(1), { attributes: 0x20, recordCount: 1, lastOffsetDelta: 0 }))).toBe(87);
    expect(code(rawBatch(plainRecords(1), { recordCount: 1, lastOffsetDelta: 0, producerId: 7n, baseSequence: -1 }))).toBe(87);
  });
  for (const [name, codec] of CODECS) {
    it(`${name}: the records inside must number recordCount = lastOffsetDelta + 1`, () => {
      expect(code(batchOf(codec, plainRecords(1), 1, 0x7fffffff))).toBe(87);
      expect(code(batchOf(codec, plainRecords(2), 1))).toBe(87);
      expect(code(batchOf(codec, plainRecords(1), 2))).toBe(87);
      expect(code(batchOf(codec, Buffer.concat([plainRecords(1), Buffer.from([0, 0])]), 1))).toBe(87);
    });
  }
});

describe('malformed records (INVALID_RECORD), compressed or not', () => {
  const bodies: Record<string, Buffer> = {
    hugeHeaderCount: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(0x7fffffff)]),
    negativeHeaderCount: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(-2)]),
    keyPastRecord: Buffer.concat([varint(0), varint(0), varint(50), Buffer.from('k'), varint(-1), varint(0)]),
    keyLengthBelowMinusOne: Buffer.concat([varint(0), varint(0), varint(-2), varint(-1), varint(0)]),
    valuePastRecord: Buffer.concat([varint(0), varint(0), varint(-1), varint(9), Buffer.from('v'), varint(0)]),
    headerKeyPastRecord: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(1), varint(40), Buffer.from('h')]),
    negativeHeaderKey: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(1), varint(-1), varint(-1)]),
    headerValuePastRecord: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(1), lengthPrefixed('h'), varint(30)]),
    bytesLeftInRecord: Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(0), Buffer.from([1, 2, 3])]),
    varintTooLong: Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    cutInTimestamp: Buffer.from([0x80]),
  };
  for (const [name, codec] of CODECS) {
    for (const [what, body] of Object.entries(bodies)) {
      it(`${name}: ${what}`, () => expect(validate(batchOf(codec, rawRecord(0, null, null, body), 1))).toMatchObject({ inLog: true, errorCode: 87 }));
    }
    it(`${name}: a record length past the section, and a zero length`, () => {
      expect(code(batchOf(codec, Buffer.concat([varint(200), Buffer.from([0, 0, 0, 1, 1, 0])]), 1))).toBe(87);
      expect(code(batchOf(codec, Buffer.concat([varint(0), plainRecords(1)]), 1))).toBe(87);
    });
  }
});

describe('codec data that is not (UNKNOWN_SERVER_ERROR, as Kafka answers)', () => {
  for (const [name, codec] of CODECS.slice(1)) {
    it(`${name}: plain bytes marked compressed`, () => {
      expect(validate(rawBatch(plainRecords(2), { attributes: codec, recordCount: 2, lastOffsetDelta: 1 }))).toMatchObject({ inLog: true, errorCode: -1 });
    });
    it(`${name}: compressed data cut short`, () => {
      const packed = compress(codec, plainRecords(50));
      expect(code(rawBatch(packed.subarray(0, packed.length - 6), { attributes: codec, recordCount: 50, lastOffsetDelta: 49 }))).not.toBe(0);
    });
  }
  it('gzip: a corrupt deflate body', () => {
    const gz = compress(Compression.gzip, plainRecords(3));
    for (let i = 12; i < gz.length - 8; i++) gz[i] ^= 0x5a;
    expect(code(rawBatch(gz, { attributes: Compression.gzip, recordCount: 3, lastOffsetDelta: 2 }))).toBe(-1);
  });
  it('decompression stops at the cap', () => {
    const b = batchOf(Compression.zstd, Buffer.concat([rawRecord(0, null, 'x'.repeat(100_000))]), 1);
    expect(code(b, { maxDecompressed: 50_000 })).toBe(-1);
    expect(code(b, { maxDecompressed: 200_000 })).toBe(0);
  });
});

describe('record errors (KIP-467)', () => {
  const keyless = (codec: CompressionType) =>
    batchOf(codec, Buffer.concat([rawRecord(0, 'k0', 'v'), rawRecord(1, null, 'v'), rawRecord(2, 'k2', 'v'), rawRecord(3, null, 'v'), rawRecord(4, null, 'v'), rawRecord(5, null, 'v')]), 6);
  for (const [name, codec] of CODECS) {
    it(`${name}: every keyless record on a compacted topic, with Kafka's messages`, () => {
      const f = validate(keyless(codec), { compacted: true, topicPartition: 'c-3' });
      const m = 'Compacted topic cannot accept message without key in topic partition c-3';
      expect(f).toEqual({
        errorCode: 87,
        inLog: true,
        sendMessage: true,
        recordErrors: [1, 3, 4, 5].map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: m })),
        keylessRecords: 4,
        message: `One or more records have been rejected due to 4 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${m}'), RecordError(batchIndex=3, message='${m}'), RecordError(batchIndex=4, message='${m}')]`,
      });
      expect(validate(keyless(codec), { compacted: false })).toBeNull();
    });
  }
  it('timestamps out of range, per record, as INVALID_TIMESTAMP', () => {
    const section = Buffer.concat([rawRecord(0, 'a', 'v', undefined, 0), rawRecord(1, 'b', 'v', undefined, 7_200_000), rawRecord(2, 'c', 'v', undefined, 10)]);
    const b = rawBatch(compress(Compression.lz4, section), { attributes: Compression.lz4, recordCount: 3, lastOffsetDelta: 2, baseTimestamp: BigInt(NOW), maxTimestamp: BigInt(NOW + 7_200_000) });
    const f = validate(b);
    expect(f).toEqual({
      errorCode: 32,
      inLog: true,
      sendMessage: true,
      recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: `Timestamp ${NOW + 7_200_000} of message with offset 1 is out of range. The timestamp should be within [${NOW - Number.MAX_SAFE_INTEGER}, ${NOW + 3_600_000}]` }],
      message: 'One or more records have been rejected due to invalid timestamp',
      keylessRecords: 0,
    });
    expect(validate(b, { createTime: false })).toBeNull();
    expect(validate(b, { timestampAfterMaxMs: 7_200_000 })).toBeNull();
  });
  it('a producer may not set LogAppendTime on a CreateTime topic with no timestamp, nor on a LogAppendTime topic', () => {
    const b = rawBatch(plainRecords(1), { attributes: 0x08, recordCount: 1, lastOffsetDelta: 0, baseTimestamp: -1n, maxTimestamp: -1n });
    expect(validate(b)).toMatchObject({ errorCode: 32, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'Invalid timestamp type in message DefaultRecord(offset=0, timestamp=-1, key=2 bytes, value=2 bytes). Producer should not set timestamp type to LogAppendTime.' }] });
    expect(validate(rawBatch(plainRecords(1), { attributes: 0x08, recordCount: 1, lastOffsetDelta: 0, baseTimestamp: BigInt(NOW) }), { createTime: false })).toMatchObject({ errorCode: 32 });
  });
});

it('a patched field without a new CRC is caught before any rule', () => {
  const b = batchOf(Compression.none, plainRecords(2), 2);
  b.writeInt32BE(5, Field.recordCount);
  expect(validate(b)).toMatchObject({ inLog: false, errorCode: 2 });
  rewriteCrc(b);
  expect(validate(b)).toMatchObject({ inLog: true, errorCode: 87 });
});

describe('startProduceValidation: large gzip batches decompressed off the event loop', () => {
  /** Records of random bytes: the gzip section stays over the off-thread threshold. */
  const randomRecords = (n: number, key: (i: number) => string | null = (i) => `k${i}`) =>
    Buffer.concat(Array.from({ length: n }, (_, i) => rawRecord(i, key(i), randomBytes(1024).toString('latin1'))));
  const big = (section: Buffer, count: number, lastOffsetDelta = count - 1) => batchOf(Compression.gzip, section, count, lastOffsetDelta);

  const cases: Array<[string, Buffer, Partial<ProduceValidationOptions>]> = [
    ['a sound batch', big(randomRecords(40), 40), {}],
    ['more records declared than held', big(randomRecords(40), 41), {}],
    ['records without keys on a compacted topic', big(randomRecords(40, (i) => (i % 7 === 0 ? null : `k${i}`)), 40), { compacted: true }],
    ['a decompressed size over the cap', big(randomRecords(40), 40), { maxDecompressed: 1000 }],
    ['timestamps out of range', big(randomRecords(40), 40), { now: NOW + 10 * 86_400_000, timestampBeforeMaxMs: 60_000 }],
  ];
  for (const [name, batch, o] of cases) {
    it(`${name}: the same answer as on the event loop`, async () => {
      expect(batch.length - BATCH_HEADER_SIZE).toBeGreaterThanOrEqual(OFF_THREAD_MIN_SECTION_BYTES);
      const pending = startProduceValidation(batch, opts(o));
      expect(pending).toBeInstanceOf(Promise);
      expect(await pending).toEqual(validate(batch, o));
    });
  }

  it('a corrupt deflate stream under a valid CRC: UNKNOWN_SERVER_ERROR, as inline', async () => {
    const b = big(randomRecords(40), 40);
    b.fill(0x55, BATCH_HEADER_SIZE + 100, BATCH_HEADER_SIZE + 400);
    rewriteCrc(b);
    const off = await startProduceValidation(b, opts());
    expect(off).toMatchObject({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, inLog: true });
    expect(off).toEqual(validate(b));
  });

  it('checks the CRC and header before returning, and keeps small or other-codec batches inline', () => {
    const b = big(randomRecords(40), 40);
    b.writeUInt32BE((b.readUInt32BE(Field.crc) ^ 1) >>> 0, Field.crc);
    expect(startProduceValidation(b, opts())).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });
    expect(startProduceValidation(batchOf(Compression.gzip, randomRecords(2), 2), opts())).toBeNull();
    expect(startProduceValidation(batchOf(Compression.lz4, randomRecords(40), 40), opts())).toBeNull();
  });
});
