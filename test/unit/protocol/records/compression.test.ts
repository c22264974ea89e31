import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../../src/protocol/codec/errors.js';
import {
  compress,
  decompress,
  isXerial,
  xerialCompress,
  xxh32,
} from '../../../../src/protocol/records/compression.js';
import { Compression, type CompressionType } from '../../../../src/protocol/records/record-batch.js';

const require = createRequire(import.meta.url);

/**
 * A zstd frame written by hand from RFC 8878, independent of any zstd library: no content
 * size in the header (as Java's ZstdOutputStream streams it), window 2^17, then blocks that
 * are raw bytes or one byte repeated (RLE).
 */
function handFrame(blocks: Array<{ raw: Buffer } | { rle: number; size: number }>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const header = Buffer.alloc(3);
    if ('raw' in b) {
      header.writeUIntLE(last | (b.raw.length << 3), 0, 3);
      parts.push(header, b.raw);
    } else {
      header.writeUIntLE(last | (1 << 1) | (b.size << 3), 0, 3);
      parts.push(header, Buffer.from([b.rle]));
    }
  });
  return Buffer.concat(parts);
}

// Byte-wise toEqual on megabyte buffers is slow in vitest; compare natively.
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

const ALL: CompressionType[] = [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd];

describe('compress/decompress', () => {
  it('round-trips every codec', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.uint8Array({ maxLength: 200_000 }), (type, bytes) => {
        const data = Buffer.from(bytes);
        expectBytes(decompress(type, compress(type, data)), data);
      }),
      { numRuns: 60 },
    );
  });

  it('enforces the output limit on every codec', () => {
    const data = Buffer.alloc(1 << 20, 7);
    for (const type of ALL) {
      const c = compress(type, data);
      expectBytes(decompress(type, c, { maxSize: 1 << 20 }), data);
      expect(() => decompress(type, c, { maxSize: (1 << 20) - 1 })).toThrow(DecodeError);
    }
  });

  it('refuses a zstd bomb with no content size before inflating it all', () => {
    // 64 MiB of zeros in 512 RLE blocks is a 2 KiB frame; the limit must stop it early.
    const frame = handFrame(Array.from({ length: 512 }, () => ({ rle: 0, size: 128 << 10 })));
    expect(frame.length).toBeLessThan(4 << 10);
    expect(() => decompress(Compression.zstd, frame, { maxSize: 1 << 20 })).toThrow(/exceeds the limit/);
    expect(decompress(Compression.zstd, frame).length).toBe(64 << 20);
  });
});

describe('zstd frames as Java writes them', () => {
  it('decompresses frames without a content size, and two frames back to back', () => {
    const a = Buffer.from('first part '.repeat(1000));
    const f1 = handFrame([{ raw: a }, { rle: 0x62, size: 5000 }]);
    const expected1 = Buffer.concat([a, Buffer.alloc(5000, 0x62)]);
    expectBytes(decompress(Compression.zstd, f1), expected1);
    const b = Buffer.from('second part '.repeat(1000));
    const f2 = handFrame([{ raw: b }]);
    expectBytes(decompress(Compression.zstd, Buffer.concat([f1, f2])), Buffer.concat([expected1, b]));
  });

  it('rejects a truncated frame instead of returning a prefix', () => {
    const f = handFrame([{ raw: Buffer.alloc(100_000, 0x78) }, { raw: Buffer.alloc(100_000, 0x79) }]);
    for (const cut of [1, 4, 10, f.length - 1]) {
      expect(() => decompress(Compression.zstd, f.subarray(0, cut))).toThrow(DecodeError);
    }
    expect(decompress(Compression.zstd, f).length).toBe(200_000);
  });

  it('compresses with Node\'s zstd where it has one, else writes stored blocks any decoder reads', () => {
    const data = Buffer.from('a record value '.repeat(20_000));
    const packed = compress(Compression.zstd, data);
    const hasZlibZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
    if (hasZlibZstd) expect(packed.length).toBeLessThan(data.length / 10);
    else expect(packed.length).toBeGreaterThan(data.length);
    // fzstd is an independent decoder: the frame must be standard zstd either way.
    const fzstd = require('fzstd') as typeof import('fzstd');
    expectBytes(Buffer.from(fzstd.decompress(packed)), data);
  });
});

describe('snappy', () => {
  // Written by hand from the formats, independent of any snappy library: a xerial header
  // (magic, version 1, compatible 1) and two blocks, each a raw snappy literal.
  const XERIAL_VECTOR = Buffer.from(
    '82534e41505059000000000100000001' + '00000005' + '03' + '08' + '616263' + '00000004' + '02' + '04' + '6465',
    'hex',
  );

  it('decodes a known xerial-framed vector', () => {
    expect(isXerial(XERIAL_VECTOR)).toBe(true);
    expect(decompress(Compression.snappy, XERIAL_VECTOR).toString()).toBe('abcde');
  });

  it('decodes raw snappy when there is no xerial header', () => {
    expect(decompress(Compression.snappy, Buffer.from('0308616263', 'hex')).toString()).toBe('abc');
    const snappyjs = require('snappyjs') as { compress(b: Buffer): Buffer };
    const data = Buffer.from('raw snappy from snappyjs '.repeat(100));
    expectBytes(decompress(Compression.snappy, snappyjs.compress(data)), data);
  });

  it('compresses as xerial in 32 KiB blocks, each readable by snappyjs', () => {
    const snappyjs = require('snappyjs') as { uncompress(b: Buffer): Buffer };
    const data = Buffer.alloc(100_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 253;
    const x = xerialCompress(data);
    expect(x.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    const blocks: Buffer[] = [];
    for (let at = 16; at < x.length; ) {
      const len = x.readInt32BE(at);
      blocks.push(snappyjs.uncompress(x.subarray(at + 4, at + 4 + len)));
      at += 4 + len;
    }
    expect(blocks.map((b) => b.length)).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expectBytes(Buffer.concat(blocks), data);
    expectBytes(decompress(Compression.snappy, x), data);
  });

  it('rejects a block length that overruns, and a lying preamble', () => {
    const bad = Buffer.from(XERIAL_VECTOR);
    bad.writeInt32BE(1000, 16);
    expect(() => decompress(Compression.snappy, bad)).toThrow(DecodeError);
    // Preamble says 100 bytes, the block holds 3.
    expect(() => decompress(Compression.snappy, Buffer.from('6408616263', 'hex'))).toThrow(DecodeError);
    // Preamble claims 4 GiB: rejected by the limit, before any allocation.
    expect(() => decompress(Compression.snappy, Buffer.from('ffffffff0f00', 'hex'))).toThrow(/limit/);
  });
});

describe('lz4 frame', () => {
  it('xxh32 matches published vectors', () => {
    expect(xxh32(Buffer.alloc(0), 0, 0)).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('abc'), 0, 3)).toBe(0x32d153ff);
    const s = Buffer.from('Nobody inspects the spammish repetition');
    expect(xxh32(s, 0, s.length)).toBe(0xe2293b2f);
  });

  it('writes a frame header Kafka reads: v1, independent blocks, valid BD and header checksum', () => {
    const f = compress(Compression.lz4, Buffer.from('hello '.repeat(50_000)));
    expect(f.readUInt32LE(0)).toBe(0x184d2204);
    const flg = f[4]!;
    const bd = f[5]!;
    expect(flg >> 6).toBe(1); // version 01
    expect(flg & 0x20).toBe(0x20); // block independence
    expect(flg & 0x02).toBe(0); // reserved
    expect(flg & 0x01).toBe(0); // no dictionary id
    expect((bd >> 4) & 7).toBeGreaterThanOrEqual(4);
    expect(bd & 0x8f).toBe(0);
    const descEnd = 6 + (flg & 0x08 ? 8 : 0);
    expect(f[descEnd]).toBe((xxh32(f, 4, descEnd) >>> 8) & 0xff);
  });

  it('accepts the KIP-57 broken header checksum only when asked', () => {
    const data = Buffer.from('legacy '.repeat(1000));
    const f = Buffer.from(compress(Compression.lz4, data));
    const descEnd = 6 + (f[4]! & 0x08 ? 8 : 0);
    // Kafka before 0.10 hashed the magic too.
    f[descEnd] = (xxh32(f, 0, descEnd) >>> 8) & 0xff;
    expect(() => decompress(Compression.lz4, f)).toThrow(/header checksum/);
    expectBytes(decompress(Compression.lz4, f, { lz4LegacyHeaderChecksum: true }), data);
  });

  it('bounds the output from the frame before decompressing', () => {
    // A compressed block of 1 byte per 255 output bytes: 4 MiB blocks of zeros.
    const f = compress(Compression.lz4, Buffer.alloc(16 << 20));
    expect(() => decompress(Compression.lz4, f, { maxSize: 1 << 20 })).toThrow(/limit/);
  });
});

describe('gzip', () => {
  it('reads multi-member gzip and rejects garbage with DecodeError', () => {
    const zlib = require('node:zlib') as typeof import('node:zlib');
    const m = Buffer.concat([zlib.gzipSync('ab'), zlib.gzipSync('cd')]);
    expect(decompress(Compression.gzip, m).toString()).toBe('abcd');
    expect(() => decompress(Compression.gzip, Buffer.from('not gzip'))).toThrow(DecodeError);
  });
});
