import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Compression, forEachBatch, validateBatch, type CompressionType } from '../../../src/protocol/records/record-batch.js';
import { buildTransactionMarker } from '../../../src/protocol/records/records.js';
import { KeyOffsetMap, murmur3x86x128 } from '../../../src/storage/cleaner/offset-map.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from '../../../src/storage/file-names.js';
import type { CleanerTxnSource } from '../../../src/storage/cleaner/types.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { allRecords, keyedBatch, latestPerKey, readAll, type KV } from './cleaner-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;

const COMPACT: Partial<LogConfig> = {
  compact: true,
  delete: false,
  segmentBytes: 64 * 1024,
  indexIntervalBytes: 1024,
  deleteRetentionMs: DAY,
  minCleanableDirtyRatio: 0.5,
};

describe('KeyOffsetMap', () => {
  it('maps keys to their latest offset without false matches', () => {
    const map = new KeyOffsetMap(24 * 300_000, 7);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const k = Buffer.from(`key-${i}`);
      map.put(k, 0, k.length, i);
    }
    for (let i = 0; i < n; i += 3) {
      const k = Buffer.from(`key-${i}`);
      map.put(k, 0, k.length, n + i);
    }
    expect(map.size).toBe(n);
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const k = Buffer.from(`key-${i}`);
      if (map.get(k, 0, k.length) !== (i % 3 === 0 ? n + i : i)) wrong++;
    }
    for (let i = n; i < n + 10_000; i++) {
      const k = Buffer.from(`key-${i}`);
      if (map.get(k, 0, k.length) !== -1) wrong++;
    }
    expect(wrong).toBe(0);
    expect(map.latestOffset).toBe(n + n - 2);
    expect(map.probesPerLookup).toBeLessThan(4);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get(Buffer.from('key-1'), 0, 5)).toBe(-1);
  });

  it('hashes like MurmurHash3 x86_128 and tells an empty key from a missing one', () => {
    // Reference values of MurmurHash3_x86_128 (seed 0): "" is all zeros.
    expect([...murmur3x86x128(Buffer.alloc(0), 0, 0, 0)]).toEqual([0, 0, 0, 0]);
    const map = new KeyOffsetMap(24 * 16, 1);
    map.put(Buffer.alloc(0), 0, 0, 5);
    expect(map.get(Buffer.alloc(0), 0, 0)).toBe(5);
    expect(() => {
      for (let i = 0; i < 100; i++) map.put(Buffer.from(`k${i}`), 0, `k${i}`.length, i);
    }).toThrow(/full/);
  });
});

/** 100k updates over 1,000 keys; every 10th key is deleted at the end. */
async function produceUpdates(log: PartitionLog, opts: { compression?: CompressionType; total?: number; keys?: number } = {}): Promise<Map<string, string | null>> {
  const total = opts.total ?? 100_000;
  const keys = opts.keys ?? 1000;
  const expected = new Map<string, string | null>();
  const perBatch = 100;
  let n = 0;
  while (n < total) {
    const recs: KV[] = [];
    for (let i = 0; i < perBatch && n < total; i++, n++) {
      const k = `key-${n % keys}`;
      recs.push({ key: k, value: `v${n}-${k}` });
      expected.set(k, `v${n}-${k}`);
    }
    await log.append(keyedBatch(recs, { timestamp: T0 + n, ...(opts.compression !== undefined ? { compression: opts.compression } : {}) }));
  }
  const tombstones: KV[] = [];
  for (let k = 0; k < keys; k += 10) {
    tombstones.push({ key: `key-${k}`, value: null });
    expected.set(`key-${k}`, null);
  }
  await log.append(keyedBatch(tombstones, { timestamp: T0 + total }));
  return expected;
}

describe.each(storeModes)('log cleaner on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  let clock = T0;
  beforeEach(() => {
    fx = makeStore();
    clock = T0 + 1000;
  });
  afterEach(() => fx.cleanup());

  const open = (config: Partial<LogConfig> = COMPACT) =>
    LogManager.open({
      store: fx.store,
      logger: silent,
      schedulerIntervalMs: 0,
      clock: () => clock,
      configFor: () => config,
      cleaner: { fileDeleteDelayMs: 0 },
    });

  it('keeps the latest value per key, offsets unchanged, tombstones until delete.retention.ms, across a restart', async () => {
    const m = await open();
    const log = await m.createPartition('table', 0, { config: COMPACT });
    const expected = await produceUpdates(log);
    const leo = log.logEndOffset;
    expect(leo).toBe(100_100n);
    await log.roll();
    const before = log.sizeInBytes;

    const stats = await m.cleaner.runOnce(clock);
    expect(stats).toBeDefined();
    expect(stats!.endOffset).toBe(leo);
    expect(log.sizeInBytes).toBeLessThan(before / 20);
    expect(log.logEndOffset).toBe(leo);
    expect(log.logStartOffset).toBe(0n);

    const check = async (l: PartitionLog, tombstonesGone: boolean) => {
      const batches = await readAll(l);
      const records = allRecords(batches);
      // Offsets only grow, with gaps.
      for (let i = 1; i < records.length; i++) expect(records[i]!.offset).toBeGreaterThan(records[i - 1]!.offset);
      const seen = new Set<string>();
      for (const r of records) {
        expect(seen.has(r.key!)).toBe(false);
        seen.add(r.key!);
        expect(r.value).toBe(expected.get(r.key!));
        expect(r.headers).toHaveLength(1);
      }
      for (const [k, v] of expected) {
        if (v !== null) expect(seen.has(k)).toBe(true);
        else expect(seen.has(k)).toBe(!tombstonesGone);
      }
      return batches;
    };
    const cleaned = await check(log, false);
    // The tombstone batch got its delete horizon.
    const last = cleaned.at(-1)!;
    expect(last.attributes & 0x40).toBe(0x40);
    expect(last.baseTimestamp).toBe(BigInt(clock + DAY));

    // Nothing more to clean until new data arrives.
    expect(await m.cleaner.runOnce(clock)).toBeUndefined();

    // Restart: same content, and the cleaner remembers how far it got.
    await m.close();
    expect((await fx.store.readWhole(CLEANER_OFFSET_CHECKPOINT_FILE))!.toString()).toBe(`0\n1\ntable 0 ${leo}\n`);
    const m2 = await open();
    const log2 = m2.get('table', 0)!;
    await check(log2, false);
    expect(m2.cleaner.checkpointOf(log2)).toBe(leo);

    // Past the delete horizon, a forced cleaning drops the tombstones.
    clock += DAY + 1;
    await log2.append(keyedBatch([{ key: 'key-1', value: 'fresh' }], { timestamp: clock }));
    expected.set('key-1', 'fresh');
    await log2.roll();
    const again = await m2.cleaner.cleanLog(log2, { force: true });
    expect(again).toBeDefined();
    await check(log2, true);
    await m2.close();
    const m3 = await open();
    await check(m3.get('table', 0)!, true);
    await m3.close();
  }, 120_000);

  it('cleans compressed batches back into the same codec and keeps producer fields', async () => {
    for (const compression of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd] as CompressionType[]) {
      const m = await open();
      const log = await m.createPartition(`c${compression}`, 0, { config: COMPACT });
      let seq = 0;
      for (let b = 0; b < 50; b++) {
        const recs: KV[] = [];
        for (let i = 0; i < 20; i++) recs.push({ key: `k${(b * 20 + i) % 30}`, value: `v${b}-${i}` });
        await log.append(keyedBatch(recs, { compression, producerId: 42n, producerEpoch: 3, baseSequence: seq, timestamp: T0 + b }));
        seq += 20;
      }
      await log.roll();
      const raw = await readAll(log);
      await m.cleaner.cleanLog(log, { force: true });
      const batches = await readAll(log);
      expect(batches.length).toBeLessThan(raw.length);
      for (const b of batches) {
        expect(b.producerId).toBe(42n);
        expect(b.producerEpoch).toBe(3);
        if (b.records.length > 0) expect(b.compression).toBe(compression);
        // The batch keeps its offsets and its sequence range: base sequence + last offset delta.
        const original = raw.find((r) => r.baseOffset === b.baseOffset)!;
        expect(b.lastOffset).toBe(original.lastOffset);
        expect(b.baseSequence).toBe(original.baseSequence);
      }
      // The producer's last batch stays, so its last sequence survives.
      expect(batches.at(-1)!.lastOffset).toBe(999n);
      expect(latestPerKey(allRecords(batches))).toEqual(latestPerKey(allRecords(raw)));
      expect(allRecords(batches)).toHaveLength(30);
      await m.close();
    }
  });

  it('removes aborted transactions, and markers once their data is gone and the horizon passed', async () => {
    const m = await open();
    const log = await m.createPartition('txn', 0, { config: COMPACT });
    const aborted: CleanerTxnSource = {
      abortedTransactions: (from, to) => [{ producerId: 7n, firstOffset: 0n, lastOffset: 2n }].filter((t) => t.lastOffset >= from && t.firstOffset < to),
    };
    log.txnSourceForCleaner = aborted;
    // 0-1: aborted transaction of producer 7, 2: its abort marker.
    await log.append(keyedBatch([{ key: 'a', value: 'aborted-1' }, { key: 'b', value: 'aborted-2' }], { producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true }));
    await log.append(buildTransactionMarker({ producerId: 7n, producerEpoch: 0, commit: false, coordinatorEpoch: 1, timestamp: BigInt(T0) }));
    // 3: committed transaction of producer 8, 4: its commit marker.
    await log.append(keyedBatch([{ key: 'a', value: 'committed' }], { producerId: 8n, producerEpoch: 0, baseSequence: 0, transactional: true }));
    await log.append(buildTransactionMarker({ producerId: 8n, producerEpoch: 0, commit: true, coordinatorEpoch: 1, timestamp: BigInt(T0) }));
    // 5..: plain updates that supersede key a.
    for (let i = 0; i < 5; i++) await log.append(keyedBatch([{ key: 'a', value: `plain-${i}` }, { key: 'z', value: `z${i}` }]));
    await log.roll();

    await m.cleaner.cleanLog(log, { force: true, nowMs: clock });
    let batches = await readAll(log);
    let records = allRecords(batches);
    expect(records.map((r) => r.value)).not.toContain('aborted-1');
    expect(records.map((r) => r.value)).not.toContain('aborted-2');
    // Producer 7's aborted batch is its last data batch, so it stays as an empty header.
    const p7 = batches.filter((b) => b.producerId === 7n);
    expect(p7[0]!.records).toHaveLength(0);
    expect(p7[0]!.lastOffset).toBe(1n);
    // The abort marker stays while a batch of its transaction remains (the empty one).
    expect(batches.some((b) => b.isControl && b.producerId === 7n)).toBe(true);
    // Producer 8's committed batch stays (emptied) as its last data batch, so its marker stays too.
    const commit = batches.find((b) => b.isControl && b.producerId === 8n)!;
    expect(commit.attributes & 0x40).toBe(0);
    expect(batches.find((b) => b.producerId === 8n && !b.isControl)!.records).toHaveLength(0);

    // Once both producers have expired, the data goes, then each marker gets its delete horizon,
    // then, one cleaning after the horizon, the markers go.
    log.txnSourceForCleaner = { ...aborted, lastRecordsOfActiveProducers: () => new Map() };
    // Each cleaning needs new dirty data: the cleaner only rewrites up to the dirty range's end.
    let z = 100;
    const dirty = async () => {
      await log.append(keyedBatch([{ key: 'z', value: `z${z++}` }]));
      await log.roll();
    };
    await dirty();
    await m.cleaner.cleanLog(log, { force: true, nowMs: clock });
    batches = await readAll(log);
    expect(batches.filter((b) => !b.isControl && (b.producerId === 7n || b.producerId === 8n))).toEqual([]);
    const markers = batches.filter((b) => b.isControl);
    expect(markers.map((b) => b.baseOffset)).toEqual([2n, 4n]);
    await dirty();
    await m.cleaner.cleanLog(log, { force: true, nowMs: clock });
    batches = await readAll(log);
    for (const b of batches.filter((x) => x.isControl)) {
      expect(b.attributes & 0x40).toBe(0x40);
      expect(b.baseTimestamp).toBe(BigInt(clock + DAY));
    }
    clock += DAY + 1;
    await dirty();
    await m.cleaner.cleanLog(log, { force: true, nowMs: clock });
    batches = await readAll(log);
    expect(batches.filter((b) => b.isControl)).toEqual([]);
    records = allRecords(batches);
    expect(latestPerKey(records).get('a')!.value).toBe('plain-4');
    expect(latestPerKey(records).get('z')!.value).toBe(`z${z - 1}`);
    await m.close();
  });

  it('lets produce and fetch go on during a cleaning; a fetch racing a swap gets whole valid batches', async () => {
    const m = await open();
    const log = await m.createPartition('busy', 0, { config: { ...COMPACT, segmentBytes: 16 * 1024 } });
    const expected = await produceUpdates(log, { total: 20_000, keys: 200 });
    await log.roll();
    const cleaning = m.cleaner.runOnce(clock);
    let done = false;
    void cleaning.finally(() => (done = true));
    let reads = 0;
    let appends = 0;
    let n = 0;
    while (!done) {
      // Reads from anywhere in the log see whole batches with valid CRCs (readAll checks them).
      const from = BigInt(Math.floor(Math.random() * 20_000));
      const r = await log.read(from, 64 * 1024);
      const flat = Buffer.concat(r.records);
      let bad = 0;
      const scan = forEachBatch(flat, (_h, at) => {
        if (validateBatch(flat, at) !== null) bad++;
      });
      expect(bad).toBe(0);
      expect(scan.tail).toBe('none');
      if (reads % 25 === 0) expect((await readAll(log, 256 * 1024)).length).toBeGreaterThan(0);
      reads++;
      await log.append(keyedBatch([{ key: `late-${n++}`, value: 'x' }]));
      appends++;
      // The memory store never does real I/O; let the event loop turn as a network would.
      await new Promise((r) => setImmediate(r));
    }
    const stats = await cleaning;
    expect(stats).toBeDefined();
    expect(reads).toBeGreaterThan(0);
    expect(appends).toBe(reads);
    const latest = latestPerKey(allRecords(await readAll(log)));
    for (const [k, v] of expected) expect(latest.get(k)?.value ?? null).toBe(v);
    for (let i = 0; i < n; i++) expect(latest.get(`late-${i}`)!.value).toBe('x');
    await m.close();
  });

  it('gives up quietly when DeleteRecords removes segments under a cleaning, and cleans again later', async () => {
    const m = await open();
    const log = await m.createPartition('moving', 0, { config: { ...COMPACT, segmentBytes: 8 * 1024 } });
    await produceUpdates(log, { total: 10_000, keys: 100 });
    await log.roll();
    const cleaning = m.cleaner.cleanLog(log, { force: true });
    await log.deleteRecordsBefore(5_000n);
    await cleaning;
    expect(log.logStartOffset).toBe(5_000n);
    await log.append(keyedBatch([{ key: 'key-1', value: 'after' }]));
    await log.roll();
    expect(await m.cleaner.cleanLog(log, { force: true })).toBeDefined();
    const records = allRecords(await readAll(log));
    expect(records.every((r) => r.offset >= 5_000n)).toBe(true);
    expect(latestPerKey(records).get('key-1')!.value).toBe('after');
    await m.close();
  });

  it('leaves non-compacted logs alone and keeps compacted logs past retention.ms', async () => {
    const m = await open({ ...COMPACT, compact: false, delete: true });
    const plain = await m.createPartition('plain', 0, { config: { ...COMPACT, compact: false, delete: true } });
    for (let i = 0; i < 3000; i++) await plain.append(keyedBatch([{ key: 'same', value: `v${i}` }]));
    await plain.roll();
    expect(await m.cleaner.runOnce(clock)).toBeUndefined();
    await m.close();

    const m2 = await open({ ...COMPACT, retentionMs: 1 });
    const table = await m2.createPartition('table2', 0, { config: { ...COMPACT, retentionMs: 1 } });
    for (let i = 0; i < 3000; i++) await table.append(keyedBatch([{ key: `k${i % 7}`, value: `v${i}` }], { timestamp: T0 }));
    const segments = table.segmentInfo().length;
    clock += DAY;
    expect(await table.applyRetention(clock)).toBe(0);
    expect(table.segmentInfo().length).toBe(segments);
    await m2.close();
  });

  it('honours min.compaction.lag.ms, min.cleanable.dirty.ratio and max.compaction.lag.ms', async () => {
    const config = { ...COMPACT, minCompactionLagMs: 60_000 };
    const m = await open(config);
    const log = await m.createPartition('lag', 0, { config });
    for (let i = 0; i < 2000; i++) await log.append(keyedBatch([{ key: `k${i % 5}`, value: `value-${i}` }], { timestamp: clock }));
    await log.roll();
    // Every segment is younger than the lag.
    expect(m.cleaner.cleanableOffsets(log, clock).firstUncleanable).toBe(0n);
    expect(await m.cleaner.runOnce(clock)).toBeUndefined();
    clock += 60_001;
    expect(await m.cleaner.runOnce(clock)).toBeDefined();

    // A little new dirt is below the ratio...
    log.updateConfig({ minCompactionLagMs: 0, maxCompactionLagMs: 3_600_000 });
    for (let i = 0; i < 5; i++) await log.append(keyedBatch([{ key: `k${i}`, value: 'x' }], { timestamp: clock }));
    await log.roll();
    const ltc = await m.cleaner.logToClean(log, clock);
    expect(ltc!.cleanableRatio).toBeLessThan(0.5);
    expect(await m.cleaner.runOnce(clock)).toBeUndefined();
    // ...until it is older than max.compaction.lag.ms.
    clock += 3_600_001;
    expect(await m.cleaner.runOnce(clock)).toBeDefined();
    await m.close();
  });
});

describe('log cleaner steps', () => {
  it('gives the event loop a turn within a chunk once a step has run stepBudgetMs', async () => {
    // In memory no read waits for I/O, so every turn the ticker gets is one the cleaner gave.
    const store = storeModes.find(([name]) => name === 'memory')![1]().store;
    const m = await LogManager.open({
      store,
      logger: silent,
      schedulerIntervalMs: 0,
      configFor: () => COMPACT,
      cleaner: { fileDeleteDelayMs: 0, stepBudgetMs: 0 },
    });
    const log = await m.createPartition('steps', 0, { config: { ...COMPACT, segmentBytes: 1024 * 1024 } });
    const batches = 60;
    for (let b = 0; b < batches; b++) {
      await log.append(keyedBatch(Array.from({ length: 20 }, (_, i) => ({ key: `k${(b * 20 + i) % 50}`, value: `v${b}-${i}` })), { compression: Compression.gzip }));
    }
    await log.roll();
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const stats = await m.cleaner.cleanLog(log, { force: true });
    done = true;
    expect(stats!.batchesRead).toBe(batches);
    // Both passes (key map, rewrite) yield after every batch but the last of their chunk.
    expect(turns).toBeGreaterThanOrEqual(2 * (batches - 1));
    await m.close();
  });
});
