import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { TestTopics } from '../../support/topics-view.js';
import { GroupCoordinator, type StreamsHeartbeatParams } from '../../../src/coordinator/group/group-coordinator.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { StreamsStatus } from '../../../src/coordinator/group/streams-topology.js';

const logger = createLogger({ level: 'silent' });
const coordinators: GroupCoordinator[] = [];
const NO_DELAY = { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000, numStandbyReplicas: 0, initialRebalanceDelayMs: 0, assignmentIntervalMs: 0 };

async function open(log: MemoryOffsetsLog, topics: TestTopics, settings: Partial<typeof NO_DELAY> = {}) {
  const c = new GroupCoordinator({ log, logger, topics, config: { streamsGroupSettings: () => ({ ...NO_DELAY, ...settings }) } });
  coordinators.push(c);
  await c.load();
  return c;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const c of coordinators.splice(0)) await c.close();
});

/** Kafka Streams' word count: subtopology 0 reads `in` and writes the repartition topic, 1 counts into a changelog. */
const TOPOLOGY: NonNullable<StreamsHeartbeatParams['topology']> = {
  epoch: 0,
  subtopologies: [
    { subtopologyId: '0', sourceTopics: ['in'], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: ['app-repartition'], repartitionSourceTopics: [], copartitionGroups: [] },
    {
      subtopologyId: '1',
      sourceTopics: [],
      sourceTopicRegex: [],
      stateChangelogTopics: [{ name: 'app-counts-changelog', partitions: 0, replicationFactor: 0, topicConfigs: [] }],
      repartitionSinkTopics: [],
      repartitionSourceTopics: [{ name: 'app-repartition', partitions: 0, replicationFactor: 0, topicConfigs: [{ key: 'cleanup.policy', value: 'delete' }] }],
      copartitionGroups: [],
    },
  ],
};

function hb(over: Partial<StreamsHeartbeatParams>): StreamsHeartbeatParams {
  return {
    groupId: 'app', memberId: 'm1', memberEpoch: 0, endpointInformationEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, topology: TOPOLOGY,
    activeTasks: null, standbyTasks: null, warmupTasks: null, processId: 'p1', userEndpoint: null, clientTags: null, taskOffsets: null, taskEndOffsets: null,
    shutdownApplication: false, clientId: 'c', clientHost: '/127.0.0.1', ...over,
  };
}

type Owned = { active?: Array<{ subtopologyId: string; partitions: number[] }>; standby?: Array<{ subtopologyId: string; partitions: number[] }> };
/** A later heartbeat: what the member owns, nothing else. */
function next(memberId: string, memberEpoch: number, owned: Owned = {}, over: Partial<StreamsHeartbeatParams> = {}): StreamsHeartbeatParams {
  return hb({ memberId, memberEpoch, rebalanceTimeoutMs: -1, topology: null, processId: null, activeTasks: owned.active ?? [], standbyTasks: owned.standby ?? [], warmupTasks: [], ...over });
}

const count = (t: Array<{ partitions: number[] }> | null) => (t ?? []).reduce((n, x) => n + x.partitions.length, 0);

/** The word count's topics created as the handler would (the coordinator hands them back). */
async function withTopics(topics: TestTopics, c: GroupCoordinator, memberId = 'm1') {
  const r = await c.streamsGroupHeartbeat(hb({ memberId }));
  for (const t of r.internalTopicsToCreate) topics.add(t.name, t.partitions);
  return r;
}

describe('streams groups (KIP-1071)', () => {
  it('registers the topology, reports missing source topics, derives the internal topics, then assigns every task; records in Kafka formats', async () => {
    const log = new MemoryOffsetsLog(2);
    const topics = new TestTopics();
    const c = await open(log, topics);
    const missing = await c.streamsGroupHeartbeat(hb({}));
    expect(missing.errorCode).toBe(ErrorCode.NONE);
    expect(missing.status).toEqual([{ statusCode: StreamsStatus.MISSING_SOURCE_TOPICS, statusDetail: 'Source topics [in] are missing.' }]);
    expect(missing.internalTopicsToCreate).toEqual([]);
    expect((await c.streamsGroupDescribe('app')).groupState).toBe('NotReady');

    topics.add('in', 3);
    const internal = await c.streamsGroupHeartbeat(hb({}));
    expect(internal.status).toEqual([{ statusCode: StreamsStatus.MISSING_INTERNAL_TOPICS, statusDetail: 'Internal topics are missing: [app-counts-changelog, app-repartition]' }]);
    // The repartition topic takes the partitions of what writes to it; the changelog one per task, compacted.
    expect(internal.internalTopicsToCreate.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'app-counts-changelog', partitions: 3, replicationFactor: -1, configs: { 'cleanup.policy': 'compact' } },
      { name: 'app-repartition', partitions: 3, replicationFactor: -1, configs: { 'cleanup.policy': 'delete' } },
    ]);
    for (const t of internal.internalTopicsToCreate) topics.add(t.name, t.partitions);

    const r = await c.streamsGroupHeartbeat(hb({}));
    // A new group starts at epoch 1 (Kafka 4.3.1): three bumps (new member, source topic, internal topics).
    expect([r.status, r.memberEpoch, r.heartbeatIntervalMs]).toEqual([null, 4, 5000]);
    expect(r.activeTasks).toEqual([{ subtopologyId: '0', partitions: [0, 1, 2] }, { subtopologyId: '1', partitions: [0, 1, 2] }]);
    expect([r.standbyTasks, r.warmupTasks]).toEqual([[], []]);
    expect(new Set(log.records().map((x) => x.type))).toEqual(
      new Set(['streamsGroupMemberMetadata', 'streamsGroupTopology', 'streamsGroupMetadata', 'streamsGroupTargetAssignmentMember', 'streamsGroupTargetAssignmentMetadata', 'streamsGroupCurrentMemberAssignment']),
    );
    const d = (await c.streamsGroupDescribe('app'));
    expect([d.groupState, d.groupEpoch, d.assignmentEpoch, d.topology?.epoch]).toEqual(['Stable', 4, 4, 0]);
    expect(d.topology?.subtopologies?.[1]?.stateChangelogTopics[0]).toMatchObject({ name: 'app-counts-changelog', partitions: 3 });
    expect(d.members.map((m) => [m.memberId, m.processId, m.memberEpoch, count(m.assignment.activeTasks)])).toEqual([['m1', 'p1', 4, 6]]);
    expect(c.listGroups([], ['streams'])).toEqual([{ groupId: 'app', protocolType: 'streams', groupState: 'Stable', groupType: 'streams' }]);
    expect(c.listGroups([], ['consumer'])).toEqual([]);
    expect(c.describeGroup('app').groupState).toBe('Dead');
    expect(c.consumerGroupDescribe('app').errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await c.streamsGroupDescribe('nope')).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('a second member: the first revokes before the second gets its tasks; endpoints map to the input partitions of their tasks', async () => {
    const topics = new TestTopics();
    topics.add('in', 2);
    const c = await open(new MemoryOffsetsLog(2), topics);
    await withTopics(topics, c);
    const ep1 = { host: 'h1', port: 1 };
    const first = await c.streamsGroupHeartbeat(hb({ userEndpoint: ep1 }));
    expect(count(first.activeTasks)).toBe(4);
    const second = await c.streamsGroupHeartbeat(hb({ memberId: 'm2', processId: 'p2', userEndpoint: { host: 'h2', port: 2 } }));
    // m2's share of the new target is still m1's: nothing yet, at the new epoch.
    expect([second.memberEpoch, second.activeTasks]).toEqual([first.memberEpoch + 1, []]);
    expect((await c.streamsGroupDescribe('app')).groupState).toBe('Reconciling');
    const revoke = await c.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: first.activeTasks! }));
    expect([revoke.memberEpoch, count(revoke.activeTasks)]).toEqual([first.memberEpoch, 2]);
    expect(count((await c.streamsGroupHeartbeat(next('m2', second.memberEpoch))).activeTasks)).toBe(0);
    const acked = await c.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: revoke.activeTasks! }));
    expect(acked.memberEpoch).toBe(second.memberEpoch);
    const got = await c.streamsGroupHeartbeat(next('m2', second.memberEpoch));
    expect(count(got.activeTasks)).toBe(2);
    expect((await c.streamsGroupDescribe('app')).groupState).toBe('Stable');
    // Interactive queries: each endpoint with the source and repartition partitions of its active tasks.
    const map = got.partitionsByUserEndpoint!;
    expect(map.map((e) => e.userEndpoint.host).sort()).toEqual(['h1', 'h2']);
    const inputs = map.flatMap((e) => e.activePartitions.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`))).sort();
    expect(inputs).toEqual(['app-repartition-0', 'app-repartition-1', 'in-0', 'in-1']);
    // Up to date: no map until the assignments change again.
    expect((await c.streamsGroupHeartbeat(next('m2', second.memberEpoch, { active: got.activeTasks! }, { endpointInformationEpoch: got.endpointInformationEpoch }))).partitionsByUserEndpoint).toBeNull();

    // m1 leaves: m2 takes every task at the next epoch.
    const left = await c.streamsGroupHeartbeat(next('m1', -1, {}, { activeTasks: null, standbyTasks: null, warmupTasks: null }));
    expect([left.errorCode, left.memberEpoch]).toEqual([ErrorCode.NONE, -1]);
    const all = await c.streamsGroupHeartbeat(next('m2', second.memberEpoch, { active: got.activeTasks! }));
    expect([all.memberEpoch, count(all.activeTasks)]).toEqual([second.memberEpoch + 1, 4]);
    expect((await c.streamsGroupHeartbeat(next('m1', acked.memberEpoch))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.streamsGroupHeartbeat(next('m2', all.memberEpoch + 1))).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });

  it('standby replicas go to another process; the initial rebalance delay holds the first assignment', async () => {
    vi.useFakeTimers();
    const topics = new TestTopics();
    topics.add('in', 2);
    topics.add('app-repartition', 2);
    topics.add('app-counts-changelog', 2);
    const c = await open(new MemoryOffsetsLog(2), topics, { numStandbyReplicas: 1, initialRebalanceDelayMs: 3000 });
    const delayed = await c.streamsGroupHeartbeat(hb({}));
    expect(delayed.status).toEqual([{ statusCode: StreamsStatus.ASSIGNMENT_DELAYED, statusDetail: 'Assignment delayed due to the configured initial rebalance delay.' }]);
    // The member takes the initial target's epoch (1, as Kafka) with no tasks yet.
    expect([delayed.memberEpoch, delayed.activeTasks]).toEqual([1, []]);
    // Another process joins during the delay; the same process's second thread too.
    await c.streamsGroupHeartbeat(hb({ memberId: 'm2', processId: 'p2' }));
    await c.streamsGroupHeartbeat(hb({ memberId: 'm3', processId: 'p1' }));
    await vi.advanceTimersByTimeAsync(3000);
    const d = (await c.streamsGroupDescribe('app'));
    expect(d.assignmentEpoch).toBe(d.groupEpoch);
    const byMember = new Map(d.members.map((m) => [m.memberId, m.targetAssignment]));
    expect([...byMember.values()].reduce((n, t) => n + count(t.activeTasks), 0)).toBe(4);
    expect([...byMember.values()].reduce((n, t) => n + count(t.standbyTasks), 0)).toBe(4);
    // No process holds a task twice (active and standby).
    const process = new Map([['m1', 'p1'], ['m2', 'p2'], ['m3', 'p1']]);
    const held = new Set<string>();
    for (const [memberId, t] of byMember) {
      for (const task of [...t.activeTasks, ...t.standbyTasks].flatMap((x) => x.partitions.map((p) => `${process.get(memberId)}/${x.subtopologyId}_${p}`))) {
        expect(held.has(task)).toBe(false);
        held.add(task);
      }
    }
    const got = await c.streamsGroupHeartbeat(next('m2', 1));
    expect([got.memberEpoch, count(got.standbyTasks) > 0]).toEqual([d.groupEpoch, true]);
  });

  it('a new target waits for the assignment interval after the last one', async () => {
    vi.useFakeTimers();
    const topics = new TestTopics();
    topics.add('in', 2);
    const c = await open(new MemoryOffsetsLog(2), topics, { assignmentIntervalMs: 1000 });
    await withTopics(topics, c);
    const first = await c.streamsGroupHeartbeat(hb({}));
    expect(count(first.activeTasks)).toBe(4);
    const second = await c.streamsGroupHeartbeat(hb({ memberId: 'm2', processId: 'p2' }));
    expect(second.status).toEqual([{ statusCode: StreamsStatus.ASSIGNMENT_DELAYED, statusDetail: 'Assignment delayed due to the configured assignment interval.' }]);
    expect((await c.streamsGroupDescribe('app')).groupState).toBe('Assigning');
    await vi.advanceTimersByTimeAsync(1000);
    const later = await c.streamsGroupHeartbeat(next('m2', second.memberEpoch));
    expect(later.status).toBeNull();
    const d = (await c.streamsGroupDescribe('app'));
    expect([d.groupState, d.assignmentEpoch]).toEqual(['Reconciling', d.groupEpoch]);
  });

  it('restarts in the middle of a rebalance and carries on from the replayed records (every record type)', async () => {
    const topics = new TestTopics();
    topics.add('in', 2);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics, { numStandbyReplicas: 1 });
    await withTopics(topics, c);
    const first = await c.streamsGroupHeartbeat(hb({ userEndpoint: { host: 'h1', port: 1 }, clientTags: [{ key: 'zone', value: 'a' }] }));
    const second = await c.streamsGroupHeartbeat(hb({ memberId: 'm2', processId: 'p2' }));
    const revoke = await c.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: first.activeTasks! }));
    const before = (await c.streamsGroupDescribe('app'));
    expect(before.groupState).toBe('Reconciling');
    expect(new Set(log.records().map((r) => r.type)).size).toBe(6);
    await c.close();

    const restarted = await open(log, topics, { numStandbyReplicas: 1 });
    expect((await restarted.streamsGroupDescribe('app'))).toEqual(before);
    const acked = await restarted.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: revoke.activeTasks!, standby: revoke.standbyTasks! }));
    expect(acked.memberEpoch).toBe(second.memberEpoch);
    const got = await restarted.streamsGroupHeartbeat(next('m2', second.memberEpoch));
    expect(count(got.activeTasks)).toBe(2);
    expect((await restarted.streamsGroupDescribe('app')).groupState).toBe('Stable');
    // The replayed topology is the one members join with.
    expect((await restarted.streamsGroupHeartbeat(hb({ memberId: 'm3', processId: 'p3' }))).errorCode).toBe(ErrorCode.NONE);
  });

  it('validates requests as Kafka does', async () => {
    const c = await open(new MemoryOffsetsLog(2), new TestTopics());
    const check = async (over: Partial<StreamsHeartbeatParams>) => {
      const r = await c.streamsGroupHeartbeat(hb(over));
      return [r.errorCode, r.errorMessage];
    };
    expect(await check({ memberId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "MemberId can't be empty."]);
    expect(await check({ instanceId: 'i' })).toEqual([ErrorCode.INVALID_REQUEST, 'Static membership is not yet supported.']);
    expect(await check({ rebalanceTimeoutMs: -1 })).toEqual([ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.']);
    expect(await check({ topology: null })).toEqual([ErrorCode.INVALID_REQUEST, 'Topology must be non-null when (re-)joining.']);
    expect(await check({ activeTasks: [{ subtopologyId: '0', partitions: [0] }], standbyTasks: [], warmupTasks: [] })).toEqual([ErrorCode.INVALID_REQUEST, 'ActiveTasks must be empty when (re-)joining.']);
    expect(await check({ activeTasks: [], standbyTasks: null })).toEqual([ErrorCode.INVALID_REQUEST, 'If one task-type is non-null, all must be non-null.']);
    expect(await check({ memberEpoch: -3 })).toEqual([ErrorCode.INVALID_REQUEST, 'MemberEpoch is -3, but must be greater than or equal to -2.']);
    expect(await check({ memberEpoch: 1 })).toEqual([ErrorCode.INVALID_REQUEST, 'Topology can only be provided when (re-)joining.']);
    const changelog = { ...TOPOLOGY, subtopologies: [{ ...TOPOLOGY.subtopologies[1]!, stateChangelogTopics: [{ name: 'cl', partitions: 4, replicationFactor: 0, topicConfigs: [] }] }] };
    expect(await check({ topology: changelog })).toEqual([ErrorCode.STREAMS_INVALID_TOPOLOGY, 'Changelog topic cl must have an undefined partition count, but it is set to 4.']);
    expect(await check({ memberEpoch: 5, topology: null })).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Streams group app not found.']);
  });

  it('offsets: member epochs are checked on commit and fetch; the group is deleted only when empty', async () => {
    const topics = new TestTopics();
    topics.add('in', 1);
    const c = await open(new MemoryOffsetsLog(2), topics);
    const r = await withTopics(topics, c);
    const epoch = (await c.streamsGroupHeartbeat(hb({}))).memberEpoch;
    expect([r.memberEpoch, epoch]).toEqual([1, 3]);
    const commit = (over: { generationId?: number; memberId?: string }) =>
      c.commitOffsets({
        groupId: 'app', generationId: epoch, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 9,
        topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }], ...over,
      });
    expect(await commit({ generationId: epoch - 1 })).toEqual([[ErrorCode.STALE_MEMBER_EPOCH]]);
    expect(await commit({ generationId: epoch + 1 })).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(await commit({ memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({})).toEqual([[ErrorCode.NONE]]);
    expect(c.fetchOffsets('app', null, false, { memberId: 'm1', memberEpoch: epoch - 1 }).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(c.fetchOffsets('app', null, false, { memberId: 'm1', memberEpoch: epoch }).topics[0]!.partitions[0]!.committedOffset).toBe(5n);
    expect(await c.deleteGroup('app')).toBe(ErrorCode.NON_EMPTY_GROUP);
    // A consumer group member cannot join a streams group.
    const consumer = await c.consumerGroupHeartbeat({
      groupId: 'app', memberId: 'x', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['in'], subscribedTopicRegex: null,
      serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: 'h', apiVersion: 1,
    });
    expect(consumer.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await c.streamsGroupHeartbeat(next('m1', -1));
    expect((await c.streamsGroupDescribe('app')).groupState).toBe('Empty');
    expect(await c.deleteGroup('app')).toBe(ErrorCode.NONE);
    expect((await c.streamsGroupDescribe('app')).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(c.fetchOffsets('app', null).topics).toEqual([]);
  });

  it('KIP-1251: an older member epoch commits the input partitions of the active tasks it already had at that epoch', async () => {
    const topics = new TestTopics();
    topics.add('in', 2);
    const c = await open(new MemoryOffsetsLog(2), topics);
    await withTopics(topics, c);
    const first = await c.streamsGroupHeartbeat(hb({}));
    await c.streamsGroupHeartbeat(hb({ memberId: 'm2', processId: 'p2' }));
    const revoke = await c.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: first.activeTasks! }));
    const acked = await c.streamsGroupHeartbeat(next('m1', first.memberEpoch, { active: revoke.activeTasks! }));
    expect(acked.memberEpoch).toBe(first.memberEpoch + 1);
    // Subtopology 0 reads `in`, 1 reads the repartition topic; m1 kept some tasks and lost others.
    const kept = (id: string) => revoke.activeTasks!.find((t) => t.subtopologyId === id)?.partitions ?? [];
    const codes: number[] = [];
    for (const [name, id] of [['in', '0'], ['app-repartition', '1']] as const) {
      for (const partitionIndex of [0, 1]) {
        const r = await c.commitOffsets({
          groupId: 'app', generationId: first.memberEpoch, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 9,
          topics: [{ name, partitions: [{ partitionIndex, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        });
        expect(r).toEqual([[kept(id).includes(partitionIndex) ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH]]);
        codes.push((r as number[][])[0]![0]!);
      }
    }
    expect(new Set(codes)).toEqual(new Set([ErrorCode.NONE, ErrorCode.STALE_MEMBER_EPOCH]));
  });

  it('a group that only holds offsets (an empty classic group) becomes a streams group and keeps them', async () => {
    const topics = new TestTopics();
    topics.add('in', 1);
    const c = await open(new MemoryOffsetsLog(2), topics);
    const simple = await c.commitOffsets({
      groupId: 'app', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 8,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect(simple).toEqual([[ErrorCode.NONE]]);
    // Not joining: the classic group is no streams group.
    expect((await c.streamsGroupHeartbeat(next('m1', 1))).errorMessage).toBe('Group app is not a streams group.');
    expect((await withTopics(topics, c)).errorCode).toBe(ErrorCode.NONE);
    expect((await c.streamsGroupDescribe('app')).errorCode).toBe(ErrorCode.NONE);
    expect(c.fetchOffsets('app', null).topics[0]!.partitions[0]!.committedOffset).toBe(7n);
  });

  it('fences a member whose session expires, and a failed append leaves the group as it was', async () => {
    vi.useFakeTimers();
    const topics = new TestTopics();
    topics.add('in', 2);
    const log = new MemoryOffsetsLog(2);
    const c = await open(log, topics, { sessionTimeoutMs: 1000 });
    await withTopics(topics, c);
    const before = (await c.streamsGroupDescribe('app'));
    log.failNext = true;
    const failed = await c.streamsGroupHeartbeat(hb({ memberId: 'm2' }));
    expect(failed.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect((await c.streamsGroupDescribe('app'))).toEqual(before);
    await vi.advanceTimersByTimeAsync(1500);
    const after = (await c.streamsGroupDescribe('app'));
    expect([after.groupState, after.groupEpoch, after.members.length]).toEqual(['Empty', before.groupEpoch + 1, 0]);
    expect(c.timerCount).toBe(0);
  });

  it('a member asking to shut the application down is reported to every member; a stale topology epoch is reported, another topology refused', async () => {
    const topics = new TestTopics();
    for (const name of ['in', 'app-repartition', 'app-counts-changelog']) topics.add(name, 1);
    const c = await open(new MemoryOffsetsLog(2), topics);
    await c.streamsGroupHeartbeat(hb({ topology: { ...TOPOLOGY, epoch: 1 } }));
    const stale = await c.streamsGroupHeartbeat(hb({ memberId: 'm2' }));
    expect(stale.status).toEqual([{ statusCode: StreamsStatus.STALE_TOPOLOGY, statusDetail: "The member's topology epoch 0 is behind the group's topology epoch 1." }]);
    const other = { ...TOPOLOGY, epoch: 2, subtopologies: TOPOLOGY.subtopologies.slice(0, 1) };
    const refused = await c.streamsGroupHeartbeat(hb({ memberId: 'm3', topology: other }));
    expect([refused.errorCode, refused.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Topology updates are not supported yet.']);
    expect((await c.streamsGroupDescribe('app')).members.map((m) => m.memberId).sort()).toEqual(['m1', 'm2']);
    const m1 = (await c.streamsGroupDescribe('app')).members.find((m) => m.memberId === 'm1')!;
    await c.streamsGroupHeartbeat(next('m1', m1.memberEpoch, {}, { shutdownApplication: true, activeTasks: null, standbyTasks: null, warmupTasks: null }));
    const told = await c.streamsGroupHeartbeat(next('m2', stale.memberEpoch, {}, { activeTasks: null, standbyTasks: null, warmupTasks: null }));
    expect(told.status?.map((s) => s.statusCode)).toContain(StreamsStatus.SHUTDOWN_APPLICATION);
  });
});

describe('deleting a streams group', () => {
  it('writes a tombstone for its topology beside the group tombstones, so a restart finds no trace of it', async () => {
    const log = new MemoryOffsetsLog(2);
    const topics = new TestTopics();
    topics.add('in', 3);
    const c = await open(log, topics);
    const first = await withTopics(topics, c);
    const joined = await c.streamsGroupHeartbeat(hb({ memberEpoch: first.memberEpoch, topology: null, activeTasks: [], standbyTasks: [], warmupTasks: [] }));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    await c.streamsGroupHeartbeat(next('m1', -1, {}, { activeTasks: null, standbyTasks: null, warmupTasks: null }));
    const before = log.records().length;
    expect(await c.deleteGroup('app')).toBe(ErrorCode.NONE);
    const tombstones = log.records().slice(before).filter((r) => r.value === null).map((r) => r.type);
    expect(tombstones).toContain('streamsGroupTopology');
    expect(tombstones).toContain('streamsGroupMetadata');
    expect(tombstones).toContain('streamsGroupTargetAssignmentMetadata');

    const again = await open(log, topics);
    expect(again.listGroups([], []).some((g) => g.groupId === 'app')).toBe(false);
  });
});
