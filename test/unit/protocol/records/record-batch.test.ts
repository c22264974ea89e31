import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation, crc32cPure } from '../../../../src/protocol/codec/crc32c.js';
import {
  BatchHeader,
  Compression,
  Field,
  batches,
  computeCrc,
  forEachBatch,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
} from '../../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../../src/protocol/records/records.js';

const require = createRequire(import.meta.url);
const nodeRs = require('@node-rs/crc32') as { crc32c(b: Uint8Array): number };

describe('crc32c', () => {
  it('loads the prebuilt native implementation on the platforms the package claims', () => {
    if (process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch) && process.env['SKIFF_CRC32C_PURE'] !== '1') {
      expect(crc32cImplementation()).toBe('@node-rs/crc32');
    }
  });

  it('loads the native addon on the first checksum, not at import (startup RSS)', () => {
    // A fresh process: this one loaded @node-rs/crc32 above.
    const script = [
      "import { createRequire } from 'node:module';",
      'const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("@node-rs"));',
      "const { crc32c } = await import('./src/protocol/codec/crc32c.ts');",
      'const before = loaded();',
      'crc32c(Buffer.from("x"));',
      'console.log(JSON.stringify([before, loaded()]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../../../..'),
      env: { ...process.env, SKIFF_CRC32C_PURE: '' },
    });
    expect(JSON.parse(out.toString())).toEqual([false, true]);
  });

  it('has the CRC-32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cPure(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cPure(Buffer.alloc(0))).toBe(0);
    // RFC 3720 B.4: 32 bytes of zeros.
    expect(crc32cPure(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  it('pure and native agree with @node-rs/crc32 at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(15), (bytes, skip) => {
        const view = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
        const expected = nodeRs.crc32c(view) >>> 0;
        expect(crc32cPure(view)).toBe(expected);
        expect(crc32c(view)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

function sample(baseOffset = 0n, n = 3, compression = 0 as 0 | 1 | 2 | 3 | 4): Buffer {
  return buildBatch({
    baseOffset,
    compression,
    baseTimestamp: 1_000n,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`value ${i}`), timestampDelta: i })),
  });
}

describe('validateBatch', () => {
  it('accepts what buildBatch makes, with every codec', () => {
    for (const c of [0, 1, 2, 3, 4] as const) expect(validateBatch(sample(0n, 5, c), 0, { contiguousOffsets: true })).toBeNull();
  });

  it('names each fault', () => {
    const good = sample();
    expect(validateBatch(good.subarray(0, 10))).toBe('truncated');
    expect(validateBatch(good.subarray(0, good.length - 1))).toBe('truncated');

    const magic = Buffer.from(good);
    magic[Field.magic] = 1;
    expect(validateBatch(magic)).toBe('bad_magic');

    const len = Buffer.from(good);
    len.writeInt32BE(10, Field.batchLength);
    expect(validateBatch(len)).toBe('bad_batch_length');

    const crc = Buffer.from(good);
    crc[crc.length - 1]! ^= 0x40;
    expect(validateBatch(crc)).toBe('crc_mismatch');

    // Count and lastOffsetDelta are under the CRC, so rewrite it after each lie.
    const count = Buffer.from(good);
    count.writeInt32BE(4, Field.recordCount);
    count.writeInt32BE(3, Field.lastOffsetDelta);
    count.writeUInt32BE(computeCrc(count, 0), Field.crc);
    expect(validateBatch(count)).toBe('bad_record_count');

    const delta = Buffer.from(good);
    delta.writeInt32BE(1, Field.lastOffsetDelta);
    delta.writeUInt32BE(computeCrc(delta, 0), Field.crc);
    expect(validateBatch(delta)).toBe('bad_record_count');

    // A compacted batch: fewer records than offsets is fine unless contiguity is required.
    const gap = Buffer.from(good);
    gap.writeInt32BE(9, Field.lastOffsetDelta);
    gap.writeUInt32BE(computeCrc(gap, 0), Field.crc);
    expect(validateBatch(gap)).toBeNull();
    expect(validateBatch(gap, 0, { contiguousOffsets: true })).toBe('bad_record_count');
  });
});

describe('in-place patches', () => {
  it('offset and leader epoch leave the CRC valid', () => {
    const b = sample();
    setBaseOffset(b, 0, 1234567890123n);
    setPartitionLeaderEpoch(b, 0, 17);
    const h = new BatchHeader(b);
    expect(h.baseOffset).toBe(1234567890123n);
    expect(h.partitionLeaderEpoch).toBe(17);
    expect(h.lastOffset).toBe(1234567890125n);
    expect(validateBatch(b)).toBeNull();
  });

  it('LogAppendTime sets the bit and maxTimestamp and recomputes the CRC', () => {
    const b = sample(0n, 3, Compression.gzip);
    const before = new BatchHeader(b).crc;
    setLogAppendTime(b, 0, 99_999n);
    const h = new BatchHeader(b);
    expect(h.isLogAppendTime).toBe(true);
    expect(h.compression).toBe(Compression.gzip);
    expect(h.maxTimestamp).toBe(99_999n);
    expect(h.crc).not.toBe(before);
    expect(validateBatch(b)).toBeNull();
  });
});

describe('forEachBatch', () => {
  it('walks concatenated batches and stops at a truncated tail', () => {
    const parts = [sample(0n, 3), sample(3n, 1, Compression.lz4), sample(4n, 2)];
    const all = Buffer.concat(parts);
    const seen: bigint[] = [];
    const scan = forEachBatch(all, (h) => {
      seen.push(h.baseOffset);
    });
    expect(seen).toEqual([0n, 3n, 4n]);
    expect(scan).toEqual({ count: 3, wholeBytes: all.length, tail: 'none' });

    const cut = all.subarray(0, all.length - 5);
    expect(forEachBatch(cut, () => {})).toEqual({
      count: 2,
      wholeBytes: parts[0]!.length + parts[1]!.length,
      tail: 'truncated',
    });
    expect(forEachBatch(all.subarray(0, parts[0]!.length + 7), () => {}).tail).toBe('truncated');
    expect([...batches(cut)].map((b) => b.at)).toEqual([0, parts[0]!.length]);
  });

  it('stops when the callback says so, and on a length that cannot be a batch', () => {
    const all = Buffer.concat([sample(0n), sample(3n), sample(6n)]);
    expect(forEachBatch(all, () => false).count).toBe(1);
    const bad = Buffer.from(all);
    bad.writeInt32BE(-5, sample().length + Field.batchLength);
    expect(forEachBatch(bad, () => {})).toEqual({ count: 1, wholeBytes: sample().length, tail: 'corrupt' });
    expect(forEachBatch(Buffer.alloc(0), () => {})).toEqual({ count: 0, wholeBytes: 0, tail: 'none' });
  });
});
