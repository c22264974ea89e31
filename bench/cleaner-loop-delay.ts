/**
 * How long the log cleaner holds the event loop: a compacted partition of compressed keyed
 * updates (file store) is cleaned once while perf_hooks.monitorEventLoopDelay watches; prints
 * the delay's p50 / p99 / max (what a produce or fetch arriving meanwhile waits at worst) and
 * the cleaning's duration. Not a test: it prints numbers.
 *
 *   npx tsx bench/cleaner-loop-delay.ts [mib=32] [recordsPerBatch=100] [codec=gzip]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { Compression, type CompressionType } from '../src/protocol/records/record-batch.js';
import { buildBatch } from '../src/protocol/records/records.js';
import { LogCleaner } from '../src/storage/cleaner/log-cleaner.js';
import { FileSegmentStore } from '../src/storage/file-store.js';
import { PartitionLog } from '../src/storage/partition-log.js';

const MIB = 1024 * 1024;
const mib = Number(process.argv[2] ?? 32);
const perBatch = Number(process.argv[3] ?? 100);
const codecName = process.argv[4] ?? 'gzip';
const codec = (Compression as Record<string, CompressionType>)[codecName]!;
const KEYS = 100_000;
const logger = pino({ level: 'silent' });

function batchOf(first: number, ts: number): Buffer {
  return buildBatch({
    compression: codec,
    baseTimestamp: BigInt(ts),
    records: Array.from({ length: perBatch }, (_, i) => {
      const n = first + i;
      const k = (n * 2654435761) % KEYS;
      return {
        key: Buffer.from(`user-${k.toString().padStart(8, '0')}`),
        value: Buffer.from(`{"n":${n},"name":"value for key ${k}","pad":"${'x'.repeat(40 + (n % 32))}"}`),
        timestampDelta: i,
      };
    }),
  });
}

const root = mkdtempSync(join(tmpdir(), 'skiff-cleaner-delay-'));
try {
  const store = new FileSegmentStore(root);
  const log = await PartitionLog.open({
    store,
    topic: 'bench',
    partition: 0,
    config: { compact: true, delete: false, segmentBytes: 16 * MIB, minCleanableDirtyRatio: 0 },
    logger,
    tailCacheBytes: MIB,
  });
  const now = Date.now();
  for (let n = 0; log.sizeInBytes < mib * MIB; n += perBatch) await log.append(batchOf(n, now));
  await log.roll();
  const input = log.sizeInBytes;
  const cleaner = await LogCleaner.open({ store, logger, logs: () => [log], fileDeleteDelayMs: 0 });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = process.hrtime.bigint();
  const stats = await cleaner.cleanLog(log, { force: true, nowMs: now });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  delay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  process.stdout.write(
    `${codecName}, ${perBatch} records/batch, ${(input / MIB).toFixed(1)} MiB in, ${((stats?.bytesRead ?? 0) / MIB).toFixed(1)} MiB read: ` +
      `${seconds.toFixed(2)} s; event-loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms\n`,
  );
  await cleaner.close();
  await log.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
