// Throughput of the CRC-32C candidates; the result decides which one
// src/protocol/codec/crc32c.ts loads. Run: npx tsx bench/crc32c-bench.ts [--smoke]
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import { crc32cPure } from '../src/protocol/codec/crc32c.js';

type CrcFn = (data: Uint8Array) => number;

export interface BenchRow {
  name: string;
  size: string;
  mbPerSec: number;
}

const CHECK = Buffer.from('123456789', 'latin1');
const CHECK_VALUE = 0xe3069283;

function candidates(): { list: Array<{ name: string; fn: CrcFn }>; missing: string[] } {
  const require = createRequire(import.meta.url);
  const list: Array<{ name: string; fn: CrcFn }> = [];
  const missing: string[] = [];
  const tryLoad = (name: string, get: () => CrcFn): void => {
    try {
      const fn = get();
      if (fn(CHECK) >>> 0 !== CHECK_VALUE) throw new Error('wrong check value');
      list.push({ name, fn });
    } catch (e) {
      missing.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  tryLoad('sse4_crc32', () => (require('sse4_crc32') as { calculate: CrcFn }).calculate);
  tryLoad('fast-crc32c', () => (require('fast-crc32c') as { calculate: CrcFn }).calculate);
  tryLoad('@node-rs/crc32', () => (require('@node-rs/crc32') as { crc32c: CrcFn }).crc32c);
  // zlib.crc32 (Node >= 20.15 / 22.2) is plain CRC-32 (IEEE), not Castagnoli; there is no
  // crc32c in node:zlib, so it can never be a candidate. Listed to record that it was checked.
  const z = zlib as unknown as { crc32c?: CrcFn };
  if (typeof z.crc32c === 'function') tryLoad('node:zlib crc32c', () => z.crc32c!);
  else missing.push(`node:zlib: no crc32c in Node ${process.version} (zlib.crc32 is IEEE CRC-32)`);
  list.push({ name: 'pure slice-by-16', fn: crc32cPure });
  return { list, missing };
}

function measure(fn: CrcFn, buf: Buffer, minMs: number): number {
  // Warm up so the JIT (for the pure one) and the N-API call path are hot.
  let sink = 0;
  for (let i = 0; i < 200; i++) sink ^= fn(buf);
  let iterations = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  const batch = Math.max(1, Math.floor((1 << 22) / buf.length));
  while (elapsedNs < BigInt(minMs) * 1_000_000n) {
    for (let i = 0; i < batch; i++) sink ^= fn(buf);
    iterations += batch;
    bytes += batch * buf.length;
    elapsedNs = process.hrtime.bigint() - start;
  }
  if (sink === 0.5) console.log('unreachable', iterations);
  return bytes / 1e6 / (Number(elapsedNs) / 1e9);
}

export async function benchCrc32c(opts: { smoke: boolean }): Promise<BenchRow[]> {
  const { list } = candidates();
  const sizes: Array<[string, number]> = [
    ['1 MiB', 1 << 20],
    ['1 KiB', 1 << 10],
  ];
  const minMs = opts.smoke ? 20 : 500;
  const rows: BenchRow[] = [];
  for (const [label, size] of sizes) {
    const buf = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) buf[i] = (i * 2654435761) >>> 24;
    for (const c of list) {
      rows.push({ name: c.name, size: label, mbPerSec: Math.round(measure(c.fn, buf, minMs)) });
    }
  }
  return rows;
}

function isMain(): boolean {
  const arg = process.argv[1];
  return arg !== undefined && import.meta.url === pathToFileURL(arg).href;
}

if (isMain()) {
  const smoke = process.argv.includes('--smoke');
  const { missing } = candidates();
  const rows = await benchCrc32c({ smoke });
  console.log(`CRC-32C throughput, Node ${process.version}, ${process.arch}${smoke ? ' (smoke)' : ''}`);
  console.log('| implementation | size | MB/s |');
  console.log('| --- | --- | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.size} | ${r.mbPerSec} |`);
  for (const m of missing) console.log(`not measured: ${m}`);
}
