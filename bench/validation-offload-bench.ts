/**
 * Where produce validation's heavy byte work should run, with no broker: the same compressed
 * batches validated (a) entirely on the main thread (validateProduceBatch) and (b) with the
 * decompression on the libuv pool (startProduceValidation, 4 batches in flight as partitions
 * and pipelined requests would have), per codec and batch size. Also the CRC-32C alone against
 * the copy a worker thread would need first (the broker's buffers are views it cannot
 * transfer). Prints the main thread's CPU time per MiB of batch on the wire (what other
 * connections wait for) and the process's CPU per MiB (all threads).
 *
 *   npx tsx bench/validation-offload-bench.ts [mib=64] [recordBytes=1024]   (ONLY=gzip: one codec)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { Compression, computeCrc, type CompressionType } from '../src/protocol/records/record-batch.js';
import { buildBatch } from '../src/protocol/records/records.js';
import { startProduceValidation, validateProduceBatch, type ProduceValidationOptions } from '../src/storage/log-validator.js';
import { benchValidationOptions } from './lib/validation-options.js';

const total = Number(process.argv[2] ?? 64) * 2 ** 20;
const recordBytes = Number(process.argv[3] ?? 1024);
const SIZES_KIB = [16, 32, 64, 256, 1024];
// zstd is left out where Node's zlib has no zstd (Node 20): the project can only write
// stored frames then, and decompresses with fzstd on the main thread.
const CODECS: Array<[string, CompressionType]> = [
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ...(typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function' ? [['zstd', Compression.zstd] as [string, CompressionType]] : []),
];
const IN_FLIGHT = 4;

const opts: ProduceValidationOptions = { ...benchValidationOptions(), offThreadMinBytes: 0 };

/** Records of JSON-like text (compresses about as real payloads do), `kib` KiB before compression. */
function makeBatch(codec: CompressionType, kib: number): Buffer {
  const count = Math.max(1, Math.floor((kib * 1024) / recordBytes));
  return buildBatch({
    baseTimestamp: BigInt(Date.now()),
    compression: codec,
    records: Array.from({ length: count }, (_, i) => {
      // Half random hex, half repeated field names: about 3:1 with gzip, as log lines or JSON events.
      const head = JSON.stringify({ id: i, user: `user-${(i * 7919) % 1000}`, amount: (i * 31) % 977, payload: randomBytes(recordBytes / 4).toString('hex') });
      const value = head.padEnd(recordBytes - 8, ' "status":"ok","region":"eu-west-1"').slice(0, recordBytes - 8);
      return { key: Buffer.from(`key-${i % 100}`.padEnd(8)), value: Buffer.from(value), timestampDelta: i };
    }),
  });
}

interface Measured {
  mainUsPerMiB: number;
  cpuUsPerMiB: number;
}

/** The main thread's CPU time in µs, at nanosecond resolution (schedstat), not its busy wall time. */
function mainThreadCpuUs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

async function measure(batch: Buffer, run: (b: Buffer) => Promise<unknown>): Promise<Measured> {
  const count = Math.max(8, Math.floor(total / batch.length));
  const main0 = mainThreadCpuUs();
  const cpu0 = process.cpuUsage();
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued++ < count) {
      await run(batch);
      // A turn of the event loop per batch, as separate requests would get.
      await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const main = mainThreadCpuUs() - main0;
  const cpu = process.cpuUsage(cpu0);
  const mib = (count * batch.length) / 2 ** 20;
  return { mainUsPerMiB: main / mib, cpuUsPerMiB: (cpu.user + cpu.system) / mib };
}

const inline = (b: Buffer) => {
  if (validateProduceBatch(b, opts) !== null) throw new Error('batch refused');
  return Promise.resolve();
};
const offThread = async (b: Buffer) => {
  if ((await startProduceValidation(b, opts)) !== null) throw new Error('batch refused');
};

const fmt = (m: Measured) => `${m.mainUsPerMiB.toFixed(0).padStart(6)} / ${m.cpuUsPerMiB.toFixed(0).padStart(6)}`;
process.stdout.write(`records of ${recordBytes} B; main-thread CPU / process CPU, µs per MiB on the wire; ${IN_FLIGHT} in flight\n`);
process.stdout.write('codec   records KiB  wire KiB   inline (main / cpu)   off-thread (main / cpu)\n');
for (const [name, codec] of CODECS.filter(([n]) => process.env.ONLY === undefined || n === process.env.ONLY)) {
  for (const kib of SIZES_KIB) {
    const batch = makeBatch(codec, kib);
    // Warm both paths (addons load, JIT) before measuring; then alternate twice, keep the lower.
    await measure(batch, inline);
    await measure(batch, offThread);
    const a = [await measure(batch, inline), await measure(batch, inline)];
    const b = [await measure(batch, offThread), await measure(batch, offThread)];
    const best = (xs: Measured[]) => xs.reduce((x, y) => (y.mainUsPerMiB < x.mainUsPerMiB ? y : x));
    process.stdout.write(`${name.padEnd(7)} ${String(kib).padStart(11)} ${(batch.length / 1024).toFixed(0).padStart(9)}   ${fmt(best(a))}       ${fmt(best(b))}\n`);
  }
}

// The CRC alone: computed here, or the copy into shared memory a worker would need first.
process.stdout.write('\nCRC-32C vs the copy a worker needs (µs per MiB, main thread)\n');
for (const kib of SIZES_KIB) {
  const buf = makeBatch(Compression.none, kib);
  const shared = Buffer.from(new SharedArrayBuffer(buf.length));
  const reps = Math.max(8, Math.floor(total / buf.length));
  const time = (fn: () => void) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return ((performance.now() - t0) * 1000) / ((reps * buf.length) / 2 ** 20);
  };
  let sink = 0;
  time(() => (sink ^= computeCrc(buf)));
  const crc = time(() => (sink ^= computeCrc(buf)));
  const copy = time(() => buf.copy(shared));
  process.stdout.write(`${String(kib).padStart(5)} KiB   crc ${crc.toFixed(0).padStart(5)}   copy ${copy.toFixed(0).padStart(5)}   (${sink & 1})\n`);
}
