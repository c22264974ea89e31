import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { GroupCoordinator, type ShareHeartbeatParams } from '../../../src/coordinator/group/group-coordinator.js';
import { assignShareGroup } from '../../../src/coordinator/group/share-assignor.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { KafkaError } from '../../../src/errors.js';
import { FakeShareState } from '../../support/fake-share-state.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { TestTopics } from '../../support/topics-view.js';

const logger = createLogger({ level: 'silent' });
const coordinators: GroupCoordinator[] = [];
let clock = 1_000_000;

async function open(log: MemoryOffsetsLog, topics: TestTopics, store: FakeShareState, config = {}) {
  const c = new GroupCoordinator({ log, logger, topics, config, now: () => clock, shareState: store, shareListener: store });
  coordinators.push(c);
  await c.load();
  return c;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const c of coordinators.splice(0)) await c.close();
});

function hb(over: Partial<ShareHeartbeatParams>): ShareHeartbeatParams {
  return { groupId: 'g', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['t'], clientId: 'c', clientHost: '/127.0.0.1', ...over };
}

/** A later heartbeat: the epoch only. */
const beat = (memberId: string, memberEpoch: number) => hb({ memberId, memberEpoch, subscribedTopicNames: null });
const partitionsOf = (a: Array<{ partitions: number[] }> | null) => (a ?? []).flatMap((t) => t.partitions).sort((x, y) => x - y);

async function setup(partitions = 1, config = {}) {
  const log = new MemoryOffsetsLog(2);
  const topics = new TestTopics();
  const topicId = topics.add('t', partitions);
  const store = new FakeShareState();
  const c = await open(log, topics, store, config);
  return { log, topics, topicId, store, c };
}

describe('share groups (KIP-932) on the group coordinator', () => {
  it('a first member joins at epoch 2 with nothing (as on Kafka 4.3.1); the partitions are initialized, and the next heartbeat assigns them at epoch 3', async () => {
    const { log, topicId, store, c } = await setup(2);
    const joined = await c.shareGroupHeartbeat(hb({}));
    expect([joined.errorCode, joined.memberId, joined.memberEpoch, joined.heartbeatIntervalMs, joined.assignment]).toEqual([ErrorCode.NONE, 'm1', 2, 5000, []]);
    expect(store.calls).toEqual(['init g/t-0,g/t-1']);
    expect(log.records().map((r) => r.type)).toEqual([
      'shareGroupMemberMetadata',
      'shareGroupMetadata',
      'shareGroupTargetAssignmentMember',
      'shareGroupTargetAssignmentMetadata',
      'shareGroupCurrentMemberAssignment',
      'shareGroupStatePartitionMetadata',
      'shareGroupStatePartitionMetadata',
    ]);
    const second = await c.shareGroupHeartbeat(beat('m1', 2));
    expect([second.memberEpoch, second.assignment]).toEqual([3, [{ topicId, partitions: [0, 1] }]]);
    // Nothing more to initialize: the share coordinator is not asked again.
    expect(store.calls).toHaveLength(1);
    const d = (await c.shareGroupDescribe('g'));
    expect([d.errorCode, d.groupState, d.groupEpoch, d.assignmentEpoch, d.assignorName]).toEqual([ErrorCode.NONE, 'Stable', 3, 3, 'simple']);
    expect(d.members).toEqual([
      { memberId: 'm1', rackId: null, memberEpoch: 3, clientId: 'c', clientHost: '/127.0.0.1', subscribedTopicNames: ['t'], assignment: { topicPartitions: [{ topicId, topicName: 't', partitions: [0, 1] }] } },
    ]);
    expect(c.listGroups([], ['share'])).toEqual([{ groupId: 'g', protocolType: 'share', groupState: 'Stable', groupType: 'share' }]);
    expect(c.listGroups(['empty'], [])).toEqual([]);
    expect(c.memberCount('g')).toBe(1);
  });

  it('one, two and three members on one partition all get it (a share partition is shared)', async () => {
    const { topicId, c } = await setup(1);
    await c.shareGroupHeartbeat(hb({}));
    expect((await c.shareGroupHeartbeat(beat('m1', 2))).assignment).toEqual([{ topicId, partitions: [0] }]);
    const m2 = await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    expect([m2.memberEpoch, m2.assignment]).toEqual([4, [{ topicId, partitions: [0] }]]);
    const m3 = await c.shareGroupHeartbeat(hb({ memberId: 'm3' }));
    expect([m3.memberEpoch, m3.assignment]).toEqual([5, [{ topicId, partitions: [0] }]]);
    // m1 catches up with the new epoch and keeps the partition (only changes are sent).
    const m1 = await c.shareGroupHeartbeat(beat('m1', 3));
    expect([m1.memberEpoch, m1.assignment]).toEqual([5, null]);
    expect((await c.shareGroupDescribe('g')).members.map((m) => [m.memberId, partitionsOf(m.assignment.topicPartitions)])).toEqual([
      ['m1', [0]],
      ['m2', [0]],
      ['m3', [0]],
    ]);
  });

  it("the simple assignor: fewer members than partitions split them; more members share each partition", () => {
    const t = 'topic';
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ memberId: `m${i}`, topics: new Set([t]) }));
    const sizes = (a: Map<string, ReadonlyMap<string, ReadonlySet<number>>>) => [...a.values()].map((x) => x.get(t)?.size ?? 0);
    const two = assignShareGroup({ members: members(2), assignable: new Map([[t, [0, 1, 2, 3]]]), previous: () => undefined });
    expect(sizes(two)).toEqual([2, 2]);
    expect(new Set([...two.values()].flatMap((x) => [...x.get(t)!])).size).toBe(4);
    const five = assignShareGroup({ members: members(5), assignable: new Map([[t, [0, 1]]]), previous: () => undefined });
    // ceil(5 / 2) = 3 members per partition: six places, so the first member (Kafka's desired counts) takes both.
    expect(sizes(five)).toEqual([2, 1, 1, 1, 1]);
    const holders = (p: number) => [...five.values()].filter((x) => x.get(t)?.has(p)).length;
    expect([holders(0), holders(1)]).toEqual([3, 3]);
    // Sticky: a member keeps what it had when balance allows.
    const again = assignShareGroup({ members: members(2), assignable: new Map([[t, [0, 1, 2, 3]]]), previous: (id) => two.get(id) });
    expect(again).toEqual(two);
    // Uninitialized partitions are not assigned.
    expect(sizes(assignShareGroup({ members: members(1), assignable: new Map([[t, []]]), previous: () => undefined }))).toEqual([0]);
  });

  it('a member that leaves is fenced: the group epoch moves on and the share partitions hear of it', async () => {
    const { store, c } = await setup(1);
    await c.shareGroupHeartbeat(hb({}));
    await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    const left = await c.shareGroupHeartbeat(hb({ memberId: 'm2', memberEpoch: -1, subscribedTopicNames: null }));
    expect([left.errorCode, left.memberId, left.memberEpoch]).toEqual([ErrorCode.NONE, 'm2', -1]);
    expect(store.left).toEqual([['g', 'm2']]);
    const d = (await c.shareGroupDescribe('g'));
    expect([d.groupEpoch, d.members.map((m) => m.memberId)]).toEqual([4, ['m1']]);
    expect((await c.shareGroupHeartbeat(beat('m2', 3))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.shareGroupHeartbeat(hb({ memberId: 'm9', memberEpoch: -1, subscribedTopicNames: null }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member whose session expires is fenced (share.session.timeout.ms of the group over the broker default)', async () => {
    vi.useFakeTimers();
    const { store, c } = await setup(1, { shareGroupSettings: (groupId: string) => (groupId === 'g' ? { sessionTimeoutMs: 1000, heartbeatIntervalMs: 200 } : undefined) });
    expect((await c.shareGroupHeartbeat(hb({}))).heartbeatIntervalMs).toBe(200);
    await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    await vi.advanceTimersByTimeAsync(800);
    expect((await c.shareGroupHeartbeat(beat('m1', 2))).errorCode).toBe(ErrorCode.NONE);
    await vi.advanceTimersByTimeAsync(400);
    // m2 did not heartbeat for 1200 ms; m1 did 400 ms ago.
    expect(store.left).toEqual([['g', 'm2']]);
    expect((await c.shareGroupDescribe('g')).members.map((m) => m.memberId)).toEqual(['m1']);
    await vi.advanceTimersByTimeAsync(1000);
    expect((await c.shareGroupDescribe('g')).groupState).toBe('Empty');
    expect(c.timerCount).toBe(0);
  });

  it('epochs are checked as Kafka does: greater is fenced, the previous one is accepted, unknown groups and members are refused', async () => {
    const { c } = await setup(1);
    await c.shareGroupHeartbeat(hb({}));
    await c.shareGroupHeartbeat(beat('m1', 2));
    const greater = await c.shareGroupHeartbeat(beat('m1', 7));
    expect([greater.errorCode, greater.errorMessage]).toEqual([
      ErrorCode.FENCED_MEMBER_EPOCH,
      'The share group member has a greater member epoch (7) than the one known by the group coordinator (3). The member must abandon all its partitions and rejoin.',
    ]);
    // The previous epoch is still good; an older one is not.
    expect((await c.shareGroupHeartbeat(beat('m1', 2))).errorCode).toBe(ErrorCode.NONE);
    expect((await c.shareGroupHeartbeat(beat('m1', 1))).errorMessage).toBe(
      'The share group member has a smaller member epoch (1) than the one known by the group coordinator (3), and it does not match the previous member epoch (2). The member must abandon all its partitions and rejoin.',
    );
    expect((await c.shareGroupHeartbeat(hb({ groupId: 'nope', memberEpoch: 3, subscribedTopicNames: null }))).errorMessage).toBe('Share group nope not found.');
    const invalid = (over: Partial<ShareHeartbeatParams>) => c.shareGroupHeartbeat(hb(over)).then((r) => [r.errorCode, r.errorMessage]);
    expect(await invalid({ memberId: '' })).toEqual([ErrorCode.INVALID_REQUEST, null]);
    expect(await invalid({ groupId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "GroupId can't be empty."]);
    expect(await invalid({ subscribedTopicNames: [] })).toEqual([ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.']);
    expect(await invalid({ memberEpoch: -2 })).toEqual([ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.']);
  });

  it('group.share.max.size caps members', async () => {
    const { c } = await setup(1, { shareMaxSize: 2 });
    await c.shareGroupHeartbeat(hb({}));
    await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    const third = await c.shareGroupHeartbeat(hb({ memberId: 'm3' }));
    expect([third.errorCode, third.errorMessage]).toEqual([ErrorCode.GROUP_MAX_SIZE_REACHED, 'The share group has reached its maximum capacity of 2 members.']);
  });

  it('a restarted coordinator replays the group from its records: members, epochs, assignments and initialized partitions', async () => {
    const { log, topics, topicId, store, c } = await setup(2);
    await c.shareGroupHeartbeat(hb({}));
    await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    await c.shareGroupHeartbeat(beat('m1', 2));
    const before = (await c.shareGroupDescribe('g'));
    await c.close();
    const again = await open(log, topics, store);
    expect((await again.shareGroupDescribe('g'))).toEqual(before);
    // The members carry on where they were; nothing is initialized twice.
    const m2 = await again.shareGroupHeartbeat(beat('m2', before.members.find((m) => m.memberId === 'm2')!.memberEpoch));
    expect(m2.errorCode).toBe(ErrorCode.NONE);
    expect(store.calls).toEqual([`init g/t-0,g/t-1`]);
    expect(partitionsOf(before.members.flatMap((m) => m.assignment.topicPartitions))).toEqual([0, 1]);
    expect(before.members.every((m) => m.assignment.topicPartitions.every((t) => t.topicId === topicId))).toBe(true);
  });

  it('a restart while the share coordinator is still initializing: the partitions stay initializing, and are asked again after the retry interval', async () => {
    const { log, topics, store, c } = await setup(1);
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const pending = c.shareGroupHeartbeat(hb({}));
    await vi.waitFor(() => expect(store.calls).toHaveLength(1));
    // The coordinator goes away before the answer: only "initializing" is on the log.
    const restarted = await open(log, topics, store);
    expect(log.records().filter((r) => r.type === 'shareGroupStatePartitionMetadata').map((r) => r.value)).toMatchObject([{ initializingTopics: [{ topicName: 't', partitions: [0] }], initializedTopics: [] }]);
    store.gate = undefined;
    expect((await restarted.shareGroupHeartbeat(beat('m1', 2))).assignment).toBeNull();
    expect(store.calls).toHaveLength(1);
    clock += 30_000;
    await restarted.shareGroupHeartbeat(beat('m1', 2));
    expect(store.calls).toHaveLength(2);
    const assigned = await restarted.shareGroupHeartbeat(beat('m1', 2));
    expect([assigned.memberEpoch, partitionsOf(assigned.assignment)]).toEqual([3, [0]]);
    release();
    await pending;
  });

  it('a share coordinator that fails: the heartbeat answers its error and the partitions are asked again next time', async () => {
    const { store, c } = await setup(1);
    store.failNext = new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await c.shareGroupHeartbeat(hb({}))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    await c.shareGroupHeartbeat(beat('m1', 2));
    expect(store.calls).toHaveLength(2);
    expect(partitionsOf((await c.shareGroupHeartbeat(beat('m1', 2))).assignment)).toEqual([0]);
  });

  it('group types do not mix: consumer, classic and offset APIs find no group of theirs', async () => {
    const { c } = await setup(1);
    await c.shareGroupHeartbeat(hb({}));
    const consumer = await c.consumerGroupHeartbeat({
      groupId: 'g', memberId: 'x', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
      serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h', apiVersion: 1,
    });
    expect([consumer.errorCode, consumer.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group.']);
    const join = await c.join({ groupId: 'g', memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, clientId: 'c', clientHost: '/h', requireKnownMemberId: false, apiVersion: 5 } as never);
    expect(join.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const commit = await c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 9, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
    expect(commit).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // OffsetFetch finds nothing and no error, member or not (Kafka 4.3.1).
    expect(c.fetchOffsets('g', null, false, { memberId: 'm1', memberEpoch: 2 })).toEqual({ errorCode: ErrorCode.NONE, topics: [] });
    expect(c.describeGroup('g').groupState).toBe('Dead');
    const consumerGroup = await c.consumerGroupHeartbeat({
      groupId: 'cg', memberId: 'x', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
      serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h', apiVersion: 1,
    });
    expect(consumerGroup.errorCode).toBe(ErrorCode.NONE);
    expect((await c.shareGroupHeartbeat(hb({ groupId: 'cg' }))).errorMessage).toBe('Group cg is not a share group.');
    expect((await c.shareGroupDescribe('cg'))).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group cg is not a share group.' });
    expect(c.listGroups([], ['share']).map((g) => g.groupId)).toEqual(['g']);
  });

  it('DeleteGroups: a share group with members is NON_EMPTY_GROUP; an empty one loses its share state, then its records', async () => {
    const { store, c } = await setup(2);
    await c.shareGroupHeartbeat(hb({}));
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    await c.shareGroupHeartbeat(hb({ memberEpoch: -1, subscribedTopicNames: null }));
    expect(c.listGroups(['Empty'], ['share']).map((g) => g.groupId)).toEqual(['g']);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(store.calls.filter((x) => x.startsWith('delete'))).toEqual(['delete g/t-0', 'delete g/t-1']);
    expect(store.deletedGroups).toEqual(['g']);
    expect((await c.shareGroupDescribe('g')).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('AlterShareGroupOffsets resets the state of known partitions of an empty group (created when absent); DeleteShareGroupOffsets forgets whole topics', async () => {
    const { topicId, store, c } = await setup(2);
    const altered = await (await c.shareGroups()).alterOffsets('g', [
      { topicName: 't', partitions: [{ partitionIndex: 1, startOffset: 42n }, { partitionIndex: 5, startOffset: 1n }] },
      { topicName: 'nope', partitions: [{ partitionIndex: 0, startOffset: 1n }] },
    ]);
    expect(altered).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null, topics: [{ topicId, codes: [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION] }, { topicId: expect.any(String), codes: [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION] }] });
    expect(store.calls).toEqual(['init g/t-1', 'reset g/t-1 42']);
    expect((await c.shareGroupDescribe('g')).groupState).toBe('Empty');
    expect((await c.shareGroups()).describeOffsetsTarget('g').partitions).toEqual([{ topicId, topicName: 't', partition: 1 }]);

    // Not while a member is in the group.
    await c.shareGroupHeartbeat(hb({}));
    expect((await (await c.shareGroups()).alterOffsets('g', [{ topicName: 't', partitions: [{ partitionIndex: 0, startOffset: 0n }] }])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await (await c.shareGroups()).deleteOffsets('g', ['t'])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await c.shareGroupHeartbeat(hb({ memberEpoch: -1, subscribedTopicNames: null }));

    const deleted = await (await c.shareGroups()).deleteOffsets('g', ['t', 'nope']);
    expect(deleted.errorCode).toBe(ErrorCode.NONE);
    expect(deleted.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(store.calls.filter((x) => x.startsWith('delete'))).toEqual(['delete g/t-0', 'delete g/t-1']);
    expect((await (await c.shareGroups()).deleteOffsets('g', ['t'])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await (await c.shareGroups()).deleteOffsets('other', ['t'])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // A member joining later asks for the state again.
    await c.shareGroupHeartbeat(hb({ memberId: 'm2' }));
    expect(store.calls.at(-1)).toBe('init g/t-0,g/t-1');
  });
});
