/**
 * Descriptors do not grow with the partition count: with the open-file bound at 8 and 50
 * partitions of several segments each (hundreds of files), produce, fetch (buffered and as
 * file regions sent with sendfile), retention, compaction and a restart all work, and the
 * segment files this process holds open never exceed the bound, counted in /proc/self/fd.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRegion } from '../../../src/protocol/codec/file-region.js';
import { sendRegion } from '../../../src/server/file-sender.js';
import { FileSegmentStore } from '../../../src/storage/file-store.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { makeBatch } from './batch-fixture.js';
import { allRecords, keyedBatch, latestPerKey, readAll } from './cleaner-fixture.js';
import { silent } from './store-modes.js';

const MAX_OPEN = 8;
const PARTITIONS = 50;
const ROUNDS = 6;
const SEGMENT_FILE = /\.(log|index|timeindex)(\.(deleted|cleaned|swap))?$/;
const T0 = 1_700_000_000_000;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-open-files-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** This process's descriptors on files under the data dir: all of them, and segment files only. */
function descriptors(): { all: number; segments: number } {
  let all = 0;
  let segments = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the readlink
    }
    if (!target.startsWith(root + '/')) continue;
    all++;
    if (SEGMENT_FILE.test(target)) segments++;
  }
  return { all, segments };
}

/** The most segment descriptors seen, sampled while the event loop turns; `outside` counts region sends. */
function sampler(): { peak: () => number; stop: () => void; outside: { n: number } } {
  let peak = 0;
  const outside = { n: 0 };
  const timer = setInterval(() => {
    peak = Math.max(peak, descriptors().segments - outside.n);
  }, 1);
  return { peak: () => peak, stop: () => clearInterval(timer), outside };
}

const openManager = (clock: () => number): Promise<LogManager> =>
  LogManager.open({
    store: new FileSegmentStore(root, { regions: true, maxOpenFiles: MAX_OPEN }),
    logger: silent,
    schedulerIntervalMs: 0,
    clock,
    defaults: { segmentBytes: 1024, indexIntervalBytes: 100, fileDeleteDelayMs: 0 },
    cleaner: { fileDeleteDelayMs: 0 },
  });

const COMPACT: Partial<LogConfig> = { compact: true, delete: false, segmentBytes: 1024, minCleanableDirtyRatio: 0.01 };

/** Every batch's bytes from `from` to the high watermark, through buffered reads. */
async function readBytes(log: PartitionLog, from: bigint): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20);
    if (r.records.length === 0) break;
    parts.push(...r.records);
    offset = r.nextOffset;
  }
  return Buffer.concat(parts);
}

async function socketPair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const srv = createServer();
  const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const client = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const server = await accepted;
  return { server, client, close: () => (client.destroy(), server.destroy(), srv.close()) };
}

describe('open segment files under a bound', () => {
  it(`stay within ${MAX_OPEN} for ${PARTITIONS} partitions through produce, fetch, regions, retention, compaction and restart`, async () => {
    let now = T0;
    const clock = () => now;
    const s = sampler();
    try {
      let m = await openManager(clock);
      const logs = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => m.createPartition('t', p)));
      const compacted = await m.createPartition('table', 0, { config: COMPACT });
      // No tail cache: every fetch goes to the files.
      for (const log of m.logs()) log.setTailCacheBytes(0);

      // Produce: all partitions at once, so appends compete for the few descriptors.
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(logs.map((log) => log.append(makeBatch({ records: 3, valueSize: 120, tag: round }))));
        now += 10;
      }
      for (let i = 0; i < 40; i++) await compacted.append(keyedBatch([{ key: `k${i % 4}`, value: `v${i}` }], { timestamp: now + i }));
      for (const log of logs) {
        expect(log.logEndOffset).toBe(BigInt(ROUNDS * 3));
        expect(log.segmentInfo().length).toBeGreaterThanOrEqual(3);
      }
      const files = logs.reduce((n, l) => n + l.segmentInfo().length * 3, 0);
      expect(files).toBeGreaterThan(MAX_OPEN * 40);

      // Fetch: buffered, all partitions at once, every batch back.
      const stored = await Promise.all(logs.map((log) => readBytes(log, 0n)));
      for (const bytes of stored) expect(bytes.length).toBe(ROUNDS * makeBatch({ records: 3, valueSize: 120 }).length);

      // Fetch as regions sent with sendfile: the same bytes as the buffered reads.
      const { server, client, close } = await socketPair();
      try {
        const received: Buffer[] = [];
        client.on('data', (d: Buffer) => received.push(d));
        let sent = 0;
        for (const [p, log] of logs.entries()) {
          const r = await log.read(0n, 1 << 20, { regions: true });
          for (const chunk of r.records) {
            expect(chunk).toBeInstanceOf(FileRegion);
            s.outside.n++;
            await sendRegion(server, chunk as FileRegion).finally(() => s.outside.n--);
            sent += chunk.length;
          }
          expect(sent).toBeGreaterThan(0);
          const firstSegment = stored[p]!.subarray(0, r.sizeInBytes);
          await new Promise<void>((resolve) => {
            const check = () => (Buffer.concat(received).length >= sent ? resolve() : setTimeout(check, 1));
            check();
          });
          expect(Buffer.concat(received).subarray(sent - r.sizeInBytes).equals(firstSegment)).toBe(true);
        }
      } finally {
        close();
      }

      // Retention: old segments go (renamed to .deleted, then removed), the rest stays readable.
      m.updateTopicConfig('t', { retentionBytes: 1500 });
      expect(await m.runRetention(now)).toBeGreaterThanOrEqual(PARTITIONS);
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const [p, log] of logs.entries()) {
        expect(log.logStartOffset).toBeGreaterThan(0n);
        const rest = await readBytes(log, log.logStartOffset);
        expect(stored[p]!.subarray(stored[p]!.length - rest.length).equals(rest)).toBe(true);
      }

      // Compaction: the latest value per key survives.
      await compacted.roll();
      expect(await m.cleaner.cleanLog(compacted, { force: true, nowMs: now })).toBeDefined();
      const latest = latestPerKey(allRecords(await readAll(compacted)));
      expect([...latest.values()].map((v) => v.value)).toEqual(['v36', 'v37', 'v38', 'v39']);
      expect(allRecords(await readAll(compacted)).length).toBeLessThan(40);

      // Restart on the same folder with the same bound.
      await m.close();
      expect(descriptors().all).toBe(0);
      m = await openManager(clock);
      for (const [p, before] of logs.entries()) {
        const log = m.get('t', p)!;
        expect(log.logEndOffset).toBe(BigInt(ROUNDS * 3));
        expect(log.logStartOffset).toBe(before.logStartOffset);
        const rest = await readBytes(log, log.logStartOffset);
        expect(stored[p]!.subarray(stored[p]!.length - rest.length).equals(rest)).toBe(true);
      }
      expect([...latestPerKey(allRecords(await readAll(m.get('table', 0)!))).values()].map((v) => v.value)).toEqual(['v36', 'v37', 'v38', 'v39']);
      // Nothing but cached segment files is left open between operations.
      expect(descriptors().all).toBeLessThanOrEqual(MAX_OPEN);
      await m.close();
    } finally {
      s.stop();
    }
    expect(s.peak()).toBeGreaterThan(0);
    expect(s.peak()).toBeLessThanOrEqual(MAX_OPEN);
  });
});
