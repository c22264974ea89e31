import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { GroupCoordinator, type JoinParams } from '../../../src/coordinator/group/group-coordinator.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { BatchHeader } from '../../../src/protocol/records/record-batch.js';
import { buildTransactionMarker } from '../../../src/protocol/records/records.js';
import { KafkaError } from '../../../src/errors.js';

class MemoryLog extends MemoryOffsetsLog {
  constructor(partitions = 4) {
    super(partitions);
  }
}

const logger = createLogger({ level: 'silent' });
let now = 1_000_000;
const coordinators: GroupCoordinator[] = [];

async function open(log: MemoryLog, config = {}) {
  const c = new GroupCoordinator({ log, logger, now: () => now, config: { minSessionTimeoutMs: 100, ...config } });
  coordinators.push(c);
  await c.load();
  return c;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const c of coordinators.splice(0)) await c.close();
});

const SUB = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);

function join(over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 1000, rebalanceTimeoutMs: 1000,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }], requireKnownMemberId: true, supportsSkipAssignment: false, ...over,
  };
}

async function stableGroupOfOne(c: GroupCoordinator, groupId = 'g') {
  const first = await c.join(join({ groupId }));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await c.join(join({ groupId, memberId: first.memberId }));
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const synced = await c.sync({ groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.from('A') }] });
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  return joined;
}

describe('GroupCoordinator', () => {
  it('answers a SyncGroup of a stale generation with ILLEGAL_GENERATION, and the current one normally', async () => {
    const c = await open(new MemoryLog());
    const joined = await stableGroupOfOne(c);
    const rejoined = await c.join(join({ memberId: joined.memberId }));
    expect(rejoined.errorCode).toBe(ErrorCode.NONE);
    expect(rejoined.generationId).toBe(joined.generationId + 1);
    const sync = (generationId: number) =>
      c.sync({ groupId: 'g', generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.from('B') }] });
    const stale = await sync(joined.generationId);
    expect(stale.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(stale.assignment.length).toBe(0);
    const current = await sync(rejoined.generationId);
    expect(current.errorCode).toBe(ErrorCode.NONE);
    expect(current.assignment.toString()).toBe('B');
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS until its partitions are replayed', async () => {
    const c = new GroupCoordinator({ log: new MemoryLog(), logger });
    coordinators.push(c);
    await expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    expect(c.fetchOffsets('g', null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(c.describeGroup('g').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await c.load();
    expect(c.isReady).toBe(true);
    expect(await c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('goes Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and Stable only once the assignment is appended', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    const first = await c.join(join());
    expect(c.groupState('g')).toBe('Empty');
    const joining = c.join(join({ memberId: first.memberId }));
    const joined = await joining;
    expect(c.groupState('g')).toBe('CompletingRebalance');
    expect([joined.generationId, joined.leader, joined.members.length]).toEqual([1, first.memberId, 1]);
    log.failNext = true;
    const failed = await c.sync({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(c.groupState('g')).not.toBe('Stable');
  });

  it('after a failed assignment write the group rebalances in a write of its own and can become Stable again', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    const joined = await stableGroupOfOne(c);
    // A second member makes the group rebalance; the leader's assignment write then fails.
    const second = c.join(join({ memberId: '', requireKnownMemberId: false }));
    const again = await c.join(join({ memberId: joined.memberId }));
    const other = await second;
    expect(c.groupState('g')).toBe('CompletingRebalance');
    log.failNext = true;
    const failed = await c.sync({ groupId: 'g', generationId: again.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    await c.heartbeat({ groupId: 'g', generationId: again.generationId, memberId: joined.memberId, groupInstanceId: null }).catch(() => undefined);
    expect(c.groupState('g')).toBe('PreparingRebalance');
    const [a, b] = await Promise.all([c.join(join({ memberId: joined.memberId })), c.join(join({ memberId: other.memberId }))]);
    expect(a.generationId).toBe(again.generationId + 1);
    const syncs = [
      c.sync({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: a.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })) }),
      c.sync({ groupId: 'g', generationId: b.generationId, memberId: b.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] }),
    ];
    const leaderFirst = a.leader === a.memberId ? syncs : syncs.reverse();
    const results = await Promise.all(leaderFirst);
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(c.groupState('g')).toBe('Stable');
  });

  it('warns when a __consumer_offsets append is slow (every later group operation waits behind it)', async () => {
    const lines: string[] = [];
    const captured = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    class SlowLog extends MemoryLog {
      delayMs = 0;
      override async append(partition: number, batch: Buffer): Promise<void> {
        now += this.delayMs;
        await super.append(partition, batch);
      }
    }
    const log = new SlowLog();
    const c = new GroupCoordinator({ log, logger: captured, now: () => now, config: { minSessionTimeoutMs: 100 } });
    coordinators.push(c);
    await c.load();
    const fast = () => lines.filter((l) => l.includes('slow __consumer_offsets append')).length;
    await stableGroupOfOne(c, 'fast');
    expect(fast()).toBe(0);
    log.delayMs = 1500;
    await stableGroupOfOne(c, 'slow');
    expect(fast()).toBeGreaterThan(0);
    expect(JSON.parse(lines.find((l) => l.includes('slow __consumer_offsets append'))!)).toMatchObject({ ms: 1500 });
  });

  it('a rebalance answers a pending follower SyncGroup with REBALANCE_IN_PROGRESS, as Kafka', async () => {
    const c = await open(new MemoryLog());
    const a = (await c.join(join())).memberId;
    const b = (await c.join(join())).memberId;
    const ja = c.join(join({ memberId: a }));
    const jb = c.join(join({ memberId: b }));
    const [ra] = await Promise.all([ja, jb]);
    expect(ra.generationId).toBe(1);
    const follower = ra.leader === a ? b : a;
    const pending = c.sync({ groupId: 'g', generationId: 1, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    // A third member joining moves the group back to PreparingRebalance before the leader syncs.
    const third = (await c.join(join())).memberId;
    void c.join(join({ memberId: third }));
    expect((await pending).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.groupState('g')).toBe('PreparingRebalance');
  });

  it('replays its log after a restart: same generation, members, assignment and offsets', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    const joined = await stableGroupOfOne(c);
    const codes = await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 17n, committedLeaderEpoch: 0, commitTimestamp: -1n, committedMetadata: null }] }] });
    expect(codes).toEqual([[ErrorCode.NONE]]);
    const kinds = log.records().map((r) => `${r!.type}:${r!.value === null ? 'tombstone' : 'value'}`);
    expect(kinds).toEqual(['group:value', 'group:value', 'offset:value']);

    const restarted = await open(log);
    const d = restarted.describeGroup('g');
    expect(d.groupState).toBe('Stable');
    expect(d.members.map((m) => [m.memberId, m.memberAssignment.toString()])).toEqual([[joined.memberId, 'A']]);
    expect(restarted.fetchOffsets('g', null).topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 17n, committedLeaderEpoch: 0, metadata: '', errorCode: 0 }] }]);
    // The loaded member must heartbeat: the generation carried over.
    expect(await restarted.heartbeat({ groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect(await restarted.heartbeat({ groupId: 'g', generationId: 2, memberId: joined.memberId, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it('evicts a member whose session times out and rebalances to Empty', async () => {
    vi.useFakeTimers();
    const log = new MemoryLog();
    const c = await open(log);
    const ready = stableGroupOfOne(c);
    await vi.advanceTimersByTimeAsync(1); // the initial rebalance delay (0) runs on a timer
    await ready;
    await vi.advanceTimersByTimeAsync(998);
    expect(c.groupState('g')).toBe('Stable');
    await vi.advanceTimersByTimeAsync(10);
    expect(c.groupState('g')).toBe('Empty');
    const last = log.records().at(-1)!;
    expect(last).toMatchObject({ type: 'group', value: { generation: 2, members: [], protocol: null } });
  });

  it('waits group.initial.rebalance.delay.ms for more members before the first generation', async () => {
    vi.useFakeTimers();
    const c = await open(new MemoryLog(), { initialRebalanceDelayMs: 300 });
    const a = await c.join(join());
    const b = await c.join(join());
    let done = 0;
    const ja = c.join(join({ memberId: a.memberId })).then((r) => (done++, r));
    await vi.advanceTimersByTimeAsync(200);
    const jb = c.join(join({ memberId: b.memberId })).then((r) => (done++, r));
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(0);
    await vi.advanceTimersByTimeAsync(600);
    const [ra, rb] = await Promise.all([ja, jb]);
    expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
    expect(ra.members.length + rb.members.length).toBe(2);
  });

  it('expires the offsets of an empty group after offsets.retention, then the group', async () => {
    const log = new MemoryLog();
    const c = await open(log, { offsetsRetentionMs: 60_000 });
    const commit = await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
    expect(commit).toEqual([[0]]);
    expect(c.listGroups([], []).map((g) => [g.groupId, g.groupState, g.protocolType])).toEqual([['simple', 'Empty', '']]);
    now += 59_999;
    expect(await c.expireOffsets()).toBe(0);
    now += 1;
    expect(await c.expireOffsets()).toBe(1);
    expect(c.fetchOffsets('simple', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
    expect(c.listGroups([], [])).toEqual([]);
    expect(log.records().slice(-2).map((r) => [r!.type, r!.value])).toEqual([['offset', null], ['group', null]]);
  });

  it('checks offset commits against the generation and the member, as Kafka', async () => {
    const c = await open(new MemoryLog());
    const joined = await stableGroupOfOne(c);
    const commit = (over: object) =>
      c.commitOffsets({ groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }], ...over });
    expect(await commit({ generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit({ memberId: 'x' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({ generationId: -1, memberId: '' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({ groupId: 'absent', apiVersion: 9 })).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await commit({ groupId: 'absent', apiVersion: 8 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit({})).toEqual([[0]]);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(await c.deleteOffsets('g', [{ name: 't', partitions: [0] }])).toEqual([[ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]);
    expect(await c.deleteOffsets('g', [{ name: 'other', partitions: [0] }])).toEqual([[ErrorCode.NONE]]);
  });

  it('a static member rejoining when its new member id cannot be written keeps its old id (the snapshot is restored)', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    const first = await c.join(join({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    expect(first.errorCode).toBe(ErrorCode.NONE);
    const synced = await c.sync({ groupId: 'g', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'i1', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }] });
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    log.failNext = true;
    const failed = await c.join(join({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(c.groupState('g')).toBe('Stable');
    expect(c.describeGroup('g').members.map((m) => [m.memberId, m.groupInstanceId, m.memberAssignment.toString()])).toEqual([[first.memberId, 'i1', 'A']]);
    expect(await c.heartbeat({ groupId: 'g', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'i1' })).toBe(ErrorCode.NONE);
    const replaced = await c.join(join({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    expect(replaced.errorCode).toBe(ErrorCode.NONE);
    expect(replaced.memberId).not.toBe(first.memberId);
    expect(await c.heartbeat({ groupId: 'g', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'i1' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('rejects operations after close', async () => {
    const c = await open(new MemoryLog());
    await c.close();
    await expect(c.join(join())).rejects.toBeInstanceOf(KafkaError);
  });
});

describe('GroupCoordinator transactional offsets (TxnOffsetsParticipant)', () => {
  const topics = (partitions: Array<[string, number, bigint]>) => {
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const [t, p, o] of partitions) byTopic.set(t, [...(byTopic.get(t) ?? []), { partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, committedMetadata: null }]);
    return [...byTopic].map(([name, ps]) => ({ name, partitions: ps }));
  };
  const txnCommit = (c: GroupCoordinator, producerId: bigint, parts: Array<[string, number, bigint]>, over: { groupId?: string; generationId?: number; memberId?: string; verify?: () => number } = {}) =>
    c.commitTransactionalOffsets({
      transactionalId: `tx-${producerId}`, groupId: over.groupId ?? 'g', producerId, producerEpoch: 0, generationId: over.generationId ?? -1,
      memberId: over.memberId ?? '', groupInstanceId: null, apiVersion: 3, topics: topics(parts), ...(over.verify && { verify: over.verify }),
    });
  const plainCommit = (c: GroupCoordinator, parts: Array<[string, number, bigint]>) =>
    c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8, topics: topics(parts).map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, commitTimestamp: -1n })) })) });
  /** What the transaction coordinator does at EndTxn: the marker in the group's partition, then completeTransaction. */
  async function endTxn(c: GroupCoordinator, log: MemoryLog, producerId: bigint, commit: boolean, groupId = 'g') {
    const partition = c.partitionFor(groupId);
    await log.append(partition, buildTransactionMarker({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 0, timestamp: 0n }));
    await c.completeTransaction(partition, producerId, 0, commit);
  }
  const offsetOf = (c: GroupCoordinator, topic: string, partition: number, requireStable = false) => {
    const p = c.fetchOffsets('g', [{ name: topic, partitionIndexes: [partition] }], requireStable).topics[0]!.partitions[0]!;
    return p.errorCode === ErrorCode.NONE ? p.committedOffset : `error ${p.errorCode}`;
  };

  it('writes a transactional batch of the producer; pending until the commit marker; the same after restarts', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    expect(await txnCommit(c, 7n, [['t', 0, 5n]])).toEqual([[ErrorCode.NONE]]);
    expect(await txnCommit(c, 8n, [['t', 1, 9n]])).toEqual([[ErrorCode.NONE]]);
    const stored = log.stored[c.partitionFor('g')]!;
    const header = new BatchHeader(stored[0]!);
    expect([header.producerId, header.producerEpoch, header.baseSequence, header.isTransactional, header.isControl]).toEqual([7n, 0, -1, true, false]);

    expect(offsetOf(c, 't', 0)).toBe(-1n);
    expect(offsetOf(c, 't', 0, true)).toBe(`error ${ErrorCode.UNSTABLE_OFFSET_COMMIT}`);
    expect(c.hasPendingTransactionalOffsets('g', 't', 1)).toBe(true);
    await endTxn(c, log, 7n, true);
    expect(offsetOf(c, 't', 0, true)).toBe(5n);
    expect(offsetOf(c, 't', 1, true)).toBe(`error ${ErrorCode.UNSTABLE_OFFSET_COMMIT}`);

    // Producer 8's transaction is still open across the restart.
    const again = await open(log);
    expect(offsetOf(again, 't', 0, true)).toBe(5n);
    expect(offsetOf(again, 't', 1)).toBe(-1n);
    expect(offsetOf(again, 't', 1, true)).toBe(`error ${ErrorCode.UNSTABLE_OFFSET_COMMIT}`);
    expect(again.fetchOffsets('g', null, true).topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }]);
    await endTxn(again, log, 8n, false);
    expect(offsetOf(again, 't', 1, true)).toBe(-1n);

    const third = await open(log);
    expect([offsetOf(third, 't', 0, true), offsetOf(third, 't', 1, true)]).toEqual([5n, -1n]);
    expect(third.hasPendingTransactionalOffsets('g', 't', 1)).toBe(false);
  });

  it('a committed transactional offset replaces only an older record (Kafka compares record offsets)', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    await txnCommit(c, 7n, [['t', 0, 5n], ['t', 1, 5n]]);
    expect(await plainCommit(c, [['t', 0, 6n]])).toEqual([[ErrorCode.NONE]]);
    await endTxn(c, log, 7n, true);
    expect([offsetOf(c, 't', 0), offsetOf(c, 't', 1)]).toEqual([6n, 5n]);
    await plainCommit(c, [['t', 1, 1n]]);
    await txnCommit(c, 7n, [['t', 1, 2n]]);
    await endTxn(c, log, 7n, true);
    expect(offsetOf(c, 't', 1)).toBe(2n);
    const again = await open(log);
    expect([offsetOf(again, 't', 0), offsetOf(again, 't', 1)]).toEqual([6n, 2n]);
  });

  it('tombstones (OffsetDelete, DeleteGroups) drop pending offsets; expiration keeps them', async () => {
    const log = new MemoryLog();
    const c = await open(log, { offsetsRetentionMs: 1000 });
    await txnCommit(c, 7n, [['t', 0, 5n], ['u', 0, 3n]]);
    expect(await c.deleteOffsets('g', [{ name: 't', partitions: [0] }])).toEqual([[ErrorCode.NONE]]);
    expect(c.hasPendingTransactionalOffsets('g', 't', 0)).toBe(false);
    now += 10_000;
    await c.expireOffsets();
    expect(c.groupState('g')).toBe('Empty'); // open transaction: the group stays
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(c.hasPendingTransactionalOffsets('g', 'u', 0)).toBe(false);
    await endTxn(c, log, 7n, true);
    expect(c.fetchOffsets('g', null).topics).toEqual([]);
    const again = await open(log);
    expect(again.fetchOffsets('g', null).topics).toEqual([]);
  });

  it('validates like Kafka: generation, member, loading, metadata size; a failed re-check appends nothing', async () => {
    const log = new MemoryLog();
    const loading = new GroupCoordinator({ log, logger });
    coordinators.push(loading);
    await expect(txnCommit(loading, 7n, [['t', 0, 1n]])).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    await loading.load();

    const c = await open(log);
    expect(await txnCommit(c, 7n, [['t', 0, 1n]], { groupId: 'nobody', generationId: 1, memberId: 'm' })).toBe(ErrorCode.ILLEGAL_GENERATION);
    const joined = await stableGroupOfOne(c);
    expect(await txnCommit(c, 7n, [['t', 0, 1n]], { generationId: 2, memberId: joined.memberId })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await txnCommit(c, 7n, [['t', 0, 1n]], { generationId: 1, memberId: 'other' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await txnCommit(c, 7n, [['t', 0, 1n]], { generationId: -1, memberId: '' })).toEqual([[ErrorCode.NONE]]);
    const before = log.stored.flat().length;
    expect(await txnCommit(c, 7n, [['t', 0, 1n]], { generationId: 1, memberId: joined.memberId, verify: () => ErrorCode.CONCURRENT_TRANSACTIONS })).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(log.stored.flat().length).toBe(before);
    const big = await c.commitTransactionalOffsets({
      transactionalId: 'tx', groupId: 'g', producerId: 7n, producerEpoch: 0, generationId: 1, memberId: joined.memberId, groupInstanceId: null, apiVersion: 3,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(4097) }, { partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'ok' }] }],
    });
    expect(big).toEqual([[ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE]]);
    log.failNext = true;
    expect(await txnCommit(c, 7n, [['t', 2, 1n]])).toEqual([[ErrorCode.UNKNOWN_SERVER_ERROR]]);
    expect(c.hasPendingTransactionalOffsets('g', 't', 2)).toBe(false);
  });

  it('a marker reported while its partition loads is applied once the load ends', async () => {
    const log = new MemoryLog();
    const c = await open(log);
    await txnCommit(c, 7n, [['t', 0, 5n]]);
    const next = new GroupCoordinator({ log, logger, now: () => now });
    coordinators.push(next);
    const partition = next.partitionFor('g');
    await log.append(partition, buildTransactionMarker({ producerId: 7n, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: 0n }));
    await next.completeTransaction(partition, 7n, 0, true);
    await next.load();
    expect(next.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], true).topics[0]!.partitions[0]!.committedOffset).toBe(5n);
  });
});
