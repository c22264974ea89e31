import { createRequire } from 'node:module';

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum of RecordBatch v2.
// Every produced batch is checked once on arrival, so this sits on the produce hot path.

// Slice-by-16: 16 tables of 256 entries let the loop consume 16 bytes per iteration
// with independent lookups instead of a serial dependency per byte.
const T = new Int32Array(16 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 16; k++) {
    const prev = T[(k - 1) * 256 + n]!;
    T[k * 256 + n] = (prev >>> 8) ^ T[prev & 0xff]!;
  }
}

/** Pure-JS CRC-32C, unsigned; the fallback when no native implementation loads. */
export function crc32cPure(data: Uint8Array): number {
  let crc = -1;
  let i = 0;
  const n = data.length;
  const end16 = n - (n % 16);
  const d = data;
  while (i < end16) {
    const a = crc ^ (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24));
    crc =
      T[0xf00 + (a & 0xff)]! ^
      T[0xe00 + ((a >>> 8) & 0xff)]! ^
      T[0xd00 + ((a >>> 16) & 0xff)]! ^
      T[0xc00 + (a >>> 24)]! ^
      T[0xb00 + d[i + 4]!]! ^
      T[0xa00 + d[i + 5]!]! ^
      T[0x900 + d[i + 6]!]! ^
      T[0x800 + d[i + 7]!]! ^
      T[0x700 + d[i + 8]!]! ^
      T[0x600 + d[i + 9]!]! ^
      T[0x500 + d[i + 10]!]! ^
      T[0x400 + d[i + 11]!]! ^
      T[0x300 + d[i + 12]!]! ^
      T[0x200 + d[i + 13]!]! ^
      T[0x100 + d[i + 14]!]! ^
      T[d[i + 15]!]!;
    i += 16;
  }
  while (i < n) crc = T[(crc ^ d[i++]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

type CrcFn = (data: Uint8Array) => number;

/** The check value of "123456789" for CRC-32C; a loaded native module must agree. */
const CHECK_INPUT = Buffer.from('123456789', 'latin1');
const CHECK_VALUE = 0xe3069283;

function loadNative(): { fn: CrcFn; name: string } | null {
  // @node-rs/crc32 (hardware CRC32 instructions) won the benchmark (bench/crc32c-bench.ts)
  // and installs as a prebuilt binary per platform; where none fits, the pure path serves.
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32c: (data: Uint8Array, initial?: number) => number };
    const fn: CrcFn = (data) => mod.crc32c(data) >>> 0;
    // Also guards against a build that loads but computes a different polynomial.
    if (fn(CHECK_INPUT) !== CHECK_VALUE) return null;
    return { fn, name: '@node-rs/crc32' };
  } catch {
    return null;
  }
}

/**
 * Loaded on the first checksum, not at import: a broker that has not been produced to yet
 * does without the addon (~3 ms of startup CPU, ~3.5 MB of idle RSS; bench/startup-bench.ts).
 */
let chosen: { fn: CrcFn; name: string } | undefined;

function choose(): { fn: CrcFn; name: string } {
  chosen ??= (process.env['SKIFF_CRC32C_PURE'] === '1' ? null : loadNative()) ?? { fn: crc32cPure, name: 'pure' };
  return chosen;
}

/** Which implementation `crc32c` uses; for diagnostics and the benchmark. */
export function crc32cImplementation(): string {
  return choose().name;
}

/** CRC-32C of `data`, as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  return (chosen ?? choose()).fn(data);
}
