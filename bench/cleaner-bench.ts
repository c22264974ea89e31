/**
 * Log cleaner throughput and memory. Not a test: it prints numbers.
 *
 *   npx tsx bench/cleaner-bench.ts [--smoke]
 *
 * For each case a compacted partition is filled with keyed updates (records of ~120 bytes,
 * 100 per batch), its active segment rolled, and one cleaning timed. MB/s counts the bytes the
 * cleaner read, both passes (Kafka's "cleaned ... MB/sec" measure), krec/s the records it
 * rewrote; "map" is the key map it allocated and
 * "peak heap+buffers" the largest growth of V8 heap plus array buffers seen while it ran,
 * sampled every 5 ms. The "bounded" case caps the key map (log.cleaner.dedupe.buffer.size)
 * far below the key count, so the log is cleaned in several rounds within that memory.
 * `make bench` calls benchCleaner() through bench/lib/micro.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Compression, type CompressionType } from '../src/protocol/records/record-batch.js';
import { buildBatch, type RecordInput } from '../src/protocol/records/records.js';
import { LogCleaner } from '../src/storage/cleaner/log-cleaner.js';
import { FileSegmentStore } from '../src/storage/file-store.js';
import type { LogConfig } from '../src/storage/log-config.js';
import { MemorySegmentStore } from '../src/storage/memory-store.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import type { SegmentStore } from '../src/storage/store.js';

export interface CleanerBenchRow {
  case: string;
  inputMiB: number;
  outputMiB: number;
  seconds: number;
  mbPerSec: number;
  /** Thousands of records rewritten per second (compressed cases hold far more records per MiB). */
  krecordsPerSec: number;
  rounds: number;
  mapMiB: number;
  peakHeapPlusBuffersMiB: number;
}

interface Case {
  name: string;
  store: 'file' | 'memory';
  mib: number;
  keys: number;
  compression: CompressionType;
  /** Key map cap; undefined for Kafka's default (128 MiB). */
  dedupeBufferSize?: number;
}

const logger = pino({ level: 'silent' });
const MIB = 1024 * 1024;

function batchOf(first: number, keys: number, compression: CompressionType, ts: number): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < 100; i++) {
    const n = first + i;
    // Keys spread over the key space in a fixed pseudo-random order.
    const k = (n * 2654435761) % keys;
    records.push({
      key: Buffer.from(`user-${k.toString().padStart(8, '0')}`),
      value: Buffer.from(`{"n":${n},"name":"value for key ${k}","pad":"${'x'.repeat(40 + (n % 32))}"}`),
      timestampDelta: i,
    });
  }
  return buildBatch({ compression, baseTimestamp: BigInt(ts), records });
}

async function runCase(c: Case): Promise<CleanerBenchRow> {
  const root = c.store === 'file' ? mkdtempSync(join(tmpdir(), 'skiff-cleaner-bench-')) : undefined;
  const store: SegmentStore = root !== undefined ? new FileSegmentStore(root) : new MemorySegmentStore();
  try {
    const config: Partial<LogConfig> = { compact: true, delete: false, segmentBytes: 16 * MIB, minCleanableDirtyRatio: 0 };
    const log = await PartitionLog.open({ store, topic: 'bench', partition: 0, config, logger, tailCacheBytes: 1 * MIB });
    const now = Date.now();
    let n = 0;
    while (log.sizeInBytes < c.mib * MIB) {
      await log.append(batchOf(n, c.keys, c.compression, now));
      n += 100;
    }
    await log.roll();
    const input = log.sizeInBytes;
    const cleaner = await LogCleaner.open({
      store,
      logger,
      logs: () => [log],
      fileDeleteDelayMs: 0,
      ...(c.dedupeBufferSize !== undefined ? { dedupeBufferSize: c.dedupeBufferSize } : {}),
    });
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage();
    const baseline = base.heapUsed + base.arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - baseline);
    }, 5);
    const started = process.hrtime.bigint();
    let rounds = 0;
    let bytesRead = 0;
    let records = 0;
    for (;;) {
      const stats = await cleaner.cleanLog(log, { force: true, nowMs: now });
      if (stats === undefined || stats.bytesRead === 0) break;
      rounds++;
      bytesRead += stats.bytesRead;
      records += stats.recordsRead;
      if (stats.endOffset >= log.segmentInfo().at(-1)!.baseOffset) break;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    const output = log.sizeInBytes;
    const row: CleanerBenchRow = {
      case: c.name,
      inputMiB: round(input / MIB),
      outputMiB: round(output / MIB),
      seconds: round(seconds),
      mbPerSec: round(bytesRead / 1e6 / seconds),
      krecordsPerSec: round(records / 1e3 / seconds),
      rounds,
      mapMiB: round((cleaner.cleaner?.peakMapBytes ?? 0) / MIB),
      peakHeapPlusBuffersMiB: round(Math.max(0, peak) / MIB),
    };
    await cleaner.close();
    await log.close();
    return row;
  } finally {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The cases, run one after the other; `smoke` keeps them tiny (numbers not meaningful). */
export async function benchCleaner(opts: { smoke: boolean }): Promise<CleanerBenchRow[]> {
  // Sized so the full run stays well inside bench/lib/micro.ts's five minutes.
  const mib = opts.smoke ? 4 : 64;
  const compressedMib = opts.smoke ? 2 : 16;
  const keys = opts.smoke ? 5_000 : 100_000;
  const cases: Case[] = [
    { name: `file, uncompressed, ${keys} keys`, store: 'file', mib, keys, compression: Compression.none },
    { name: `memory, uncompressed, ${keys} keys`, store: 'memory', mib, keys, compression: Compression.none },
    { name: `file, lz4, ${keys} keys`, store: 'file', mib: compressedMib, keys, compression: Compression.lz4 },
    { name: `file, zstd, ${keys} keys`, store: 'file', mib: compressedMib, keys, compression: Compression.zstd },
    {
      name: `file, uncompressed, ${keys} keys, key map capped at ${opts.smoke ? '32 KiB' : '1 MiB'}`,
      store: 'file',
      mib: opts.smoke ? mib : 32,
      keys,
      compression: Compression.none,
      dedupeBufferSize: opts.smoke ? 32 * 1024 : MIB,
    },
  ];
  const rows: CleanerBenchRow[] = [];
  for (const c of cases) rows.push(await runCase(c));
  return rows;
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const rows = await benchCleaner({ smoke });
  const head = ['case', 'in MiB', 'out MiB', 's', 'MB/s', 'krec/s', 'rounds', 'map MiB', 'peak heap+buffers MiB'];
  const width = Math.max(...rows.map((r) => r.case.length), 4);
  process.stdout.write(`${head[0]!.padEnd(width)}  ${head.slice(1).map((h) => h.padStart(8)).join('  ')}${smoke ? '  (smoke run: numbers are not meaningful)' : ''}\n`);
  for (const r of rows) {
    const cells = [r.inputMiB, r.outputMiB, r.seconds, r.mbPerSec, r.krecordsPerSec, r.rounds, r.mapMiB, r.peakHeapPlusBuffersMiB].map((v) => String(v).padStart(8));
    process.stdout.write(`${r.case.padEnd(width)}  ${cells.join('  ')}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
