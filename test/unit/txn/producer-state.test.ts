import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { decodeSnapshot, encodeSnapshot, readControlMarker } from '../../../src/storage/producer-state.js';
import { decodeTxnIndex } from '../../../src/storage/txn-index.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { buildBatch, buildTransactionMarker } from '../../../src/protocol/records/records.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { silent, storeModes, type StoreFixture } from '../storage/store-modes.js';
import { ProducerStateError } from '../../../src/errors.js';

const T0 = BigInt(Date.now());

function batch(opts: { pid: bigint; epoch: number; seq: number; count?: number; txn?: boolean; ts?: bigint }): Buffer {
  const n = opts.count ?? 3;
  return buildBatch({
    producerId: opts.pid,
    producerEpoch: opts.epoch,
    baseSequence: opts.seq,
    isTransactional: opts.txn ?? false,
    baseTimestamp: opts.ts ?? T0,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${opts.seq + i}`) })),
  });
}

function marker(pid: bigint, epoch: number, commit: boolean, coordinatorEpoch = 0): Buffer {
  return buildTransactionMarker({ producerId: pid, producerEpoch: epoch, commit, coordinatorEpoch, timestamp: T0 });
}

async function expectCode(p: Promise<unknown>, code: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProducerStateError);
  expect((err as ProducerStateError).code).toBe(code);
}

describe('snapshot and control-record formats', () => {
  it('round-trips a snapshot in Kafka\'s layout and refuses a bad CRC', () => {
    const entry = { producerId: 7n, producerEpoch: 2, batches: [{ firstSeq: 3, lastSeq: 5, firstOffset: 10n, lastOffset: 12n, timestamp: T0 }], coordinatorEpoch: 4, currentTxnFirstOffset: 10n, lastTimestamp: T0 };
    const buf = encodeSnapshot([entry]);
    expect(buf.readInt16BE(0)).toBe(1);
    expect(buf.length).toBe(2 + 4 + 4 + 46);
    expect(decodeSnapshot(buf)).toEqual([entry]);
    buf[buf.length - 1]! ^= 1;
    expect(() => decodeSnapshot(buf)).toThrow(/CRC/);
  });

  it('reads a marker\'s type and coordinator epoch from the batch bytes', () => {
    expect(readControlMarker(marker(1n, 0, true, 9), 0)).toEqual({ type: 1, coordinatorEpoch: 9 });
    expect(readControlMarker(marker(1n, 0, false, 3), 0)).toEqual({ type: 0, coordinatorEpoch: 3 });
  });
});

describe.each(storeModes)('producer state in PartitionLog (%s store)', (_name, makeStore) => {
  let fx: StoreFixture;
  const open: PartitionLog[] = [];
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close().catch(() => undefined);
    fx.cleanup();
  });

  async function openLog(config: Partial<LogConfig> = {}, clean = true, extra: { producerIdExpirationMs?: number; clock?: () => number } = {}): Promise<PartitionLog> {
    const log = await PartitionLog.open({ store: fx.store, topic: 't', partition: 0, config, logger: silent, clean, ...extra });
    open.push(log);
    return log;
  }

  it('answers a retried batch with its original offsets and writes nothing', async () => {
    const log = await openLog();
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 0 }))).baseOffset).toBe(0n);
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 3 }))).baseOffset).toBe(3n);
    const dup = await log.append(batch({ pid: 1n, epoch: 0, seq: 0 }));
    expect(dup.baseOffset).toBe(0n);
    expect(dup.lastOffset).toBe(2n);
    expect(log.logEndOffset).toBe(6n);
    // Pipelined: the retry and the next batch in one drain.
    const [a, b] = await Promise.all([log.append(batch({ pid: 1n, epoch: 0, seq: 6 })), log.append(batch({ pid: 1n, epoch: 0, seq: 6 }))]);
    expect(a.baseOffset).toBe(6n);
    expect(b.baseOffset).toBe(6n);
    expect(log.logEndOffset).toBe(9n);
  });

  it('keeps the last five batches for duplicate detection', async () => {
    const log = await openLog();
    for (let i = 0; i < 6; i++) await log.append(batch({ pid: 1n, epoch: 0, seq: i * 3 }));
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 3 }))).baseOffset).toBe(3n);
    await expectCode(log.append(batch({ pid: 1n, epoch: 0, seq: 0 })), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('checks sequences and epochs as Kafka does', async () => {
    const log = await openLog();
    // A producer the partition does not know may start at any sequence.
    expect((await log.append(batch({ pid: 5n, epoch: 0, seq: 42 }))).baseOffset).toBe(0n);
    await expectCode(log.append(batch({ pid: 5n, epoch: 0, seq: 50 })), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await log.append(batch({ pid: 5n, epoch: 0, seq: 45 }));
    await expectCode(log.append(batch({ pid: 5n, epoch: 1, seq: 7 })), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await log.append(batch({ pid: 5n, epoch: 1, seq: 0 }));
    await expectCode(log.append(batch({ pid: 5n, epoch: 0, seq: 48 })), ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.logEndOffset).toBe(9n);
    // A rejected append leaves no trace: the next in-sequence batch still fits.
    expect((await log.append(batch({ pid: 5n, epoch: 1, seq: 3 }))).baseOffset).toBe(9n);
    const e = log.producers.get(5n)!;
    expect(e.producerEpoch).toBe(1);
    expect(e.batches.at(-1)!.lastSeq).toBe(5);
  });

  it('wraps sequences at Integer.MAX_VALUE', async () => {
    const log = await openLog();
    await log.append(batch({ pid: 2n, epoch: 0, seq: 2147483645 }));
    expect((await log.append(batch({ pid: 2n, epoch: 0, seq: 0 }))).baseOffset).toBe(3n);
  });

  it('tracks open transactions: LSO, markers, aborted index', async () => {
    const log = await openLog();
    await log.append(batch({ pid: 1n, epoch: 0, seq: 0, txn: true })); // 0-2
    await log.append(batch({ pid: 2n, epoch: 0, seq: 0 })); // 3-5
    await log.append(batch({ pid: 3n, epoch: 0, seq: 0, txn: true })); // 6-8
    expect(log.highWatermark).toBe(9n);
    expect(log.lastStableOffset).toBe(0n);
    await expectCode(log.append(batch({ pid: 1n, epoch: 0, seq: 3 })), ErrorCode.INVALID_TXN_STATE);
    // A marker with an older epoch is refused; one from an older coordinator too.
    await log.append(marker(1n, 0, false, 5), { origin: 'coordinator' }); // 9
    expect(log.lastStableOffset).toBe(6n);
    expect(log.abortedTransactions(0n, 10n)).toMatchObject([{ producerId: 1n, firstOffset: 0n }]);
    expect(log.abortedTransactions(3n, 10n)).toMatchObject([{ producerId: 1n, firstOffset: 0n }]);
    expect(log.abortedTransactions(10n, 20n)).toMatchObject([]);
    await log.append(marker(3n, 0, true), { origin: 'coordinator' }); // 10
    expect(log.lastStableOffset).toBe(11n);
    await expectCode(log.append(marker(3n, 0, true, -1), { origin: 'coordinator' }).then(() => log.append(marker(1n, 0, true, 4), { origin: 'coordinator' })), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    // Epoch bump by a marker fences the old epoch's data.
    await log.append(marker(3n, 1, false), { origin: 'coordinator' });
    await expectCode(log.append(batch({ pid: 3n, epoch: 0, seq: 3, txn: true })), ErrorCode.INVALID_PRODUCER_EPOCH);
    if (fx.root) {
      const { readFileSync } = await import('node:fs');
      const idx = decodeTxnIndex(readFileSync(`${fx.root}/t-0/00000000000000000000.txnindex`));
      expect(idx[0]).toEqual({ producerId: 1n, firstOffset: 0n, lastOffset: 9n, lastStableOffset: 6n });
    }
  });

  it('lists aborted transactions across segment boundaries', async () => {
    const log = await openLog({ segmentBytes: 300 });
    await log.append(batch({ pid: 1n, epoch: 0, seq: 0, txn: true }));
    for (let i = 0; i < 6; i++) await log.append(batch({ pid: 9n, epoch: 0, seq: i * 3 }));
    await log.append(batch({ pid: 1n, epoch: 0, seq: 3, txn: true }));
    await log.append(marker(1n, 0, false), { origin: 'coordinator' });
    const segs = log.segmentInfo();
    expect(segs.length).toBeGreaterThan(2);
    const end = log.logEndOffset;
    expect(log.abortedTransactions(0n, end)).toMatchObject([{ producerId: 1n, firstOffset: 0n }]);
    // A fetch from the middle segment still learns of the abort whose marker is later.
    expect(log.abortedTransactions(segs[1]!.baseOffset, segs[1]!.baseOffset + 1n)).toMatchObject([{ producerId: 1n, firstOffset: 0n }]);
    expect(log.lastStableOffset).toBe(log.highWatermark);
  });

  it('reloads producer state from the snapshot written at close', async () => {
    let log = await openLog({ segmentBytes: 400 });
    for (let i = 0; i < 5; i++) await log.append(batch({ pid: 1n, epoch: 0, seq: i * 3 }));
    await log.append(batch({ pid: 4n, epoch: 2, seq: 0, txn: true }));
    const lso = log.lastStableOffset;
    await log.close();
    open.length = 0;
    log = await openLog({ segmentBytes: 400 });
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 12 }))).baseOffset).toBe(12n);
    expect(log.lastStableOffset).toBe(lso);
    expect(log.producers.get(4n)!.currentTxnFirstOffset).toBe(15n);
  });

  it('rebuilds producer state from the log after a crash', async () => {
    let log = await openLog({ segmentBytes: 400 });
    for (let i = 0; i < 8; i++) await log.append(batch({ pid: 1n, epoch: 0, seq: i * 3 }));
    await log.append(batch({ pid: 6n, epoch: 0, seq: 0, txn: true }));
    await log.append(marker(6n, 0, false), { origin: 'coordinator' });
    await log.append(batch({ pid: 7n, epoch: 0, seq: 0, txn: true }));
    const leo = log.logEndOffset;
    await log.flush();
    // No close: no snapshot at the end, as after a crash.
    open.length = 0;
    if (fx.root === undefined) return; // the memory store cannot outlive its log without close
    log = await openLog({ segmentBytes: 400 }, false);
    expect(log.logEndOffset).toBe(leo);
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 21 }))).baseOffset).toBe(21n);
    await expectCode(log.append(batch({ pid: 1n, epoch: 0, seq: 99 })), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.lastStableOffset).toBe(28n);
    expect(log.abortedTransactions(0n, leo)).toMatchObject([{ producerId: 6n, firstOffset: 24n }]);
  });

  it('forgets idle producers after producer.id.expiration.ms', async () => {
    let now = Number(T0);
    const log = await openLog({}, true, { producerIdExpirationMs: 1000, clock: () => now });
    await log.append(batch({ pid: 1n, epoch: 0, seq: 0 }));
    await log.append(batch({ pid: 2n, epoch: 0, seq: 0, txn: true }));
    now += 5000;
    expect(log.removeExpiredProducers(now)).toBe(1);
    expect(log.producers.get(1n)).toBeUndefined();
    expect(log.producers.get(2n)).toBeDefined();
    // Unknown again: any sequence is accepted, as in Kafka.
    expect((await log.append(batch({ pid: 1n, epoch: 0, seq: 30 }))).baseOffset).toBe(6n);
  });
});
