import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { TestTopics } from '../../support/topics-view.js';
import { GroupCoordinator, type HeartbeatParams } from '../../../src/coordinator/group/group-coordinator.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';

class MemoryLog extends MemoryOffsetsLog {
  constructor(partitions = 2) {
    super(partitions);
  }
}

const logger = createLogger({ level: 'silent' });
const coordinators: GroupCoordinator[] = [];

async function open(log: MemoryLog, topics: TestTopics, config = {}) {
  const c = new GroupCoordinator({ log, logger, topics, config });
  coordinators.push(c);
  await c.load();
  return c;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const c of coordinators.splice(0)) await c.close();
});

function hb(over: Partial<HeartbeatParams>): HeartbeatParams {
  return {
    groupId: 'g', memberId: 'm1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
    serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  };
}

/** A later heartbeat: only what changed, and the partitions the member owns. */
function next(memberId: string, memberEpoch: number, owned: Array<{ topicId: string; partitions: number[] }>, over: Partial<HeartbeatParams> = {}): HeartbeatParams {
  return hb({ memberId, memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: owned, ...over });
}

const partitionsOf = (a: Array<{ partitions: number[] }> | null) => (a ?? []).flatMap((t) => t.partitions).sort((x, y) => x - y);

describe('consumer groups (KIP-848)', () => {
  it('a first member gets every partition at epoch 2 (a new group counts from 1, as Kafka 4.3.1); records in Kafka formats', async () => {
    const log = new MemoryLog();
    const topics = new TestTopics();
    const t = topics.add('t', 4);
    const c = await open(log, topics);
    const r = await c.consumerGroupHeartbeat(hb({}));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberId).toBe('m1');
    expect(r.memberEpoch).toBe(2);
    expect(r.heartbeatIntervalMs).toBe(5000);
    expect(r.assignment).toEqual([{ topicId: t, partitions: [0, 1, 2, 3] }]);
    expect(log.records().map((x) => x.type)).toEqual([
      'consumerGroupMemberMetadata',
      'consumerGroupMetadata',
      'consumerGroupTargetAssignmentMember',
      'consumerGroupTargetAssignmentMetadata',
      'consumerGroupCurrentMemberAssignment',
    ]);
    const d = c.consumerGroupDescribe('g');
    expect([d.groupState, d.groupEpoch, d.assignmentEpoch, d.assignorName]).toEqual(['Stable', 2, 2, 'uniform']);
    expect(d.members[0]!.assignment.topicPartitions).toEqual([{ topicId: t, topicName: 't', partitions: [0, 1, 2, 3] }]);
    expect(c.listGroups([], ['consumer'])).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    expect(c.listGroups([], ['classic'])).toEqual([]);
    expect(c.describeGroup('g').groupState).toBe('Dead');
    expect(c.memberCount('g')).toBe(1);
  });

  it('a second member: the first revokes before the second is given the partitions, then both are at epoch 3', async () => {
    const topics = new TestTopics();
    const t = topics.add('t', 4);
    const log = new MemoryLog();
    const c = await open(log, topics);
    await c.consumerGroupHeartbeat(hb({}));
    const second = await c.consumerGroupHeartbeat(hb({ memberId: 'm2' }));
    // The new target gives m2 two partitions m1 still owns: nothing for m2 yet.
    expect([second.memberEpoch, partitionsOf(second.assignment)]).toEqual([3, []]);
    expect(c.consumerGroupDescribe('g').groupState).toBe('Reconciling');
    const revoke = await c.consumerGroupHeartbeat(next('m1', 2, [{ topicId: t, partitions: [0, 1, 2, 3] }]));
    expect(revoke.memberEpoch).toBe(2);
    const kept = partitionsOf(revoke.assignment);
    expect(kept).toHaveLength(2);
    // m2 still waits: m1 has not said it let go.
    expect(partitionsOf((await c.consumerGroupHeartbeat(next('m2', 3, []))).assignment)).toEqual([]);
    const acked = await c.consumerGroupHeartbeat(next('m1', 2, [{ topicId: t, partitions: kept }]));
    expect(acked.memberEpoch).toBe(3);
    const got = await c.consumerGroupHeartbeat(next('m2', 3, []));
    expect(got.memberEpoch).toBe(3);
    expect([...kept, ...partitionsOf(got.assignment)].sort()).toEqual([0, 1, 2, 3]);
    expect(c.consumerGroupDescribe('g').groupState).toBe('Stable');

    // The first leaves: the group epoch moves on and the second takes everything.
    const left = await c.consumerGroupHeartbeat(next('m1', -1, [], { topicPartitions: null }));
    expect([left.errorCode, left.memberEpoch]).toEqual([ErrorCode.NONE, -1]);
    const all = await c.consumerGroupHeartbeat(next('m2', 3, [{ topicId: t, partitions: partitionsOf(got.assignment) }]));
    expect([all.memberEpoch, partitionsOf(all.assignment)]).toEqual([4, [0, 1, 2, 3]]);
    expect((await c.consumerGroupHeartbeat(next('m1', 3, []))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('restarts in the middle of a rebalance and carries on from the replayed records', async () => {
    const topics = new TestTopics();
    const t = topics.add('t', 4);
    const log = new MemoryLog();
    const c = await open(log, topics);
    await c.consumerGroupHeartbeat(hb({}));
    await c.consumerGroupHeartbeat(hb({ memberId: 'm2', instanceId: 'i2', subscribedTopicRegex: 't.*', subscribedTopicNames: null }));
    const revoke = await c.consumerGroupHeartbeat(next('m1', 2, [{ topicId: t, partitions: [0, 1, 2, 3] }]));
    const before = c.consumerGroupDescribe('g');
    expect(before.groupState).toBe('Reconciling');
    await c.close();

    const restarted = await open(log, topics);
    expect(restarted.consumerGroupDescribe('g')).toEqual(before);
    const kept = partitionsOf(revoke.assignment);
    expect((await restarted.consumerGroupHeartbeat(next('m1', 2, [{ topicId: t, partitions: kept }]))).memberEpoch).toBe(3);
    const got = await restarted.consumerGroupHeartbeat(next('m2', 3, [], { instanceId: 'i2' }));
    expect(partitionsOf(got.assignment)).toHaveLength(2);
    expect(restarted.consumerGroupDescribe('g').groupState).toBe('Stable');
  });

  it('a static member leaves with epoch -2 and its next instance takes its partitions; an unreleased instance id is refused', async () => {
    const topics = new TestTopics();
    const t = topics.add('t', 2);
    const c = await open(new MemoryLog(), topics);
    const first = await c.consumerGroupHeartbeat(hb({ memberId: 'a', instanceId: 'i' }));
    expect(partitionsOf(first.assignment)).toEqual([0, 1]);
    expect((await c.consumerGroupHeartbeat(hb({ memberId: 'b', instanceId: 'i' }))).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    const left = await c.consumerGroupHeartbeat(next('a', -2, [], { instanceId: 'i', topicPartitions: null }));
    expect(left.memberEpoch).toBe(-2);
    const back = await c.consumerGroupHeartbeat(hb({ memberId: 'b', instanceId: 'i' }));
    expect([back.errorCode, back.memberEpoch]).toEqual([ErrorCode.NONE, 2]);
    expect(back.assignment).toEqual([{ topicId: t, partitions: [0, 1] }]);
    expect(c.consumerGroupDescribe('g').members.map((m) => [m.memberId, m.instanceId])).toEqual([['b', 'i']]);
    expect((await c.consumerGroupHeartbeat(next('a', 2, [], { instanceId: 'i' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('regular expressions (RE2J syntax, whole-name match) follow new topics; added partitions make a new target', async () => {
    const topics = new TestTopics();
    const a = topics.add('orders-a', 1);
    topics.add('payments', 1);
    const c = await open(new MemoryLog(), topics);
    const first = await c.consumerGroupHeartbeat(hb({ subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' }));
    expect(first.assignment).toEqual([{ topicId: a, partitions: [0] }]);
    const b = topics.add('orders-b', 2);
    const second = await c.consumerGroupHeartbeat(next('m1', 2, [{ topicId: a, partitions: [0] }]));
    expect(second.memberEpoch).toBe(3);
    expect(second.assignment).toEqual([{ topicId: a, partitions: [0] }, { topicId: b, partitions: [0, 1] }]);
    topics.setPartitions('orders-a', 3);
    const third = await c.consumerGroupHeartbeat(next('m1', 3, second.assignment!));
    expect(third.memberEpoch).toBe(4);
    expect(partitionsOf(third.assignment)).toEqual([0, 0, 1, 1, 2]);
    expect((await c.consumerGroupHeartbeat(hb({ memberId: 'x', subscribedTopicNames: null, subscribedTopicRegex: '(' }))).errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    // RE2 has no lookahead, as RE2J.
    expect((await c.consumerGroupHeartbeat(hb({ memberId: 'x', subscribedTopicNames: null, subscribedTopicRegex: '(?=o)orders' }))).errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
  });

  it('the range assignor when members ask for it; unknown assignors are refused', async () => {
    const topics = new TestTopics();
    topics.add('t', 5);
    const c = await open(new MemoryLog(), topics);
    expect((await c.consumerGroupHeartbeat(hb({ serverAssignor: 'sticky' }))).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    await c.consumerGroupHeartbeat(hb({ memberId: 'a', serverAssignor: 'range' }));
    await c.consumerGroupHeartbeat(hb({ memberId: 'b', serverAssignor: 'range' }));
    const d = c.consumerGroupDescribe('g');
    expect(d.assignorName).toBe('range');
    expect(d.members.map((m) => [m.memberId, m.targetAssignment.topicPartitions[0]!.partitions])).toEqual([['a', [0, 1, 2]], ['b', [3, 4]]]);
  });

  it('validates requests as Kafka does', async () => {
    const topics = new TestTopics();
    topics.add('t', 1);
    const c = await open(new MemoryLog(), topics, { consumerMaxSize: 1 });
    expect((await c.consumerGroupHeartbeat(hb({ memberId: '' }))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.consumerGroupHeartbeat(hb({ rebalanceTimeoutMs: -1 }))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.consumerGroupHeartbeat(hb({ memberEpoch: -3 }))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.consumerGroupHeartbeat(hb({ memberEpoch: 3 }))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // v0: the coordinator makes the member id.
    const v0 = await c.consumerGroupHeartbeat(hb({ memberId: '', apiVersion: 0 }));
    expect(v0.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await c.consumerGroupHeartbeat(hb({ memberId: 'other' }))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect((await c.consumerGroupHeartbeat(next(v0.memberId!, 5, []))).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });

  it('offsets: member epochs are checked on commit and fetch; the group is deleted only when empty', async () => {
    const topics = new TestTopics();
    topics.add('t', 1);
    const c = await open(new MemoryLog(), topics);
    await c.consumerGroupHeartbeat(hb({}));
    const commit = (over: { generationId?: number; memberId?: string; apiVersion?: number }) =>
      c.commitOffsets({
        groupId: 'g', generationId: 2, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 9,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }], ...over,
      });
    expect(await commit({ generationId: 0 })).toEqual([[ErrorCode.STALE_MEMBER_EPOCH]]);
    expect(await commit({ generationId: 3 })).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(await commit({ memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({ apiVersion: 8 })).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(await commit({ generationId: -1, memberId: '' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({})).toEqual([[ErrorCode.NONE]]);
    expect(c.fetchOffsets('g', null, false, { memberId: 'm1', memberEpoch: 0 }).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(c.fetchOffsets('g', null, false, { memberId: 'm1', memberEpoch: 2 }).topics[0]!.partitions[0]!.committedOffset).toBe(5n);
    expect(await c.deleteOffsets('g', [{ name: 't', partitions: [0] }])).toEqual([[ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    // A classic member may join a consumer group with members (online migration, group-migration.test.ts),
    // but not with a subscription that does not decode: Kafka fails it with an IllegalStateException.
    const join = await c.join({ groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false, supportsSkipAssignment: false });
    expect(join.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    await c.consumerGroupHeartbeat(next('m1', -1, [], { topicPartitions: null }));
    expect(c.consumerGroupDescribe('g').groupState).toBe('Empty');
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(c.consumerGroupDescribe('g').errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(c.fetchOffsets('g', null).topics).toEqual([]);
  });

  it('KIP-1251: an older member epoch commits the partitions it already had at that epoch, also after a restart', async () => {
    const topics = new TestTopics();
    topics.add('t', 1);
    const log = new MemoryLog();
    const c = await open(log, topics);
    const joined = await c.consumerGroupHeartbeat(hb({ subscribedTopicNames: ['t', 'u'] }));
    expect(joined.memberEpoch).toBe(2);
    topics.add('u', 1);
    const grown = await c.consumerGroupHeartbeat(next('m1', 2, joined.assignment!));
    expect([grown.memberEpoch, partitionsOf(grown.assignment)]).toEqual([3, [0, 0]]);
    const commit = (coordinator: GroupCoordinator, generationId: number) =>
      coordinator.commitOffsets({
        groupId: 'g', generationId, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 9,
        topics: ['t', 'u'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] })),
      });
    expect(await commit(c, 2)).toEqual([[ErrorCode.NONE], [ErrorCode.STALE_MEMBER_EPOCH]]);
    expect(await commit(c, 3)).toEqual([[ErrorCode.NONE], [ErrorCode.NONE]]);
    expect(await commit(c, 4)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    await c.close();
    const restarted = await open(log, topics);
    expect(await commit(restarted, 2)).toEqual([[ErrorCode.NONE], [ErrorCode.STALE_MEMBER_EPOCH]]);
  });

  it('fences a member whose session expires, and a failed append leaves the group as it was', async () => {
    vi.useFakeTimers();
    const topics = new TestTopics();
    topics.add('t', 2);
    const log = new MemoryLog();
    const c = await open(log, topics, { consumerSessionTimeoutMs: 1000 });
    await c.consumerGroupHeartbeat(hb({}));
    log.failNext = true;
    const failed = await c.consumerGroupHeartbeat(hb({ memberId: 'm2' }));
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    const d = c.consumerGroupDescribe('g');
    expect([d.groupEpoch, d.members.map((m) => m.memberId)]).toEqual([2, ['m1']]);
    await vi.advanceTimersByTimeAsync(1500);
    const after = c.consumerGroupDescribe('g');
    expect([after.groupState, after.groupEpoch, after.members.length]).toEqual(['Empty', 3, 0]);
  });

  it("a group's own session timeout (GROUP config) fences its member; other groups keep the broker's", async () => {
    vi.useFakeTimers();
    const topics = new TestTopics();
    topics.add('t', 2);
    const log = new MemoryLog();
    const own = (groupId: string) => (groupId === 'short' ? { sessionTimeoutMs: 2000, heartbeatIntervalMs: 500 } : undefined);
    const c = await open(log, topics, { consumerSessionTimeoutMs: 10_000, consumerGroupSettings: own });
    await c.consumerGroupHeartbeat(hb({ groupId: 'short' }));
    await c.consumerGroupHeartbeat(hb({ groupId: 'long' }));
    await vi.advanceTimersByTimeAsync(1900);
    expect(c.consumerGroupDescribe('short').members.map((m) => m.memberId)).toEqual(['m1']);
    await vi.advanceTimersByTimeAsync(200);
    expect(c.consumerGroupDescribe('short').members).toEqual([]);
    expect(c.consumerGroupDescribe('long').members.map((m) => m.memberId)).toEqual(['m1']);
    await vi.advanceTimersByTimeAsync(8000);
    expect(c.consumerGroupDescribe('long').members).toEqual([]);
  });

  it("the heartbeat interval in the answer follows the group's config, read on every heartbeat", async () => {
    const topics = new TestTopics();
    topics.add('t', 2);
    const settings = new Map<string, { sessionTimeoutMs: number; heartbeatIntervalMs: number }>([['g', { sessionTimeoutMs: 60_000, heartbeatIntervalMs: 12_000 }]]);
    const c = await open(new MemoryLog(), topics, { consumerHeartbeatIntervalMs: 5000, consumerGroupSettings: (groupId: string) => settings.get(groupId) });
    const first = await c.consumerGroupHeartbeat(hb({}));
    expect(first.heartbeatIntervalMs).toBe(12_000);
    const other = await c.consumerGroupHeartbeat(hb({ groupId: 'other' }));
    expect(other.heartbeatIntervalMs).toBe(5000);
    settings.set('g', { sessionTimeoutMs: 60_000, heartbeatIntervalMs: 7000 });
    const again = await c.consumerGroupHeartbeat(next('m1', first.memberEpoch, first.assignment ?? []));
    expect(again.heartbeatIntervalMs).toBe(7000);
  });
});
