import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/storage/log-manager.js';
import { PartitionLog, TAIL_CACHE_IDLE_MS } from '../../../src/storage/partition-log.js';
import { TailCache } from '../../../src/storage/tail-cache.js';
import { makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

describe('TailCache', () => {
  it('copies a small slice out of a large buffer so the rest can be freed', () => {
    const frame = Buffer.alloc(1024 * 1024);
    const cache = new TailCache(1024 * 1024);
    cache.push({ baseOffset: 0n, lastOffset: 0n, bytes: frame.subarray(100, 200) });
    const [cached] = cache.collect(0n, 1000, true, 10n)!;
    expect(cached!.length).toBe(100);
    expect(cached!.buffer.byteLength).toBeLessThan(1024);
  });

  it('keeps a slice that is most of its buffer as it is', () => {
    const frame = Buffer.alloc(4096);
    const cache = new TailCache(1024 * 1024);
    cache.push({ baseOffset: 0n, lastOffset: 0n, bytes: frame.subarray(0, 4000) });
    expect(cache.collect(0n, 10_000, true, 10n)![0]!.buffer).toBe(frame.buffer);
  });

  it('evicts the oldest batches past its budget and after a resize', () => {
    const cache = new TailCache(3000);
    for (let i = 0; i < 10; i++) cache.push({ baseOffset: BigInt(i), lastOffset: BigInt(i), bytes: Buffer.alloc(1000) });
    cache.evict();
    expect(cache.bytes).toBe(3000);
    expect(cache.collect(6n, 100_000, true, 100n)).toBeUndefined();
    expect(cache.collect(7n, 100_000, true, 100n)).toHaveLength(3);
    cache.resize(1000);
    expect(cache.length).toBe(1);
    expect(cache.collect(9n, 100_000, true, 100n)).toHaveLength(1);
  });
});

describe.each(storeModes)('the tail budget is shared among partitions on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  it('gives each partition an even share, within bounds, as partitions come and go', async () => {
    const m = await LogManager.open({ store: fx.store, logger: silent, schedulerIntervalMs: 0, tailCacheBytes: 2 * 1024 * 1024 });
    const a = await m.createPartition('t', 0);
    expect(a.tailCacheBytes.capacity).toBe(2 * 1024 * 1024);
    const b = await m.createPartition('t', 1);
    expect(a.tailCacheBytes.capacity).toBe(1024 * 1024);
    expect(b.tailCacheBytes.capacity).toBe(1024 * 1024);
    for (let p = 2; p < 64; p++) await m.createPartition('t', p);
    expect(a.tailCacheBytes.capacity).toBe(64 * 1024); // the floor
    await a.read(0n, 1); // a partition that is read fills its cache
    for (let i = 0; i < 50; i++) await a.append(makeBatch({ records: 10, valueSize: 1000 }));
    expect(a.tailCacheBytes.used).toBeGreaterThan(0);
    expect(a.tailCacheBytes.used).toBeLessThanOrEqual(64 * 1024);
    for (let p = 1; p < 60; p++) await m.deletePartition('t', p);
    expect(a.tailCacheBytes.capacity).toBe(Math.floor((2 * 1024 * 1024) / 5));
    await m.close();
  });

  it('keeps all caches together within the total when more partitions are read than it has floors for', async () => {
    const total = 256 * 1024;
    const m = await LogManager.open({ store: fx.store, logger: silent, schedulerIntervalMs: 0, tailCacheBytes: total });
    await m.createPartitions('t', 0, 16);
    const logs = m.logs();
    // 16 floors, four times the total; partitions opened at once get the share of the final count too.
    for (const log of logs) expect(log.tailCacheBytes.capacity).toBe(64 * 1024);
    const used = () => logs.reduce((n, l) => n + l.tailCacheBytes.used, 0);
    let peak = 0;
    for (let round = 0; round < 3; round++) {
      for (const log of logs) {
        await log.read(log.logEndOffset, 1);
        for (let i = 0; i < 10; i++) await log.append(makeBatch({ records: 10, valueSize: 1000, tag: i }));
        peak = Math.max(peak, used());
        // The partition written last keeps its newest batches.
        expect(log.tailCacheBytes.used).toBeGreaterThan(0);
      }
    }
    expect(peak).toBeGreaterThan(total / 2);
    expect(peak).toBeLessThanOrEqual(total);
    // Served from memory or from the log, every batch reads back.
    const { records } = await logs[0]!.read(0n, 10_000_000);
    expect(records.reduce((n, r) => n + r.length, 0)).toBe(logs[0]!.sizeInBytes);
    await m.close();
  });

  it('caches nothing with a total of 0', async () => {
    const m = await LogManager.open({ store: fx.store, logger: silent, schedulerIntervalMs: 0, tailCacheBytes: 0 });
    const log = await m.createPartition('t', 0);
    await log.read(0n, 1);
    await log.append(makeBatch({ records: 10, valueSize: 100 }));
    expect(log.tailCacheBytes.used).toBe(0);
    expect((await log.read(0n, 100_000)).records.length).toBeGreaterThan(0);
    await m.close();
  });
});

describe.each(storeModes)('what the tail cache keeps on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  let now = 1_000_000;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  const openLog = () => PartitionLog.open({ store: fx.store, topic: 't', partition: 0, logger: silent, clean: true, clock: () => now });

  it('fills only while the partition is read, and empties once reads stop', async () => {
    const log = await openLog();
    await log.append(makeBatch({ records: 2 }));
    expect(log.tailCacheBytes.used).toBe(0);
    await log.read(0n, 1000);
    await log.append(makeBatch({ records: 2, tag: 1 }));
    const one = log.tailCacheBytes.used;
    expect(one).toBeGreaterThan(0);
    now += TAIL_CACHE_IDLE_MS;
    await log.append(makeBatch({ records: 2, tag: 2 }));
    expect(log.tailCacheBytes.used).toBe(2 * one);
    now += 1;
    await log.append(makeBatch({ records: 2, tag: 3 }));
    expect(log.tailCacheBytes.used).toBe(0);
    // Whatever the cache held, every batch reads back from the log.
    const { records } = await log.read(0n, 100_000);
    expect(Buffer.concat(records).length).toBe(4 * one);
    await log.close();
  });

  it('keeps nothing of a borrowed payload, which its owner overwrites after the append', async () => {
    const log = await openLog();
    const stored: Buffer[] = [];
    // First with nobody reading (the store alone keeps it), then with the cache filling.
    for (let i = 0; i < 2; i++) {
      const payload = makeBatch({ records: 5, valueSize: 100, tag: i });
      await log.append(payload, { borrowed: true });
      stored.push(Buffer.from(payload));
      payload.fill(0xee);
      const { records } = await log.read(BigInt(5 * i), 100_000);
      expect(Buffer.concat(records).equals(stored[i]!)).toBe(true);
    }
    expect(log.tailCacheBytes.used).toBe(stored[1]!.length);
    await log.close();
  });
});
