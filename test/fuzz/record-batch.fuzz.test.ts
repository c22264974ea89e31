// Truncated and mutated batches: decoding may fail, but only with DecodeError, and
// validateBatch and forEachBatch never throw at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/protocol/codec/errors.js';
import { decompress } from '../../src/protocol/records/compression.js';
import { Field, forEachBatch, rewriteCrc, validateBatch } from '../../src/protocol/records/record-batch.js';
import { buildBatch, decodeControlRecord, decodeRecords } from '../../src/protocol/records/records.js';

function seed(compression: 0 | 1 | 2 | 3 | 4): Buffer {
  return buildBatch({
    baseOffset: 10n,
    compression,
    baseTimestamp: 1_700_000_000_000n,
    records: Array.from({ length: 6 }, (_, i) => ({
      key: i % 2 ? Buffer.from(`key-${i}`) : null,
      value: Buffer.from(`value ${i} `.repeat(i * 3)),
      timestampDelta: i * 7,
      headers: i % 3 ? [{ key: 'h', value: Buffer.from([i]) }] : [],
    })),
  });
}

const SEEDS = [0, 1, 2, 3, 4].map((c) => seed(c as 0 | 1 | 2 | 3 | 4));

function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
}

function exercise(buf: Buffer): void {
  expect(() => validateBatch(buf)).not.toThrow();
  expect(() => forEachBatch(buf, () => {})).not.toThrow();
  onlyDecodeErrors(() => {
    for (const r of decodeRecords(buf, 0, { maxSize: 1 << 20 })) onlyDecodeErrors(() => decodeControlRecord(r));
  });
}

describe('fuzz: record batches', () => {
  it('every truncation of every codec', () => {
    for (const s of SEEDS) {
      for (let n = 0; n < s.length; n++) {
        const cut = s.subarray(0, n);
        expect(validateBatch(cut)).toBe('truncated');
        exercise(cut);
      }
    }
  });

  it('random byte mutations, with and without a fixed-up CRC', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (s, edits, fixCrc) => {
          const buf = Buffer.from(s);
          for (const [pos, byte] of edits) buf[pos % buf.length] = byte;
          // With a fresh CRC the mutation reaches the record and codec parsers.
          if (fixCrc && validateBatch(buf) === 'crc_mismatch') rewriteCrc(buf, 0);
          exercise(buf);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutations inside the compressed section reach each decompressor', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (c, edits) => {
          const s = SEEDS[c]!;
          const section = Buffer.from(s.subarray(Field.records));
          for (const [pos, byte] of edits) section[pos % section.length] = byte;
          onlyDecodeErrors(() => decompress(c as 1 | 2 | 3 | 4, section, { maxSize: 1 << 20 }));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(1, 2, 3, 4), (a, c) => {
        const buf = Buffer.from(a);
        exercise(buf);
        onlyDecodeErrors(() => decompress(c as 1 | 2 | 3 | 4, buf, { maxSize: 1 << 20 }));
      }),
      { numRuns: 3000 },
    );
  });
});
