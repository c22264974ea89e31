/**
 * PartitionLog.read({regions: true}) on the file store: the regions planned from batch
 * headers hold exactly the bytes the buffer path reads, and a segment removed from the log
 * (DeleteRecords, retention) stays readable for file.delete.delay.ms, so a fetch already
 * sending from it finishes.
 */
import { existsSync, mkdtempSync, readdirSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegion } from '../../../src/protocol/codec/file-region.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { FileSegmentStore } from '../../../src/storage/file-store.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { makeBatch } from './batch-fixture.js';
import { silent } from './store-modes.js';

const roots: string[] = [];
const logs: PartitionLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => undefined);
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

async function openLog(config: Partial<LogConfig>): Promise<{ log: PartitionLog; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'skiff-regions-'));
  roots.push(root);
  const store = new FileSegmentStore(root, { regions: true });
  // No tail cache: every read is a cold read.
  const log = await PartitionLog.open({ store, topic: 't', partition: 0, config, logger: silent, clean: true, tailCacheBytes: 0 });
  logs.push(log);
  return { log, root };
}

async function bytesOf(region: FileRegion): Promise<Buffer> {
  const buf = Buffer.alloc(region.length);
  const fd = await region.source.acquire();
  try {
    expect(readSync(fd, buf, 0, region.length, region.position)).toBe(region.length);
  } finally {
    region.source.release();
  }
  return buf;
}

describe('file regions', () => {
  it('hold the same batches as a buffered read, for any offset, limit and upTo', async () => {
    const { log } = await openLog({ segmentBytes: 4000, indexIntervalBytes: 300 });
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 1 + (i % 4), valueSize: 20 + 37 * (i % 5) }));
    // A first read loads each segment's index; regions need it loaded (they never await).
    for (let o = 0n; o < log.highWatermark; o += 5n) await log.read(o, 100);
    let regions = 0;
    for (let offset = 0n; offset < log.highWatermark; offset += 7n) {
      for (const maxBytes of [1, 200, 1000, 100_000]) {
        for (const upTo of [undefined, offset + 3n]) {
          const plain = await log.read(offset, maxBytes, { upTo });
          const viaRegions = await log.read(offset, maxBytes, { upTo, regions: true });
          const got = Buffer.concat(await Promise.all(viaRegions.records.map(async (r) => (r instanceof FileRegion ? (regions++, await bytesOf(r)) : r))));
          expect(got.equals(Buffer.concat(plain.records))).toBe(true);
          expect(viaRegions.sizeInBytes).toBe(plain.sizeInBytes);
          expect(viaRegions.nextOffset).toBe(plain.nextOffset);
        }
      }
    }
    expect(regions).toBeGreaterThan(50);
  });

  it('keeps a deleted segment readable until file.delete.delay.ms has passed, and one being sent until its send ends', async () => {
    const { log, root } = await openLog({ segmentBytes: 800, fileDeleteDelayMs: 150 });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2 }));
    await log.read(0n, 100);
    const r = await log.read(0n, 500, { regions: true });
    const region = r.records[0] as FileRegion;
    expect(region).toBeInstanceOf(FileRegion);
    const before = await bytesOf(region);
    const segs = log.segmentInfo();
    const firstLog = join(root, 't-0', '00000000000000000000.log');
    expect(existsSync(firstLog)).toBe(true);
    await log.deleteRecordsBefore(segs[2]!.baseOffset);
    expect(existsSync(firstLog)).toBe(false);
    // Renamed out of the log as Kafka does: a fetch planned before still sends the same bytes.
    expect(existsSync(firstLog + '.deleted')).toBe(true);
    expect((await bytesOf(region)).equals(before)).toBe(true);
    // A send in progress when the delay runs out keeps its descriptor to the end.
    const fd = await region.source.acquire();
    // The delay is a timer: on a busy machine it may fire late, so wait for it (at most 10 s).
    for (let i = 0; i < 200 && existsSync(firstLog + '.deleted'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(firstLog + '.deleted')).toBe(false);
    const during = Buffer.alloc(region.length);
    expect(readSync(fd, during, 0, region.length, region.position)).toBe(region.length);
    expect(during.equals(before)).toBe(true);
    region.source.release();
    await expect(region.source.acquire()).rejects.toThrow(/closed/);
  });

  it('removes deleted segments still waiting when the log closes', async () => {
    const { log, root } = await openLog({ segmentBytes: 800 });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2 }));
    await log.read(0n, 100);
    const region = (await log.read(0n, 500, { regions: true })).records[0] as FileRegion;
    await log.deleteRecordsBefore(log.segmentInfo()[2]!.baseOffset);
    await expect(bytesOf(region)).resolves.toHaveLength(region.length);
    await log.close();
    await expect(region.source.acquire()).rejects.toThrow(/closed/);
    expect(readdirSync(join(root, 't-0')).filter((n) => n.endsWith('.deleted'))).toEqual([]);
  });
});
