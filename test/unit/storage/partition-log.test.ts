import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog, type PartitionLogOptions } from '../../../src/storage/partition-log.js';
import { ErrorCode, StorageError } from '../../../src/errors.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { crcOk, describeBatches, makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

const T0 = 1_700_000_000_000n;

describe.each(storeModes)('PartitionLog on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  const open: PartitionLog[] = [];
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close().catch(() => undefined);
    fx.cleanup();
  });

  async function openLog(config: Partial<LogConfig> = {}, extra: Partial<PartitionLogOptions> = {}): Promise<PartitionLog> {
    const log = await PartitionLog.open({ store: fx.store, topic: 't', partition: 0, config, logger: silent, clean: true, ...extra });
    open.push(log);
    return log;
  }

  /** Reads everything from `from` in maxBytes steps, checking each step starts where asked. */
  async function readAll(log: PartitionLog, from: bigint, maxBytes = 1000): Promise<Buffer[]> {
    const batches: Buffer[] = [];
    let offset = from;
    while (offset < log.highWatermark) {
      const r = await log.read(offset, maxBytes);
      const desc = describeBatches(r.records);
      expect(desc.length).toBeGreaterThan(0);
      expect(desc[0]!.base <= offset && offset <= desc[0]!.last).toBe(true);
      let at = 0;
      const flat = Buffer.concat(r.records);
      for (const d of desc) {
        batches.push(flat.subarray(at, at + d.size));
        at += d.size;
      }
      offset = desc.at(-1)!.last + 1n;
    }
    return batches;
  }

  for (const tailCacheBytes of [0, 1 << 20]) {
    it(`appends and reads back across segment rolls (tail cache ${tailCacheBytes})`, async () => {
      const log = await openLog({ segmentBytes: 1000, indexIntervalBytes: 300 }, { tailCacheBytes });
      const sent: Buffer[] = [];
      for (let i = 0; i < 60; i++) {
        const b = makeBatch({ records: 3, timestamp: T0 + BigInt(i * 10), valueSize: 20, tag: i });
        const r = await log.append(b);
        expect(r.baseOffset).toBe(BigInt(i * 3));
        expect(r.lastOffset).toBe(BigInt(i * 3 + 2));
        expect(r.logAppendTime).toBe(-1n);
        expect(r.logStartOffset).toBe(0n);
        sent.push(Buffer.from(b));
      }
      expect(log.logEndOffset).toBe(180n);
      expect(log.highWatermark).toBe(180n);
      const segs = log.segmentInfo();
      expect(segs.length).toBeGreaterThan(5);
      for (const s of segs.slice(0, -1)) expect(s.size).toBeLessThanOrEqual(1000);
      const got = await readAll(log, 0n, 700);
      expect(got.length).toBe(60);
      for (let i = 0; i < 60; i++) expect(got[i]!.equals(sent[i]!)).toBe(true);
      // Every offset, including ones inside a batch, finds the batch that holds it.
      for (let o = 0n; o < 180n; o += 1n) {
        const r = await log.read(o, 1);
        const d = describeBatches(r.records);
        expect(d.length).toBe(1);
        expect(d[0]!.base).toBe((o / 3n) * 3n);
      }
    });
  }

  it('keeps Kafka first-batch rule and maxBytes', async () => {
    const log = await openLog({}, { tailCacheBytes: 0 });
    const big = makeBatch({ records: 2, valueSize: 1000 });
    await log.append(big);
    const small = makeBatch({ records: 1, valueSize: 50 });
    for (let i = 0; i < 5; i++) await log.append(Buffer.from(small));
    const first = await log.read(0n, 100);
    expect(first.sizeInBytes).toBe(big.length);
    expect(describeBatches(first.records).map((d) => d.base)).toEqual([0n]);
    const none = await log.read(0n, 100, { minOneBatch: false });
    expect(none.records).toEqual([]);
    const two = await log.read(2n, small.length * 2 + 10);
    expect(describeBatches(two.records).map((d) => d.base)).toEqual([2n, 3n]);
    const upTo = await log.read(2n, 1 << 20, { upTo: 5n });
    expect(describeBatches(upTo.records).map((d) => d.base)).toEqual([2n, 3n, 4n]);
    const atEnd = await log.read(7n, 1000);
    expect(atEnd.records).toEqual([]);
    expect(atEnd.highWatermark).toBe(7n);
  });

  it('reports OFFSET_OUT_OF_RANGE below the log start and past the end', async () => {
    const log = await openLog();
    await log.append(makeBatch({ records: 4 }));
    await expect(log.read(5n, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await expect(log.read(-1n, 100)).rejects.toBeInstanceOf(StorageError);
    await log.deleteRecordsBefore(2n);
    await expect(log.read(1n, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    const r = await log.read(2n, 100);
    expect(describeBatches(r.records)[0]!.base).toBe(0n);
    expect(r.logStartOffset).toBe(2n);
  });

  it('rejects payloads that do not frame as batches', async () => {
    const log = await openLog();
    const b = makeBatch();
    await expect(log.append(b.subarray(0, b.length - 1))).rejects.toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    expect(log.logEndOffset).toBe(0n);
  });

  it('serves several batches in one payload and coalesces concurrent appends', async () => {
    const log = await openLog({ segmentBytes: 5000 });
    const multi = Buffer.concat([makeBatch({ records: 2 }), makeBatch({ records: 3 })]);
    const r = await log.append(multi);
    expect([r.baseOffset, r.lastOffset]).toEqual([0n, 4n]);
    expect(describeBatches([multi]).map((d) => d.base)).toEqual([0n, 2n]);
    let wakeups = 0;
    const off = log.onAppend(() => wakeups++);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(makeBatch({ records: 1 + (i % 3) }))));
    let expected = 5n;
    for (const [i, res] of results.entries()) {
      expect(res.baseOffset).toBe(expected);
      expected += BigInt(1 + (i % 3));
    }
    expect(log.logEndOffset).toBe(expected);
    expect(wakeups).toBeGreaterThan(0);
    expect(wakeups).toBeLessThan(200);
    off();
    await log.append(makeBatch());
    expect(wakeups).toBeLessThan(200);
  });

  it('finds offsets by timestamp through the time index', async () => {
    const log = await openLog({ segmentBytes: 1500, indexIntervalBytes: 200 }, { tailCacheBytes: 0 });
    const ts: bigint[] = [];
    for (let i = 0; i < 80; i++) {
      // Timestamps mostly rise with a few steps back, as real producers' clocks do.
      const t = T0 + BigInt(i * 100 - (i % 7 === 3 ? 250 : 0));
      ts.push(t + 1n);
      await log.append(makeBatch({ records: 2, timestamp: t }));
    }
    const brute = (target: bigint): bigint | undefined => {
      const i = ts.findIndex((t) => t >= target);
      return i < 0 ? undefined : BigInt(i * 2);
    };
    for (const target of [0n, T0, T0 + 1n, T0 + 150n, T0 + 3333n, T0 + 5001n, T0 + 7900n, T0 + 7901n, T0 + 7902n]) {
      const found = await log.offsetForTimestamp(target);
      expect(found?.offset).toBe(brute(target));
    }
    const max = await log.maxTimestampOffset();
    expect(max).toEqual({ offset: 158n, timestamp: T0 + 7901n });
    // At record granularity: the first record of that batch reaching the target (t, then t + 1).
    for (const target of [T0, T0 + 1n, T0 + 150n, T0 + 3301n, T0 + 7901n, T0 + 7902n]) {
      const batch = brute(target);
      const first = batch === undefined ? undefined : ts[Number(batch / 2n)]! - 1n;
      const hit = await log.findRecordByTimestamp(target);
      expect(hit?.offset).toBe(first === undefined ? undefined : first >= target ? batch : batch! + 1n);
      expect(hit?.timestamp).toBe(first === undefined ? undefined : first >= target ? first : first + 1n);
    }
    expect(await log.findRecordWithMaxTimestamp()).toEqual({ offset: 159n, timestamp: T0 + 7901n, leaderEpoch: 0 });
  });

  it('stamps LogAppendTime, rewriting the CRC', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime' });
    const b = makeBatch({ records: 3 });
    const r = await log.append(b, { nowMs: 1234 });
    expect(r.logAppendTime).toBe(1234n);
    const back = Buffer.concat((await log.read(0n, 1000)).records);
    expect(back.readBigInt64BE(35)).toBe(1234n);
    expect(back.readInt16BE(21) & 0x08).toBe(0x08);
    expect(crcOk(back)).toBe(true);
    log.updateConfig({ messageTimestampType: 'CreateTime' });
    const r2 = await log.append(makeBatch({ timestamp: 77n }));
    expect(r2.logAppendTime).toBe(-1n);
  });

  it('stamps leader epochs and answers OffsetForLeaderEpoch', async () => {
    const log = await openLog();
    await log.append(makeBatch({ records: 3 }), { leaderEpoch: 2 });
    await log.append(makeBatch({ records: 2 }), { leaderEpoch: 5 });
    const back = Buffer.concat((await log.read(0n, 1000)).records);
    expect(back.readInt32BE(12)).toBe(2);
    expect(log.latestEpoch).toBe(5);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 3n });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 2, endOffset: 3n });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 5n });
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: -1, endOffset: -1n });
    const text = await fx.store.readWhole('t-0/leader-epoch-checkpoint');
    expect(text?.toString()).toBe('0\n2\n2 0\n5 3\n');
  });

  it('deletes whole old segments by retention.ms, never the active one', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: 10_000 });
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 2, timestamp: T0 + BigInt(i * 1000) }));
    const before = log.segmentInfo();
    expect(before.length).toBeGreaterThan(4);
    const now = Number(T0) + 30_000;
    const deleted = await log.applyRetention(now);
    const after = log.segmentInfo();
    const expected = before.slice(0, -1).filter((s) => s.maxTimestamp < BigInt(now - 10_000)).length;
    expect(deleted).toBe(expected);
    expect(deleted).toBeGreaterThan(0);
    expect(after[0]!.baseOffset).toBe(before[deleted]!.baseOffset);
    expect(log.logStartOffset).toBe(after[0]!.baseOffset);
    for (const s of after.slice(0, -1)) expect(s.maxTimestamp >= BigInt(now - 10_000)).toBe(true);
    await expect(log.read(log.logStartOffset - 1n, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    // Far in the future everything closed goes, but the active segment stays readable.
    await log.applyRetention(now * 2);
    expect(log.segmentInfo().length).toBe(1);
    const tail = await log.read(log.logStartOffset, 100_000);
    expect(describeBatches(tail.records).at(-1)!.last).toBe(79n);
  });

  it('deletes whole old segments by retention.bytes', async () => {
    const log = await openLog({ segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 2 }));
    const total = log.sizeInBytes;
    await log.applyRetention();
    const after = log.segmentInfo();
    const size = after.reduce((n, s) => n + s.size, 0);
    expect(size).toBeLessThan(total);
    expect(size).toBeGreaterThanOrEqual(2500);
    // One more deletion would have gone under the limit.
    expect(size - after[0]!.size).toBeLessThan(2500);
    log.updateConfig({ retentionBytes: -1 });
    expect(await log.applyRetention()).toBe(0);
  });

  it('deleteRecordsBefore moves the log start and drops segments below it', async () => {
    const log = await openLog({ segmentBytes: 800 });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2 }));
    const segs = log.segmentInfo();
    const cut = segs[2]!.baseOffset + 1n;
    expect(await log.deleteRecordsBefore(cut)).toBe(cut);
    expect(log.logStartOffset).toBe(cut);
    expect(log.segmentInfo()[0]!.baseOffset).toBe(segs[2]!.baseOffset);
    await expect(log.deleteRecordsBefore(1000n)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(await log.deleteRecordsBefore(1n)).toBe(cut);
    const r = await log.read(cut, 10_000);
    expect(describeBatches(r.records)[0]!.last).toBeGreaterThanOrEqual(cut);
  });

  it('rolls by segment.ms and by config changes applied live', async () => {
    const log = await openLog({ segmentMs: 1000 });
    await log.append(makeBatch(), { nowMs: 10_000 });
    await log.append(makeBatch(), { nowMs: 10_500 });
    expect(log.segmentInfo().length).toBe(1);
    await log.append(makeBatch(), { nowMs: 11_001 });
    expect(log.segmentInfo().map((s) => s.baseOffset)).toEqual([0n, 2n]);
    log.updateConfig({ segmentBytes: 1, segmentMs: 1e12 });
    await log.append(makeBatch(), { nowMs: 11_002 });
    await log.append(makeBatch(), { nowMs: 11_003 });
    expect(log.segmentInfo().map((s) => s.baseOffset)).toEqual([0n, 2n, 3n, 4n]);
    await log.roll();
    expect(log.segmentInfo().map((s) => s.baseOffset)).toEqual([0n, 2n, 3n, 4n, 5n]);
    await log.roll();
    expect(log.segmentInfo().length).toBe(5);
  });

  it('truncates to a batch boundary and continues from there', async () => {
    const log = await openLog({ segmentBytes: 600 });
    for (let i = 0; i < 20; i++) await log.append(makeBatch({ records: 3 }), { leaderEpoch: i < 10 ? 1 : 2 });
    await log.truncateTo(31n);
    expect(log.logEndOffset).toBe(30n);
    expect(log.highWatermark).toBe(30n);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 30n });
    const all = await readAll(log, 0n);
    expect(all.length).toBe(10);
    const r = await log.append(makeBatch());
    expect(r.baseOffset).toBe(30n);
    await log.truncateTo(0n);
    expect(log.logEndOffset).toBe(0n);
    expect((await log.append(makeBatch())).baseOffset).toBe(0n);
  });

  it('reads everything back after a clean restart and keeps appending', async () => {
    const cfg = { segmentBytes: 1500, indexIntervalBytes: 256 };
    const log = await openLog(cfg);
    const sent: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const b = makeBatch({ records: 2, tag: i, timestamp: T0 + BigInt(i) });
      await log.append(b);
      sent.push(Buffer.from(b));
    }
    await log.close();
    const again = await openLog(cfg, { clean: true, tailCacheBytes: 0 });
    expect(again.logEndOffset).toBe(100n);
    const got = await readAll(again, 0n, 500);
    expect(got.map((b) => b.toString('hex'))).toEqual(sent.map((b) => b.toString('hex')));
    expect((await again.append(makeBatch())).baseOffset).toBe(100n);
    expect(await again.offsetForTimestamp(T0 + 20n)).toEqual({ offset: 38n, timestamp: T0 + 20n });
  });

  it('fsyncs before acknowledging when flushOnAck is set', async () => {
    const log = await openLog({ flushOnAck: true });
    await Promise.all(Array.from({ length: 20 }, () => log.append(makeBatch())));
    expect(log.recoveryPoint).toBe(20n);
    const lazy = await openLog({ flushMessages: 5, flushMs: 1000 }, { topic: 'u' });
    for (let i = 0; i < 4; i++) await lazy.append(makeBatch());
    expect(lazy.recoveryPoint).toBe(0n);
    await lazy.append(makeBatch());
    expect(lazy.recoveryPoint).toBe(5n);
    await lazy.append(makeBatch());
    await lazy.maybeFlush(Date.now() + 500);
    expect(lazy.recoveryPoint).toBe(5n);
    await lazy.maybeFlush(Date.now() + 2000);
    expect(lazy.recoveryPoint).toBe(6n);
  });

  it('rejects appends after close', async () => {
    const log = await openLog();
    await log.close();
    await expect(log.append(makeBatch())).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
  });

  /** A promise settled by the test, as off-thread validation settles `ready`. */
  function gate(): { promise: Promise<void>; open: () => void; fail: (e: Error) => void } {
    let open!: () => void;
    let fail!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      open = res;
      fail = rej;
    });
    return { promise, open, fail };
  }

  it('keeps an append waiting on `ready` in its place: earlier appends are not held back, later ones do not overtake it', async () => {
    const log = await openLog();
    const first = log.append(makeBatch({ records: 2, tag: 1 }));
    const slow = gate();
    const gated = log.append(makeBatch({ records: 3, tag: 2 }), { ready: slow.promise });
    const after = [log.append(makeBatch({ records: 1, tag: 3 })), log.append(makeBatch({ records: 1, tag: 4 }))];
    // What came before the gated append is written and acknowledged without it.
    expect((await first).baseOffset).toBe(0n);
    let settled = false;
    void Promise.all(after).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(log.logEndOffset).toBe(2n);
    slow.open();
    expect((await gated).baseOffset).toBe(2n);
    expect((await Promise.all(after)).map((r) => r.baseOffset)).toEqual([5n, 6n]);
    const bases = (await readAll(log, 0n)).map((b) => describeBatches([b])[0]!.base);
    expect(bases).toEqual([0n, 2n, 5n, 6n]);
  });

  it('fails an append whose `ready` rejects with that reason and gives its offsets to the next', async () => {
    const log = await openLog();
    const bad = gate();
    const refused = new Error('refused by validation');
    // Rejected before the drain reaches it: an earlier gated append still holds the queue.
    const slow = gate();
    const a = log.append(makeBatch({ records: 2 }), { ready: slow.promise });
    const b = log.append(makeBatch({ records: 5 }), { ready: bad.promise });
    const c = log.append(makeBatch({ records: 1 }));
    bad.fail(refused);
    await new Promise((r) => setTimeout(r, 10));
    slow.open();
    expect((await a).baseOffset).toBe(0n);
    await expect(b).rejects.toBe(refused);
    expect((await c).baseOffset).toBe(2n);
    expect(log.logEndOffset).toBe(3n);
  });
});
