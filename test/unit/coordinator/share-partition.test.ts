/** The share partition's state machine, with a manual clock for acquisition locks. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { AcknowledgeType, type LogBatchInfo, SharePartition, type ShareStateWrite } from '../../../src/coordinator/share/share-partition.js';
import { RecordState, type StateRange } from '../../../src/coordinator/share/state-batches.js';
import { ManualClock } from '../../support/share-fakes.js';

const LOCK_MS = 30_000;

function setup(o: { maxDeliveryCount?: number; maxInFlightRecords?: number; startOffset?: bigint; stateBatches?: StateRange[] } = {}) {
  const clock = new ManualClock();
  const writes: ShareStateWrite[] = [];
  const sp = new SharePartition({
    startOffset: o.startOffset ?? 0n,
    stateBatches: o.stateBatches ?? [],
    clock,
    limits: { maxDeliveryCount: o.maxDeliveryCount ?? 5, maxInFlightRecords: o.maxInFlightRecords ?? 2000, lockDurationMs: () => LOCK_MS },
    persist: async (w) => {
      writes.push(w);
    },
  });
  return { sp, clock, writes };
}

/** The log as batches of `size` records from `from` to `to` (inclusive). */
function log(from: number, to: number, size = 5, skip: number[] = []): LogBatchInfo[] {
  const out: LogBatchInfo[] = [];
  for (let b = from; b <= to; b += size) out.push({ baseOffset: BigInt(b), lastOffset: BigInt(Math.min(b + size - 1, to)), skip: skip.includes(b) });
  return out;
}

/** What is in the log from the partition's next fetch offset on, as a fetch would read it. */
function acquire(sp: SharePartition, member: string, maxRecords: number, end: number, recordLimit = false) {
  const from = sp.nextFetchOffset();
  const batches = log(0, end).filter((b) => b.lastOffset >= from);
  return sp.acquire(member, from, batches, maxRecords, recordLimit);
}

const r = (first: number, last: number, deliveryCount = 1) => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), deliveryCount });
const ack = (first: number, last: number, ...types: number[]) => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), acknowledgeTypes: types });

describe('SharePartition', () => {
  it('hands each record to one member at a time, whole log batches in batch mode and exact counts in record-limit mode', () => {
    const { sp } = setup();
    expect(acquire(sp, 'a', 3, 19)).toEqual([r(0, 4)]);
    expect(acquire(sp, 'b', 3, 19, true)).toEqual([r(5, 7)]);
    expect(acquire(sp, 'c', 100, 19)).toEqual([r(8, 19)]);
    expect(acquire(sp, 'a', 100, 19)).toEqual([]);
    expect(sp.stateOf(6n)).toEqual({ state: RecordState.ACQUIRED, deliveryCount: 1, memberId: 'b' });
    expect([sp.startOffset, sp.endOffset]).toEqual([0n, 20n]);
  });

  it('accept and reject move the start offset over the front; release makes records available with their delivery count', async () => {
    const { sp, writes } = setup();
    acquire(sp, 'a', 10, 9);
    expect(await sp.acknowledge('a', [ack(0, 4, AcknowledgeType.ACCEPT), ack(5, 9, AcknowledgeType.REJECT, AcknowledgeType.RELEASE, AcknowledgeType.ACCEPT, AcknowledgeType.RELEASE, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.NONE);
    // 0-5 done (5 rejected), 6 released: the start offset stops at 6.
    expect(sp.startOffset).toBe(6n);
    expect(sp.nextFetchOffset()).toBe(6n);
    expect(sp.stateOf(7n)?.state).toBe(RecordState.ACKNOWLEDGED);
    expect(writes.at(-1)).toEqual({
      startOffset: 6n,
      stateBatches: [
        { firstOffset: 6n, lastOffset: 6n, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
        { firstOffset: 7n, lastOffset: 7n, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 },
        { firstOffset: 8n, lastOffset: 8n, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
        { firstOffset: 9n, lastOffset: 9n, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 },
      ],
    });
    // The released records come back first, counted again; then new ones.
    expect(acquire(sp, 'b', 100, 14)).toEqual([r(6, 6, 2), r(8, 8, 2), r(10, 14)]);
  });

  it('refuses acknowledgements that do not hold, all or nothing', async () => {
    const { sp } = setup();
    acquire(sp, 'a', 5, 9);
    acquire(sp, 'b', 5, 9);
    expect(await sp.acknowledge('a', [ack(0, 4, AcknowledgeType.ACCEPT), ack(5, 5, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(sp.stateOf(0n)?.state).toBe(RecordState.ACQUIRED);
    expect(await sp.acknowledge('a', [ack(3, 2, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_REQUEST);
    expect(await sp.acknowledge('a', [ack(0, 4, AcknowledgeType.ACCEPT, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_REQUEST);
    expect(await sp.acknowledge('a', [ack(0, 1, AcknowledgeType.ACCEPT), ack(1, 2, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_REQUEST);
    expect(await sp.acknowledge('a', [ack(0, 0, AcknowledgeType.RENEW)], false)).toBe(ErrorCode.INVALID_REQUEST);
    expect(await sp.acknowledge('a', [ack(20, 20, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(await sp.acknowledge('a', [ack(0, 4, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.NONE);
    expect(await sp.acknowledge('a', [ack(0, 0, AcknowledgeType.ACCEPT)], false)).toBe(ErrorCode.INVALID_RECORD_STATE);
  });

  it('a lock that runs out releases the records; at the delivery limit they are archived instead', () => {
    const { sp, clock } = setup({ maxDeliveryCount: 2 });
    expect(acquire(sp, 'a', 5, 4)).toEqual([r(0, 4)]);
    clock.advance(LOCK_MS - 1);
    expect(sp.stateOf(0n)?.state).toBe(RecordState.ACQUIRED);
    clock.advance(1);
    expect(sp.stateOf(0n)).toEqual({ state: RecordState.AVAILABLE, deliveryCount: 1, memberId: '' });
    expect(acquire(sp, 'b', 5, 4)).toEqual([r(0, 4, 2)]);
    clock.advance(LOCK_MS);
    // Delivered twice, the limit: archived, and the start offset moves past them.
    expect(sp.stateOf(0n)).toBeUndefined();
    expect([sp.startOffset, sp.nextFetchOffset()]).toEqual([5n, 5n]);
    expect(clock.pending).toBe(0);
  });

  it('renew extends a lock; a member leaving releases only its own records', async () => {
    const { sp, clock } = setup();
    acquire(sp, 'a', 5, 9);
    acquire(sp, 'b', 5, 9);
    clock.advance(LOCK_MS / 2);
    expect(await sp.acknowledge('a', [ack(0, 4, AcknowledgeType.RENEW)], true)).toBe(ErrorCode.NONE);
    clock.advance(LOCK_MS / 2);
    expect([sp.stateOf(0n)?.state, sp.stateOf(5n)?.state]).toEqual([RecordState.ACQUIRED, RecordState.AVAILABLE]);
    await sp.releaseMember('a');
    expect(sp.stateOf(0n)).toEqual({ state: RecordState.AVAILABLE, deliveryCount: 1, memberId: '' });
  });

  it('acquires no new records past group.share.partition.max.record.locks, a soft bound rounded up to the log batch; released ones still go out', async () => {
    const { sp } = setup({ maxInFlightRecords: 6 });
    // Room for 6: the log batch holding the 6th record (5-9) is taken whole, as Kafka does.
    expect(acquire(sp, 'a', 100, 19)).toEqual([r(0, 9)]);
    expect(acquire(sp, 'b', 100, 19)).toEqual([]);
    expect(sp.canAcquire()).toBe(false);
    await sp.acknowledge('a', [ack(1, 1, AcknowledgeType.RELEASE)], false);
    // No room: only the released record, nothing past the end offset.
    expect(acquire(sp, 'b', 100, 19)).toEqual([r(1, 1, 2)]);
    await sp.acknowledge('a', [ack(0, 0, AcknowledgeType.ACCEPT), ack(2, 9, AcknowledgeType.ACCEPT)], false);
    expect(acquire(sp, 'b', 100, 19)).toEqual([]);
    // Accepting the front frees room: the window moves on.
    await sp.acknowledge('b', [ack(1, 1, AcknowledgeType.ACCEPT)], false);
    expect(sp.startOffset).toBe(10n);
    expect(acquire(sp, 'b', 100, 19)).toEqual([r(10, 19)]);
  });

  it('caps batch-mode acquisition at maxRecords rounded up to the log batch, not at the lock bound', () => {
    const { sp } = setup({ maxInFlightRecords: 2000 });
    // Offset 11 (the 12th record) is in batch 10-14: acquisition stops there.
    expect(acquire(sp, 'a', 12, 99)).toEqual([r(0, 14)]);
    expect(sp.endOffset).toBe(15n);
    expect(acquire(sp, 'b', 12, 99)).toEqual([r(15, 29)]);
  });

  it('record-limit mode acquires exactly maxRecords but keeps the rest of the log batch in flight, available', () => {
    const { sp } = setup({ maxInFlightRecords: 6 });
    expect(acquire(sp, 'a', 100, 19, true)).toEqual([r(0, 5)]);
    expect(sp.endOffset).toBe(10n);
    expect(sp.stateOf(6n)).toEqual({ state: RecordState.AVAILABLE, deliveryCount: 0, memberId: '' });
    // The window is full, but records already in flight still go out; nothing new does.
    expect(acquire(sp, 'b', 100, 19, true)).toEqual([r(6, 9)]);
    expect(acquire(sp, 'b', 100, 19, true)).toEqual([]);
  });

  it('tells waiting fetches when records come back or room frees up: release, lock expiry, accepting the front', async () => {
    const { sp, clock } = setup({ maxInFlightRecords: 10 });
    let woken = 0;
    sp.onAvailable(() => woken++);
    acquire(sp, 'a', 5, 19);
    acquire(sp, 'b', 5, 19);
    expect(sp.canAcquire()).toBe(false);
    // Accepting behind the front frees nothing: no wake-up.
    await sp.acknowledge('b', [ack(5, 9, AcknowledgeType.ACCEPT)], false);
    expect([woken, sp.canAcquire()]).toEqual([0, false]);
    await sp.acknowledge('a', [ack(0, 1, AcknowledgeType.ACCEPT)], false);
    expect([woken, sp.canAcquire()]).toEqual([1, true]);
    await sp.acknowledge('a', [ack(2, 2, AcknowledgeType.RELEASE)], false);
    expect(woken).toBe(2);
    clock.advance(LOCK_MS);
    expect([woken, sp.stateOf(3n)?.state]).toEqual([3, RecordState.AVAILABLE]);
  });

  it('never delivers control batches (or aborted ones) and archives them', () => {
    const { sp } = setup();
    const batches = [...log(0, 4), { baseOffset: 5n, lastOffset: 5n, skip: true }, { baseOffset: 6n, lastOffset: 8n, skip: false }];
    expect(sp.acquire('a', 0n, batches, 100, false)).toEqual([r(0, 4), r(6, 8)]);
    expect(sp.stateOf(5n)?.state).toBe(RecordState.ARCHIVED);
  });

  it('starts from persisted state: acknowledged stays done, offsets no range names are available again, and the log start offset wins', async () => {
    const { sp } = setup({
      startOffset: 10n,
      stateBatches: [
        { firstOffset: 10n, lastOffset: 11n, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 },
        { firstOffset: 13n, lastOffset: 13n, deliveryState: RecordState.AVAILABLE, deliveryCount: 3 },
        { firstOffset: 15n, lastOffset: 15n, deliveryState: RecordState.ARCHIVED, deliveryCount: 1 },
      ],
    });
    expect([sp.startOffset, sp.endOffset, sp.nextFetchOffset()]).toEqual([12n, 16n, 12n]);
    expect(acquire(sp, 'a', 100, 19)).toEqual([r(12, 12), r(13, 13, 4), r(14, 14), r(16, 19)]);
    await sp.updateLogStartOffset(18n);
    expect([sp.startOffset, sp.stateOf(16n), sp.stateOf(18n)?.state]).toEqual([18n, undefined, RecordState.ACQUIRED]);
  });

  it('offsets restored as in flight that the log no longer holds are dropped when a read passes them', () => {
    const { sp } = setup({ startOffset: 0n, stateBatches: [{ firstOffset: 9n, lastOffset: 9n, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 }] });
    // The log kept only 0-1 and 7-8 (compacted): 2-6 hold no record.
    const got = sp.acquire('a', 0n, [{ baseOffset: 0n, lastOffset: 1n, skip: false }, { baseOffset: 7n, lastOffset: 8n, skip: false }], 100, false);
    expect(got).toEqual([r(0, 1), r(7, 8)]);
    expect(sp.inFlightCount).toBe(10);
    expect(sp.stateOf(4n)).toBeUndefined();
  });
});
