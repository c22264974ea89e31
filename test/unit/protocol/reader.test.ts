import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec/errors.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { Writer } from '../../../src/protocol/codec/writer.js';
import { ZERO_UUID, randomUuid, uuidFromBytes, uuidToBytes } from '../../../src/protocol/codec/uuid.js';
import { writeTaggedFieldsBefore, type TaggedField } from '../../../src/protocol/codec/generated-support.js';
import {
  decodeApiVersionsResponse,
  encodeApiVersionsResponse,
} from '../../../src/protocol/generated/018-api-versions.js';
import { decodeFetchRequest, encodeFetchRequest } from '../../../src/protocol/generated/001-fetch.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const reader = (b: Buffer | string) => new Reader(typeof b === 'string' ? hex(b) : b);

/** Known encodings: [value, bytes]. */
const UNSIGNED_VARINTS: Array<[number, string]> = [
  [0, '00'],
  [1, '01'],
  [127, '7f'],
  [128, '8001'],
  [300, 'ac02'],
  [16383, 'ff7f'],
  [16384, '808001'],
  [2 ** 28 - 1, 'ffffff7f'],
  [2 ** 28, '8080808001'],
  [2 ** 31 - 1, 'ffffffff07'],
  [2 ** 31, '8080808008'],
  [2 ** 32 - 1, 'ffffffff0f'],
];
const VARINTS: Array<[number, string]> = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [-2, '03'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [150, 'ac02'],
  [2 ** 27 - 1, 'feffff7f'],
  [-(2 ** 27), 'ffffff7f'],
  [2 ** 27, '8080808001'],
  [2 ** 31 - 1, 'feffffff0f'],
  [-(2 ** 31), 'ffffffff0f'],
];
const VARLONGS: Array<[bigint, string]> = [
  [0n, '00'],
  [-1n, '01'],
  [1n, '02'],
  [2n ** 27n - 1n, 'feffff7f'],
  [-(2n ** 27n), 'ffffff7f'],
  [2n ** 27n, '8080808001'],
  [2n ** 31n - 1n, 'feffffff0f'],
  [-(2n ** 31n), 'ffffffff0f'],
  [2n ** 31n, '8080808010'],
  [2n ** 63n - 1n, 'feffffffffffffffff01'],
  [-(2n ** 63n), 'ffffffffffffffffff01'],
];

function expectEveryPrefixThrows(bytes: Buffer, read: (r: Reader) => unknown): void {
  for (let cut = 0; cut < bytes.length; cut++) {
    expect(() => read(new Reader(bytes.subarray(0, cut))), `prefix ${cut}`).toThrow(DecodeError);
  }
}

describe('varints', () => {
  it.each(UNSIGNED_VARINTS)('unsigned %d <-> %s', (value, bytes) => {
    const r = reader(bytes);
    expect(r.unsignedVarint()).toBe(value);
    expect(r.remaining).toBe(0);
    expectEveryPrefixThrows(hex(bytes), (x) => x.unsignedVarint());
  });

  it.each(VARINTS)('zigzag %d <-> %s', (value, bytes) => {
    const r = reader(bytes);
    expect(r.varint()).toBe(value);
    expect(r.remaining).toBe(0);
    expectEveryPrefixThrows(hex(bytes), (x) => x.varint());
  });

  it.each(VARLONGS)('zigzag long %d <-> %s', (value, bytes) => {
    expect(reader(bytes).varlong()).toBe(value);
    expect(reader(bytes).varlongAsNumber()).toBe(Number(value));
    const r = reader(bytes);
    r.varlongAsNumber();
    expect(r.remaining).toBe(0);
    expectEveryPrefixThrows(hex(bytes), (x) => x.varlong());
    expectEveryPrefixThrows(hex(bytes), (x) => x.varlongAsNumber());
  });

  it('a 6-byte varint is a DecodeError', () => {
    expect(() => reader('808080808000').unsignedVarint()).toThrow(DecodeError);
    expect(() => reader('ffffffffff01').varint()).toThrow(/longer than 5 bytes/);
  });

  it('an 11-byte varlong is a DecodeError', () => {
    expect(() => reader('8080808080808080808000').varlong()).toThrow(DecodeError);
    expect(() => reader('ffffffffffffffffffff01').varlongAsNumber()).toThrow(DecodeError);
  });

  // Kafka's ByteUtils.readVarlong keeps the low 64 bits of a 10th byte that carries more.
  it('a varlong whose 10th byte overflows 64 bits is masked to an int64', () => {
    let v: bigint | undefined;
    try {
      v = reader('ffffffffffffffffff7f').varlong();
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      return;
    }
    expect(v).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(v).toBeLessThanOrEqual(2n ** 63n - 1n);
  });

  it('round trips any int32 and int64 through Writer and Reader', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        const w = Writer.alloc(5 + 10);
        w.varint(i);
        w.varlong(l);
        const r = new Reader(w.buf, 0, w.pos);
        expect(r.varint()).toBe(i);
        expect(r.varlong()).toBe(l);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 300, seed: 1 },
    );
  });
});

describe('fixed-width reads', () => {
  it('read big-endian values and fail on truncation', () => {
    const b = hex('01 ff 8000 ffff 80000000 ffffffff 8000000000000000 3ff8000000000000');
    const r = new Reader(b);
    expect(r.bool()).toBe(true);
    expect(r.int8()).toBe(-1);
    expect(r.int16()).toBe(-32768);
    expect(r.uint16()).toBe(65535);
    expect(r.int32()).toBe(-(2 ** 31));
    expect(r.uint32()).toBe(2 ** 32 - 1);
    expect(r.int64()).toBe(-(2n ** 63n));
    expect(r.float64()).toBe(1.5);
    expect(r.remaining).toBe(0);
    expect(() => r.bool()).toThrow(DecodeError);
    expect(() => reader('000000').int32()).toThrow(/truncated: need 4 bytes at 0, have 3/);
    expect(() => reader('00000000000000').int64()).toThrow(DecodeError);
    expect(reader('02').bool()).toBe(true);
    expect(reader('00').bool()).toBe(false);
  });

  it('honours the start and end it was given', () => {
    const r = new Reader(hex('aa 0001 bb'), 1, 3);
    expect(r.remaining).toBe(2);
    expect(r.int16()).toBe(1);
    expect(() => r.int8()).toThrow(DecodeError);
    const s = new Reader(hex('00 02 0a0b 0c'));
    const sub = s.sub(s.int16());
    expect(s.int8()).toBe(0x0c);
    expect(sub.rawBytes(2)).toEqual(hex('0a0b'));
    expect(() => sub.int8()).toThrow(DecodeError);
    expect(() => new Reader(hex('01')).sub(2)).toThrow(DecodeError);
    expect(() => new Reader(hex('0102')).expectEnd('x')).toThrow(/2 trailing bytes after x/);
  });
});

describe('strings', () => {
  it('reads the four forms, with null where allowed', () => {
    expect(reader('0003 616263').string()).toBe('abc');
    expect(reader('0000').string()).toBe('');
    expect(reader('ffff').nullableString()).toBeNull();
    expect(reader('0001 78').nullableString()).toBe('x');
    expect(reader('04 616263').compactString()).toBe('abc');
    expect(reader('01').compactString()).toBe('');
    expect(reader('00').compactNullableString()).toBeNull();
    expect(reader('01').compactNullableString()).toBe('');
  });

  it('null where not nullable, and negative lengths other than -1, are DecodeErrors', () => {
    expect(() => reader('ffff').string()).toThrow(DecodeError);
    expect(() => reader('fffe 00').string()).toThrow(DecodeError);
    expect(() => reader('fffe 00').nullableString()).toThrow(/string length -2/);
    expect(() => reader('8000').nullableString()).toThrow(DecodeError);
    expect(() => reader('00').compactString()).toThrow(/null/);
  });

  it('a length past the end is a DecodeError at every truncation point', () => {
    expectEveryPrefixThrows(hex('0005 6162636465'), (r) => r.string());
    expectEveryPrefixThrows(hex('06 6162636465'), (r) => r.compactString());
    expectEveryPrefixThrows(hex('0004 e282ac21'), (r) => r.nullableString());
    expect(() => reader('7fff 00').string()).toThrow(/truncated/);
    expect(() => reader('ffffffff0f 00').compactNullableString()).toThrow(DecodeError);
  });

  it('multi-byte UTF-8 round trips and has the right bytes', () => {
    const cases: Array<[string, string]> = [
      ['é', 'c3a9'],
      ['€', 'e282ac'],
      ['𝄞', 'f09d849e'],
      ['a€𝄞é', '61e282acf09d849ec3a9'],
    ];
    for (const [s, bytes] of cases) {
      const len = hex(bytes).length;
      const w = Writer.alloc(2 + len + 1 + len);
      w.string(s);
      w.compactString(s);
      expect(w.finish().toString('hex')).toBe(len.toString(16).padStart(4, '0') + bytes + (len + 1).toString(16).padStart(2, '0') + bytes);
      const r = new Reader(w.buf);
      expect(r.string()).toBe(s);
      expect(r.compactString()).toBe(s);
    }
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const n = Buffer.byteLength(s);
        const w = Writer.alloc(2 + n);
        w.string(s);
        expect(new Reader(w.finish()).string()).toBe(s);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it.each([
    ['lone continuation byte', '80'],
    ['continuation after ASCII', '61bf'],
    ['overlong 2-byte NUL', 'c080'],
    ['overlong 2-byte slash', 'c0af'],
    ['overlong 3-byte', 'e080af'],
    ['overlong 4-byte', 'f08082ac'],
    ['UTF-16 high surrogate', 'eda080'],
    ['UTF-16 low surrogate', 'edbfbf'],
    ['beyond U+10FFFF', 'f4908080'],
    ['truncated 3-byte sequence', 'e282'],
    ['0xff', 'ff'],
    ['0xfe', 'fe'],
  ])('invalid UTF-8 (%s) is a DecodeError', (_, bytes) => {
    const b = hex(bytes);
    const plain = Buffer.concat([Buffer.from([0, b.length]), b]);
    const compact = Buffer.concat([Buffer.from([b.length + 1]), b]);
    expect(() => new Reader(plain).string()).toThrow(DecodeError);
    expect(() => new Reader(plain).nullableString()).toThrow(/invalid UTF-8/);
    expect(() => new Reader(compact).compactString()).toThrow(DecodeError);
    expect(() => new Reader(compact).compactNullableString()).toThrow(DecodeError);
  });

  // Kafka (Java) keeps a leading U+FEFF; dropping it would change the bytes on a round trip.
  it('a leading byte order mark is kept', () => {
    expect(reader('0004 efbbbf61').string()).toBe('\uFEFFa');
  });
});

describe('bytes and arrays', () => {
  it('reads the four forms of bytes, as views of the input', () => {
    const b = hex('00000002 0a0b');
    const v = new Reader(b).bytes();
    expect(v).toEqual(hex('0a0b'));
    expect(v.buffer).toBe(b.buffer);
    expect(reader('ffffffff').nullableBytes()).toBeNull();
    expect(reader('03 0a0b').compactBytes()).toEqual(hex('0a0b'));
    expect(reader('00').compactNullableBytes()).toBeNull();
    expect(reader('01').compactNullableBytes()).toEqual(Buffer.alloc(0));
  });

  it('null where not nullable, and negative lengths other than -1, are DecodeErrors', () => {
    expect(() => reader('ffffffff').bytes()).toThrow(DecodeError);
    expect(() => reader('fffffffe').nullableBytes()).toThrow(/bytes length -2/);
    expect(() => reader('80000000').nullableBytes()).toThrow(DecodeError);
    expect(() => reader('00').compactBytes()).toThrow(DecodeError);
    expect(() => reader('ffffffff').arrayLength()).toThrow(DecodeError);
    expect(reader('ffffffff').nullableArrayLength()).toBe(-1);
    expect(() => reader('fffffffe').nullableArrayLength()).toThrow(/array length -2/);
    expect(() => reader('00').compactArrayLength()).toThrow(DecodeError);
    expect(reader('00').compactNullableArrayLength()).toBe(-1);
  });

  it('a huge count is checked against the bytes left before anyone allocates for it', () => {
    const b = Buffer.concat([hex('7fffffff'), Buffer.alloc(10)]);
    expect(() => new Reader(b).arrayLength(1)).toThrow(/array of 2147483647 cannot fit in 10 bytes/);
    expect(() => new Reader(b).nullableArrayLength(4)).toThrow(DecodeError);
    expect(() => new Reader(Buffer.concat([hex('ffffffff0f'), Buffer.alloc(10)])).compactArrayLength()).toThrow(/array of 4294967294/);
    expect(() => new Reader(Buffer.concat([hex('ffffffff0f'), Buffer.alloc(10)])).compactNullableArrayLength()).toThrow(DecodeError);
    // The element size counts: 3 int32s need 12 bytes, not 3.
    expect(new Reader(Buffer.concat([hex('00000003'), Buffer.alloc(12)])).arrayLength(4)).toBe(3);
    expect(() => new Reader(Buffer.concat([hex('00000003'), Buffer.alloc(11)])).arrayLength(4)).toThrow(DecodeError);
    expect(new Reader(Buffer.concat([hex('04'), Buffer.alloc(3)])).compactArrayLength(1)).toBe(3);
  });
});

describe('uuids', () => {
  it('uses the 22-character base64url text form and round trips', () => {
    const bytes = hex('00112233445566778899aabbccddeeff');
    const text = uuidFromBytes(bytes, 0);
    expect(text).toBe('ABEiM0RVZneImaq7zN3u_w');
    expect(text).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const out = Buffer.alloc(18);
    uuidToBytes(text, out, 1);
    expect(out.subarray(1, 17)).toEqual(bytes);
    expect(uuidFromBytes(Buffer.alloc(16), 0)).toBe(ZERO_UUID);
    expect(reader('ff'.repeat(16)).uuid()).toBe('_____________________w');
    expect(() => reader('ff'.repeat(15)).uuid()).toThrow(DecodeError);
    expect(() => uuidToBytes('short', Buffer.alloc(16), 0)).toThrow(RangeError);
  });

  it('random uuids are never zero and round trip', () => {
    for (let i = 0; i < 50; i++) {
      const u = randomUuid();
      expect(u).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(u).not.toBe(ZERO_UUID);
      const w = Writer.alloc(16);
      w.uuid(u);
      expect(new Reader(w.finish()).uuid()).toBe(u);
    }
  });
});

// ---- tagged fields, with messages built by hand ----

const b = {
  i8: (v: number) => Buffer.from([v & 0xff]),
  i16: (v: number) => { const x = Buffer.alloc(2); x.writeInt16BE(v); return x; },
  i32: (v: number) => { const x = Buffer.alloc(4); x.writeInt32BE(v); return x; },
  i64: (v: bigint) => { const x = Buffer.alloc(8); x.writeBigInt64BE(v); return x; },
  uv: (v: number) => {
    const out: number[] = [];
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
    out.push(v);
    return Buffer.from(out);
  },
  cstr: (s: string) => Buffer.concat([b.uv(Buffer.byteLength(s) + 1), Buffer.from(s)]),
  tag: (tag: number, data: Buffer) => Buffer.concat([b.uv(tag), b.uv(data.length), data]),
};
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

describe('tagged fields', () => {
  // ApiVersionsResponse v3: known tags 0 SupportedFeatures, 1 FinalizedFeaturesEpoch,
  // 2 FinalizedFeatures, 3 ZkMigrationReady; 9 and 200 are unknown.
  const supported = cat(b.uv(2), b.cstr('metadata.version'), b.i16(1), b.i16(20), b.uv(0));
  const finalized = cat(b.uv(2), b.cstr('metadata.version'), b.i16(17), b.i16(1), b.uv(0));
  const apiVersionsV3 = cat(
    b.i16(0),
    b.uv(2), b.i16(18), b.i16(0), b.i16(4), b.uv(0),
    b.i32(0),
    b.uv(6),
    b.tag(0, supported),
    b.tag(1, b.i64(5n)),
    b.tag(2, finalized),
    b.tag(3, b.i8(1)),
    b.tag(9, hex('cafe')),
    b.tag(200, hex('01')),
  );

  it('known tags decode (ApiVersionsResponse v3 tags 0-3)', () => {
    const r = new Reader(apiVersionsV3);
    const v = decodeApiVersionsResponse(r, 3);
    expect(r.remaining).toBe(0);
    expect(v.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4, unknownTaggedFields: undefined }]);
    expect(v.supportedFeatures).toEqual([{ name: 'metadata.version', minVersion: 1, maxVersion: 20, unknownTaggedFields: undefined }]);
    expect(v.finalizedFeaturesEpoch).toBe(5n);
    expect(v.finalizedFeatures).toEqual([{ name: 'metadata.version', maxVersionLevel: 17, minVersionLevel: 1, unknownTaggedFields: undefined }]);
    expect(v.zkMigrationReady).toBe(true);
    expect(v.unknownTaggedFields).toEqual([{ tag: 9, data: hex('cafe') }, { tag: 200, data: hex('01') }]);
  });

  it('unknown tags are kept and written back after the known ones, byte for byte', () => {
    const v = decodeApiVersionsResponse(new Reader(apiVersionsV3), 3);
    expect(encodeApiVersionsResponse(v, 3)).toEqual(apiVersionsV3);
    // Unknown tags are written in their place even when the known fields are at their defaults.
    v.supportedFeatures = [];
    v.finalizedFeaturesEpoch = -1n;
    v.finalizedFeatures = [];
    v.zkMigrationReady = false;
    const tail = encodeApiVersionsResponse(v, 3).subarray(2 + 8 + 4); // error code, api keys, throttle time
    expect(tail).toEqual(cat(b.uv(2), b.tag(9, hex('cafe')), b.tag(200, hex('01'))));
  });

  it('a known tag whose data is longer than its value is a DecodeError', () => {
    const bad = cat(b.i16(0), b.uv(1), b.i32(0), b.uv(1), b.tag(3, hex('0100')));
    expect(() => decodeApiVersionsResponse(new Reader(bad), 3)).toThrow(/trailing bytes after tagged field zkMigrationReady/);
    const short = cat(b.i16(0), b.uv(1), b.i32(0), b.uv(1), b.tag(1, hex('0102')));
    expect(() => decodeApiVersionsResponse(new Reader(short), 3)).toThrow(DecodeError);
  });

  it('tags in a nested struct and at the top level of a FetchRequest v12', () => {
    const partition = cat(b.i32(2), b.i32(-1), b.i64(42n), b.i32(-1), b.i64(-1n), b.i32(1048576), b.uv(1), b.tag(5, hex('aa')));
    const topic = cat(b.cstr('t'), b.uv(2), partition, b.uv(0));
    const fetch = cat(
      b.i32(-1), b.i32(500), b.i32(1), b.i32(52428800), b.i8(0), b.i32(0), b.i32(-1),
      b.uv(2), topic,
      b.uv(1),
      b.cstr('rack-1'),
      b.uv(2), b.tag(0, b.cstr('cluster-x')), b.tag(7, hex('0102')),
    );
    const r = new Reader(fetch);
    const v = decodeFetchRequest(r, 12);
    expect(r.remaining).toBe(0);
    expect(v.clusterId).toBe('cluster-x');
    expect(v.maxWaitMs).toBe(500);
    expect(v.rackId).toBe('rack-1');
    expect(v.unknownTaggedFields).toEqual([{ tag: 7, data: hex('0102') }]);
    expect(v.topics[0]!.topic).toBe('t');
    expect(v.topics[0]!.partitions[0]).toMatchObject({ partition: 2, fetchOffset: 42n, partitionMaxBytes: 1048576, unknownTaggedFields: [{ tag: 5, data: hex('aa') }] });
    expect(encodeFetchRequest(v, 12)).toEqual(fetch);
    // Without the cluster id, the unknown tag is all that is left.
    v.clusterId = null;
    expect(encodeFetchRequest(v, 12).subarray(-5)).toEqual(cat(b.uv(1), b.tag(7, hex('0102'))));
  });

  it('writeTaggedFieldsBefore splits unknown tags around a known one', () => {
    const unknown: TaggedField[] = [{ tag: 1, data: hex('11') }, { tag: 4, data: hex('44') }, { tag: 300, data: hex('') }];
    const w = Writer.alloc(3 + 2 + 3 + 3);
    let u = writeTaggedFieldsBefore(w, unknown, 0, 3);
    expect(u).toBe(1);
    w.unsignedVarint(3); // the known tag 3 goes here
    w.unsignedVarint(0);
    u = writeTaggedFieldsBefore(w, unknown, u, Infinity);
    expect(u).toBe(3);
    expect(w.finish()).toEqual(cat(b.tag(1, hex('11')), b.tag(3, hex('')), b.tag(4, hex('44')), b.tag(300, hex(''))));
  });
});
