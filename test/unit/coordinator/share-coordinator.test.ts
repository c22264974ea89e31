/**
 * The share coordinator over __share_group_state: ShareSnapshot then ShareUpdates, a new
 * snapshot every N updates, replay into a new coordinator, pruning, fencing by state epoch;
 * and a share partition restarted from it loses nothing and redelivers nothing acknowledged.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ShareCoordinator } from '../../../src/coordinator/share/share-coordinator.js';
import { AcknowledgeType, type LogBatchInfo, SharePartition } from '../../../src/coordinator/share/share-partition.js';
import { mergeStateBatches, RecordState } from '../../../src/coordinator/share/state-batches.js';
import { ManualClock, MemoryShareStateLog } from '../../support/share-fakes.js';

const GROUP = 'g';
const TOPIC_ID = 'AQIDBAUGBwgJCgsMDQ4PEA';
const REF = { topicId: TOPIC_ID, topicName: 't', partition: 0 };

function coordinator(log: MemoryShareStateLog, updatesPerSnapshot = 3, initial = 0n) {
  return new ShareCoordinator({ log, logger: pino({ level: 'silent' }), updatesPerSnapshot, now: () => 1000, initialOffset: async () => initial, topicName: (id) => (id === TOPIC_ID ? 't' : undefined) });
}

const batch = (first: number, last: number, deliveryState: number, deliveryCount = 1) => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), deliveryState, deliveryCount });

describe('mergeStateBatches', () => {
  it('lays later ranges over earlier ones, trims to the start offset and joins equal neighbours', () => {
    const merged = mergeStateBatches([batch(0, 9, RecordState.AVAILABLE)], [batch(3, 4, RecordState.ACKNOWLEDGED), batch(5, 9, RecordState.ACKNOWLEDGED)], 2n);
    expect(merged).toEqual([batch(2, 2, RecordState.AVAILABLE), batch(3, 9, RecordState.ACKNOWLEDGED)]);
  });
});

describe('ShareCoordinator', () => {
  it('writes a snapshot, then updates, then a new snapshot; a new coordinator replays the same state', async () => {
    const log = new MemoryShareStateLog(3);
    const c = coordinator(log);
    await c.ensureInitialized(GROUP, [REF]);
    for (let i = 0; i < 4; i++) await c.write(GROUP, TOPIC_ID, 0, { startOffset: BigInt(i), stateEpoch: 0, stateBatches: [batch(10 + i, 10 + i, RecordState.ACKNOWLEDGED)] });
    expect(log.records(true).map((r) => r.type)).toEqual(['snapshot', 'update', 'update', 'update', 'snapshot']);
    const state = c.read(GROUP, TOPIC_ID, 0)!;
    expect([state.snapshotEpoch, state.stateEpoch, state.startOffset, state.stateBatches]).toEqual([1, 0, 3n, [batch(10, 13, RecordState.ACKNOWLEDGED)]]);

    // Only the last snapshot is needed: everything before it is pruned.
    expect(log.records().length).toBe(1);
    const again = coordinator(log);
    await again.load();
    expect(again.read(GROUP, TOPIC_ID, 0)).toEqual(state);
    expect(again.partitionsOf(GROUP)).toEqual([REF]);
    expect(await again.readSummary(GROUP, REF)).toEqual({ startOffset: 3n, stateEpoch: 0, leaderEpoch: 0 });
  });

  it('a reset starts a new state epoch and fences writers of the old one; delete leaves tombstones', async () => {
    const log = new MemoryShareStateLog(1);
    const c = coordinator(log, 500, 7n);
    const reset: string[] = [];
    c.onReset((g, t, p) => reset.push(`${g}/${t}/${p}`));
    await c.ensureInitialized(GROUP, [REF]);
    expect(c.read(GROUP, TOPIC_ID, 0)?.startOffset).toBe(7n);
    await c.resetTo(GROUP, REF, 42n);
    expect([c.read(GROUP, TOPIC_ID, 0)?.startOffset, c.read(GROUP, TOPIC_ID, 0)?.stateEpoch]).toEqual([42n, 1]);
    await expect(c.write(GROUP, TOPIC_ID, 0, { startOffset: 50n, stateEpoch: 0, stateBatches: [] })).rejects.toMatchObject({ code: ErrorCode.FENCED_STATE_EPOCH });
    await c.delete(GROUP, REF);
    expect(c.read(GROUP, TOPIC_ID, 0)).toBeUndefined();
    expect(reset).toEqual([`${GROUP}/${TOPIC_ID}/0`, `${GROUP}/${TOPIC_ID}/0`]);
    const again = coordinator(log);
    await again.load();
    expect(again.read(GROUP, TOPIC_ID, 0)).toBeUndefined();
    expect(log.records().slice(-2)).toMatchObject([{ type: 'snapshot', value: null }, { type: 'update', value: null }]);
  });

  it('a share partition restarted from the coordinator redelivers what was not acknowledged, and nothing that was', async () => {
    const log = new MemoryShareStateLog(2);
    const limits = { maxDeliveryCount: 5, maxInFlightRecords: 100, lockDurationMs: () => 30_000 };
    const open = async (c: ShareCoordinator) => {
      const s = await c.readOrInitialize(GROUP, REF);
      return new SharePartition({ startOffset: s.startOffset, stateBatches: s.stateBatches, limits, clock: new ManualClock(), persist: (w) => c.write(GROUP, TOPIC_ID, 0, { ...w, stateEpoch: s.stateEpoch }) });
    };
    const records: LogBatchInfo[] = [0, 5, 10, 15].map((b) => ({ baseOffset: BigInt(b), lastOffset: BigInt(b + 4), skip: false }));
    const c = coordinator(log, 2);
    const sp = await open(c);
    sp.acquire('a', 0n, records, 15, false);
    expect(await sp.acknowledge('a', [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [AcknowledgeType.ACCEPT] }], false)).toBe(ErrorCode.NONE);
    expect(await sp.acknowledge('a', [{ firstOffset: 6n, lastOffset: 7n, acknowledgeTypes: [AcknowledgeType.ACCEPT, AcknowledgeType.REJECT] }], false)).toBe(ErrorCode.NONE);
    expect(await sp.acknowledge('a', [{ firstOffset: 10n, lastOffset: 11n, acknowledgeTypes: [AcknowledgeType.RELEASE] }], false)).toBe(ErrorCode.NONE);
    expect(await sp.acknowledge('a', [{ firstOffset: 12n, lastOffset: 14n, acknowledgeTypes: [AcknowledgeType.ACCEPT] }], false)).toBe(ErrorCode.NONE);
    sp.close();

    const restarted = coordinator(log, 2);
    await restarted.load();
    const sp2 = await open(restarted);
    expect(sp2.startOffset).toBe(5n);
    const got = sp2.acquire('b', sp2.nextFetchOffset(), records.slice(1), 100, false);
    const offsets = got.flatMap((r) => Array.from({ length: Number(r.lastOffset - r.firstOffset + 1n) }, (_, i) => Number(r.firstOffset) + i));
    // 5 and 8-9 were acquired, never acknowledged; 10-11 released; 15-19 never fetched.
    expect(offsets).toEqual([5, 8, 9, 10, 11, 15, 16, 17, 18, 19]);
    expect(got.find((r) => r.firstOffset === 10n)?.deliveryCount).toBe(2);
  });
});
