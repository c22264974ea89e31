// Throughput of the batch codecs on record-like data (JSON values, repeated keys).
// Run: npx tsx bench/compression-bench.ts [--smoke]
import { pathToFileURL } from 'node:url';
import { compress, decompress } from '../src/protocol/records/compression.js';
import { Compression, type CompressionType } from '../src/protocol/records/record-batch.js';

export interface CompressionRow {
  codec: string;
  ratio: number;
  compressMbPerSec: number;
  decompressMbPerSec: number;
}

function sampleData(size: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  let i = 0;
  while (n < size) {
    const s = JSON.stringify({ id: i, user: `user-${(i * 7919) % 1000}`, ts: 1_700_000_000_000 + i * 13, amount: (i * 31) % 977, tags: ['a', 'b', String(i % 17)] });
    parts.push(s);
    n += s.length;
    i++;
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
  return (bytes * iterations) / 1e6 / ((performance.now() - start) / 1e3);
}

export async function benchCompression(opts: { smoke: boolean }): Promise<CompressionRow[]> {
  const data = sampleData(1 << 20);
  const minMs = opts.smoke ? 20 : 400;
  const codecs: Array<[string, CompressionType]> = [
    ['gzip', Compression.gzip],
    ['snappy (xerial)', Compression.snappy],
    ['lz4 frame', Compression.lz4],
    ['zstd', Compression.zstd],
  ];
  return codecs.map(([codec, type]) => {
    const packed = compress(type, data);
    return {
      codec,
      ratio: Math.round((data.length / packed.length) * 100) / 100,
      compressMbPerSec: Math.round(rate(data.length, () => compress(type, data), minMs)),
      decompressMbPerSec: Math.round(rate(data.length, () => decompress(type, packed), minMs)),
    };
  });
}

const arg = process.argv[1];
if (arg !== undefined && import.meta.url === pathToFileURL(arg).href) {
  const smoke = process.argv.includes('--smoke');
  const rows = await benchCompression({ smoke });
  console.log(`Batch codecs on 1 MiB of JSON-ish records, Node ${process.version}${smoke ? ' (smoke)' : ''}`);
  console.log('| codec | ratio | compress MB/s | decompress MB/s |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.codec} | ${r.ratio} | ${r.compressMbPerSec} | ${r.decompressMbPerSec} |`);
}
