/**
 * Storage throughput: appends of 16 KiB batches with a few produce requests in flight (as a
 * pipelining client keeps them), on files with and without fsync-before-ack and in memory;
 * then tail reads (memory) and cold reads (files).
 *
 *   npx tsx bench/storage-bench.ts [totalMiB=256] [inFlight=8] [batchKiB=16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { crc32c } from '../src/protocol/codec/crc32c.js';
import { FileSegmentStore } from '../src/storage/file-store.js';
import { MemorySegmentStore } from '../src/storage/memory-store.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import type { LogConfig } from '../src/storage/log-config.js';
import type { SegmentStore } from '../src/storage/store.js';

const totalMiB = Number(process.argv[2] ?? 256);
const inFlight = Number(process.argv[3] ?? 8);
const batchKiB = Number(process.argv[4] ?? 16);
const logger = pino({ level: 'silent' });

/** One uncompressed batch of 1 KiB records, close to `batchKiB` in size. */
function templateBatch(): Buffer {
  const valueSize = 1000;
  const count = Math.max(1, Math.floor((batchKiB * 1024 - 61) / (valueSize + 12)));
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // length, attributes 0, timestampDelta i, offsetDelta i, key -1, value length 1000, no headers
    const body = Buffer.concat([Buffer.from([0, i * 2, i * 2, 1]), Buffer.from([0xd0, 0x0f]), Buffer.alloc(valueSize, 7), Buffer.from([0])]);
    const len = body.length * 2;
    records.push(Buffer.concat([Buffer.from([(len & 0x7f) | 0x80, len >> 7]), body]));
  }
  const payload = Buffer.concat(records);
  const b = Buffer.alloc(61 + payload.length);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt8(2, 16);
  b.writeInt32BE(count - 1, 23);
  b.writeBigInt64BE(BigInt(Date.now()), 27);
  b.writeBigInt64BE(BigInt(Date.now() + count - 1), 35);
  b.writeBigInt64BE(-1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(count, 57);
  payload.copy(b, 61);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

async function appendRun(name: string, store: SegmentStore, config: Partial<LogConfig>): Promise<PartitionLog> {
  const log = await PartitionLog.open({ store, topic: 'bench', partition: 0, config, logger, tailCacheBytes: 8 << 20 });
  const template = templateBatch();
  const n = Math.floor((totalMiB * 1024 * 1024) / template.length);
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await log.append(Buffer.from(template));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = (n * template.length) / (1 << 20);
  process.stdout.write(
    `${name.padEnd(30)} ${n} batches ${mib.toFixed(0)} MiB in ${s.toFixed(2)} s: ${(mib / s).toFixed(0)} MiB/s, ${(n / s).toFixed(0)} appends/s\n`,
  );
  return log;
}

async function readRun(name: string, log: PartitionLog, from: bigint, maxBytes: number, passes = 1): Promise<void> {
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (let pass = 0; pass < passes; pass++) {
    let offset = from;
    while (offset < log.highWatermark) {
      const r = await log.read(offset, maxBytes);
      bytes += r.sizeInBytes;
      // Continue after the last batch returned: walk the final slice's headers to its end.
      const last = r.records.at(-1)!;
      let at = 0;
      while (at < last.length) {
        offset = last.readBigInt64BE(at) + BigInt(last.readInt32BE(at + 23)) + 1n;
        at += last.readInt32BE(at + 8) + 12;
      }
    }
  }
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = bytes / (1 << 20);
  process.stdout.write(`${name.padEnd(30)} ${mib.toFixed(0)} MiB in ${s.toFixed(2)} s: ${(mib / s).toFixed(0)} MiB/s\n`);
}

const root = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
try {
  process.stdout.write(`total ${totalMiB} MiB, ${inFlight} appends in flight, ~${batchKiB} KiB batches\n`);
  const files = await appendRun('file, no fsync', new FileSegmentStore(join(root, 'a')), { segmentBytes: 128 << 20 });
  // The tail cache holds 8 MiB here; re-read its last ~6 MiB as consumers at the tail would.
  await readRun('read tail (memory cache)', files, files.highWatermark - 6000n, 1 << 20, 40);
  await readRun('read cold (file)', files, 0n, 1 << 20);
  await files.close();
  const synced = await appendRun('file, fsync before ack', new FileSegmentStore(join(root, 'b')), { segmentBytes: 128 << 20, flushOnAck: true });
  await synced.close();
  const mem = await appendRun('memory', new MemorySegmentStore(), { segmentBytes: 128 << 20 });
  await readRun('read memory store (cold path)', mem, 0n, 1 << 20);
  await mem.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
