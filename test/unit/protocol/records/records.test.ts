import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../../src/protocol/codec/errors.js';
import { BatchHeader, Compression, validateBatch } from '../../../../src/protocol/records/record-batch.js';
import {
  ControlType,
  buildBatch,
  buildTransactionMarker,
  controlRecordKey,
  decodeControlRecord,
  decodeRecords,
  transactionMarkerValue,
} from '../../../../src/protocol/records/records.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const arbRecord = fc.record({
  attributes: fc.integer({ min: -128, max: 127 }),
  timestampDelta: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  key: fc.option(bytes(50), { nil: null }),
  value: fc.option(bytes(500), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 12 }), value: fc.option(bytes(30), { nil: null }) }), {
    maxLength: 4,
  }),
});

describe('buildBatch / decodeRecords', () => {
  it('round-trips any records with any codec and header fields', () => {
    fc.assert(
      fc.property(
        fc.array(arbRecord, { maxLength: 30 }),
        fc.constantFrom(0, 1, 2, 3, 4),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.bigInt({ min: -1n, max: 2n ** 62n }),
        fc.integer({ min: -1, max: 32767 }),
        fc.boolean(),
        (records, compression, baseOffset, producerId, producerEpoch, txn) => {
          const buf = buildBatch({
            baseOffset,
            compression: compression as 0 | 1 | 2 | 3 | 4,
            baseTimestamp: 1_600_000_000_000n,
            partitionLeaderEpoch: 9,
            producerId,
            producerEpoch,
            baseSequence: 5,
            isTransactional: txn,
            records,
          });
          expect(validateBatch(buf)).toBeNull();
          const h = new BatchHeader(buf);
          expect(h.baseOffset).toBe(baseOffset);
          expect(h.compression).toBe(compression);
          expect(h.isTransactional).toBe(txn);
          expect(h.producerId).toBe(producerId);
          expect(h.producerEpoch).toBe(producerEpoch);
          expect(h.recordCount).toBe(records.length);
          expect(h.partitionLeaderEpoch).toBe(9);
          const maxDelta = records.reduce((m, r) => Math.max(m, r.timestampDelta), 0);
          expect(h.maxTimestamp).toBe(1_600_000_000_000n + BigInt(maxDelta));
          expect(h.lastOffsetDelta).toBe(records.reduce((m, r) => Math.max(m, r.offsetDelta), -1));
          expect(decodeRecords(buf)).toEqual(records);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decodes a batch at an offset inside a larger buffer', () => {
    const a = buildBatch({ records: [{ key: Buffer.from('a'), value: null }] });
    const b = buildBatch({ baseOffset: 1n, records: [{ key: null, value: Buffer.from('bee') }] });
    const all = Buffer.concat([a, b]);
    expect(decodeRecords(all, a.length)[0]!.value!.toString()).toBe('bee');
  });

  it('rejects trailing bytes after the declared records', () => {
    const buf = buildBatch({ records: [{ key: null, value: Buffer.from('x') }, { key: null, value: Buffer.from('y') }] });
    buf.writeInt32BE(1, 57);
    expect(() => decodeRecords(buf)).toThrow(DecodeError);
  });
});

describe('control records', () => {
  it('encodes the marker key and value byte for byte', () => {
    expect(controlRecordKey(ControlType.commit).toString('hex')).toBe('00000001');
    expect(controlRecordKey(ControlType.abort).toString('hex')).toBe('00000000');
    expect(transactionMarkerValue(0x01020304).toString('hex')).toBe('000001020304');
  });

  it('builds a commit marker batch that decodes back', () => {
    const buf = buildTransactionMarker({
      baseOffset: 50n,
      producerId: 1000n,
      producerEpoch: 4,
      commit: true,
      coordinatorEpoch: 7,
      timestamp: 1_700_000_000_000n,
    });
    expect(validateBatch(buf)).toBeNull();
    const h = new BatchHeader(buf);
    expect(h.isControl).toBe(true);
    expect(h.isTransactional).toBe(true);
    expect(h.compression).toBe(Compression.none);
    expect(h.producerId).toBe(1000n);
    expect(h.baseSequence).toBe(-1);
    expect(h.recordCount).toBe(1);
    const [rec] = decodeRecords(buf);
    expect(decodeControlRecord(rec!)).toEqual({ type: ControlType.commit, coordinatorEpoch: 7 });

    const abort = buildTransactionMarker({ producerId: 1n, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: 0n });
    expect(decodeControlRecord(decodeRecords(abort)[0]!)).toEqual({ type: ControlType.abort, coordinatorEpoch: 0 });
  });

  it('passes other control types through and rejects short keys and values', () => {
    const leaderChange = Buffer.from('00000002', 'hex');
    expect(decodeControlRecord({ key: leaderChange, value: Buffer.from('ff', 'hex') })).toEqual({ type: 2 });
    expect(() => decodeControlRecord({ key: Buffer.from('0000', 'hex'), value: null })).toThrow(DecodeError);
    expect(() => decodeControlRecord({ key: null, value: null })).toThrow(DecodeError);
    expect(() => decodeControlRecord({ key: controlRecordKey(1), value: Buffer.from('0000', 'hex') })).toThrow(DecodeError);
  });
});
