// Throughput of the zstd candidates that need no compiler at install time, against the
// compiled zstd-napi Skiff used before; the result decides what compression.ts loads.
// Run: npx tsx bench/zstd-bench.ts [--smoke] (under Node 20 and under Node >= 22.15).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';

type Codec = (data: Buffer) => Buffer | Uint8Array;

function sampleData(size: number): Buffer {
  const parts: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const s = JSON.stringify({ id: i, user: `user-${(i * 7919) % 1000}`, ts: 1_700_000_000_000 + i * 13, amount: (i * 31) % 977 });
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join('\n')).subarray(0, size);
}

function rate(bytes: number, fn: () => void, minMs: number): number {
  for (let i = 0; i < 3; i++) fn();
  let iterations = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    iterations++;
  }
  return Math.round((bytes * iterations) / 1e6 / ((performance.now() - start) / 1e3));
}

function candidates(): { compressors: Array<[string, Codec]>; decompressors: Array<[string, Codec]>; missing: string[] } {
  const require = createRequire(import.meta.url);
  const compressors: Array<[string, Codec]> = [];
  const decompressors: Array<[string, Codec]> = [];
  const missing: string[] = [];
  const z = zlib as unknown as { zstdCompressSync?: Codec; zstdDecompressSync?: Codec };
  if (z.zstdCompressSync && z.zstdDecompressSync) {
    compressors.push(['node:zlib', z.zstdCompressSync]);
    decompressors.push(['node:zlib', z.zstdDecompressSync]);
  } else {
    missing.push(`node:zlib: no zstd in Node ${process.version} (from 22.15 / 23.8)`);
  }
  try {
    const b = require('zstd-napi') as { compress: Codec; decompress: Codec };
    compressors.push(['zstd-napi (compiled)', b.compress]);
    decompressors.push(['zstd-napi (compiled)', b.decompress]);
  } catch (e) {
    missing.push(`zstd-napi: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const f = require('fzstd') as { decompress: Codec };
    decompressors.push(['fzstd (pure JS)', f.decompress]);
  } catch (e) {
    missing.push(`fzstd: ${(e as Error).message.split('\n')[0]}`);
  }
  return { compressors, decompressors, missing };
}

const arg = process.argv[1];
if (arg !== undefined && import.meta.url === pathToFileURL(arg).href) {
  const smoke = process.argv.includes('--smoke');
  const minMs = smoke ? 20 : 500;
  const data = sampleData(1 << 20);
  const { compressors, decompressors, missing } = candidates();
  // Level 3 (the default of each) for every compressor; one frame decoded by all.
  const packed = compressors.length > 0 ? Buffer.from(compressors[0]![1](data)) : Buffer.alloc(0);
  console.log(`zstd on 1 MiB of JSON-ish records, Node ${process.version}, ${process.arch}${smoke ? ' (smoke)' : ''}`);
  console.log('| implementation | compress MB/s | decompress MB/s |');
  console.log('| --- | ---: | ---: |');
  const names = new Set([...compressors.map((c) => c[0]), ...decompressors.map((d) => d[0])]);
  for (const name of names) {
    const c = compressors.find((x) => x[0] === name);
    const d = decompressors.find((x) => x[0] === name);
    const cRate = c ? String(rate(data.length, () => c[1](data), minMs)) : '-';
    const dRate = d && packed.length > 0 ? String(rate(data.length, () => d[1](packed), minMs)) : '-';
    console.log(`| ${name} | ${cRate} | ${dRate} |`);
  }
  for (const m of missing) console.log(`not measured: ${m}`);
}
