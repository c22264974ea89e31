/**
 * Online upgrade and downgrade between classic and consumer groups with members
 * (group.consumer.migration.policy), as Kafka 4.3's GroupMetadataManager does them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { GroupCoordinator, type GroupCoordinatorConfig, type HeartbeatParams, type JoinParams } from '../../../src/coordinator/group/group-coordinator.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { readConsumerProtocolAssignment } from '../../../src/protocol/generated/data/consumer-protocol-assignment.js';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/data/consumer-protocol-subscription.js';
import { encodeConsumerProtocolAssignment } from '../../../src/protocol/generated/data/consumer-protocol-assignment.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { TestTopics } from '../../support/topics-view.js';

const logger = createLogger({ level: 'silent' });
const coordinators: GroupCoordinator[] = [];

async function open(log: MemoryOffsetsLog, topics: TestTopics, config: Partial<GroupCoordinatorConfig> = {}) {
  const c = new GroupCoordinator({ log, logger, topics, config });
  coordinators.push(c);
  await c.load();
  return c;
}

afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close();
});

const withVersion = (version: number, body: Buffer) => Buffer.concat([Buffer.from([version >> 8, version & 0xff]), body]);

/** A classic consumer's JoinGroup metadata: ConsumerProtocolSubscription v1 with the partitions it owns. */
function subscription(owned: number[] = []): Buffer {
  const ownedPartitions = owned.length > 0 ? [{ topic: 't', partitions: owned }] : [];
  return withVersion(1, encodeConsumerProtocolSubscription({ topics: ['t'], userData: null, ownedPartitions, generationId: -1, rackId: null }, 1));
}

function assignment(partitions: number[]): Buffer {
  return withVersion(0, encodeConsumerProtocolAssignment({ assignedPartitions: [{ topic: 't', partitions }], userData: null }, 0));
}

function assigned(buf: Buffer): number[] {
  const r = new Reader(buf);
  r.int16();
  return readConsumerProtocolAssignment(r, 0).assignedPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b);
}

function join(over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'classic', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }], requireKnownMemberId: false, supportsSkipAssignment: false, ...over,
  };
}

function hb(over: Partial<HeartbeatParams>): HeartbeatParams {
  return {
    groupId: 'g', memberId: 'k1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
    serverAssignor: null, topicPartitions: [], clientId: 'kip848', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  };
}

const sync = (c: GroupCoordinator, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = []) =>
  c.sync({ groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
const heartbeat = (c: GroupCoordinator, memberId: string, generationId: number) => c.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId: null });

/** A classic group of one member owning t-0..3 at generation 1. */
async function classicGroup(c: GroupCoordinator): Promise<string> {
  const joined = await c.join(join());
  expect([joined.errorCode, joined.generationId]).toEqual([ErrorCode.NONE, 1]);
  const synced = await sync(c, joined.memberId, 1, [{ memberId: joined.memberId, assignment: assignment([0, 1, 2, 3]) }]);
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  return joined.memberId;
}

describe('online migration between classic and consumer groups', () => {
  it('upgrades a classic group when a consumer-protocol member joins; the classic member rejoins, revokes, and both survive a restart', async () => {
    const topics = new TestTopics();
    const t = topics.add('t', 4);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics);
    const m1 = await classicGroup(c);
    const before = log.records().length;

    const k1 = await c.consumerGroupHeartbeat(hb({}));
    expect([k1.errorCode, k1.memberEpoch]).toEqual([ErrorCode.NONE, 2]);
    // Two of the partitions go to k1 once m1 has let them go.
    expect(k1.assignment).toEqual([]);
    const written = log.records().slice(before);
    expect(written.slice(0, 7).map((r) => [r.type, r.value === null])).toEqual([
      ['group', true],
      ['consumerGroupMemberMetadata', false],
      ['consumerGroupMetadata', false],
      ['consumerGroupTargetAssignmentMember', false],
      ['consumerGroupTargetAssignmentMetadata', false],
      ['consumerGroupCurrentMemberAssignment', false],
      ['consumerGroupMemberMetadata', false],
    ]);
    const converted = written[1]!;
    expect(converted.type === 'consumerGroupMemberMetadata' && converted.value?.classicMemberMetadata).toMatchObject({ sessionTimeoutMs: 10_000, supportedProtocols: [{ name: 'range' }] });
    expect(written[2]!.value).toMatchObject({ epoch: 1 });

    let d = c.consumerGroupDescribe('g');
    expect([d.errorCode, d.groupEpoch, d.groupState]).toEqual([ErrorCode.NONE, 2, 'Reconciling']);
    expect(Object.fromEntries(d.members.map((m) => [m.memberId, [m.memberType, m.memberEpoch]]))).toEqual({ [m1]: [0, 1], k1: [1, 2] });
    expect(c.listGroups([], ['consumer']).map((g) => g.groupId)).toEqual(['g']);

    // The classic member learns of the new epoch from its heartbeat, rejoins still owning everything,
    // and keeps its generation until it has revoked what k1 gets.
    expect(await heartbeat(c, m1, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = await c.join(join({ memberId: m1, protocols: [{ name: 'range', metadata: subscription([0, 1, 2, 3]) }] }));
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: '', members: [] });
    const kept = assigned((await sync(c, m1, 1)).assignment);
    expect(kept).toHaveLength(2);
    expect(await heartbeat(c, m1, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await c.join(join({ memberId: m1, protocols: [{ name: 'range', metadata: subscription(kept) }] }));
    expect(rejoined.generationId).toBe(2);
    const synced = await sync(c, m1, 2);
    expect([synced.errorCode, assigned(synced.assignment)]).toEqual([ErrorCode.NONE, kept]);
    expect(await heartbeat(c, m1, 2)).toBe(ErrorCode.NONE);
    const got = await c.consumerGroupHeartbeat(hb({ memberEpoch: 2, rebalanceTimeoutMs: -1, subscribedTopicNames: null }));
    const theirs = got.assignment!.flatMap((x) => x.partitions).sort();
    expect([...kept, ...theirs].sort()).toEqual([0, 1, 2, 3]);
    expect(c.consumerGroupDescribe('g').groupState).toBe('Stable');

    // A classic member commits with its generation.
    const commit = (generationId: number) =>
      c.commitOffsets({ groupId: 'g', generationId, memberId: m1, groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: kept[0]!, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
    expect(await commit(2)).toEqual([[ErrorCode.NONE]]);
    expect(await commit(3)).toBe(ErrorCode.ILLEGAL_GENERATION);

    // Replayed after a restart: the classic member is still one, at its epoch.
    const again = await open(log, topics);
    d = again.consumerGroupDescribe('g');
    expect(Object.fromEntries(d.members.map((m) => [m.memberId, [m.memberType, m.memberEpoch]]))).toEqual({ [m1]: [0, 2], k1: [1, 2] });
    expect(await heartbeat(again, m1, 2)).toBe(ErrorCode.NONE);
    expect(assigned((await sync(again, m1, 2)).assignment)).toEqual(kept);
    expect(topics.byId(t)?.name).toBe('t');
  });

  it('downgrades to a classic group when the last consumer-protocol member leaves; the classic members rebalance; a restart keeps it classic', async () => {
    const topics = new TestTopics();
    topics.add('t', 4);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics);
    const m1 = await classicGroup(c);
    await c.consumerGroupHeartbeat(hb({}));
    const before = log.records().length;

    const left = await c.consumerGroupHeartbeat(hb({ memberEpoch: -1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }));
    expect(left.errorCode).toBe(ErrorCode.NONE);
    const written = log.records().slice(before);
    expect(written.at(-1)).toMatchObject({ type: 'group', value: { generation: 2, protocolType: 'consumer', protocol: 'range', leader: m1 } });
    expect(written.slice(0, -1).every((r) => r.type.startsWith('consumerGroup') && r.value === null)).toBe(true);
    expect(c.consumerGroupDescribe('g').errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const described = c.describeGroup('g');
    expect([described.groupState, described.protocolType, described.members.map((m) => m.memberId)]).toEqual(['PreparingRebalance', 'consumer', [m1]]);
    expect(c.listGroups([], ['classic']).map((g) => g.groupId)).toEqual(['g']);

    // The classic member rejoins the classic group and leads its next generation.
    expect(await heartbeat(c, m1, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await c.join(join({ memberId: m1 }));
    expect([rejoined.errorCode, rejoined.generationId, rejoined.leader]).toEqual([ErrorCode.NONE, 3, m1]);
    expect((await sync(c, m1, 3, [{ memberId: m1, assignment: assignment([0, 1, 2, 3]) }])).errorCode).toBe(ErrorCode.NONE);
    expect(c.groupState('g')).toBe('Stable');

    const again = await open(log, topics);
    expect(again.groupState('g')).toBe('Stable');
    expect(await heartbeat(again, m1, 3)).toBe(ErrorCode.NONE);
  });

  it('a failed append leaves the group of its type: the classic group stays classic, the consumer group stays a consumer group', async () => {
    const topics = new TestTopics();
    topics.add('t', 4);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics);
    const m1 = await classicGroup(c);
    log.failNext = true;
    expect((await c.consumerGroupHeartbeat(hb({}))).errorCode).not.toBe(ErrorCode.NONE);
    expect(c.describeGroup('g').members.map((m) => m.memberId)).toEqual([m1]);
    expect(c.consumerGroupDescribe('g').errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    expect((await c.consumerGroupHeartbeat(hb({}))).errorCode).toBe(ErrorCode.NONE);
    log.failNext = true;
    expect((await c.consumerGroupHeartbeat(hb({ memberEpoch: -1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }))).errorCode).not.toBe(ErrorCode.NONE);
    expect(c.consumerGroupDescribe('g').members.map((m) => m.memberId).sort()).toEqual(['k1', m1].sort());
    expect(c.listGroups([], ['consumer']).map((g) => g.groupId)).toEqual(['g']);
  });

  it('group.consumer.migration.policy: disabled refuses both ways, upgrade keeps a consumer group of classic members', async () => {
    const topics = new TestTopics();
    topics.add('t', 4);
    const disabled = await open(new MemoryOffsetsLog(2), topics, { consumerMigrationPolicy: 'disabled' });
    await classicGroup(disabled);
    const refused = await disabled.consumerGroupHeartbeat(hb({}));
    expect([refused.errorCode, refused.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Cannot upgrade classic group g to consumer group because online upgrade is disabled.']);
    await disabled.consumerGroupHeartbeat(hb({ groupId: 'other' }));
    expect((await disabled.join(join({ groupId: 'other' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const upgradeOnly = await open(new MemoryOffsetsLog(2), topics, { consumerMigrationPolicy: 'upgrade' });
    const m1 = await classicGroup(upgradeOnly);
    await upgradeOnly.consumerGroupHeartbeat(hb({}));
    await upgradeOnly.consumerGroupHeartbeat(hb({ memberEpoch: -1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }));
    const d = upgradeOnly.consumerGroupDescribe('g');
    expect([d.errorCode, d.members.map((m) => [m.memberId, m.memberType])]).toEqual([ErrorCode.NONE, [[m1, 0]]]);
    // A classic member leaving by LeaveGroup is fenced like any other: the group is empty then.
    const left = await upgradeOnly.leave('g', [{ memberId: m1, groupInstanceId: null }]);
    expect(left).toEqual({ errorCode: ErrorCode.NONE, members: [{ memberId: m1, groupInstanceId: null, errorCode: ErrorCode.NONE }] });
    expect(upgradeOnly.consumerGroupDescribe('g').groupState).toBe('Empty');
  });

  it('a classic static member taking over the last consumer-protocol member\'s instance turns the group classic at once, with that member\'s assignment', async () => {
    const topics = new TestTopics();
    topics.add('t', 4);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics);
    const k1 = await c.consumerGroupHeartbeat(hb({ instanceId: 'i1' }));
    const m1 = await c.join(join());
    await c.consumerGroupHeartbeat(hb({ instanceId: 'i1', memberEpoch: k1.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: k1.assignment }));
    const target = c.consumerGroupDescribe('g').members.find((m) => m.memberId === 'k1')!.targetAssignment.topicPartitions[0]!.partitions;
    expect(target).toHaveLength(2);

    const taken = await c.join(join({ memberId: '', groupInstanceId: 'i1' }));
    expect([taken.errorCode, taken.generationId]).toEqual([ErrorCode.NONE, 3]);
    expect(c.consumerGroupDescribe('g').errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const described = c.describeGroup('g');
    expect([described.groupState, described.members.map((m) => m.memberId).sort()]).toEqual(['Stable', [m1.memberId, taken.memberId].sort()]);
    expect(assigned((await sync(c, taken.memberId, 3)).assignment)).toEqual(target);
    expect(log.records().at(-1)).toMatchObject({ type: 'group', value: { generation: 3 } });
    // Its predecessor's records are gone under the new member id, as Kafka's createGroupTombstoneRecordsWithReplacedMember writes them.
    const again = await open(log, topics);
    expect(again.groupState('g')).toBe('Stable');
    expect(again.describeGroup('g').members.map((m) => m.groupInstanceId).sort()).toEqual(['i1', null].sort());
  });

  it('a classic consumer joins a consumer group: MEMBER_ID_REQUIRED first, then an assignment through SyncGroup', async () => {
    const topics = new TestTopics();
    topics.add('t', 2);
    const c = await open(new MemoryOffsetsLog(2), topics);
    const k1 = await c.consumerGroupHeartbeat(hb({}));
    const first = await c.join(join({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect((await c.join(join({ protocolType: 'connect', memberId: first.memberId }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const joined = await c.join(join({ memberId: first.memberId, requireKnownMemberId: true }));
    expect([joined.errorCode, joined.generationId, joined.memberId]).toEqual([ErrorCode.NONE, 3, first.memberId]);
    // k1 still owns both partitions: nothing yet, and the heartbeat waits for them.
    expect(assigned((await sync(c, joined.memberId, 3)).assignment)).toEqual([]);
    expect(await heartbeat(c, joined.memberId, 3)).toBe(ErrorCode.NONE);
    const revoked = await c.consumerGroupHeartbeat(hb({ memberEpoch: k1.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: k1.assignment }));
    await c.consumerGroupHeartbeat(hb({ memberEpoch: revoked.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: revoked.assignment }));
    // Its partition is free now: rejoin to get it.
    expect(await heartbeat(c, joined.memberId, 3)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await c.join(join({ memberId: joined.memberId }));
    expect(assigned((await sync(c, joined.memberId, rejoined.generationId)).assignment)).toHaveLength(1);
    expect(await sync(c, joined.memberId, rejoined.generationId + 1)).toMatchObject({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    expect(await heartbeat(c, 'nobody', 3)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await heartbeat(c, 'k1', 3)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
