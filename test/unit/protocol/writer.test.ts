import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/protocol/codec/errors.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import {
  Writer,
  recordsLength,
  sizeOfBytes,
  sizeOfCompactBytes,
  sizeOfCompactNullableBytes,
  sizeOfCompactNullableRecords,
  sizeOfCompactNullableString,
  sizeOfCompactRecords,
  sizeOfCompactString,
  sizeOfNullableBytes,
  sizeOfNullableRecords,
  sizeOfNullableString,
  sizeOfRecords,
  sizeOfString,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
} from '../../../src/protocol/codec/writer.js';

const hex = (s: string) => s.replace(/\s+/g, '');

/** Writes with `f` into a buffer of exactly `size` bytes and returns the hex. */
function written(size: number, f: (w: Writer) => void): string {
  const w = Writer.alloc(size);
  f(w);
  return w.finish().toString('hex');
}

describe('varints', () => {
  const unsigned: Array<[number, string]> = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16384, '808001'],
    [2 ** 28 - 1, 'ffffff7f'], [2 ** 28, '8080808001'], [2 ** 31 - 1, 'ffffffff07'], [2 ** 32 - 1, 'ffffffff0f'],
  ];
  it.each(unsigned)('unsigned %d -> %s', (v, bytes) => {
    expect(sizeOfUnsignedVarint(v)).toBe(bytes.length / 2);
    expect(written(bytes.length / 2, (w) => w.unsignedVarint(v))).toBe(bytes);
  });

  const signed: Array<[number, string]> = [
    [0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [-64, '7f'], [64, '8001'],
    [2 ** 27 - 1, 'feffff7f'], [-(2 ** 27), 'ffffff7f'], [2 ** 27, '8080808001'], [-(2 ** 27) - 1, '8180808001'],
    [2 ** 31 - 1, 'feffffff0f'], [-(2 ** 31), 'ffffffff0f'],
  ];
  it.each(signed)('zigzag %d -> %s', (v, bytes) => {
    expect(sizeOfVarint(v)).toBe(bytes.length / 2);
    expect(written(bytes.length / 2, (w) => w.varint(v))).toBe(bytes);
  });

  const longs: Array<[bigint, string]> = [
    [0n, '00'], [-1n, '01'], [1n, '02'], [2n ** 27n, '8080808001'], [2n ** 31n, '8080808010'], [-(2n ** 31n) - 1n, '8180808010'],
    [2n ** 63n - 1n, 'feffffffffffffffff01'], [-(2n ** 63n), 'ffffffffffffffffff01'],
  ];
  it.each(longs)('zigzag long %d -> %s', (v, bytes) => {
    expect(sizeOfVarlong(v)).toBe(bytes.length / 2);
    expect(written(bytes.length / 2, (w) => w.varlong(v))).toBe(bytes);
  });

  it('sizes agree with what is written, for any int32 and int64', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, u, l) => {
        const w = Writer.alloc(sizeOfVarint(i) + sizeOfUnsignedVarint(u) + sizeOfVarlong(l));
        w.varint(i);
        w.unsignedVarint(u);
        w.varlong(l);
        const r = new Reader(w.finish());
        expect([r.varint(), r.unsignedVarint(), r.varlong()]).toEqual([i, u, l]);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});

describe('fixed-width writes', () => {
  it('are big-endian', () => {
    expect(written(1 + 1 + 2 + 2 + 4 + 4 + 8 + 8, (w) => {
      w.bool(true);
      w.int8(-1);
      w.int16(-32768);
      w.uint16(65535);
      w.int32(-(2 ** 31));
      w.uint32(2 ** 32 - 1);
      w.int64(-(2n ** 63n));
      w.float64(1.5);
    })).toBe(hex('01 ff 8000 ffff 80000000 ffffffff 8000000000000000 3ff8000000000000'));
  });
});

describe('strings, bytes and records', () => {
  it('nullable and non-nullable, classic and compact', () => {
    expect(written(sizeOfString('abc'), (w) => w.string('abc'))).toBe('0003616263');
    expect(written(sizeOfNullableString(null), (w) => w.nullableString(null))).toBe('ffff');
    expect(written(sizeOfNullableString(''), (w) => w.nullableString(''))).toBe('0000');
    expect(written(sizeOfCompactString('abc'), (w) => w.compactString('abc'))).toBe('04616263');
    expect(written(sizeOfCompactNullableString(null), (w) => w.compactNullableString(null))).toBe('00');
    expect(written(sizeOfCompactNullableString(''), (w) => w.compactNullableString(''))).toBe('01');
    expect(written(sizeOfString('€'), (w) => w.string('€'))).toBe('0003e282ac');
    expect(written(sizeOfCompactString('𝄞'), (w) => w.compactString('𝄞'))).toBe('05f09d849e');

    const ab = Buffer.from([0xa, 0xb]);
    expect(written(sizeOfBytes(ab), (w) => w.bytes(ab))).toBe('000000020a0b');
    expect(written(sizeOfNullableBytes(null), (w) => w.nullableBytes(null))).toBe('ffffffff');
    expect(written(sizeOfCompactBytes(ab), (w) => w.compactBytes(ab))).toBe('030a0b');
    expect(written(sizeOfCompactNullableBytes(null), (w) => w.compactNullableBytes(null))).toBe('00');
    expect(written(sizeOfCompactNullableBytes(Buffer.alloc(0)), (w) => w.compactNullableBytes(Buffer.alloc(0)))).toBe('01');
  });

  it('a compact length that needs two varint bytes', () => {
    const s = 'x'.repeat(127);
    expect(sizeOfCompactString(s)).toBe(2 + 127);
    const out = written(sizeOfCompactString(s), (w) => w.compactString(s));
    expect(out.slice(0, 4)).toBe('8001');
    expect(new Reader(Buffer.from(out, 'hex')).compactString()).toBe(s);
  });

  it('a string longer than an int16 length can say is an EncodeError', () => {
    const s = 'x'.repeat(0x8000);
    expect(() => Writer.alloc(sizeOfString(s)).string(s)).toThrow(EncodeError);
    const ok = 'é'.repeat(16383); // 32766 bytes
    expect(new Reader(Buffer.from(written(sizeOfString(ok), (w) => w.string(ok)), 'hex')).string()).toBe(ok);
  });

  it('records: one buffer or stored slices back to back', () => {
    const parts = [Buffer.from([1, 2]), Buffer.from([3]), Buffer.alloc(0)];
    expect(recordsLength(parts)).toBe(3);
    expect(written(sizeOfRecords(parts), (w) => w.records(parts))).toBe('00000003010203');
    expect(written(sizeOfCompactRecords(parts), (w) => w.compactRecords(parts))).toBe('04010203');
    expect(written(sizeOfNullableRecords(null), (w) => w.nullableRecords(null))).toBe('ffffffff');
    expect(written(sizeOfCompactNullableRecords(null), (w) => w.compactNullableRecords(null))).toBe('00');
    expect(written(sizeOfRecords(Buffer.from([9])), (w) => w.records(Buffer.from([9])))).toBe('0000000109');
  });

  it('uuids take 16 bytes', () => {
    expect(written(16, (w) => w.uuid('ABEiM0RVZneImaq7zN3u_w'))).toBe('00112233445566778899aabbccddeeff');
  });
});

describe('finish() checks the computed size', () => {
  it('throws when the buffer was sized too large', () => {
    const w = Writer.alloc(5);
    w.int32(1);
    expect(() => w.finish()).toThrow(EncodeError);
    expect(() => w.finish()).toThrow(/computed 5, wrote 4/);
  });

  it('throws when the buffer was sized too small', () => {
    const w = Writer.alloc(2);
    w.unsignedVarint(300);
    w.bool(true); // past the end: dropped by the typed array, but counted
    expect(() => w.finish()).toThrow(/computed 2, wrote 3/);
    const v = Writer.alloc(3);
    expect(() => v.int32(1)).toThrow(RangeError); // fixed-width writes past the end fail at once
  });

  it('returns the buffer when the size was right', () => {
    const w = Writer.alloc(4);
    w.int32(0x01020304);
    expect(w.finish()).toBe(w.buf);
    expect(w.buf.toString('hex')).toBe('01020304');
  });
});
