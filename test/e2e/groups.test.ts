/**
 * Consumer groups end to end: kafkajs consumer groups rebalance, commit and resume against
 * Skiff; static membership and the coordinator's error paths over raw protocol requests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../src/cluster/topic-names.js';
import { partitionForKey } from '../../src/coordinator/partitioner.js';
import { decodeGroupRecord } from '../../src/coordinator/group/records.js';
import { batches } from '../../src/protocol/records/record-batch.js';
import { decodeRecords } from '../../src/protocol/records/records.js';
import { RawClient } from '../support/raw-client.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const BROKER_CONFIG = { 'group.min.session.timeout.ms': 1000 };

function client(broker: RunningBroker, clientId = 'groups-e2e'): Kafka {
  return new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
}

interface Tracked {
  consumer: Consumer;
  assigned: Set<number>;
}

describe('kafkajs consumer group', () => {
  let dataDir: string;
  let broker: RunningBroker;
  const seen = new Map<string, number>();
  const TOPIC = 'orders';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'skiff-groups-'));
    broker = await startBroker({ dataDir, logLevel: 'silent', config: BROKER_CONFIG });
  });
  afterAll(async () => {
    await broker?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startConsumer(kafka: Kafka, name: string): Promise<Tracked> {
    const consumer = kafka.consumer({ groupId: 'orders-group', sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 });
    const tracked: Tracked = { consumer, assigned: new Set() };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      tracked.assigned = new Set(e.payload.memberAssignment[TOPIC] ?? []);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const m of batch.messages) {
          const k = m.value!.toString();
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        // Commit right after processing: the next owner of the partition starts here.
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) }]);
        await heartbeat();
      },
    });
    void name;
    return tracked;
  }

  async function produce(kafka: Kafka, from: number, count: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    for (let i = from; i < from + count; i += 1000) {
      const n = Math.min(1000, from + count - i);
      await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, j) => ({ key: String(i + j), value: String(i + j) })) });
    }
    await producer.disconnect();
  }

  async function committed(kafka: Kafka): Promise<number[]> {
    const admin = kafka.admin();
    await admin.connect();
    const [t] = await admin.fetchOffsets({ groupId: 'orders-group', topics: [TOPIC] });
    await admin.disconnect();
    return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  }

  it('3 consumers on 6 partitions process 60k records once, survive a join and a leave, and resume after a restart', async () => {
    const kafka = client(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });

    const members = [await startConsumer(kafka, 'a'), await startConsumer(kafka, 'b'), await startConsumer(kafka, 'c')];
    await until(async () => {
      const d = (await admin.describeGroups(['orders-group'])).groups[0]!;
      return d.state === 'Stable' && d.members.length === 3 && members.every((m) => m.assigned.size === 2);
    }, 'a stable group of 3 with 2 partitions each');
    const owned = members.flatMap((m) => [...m.assigned]).sort();
    expect(owned).toEqual([0, 1, 2, 3, 4, 5]);

    await produce(kafka, 0, 60_000);
    await until(() => seen.size === 60_000, '60k records consumed', 60_000);
    await until(async () => (await committed(kafka)).reduce((a, b) => a + b, 0) === 60_000, 'all offsets committed');
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    // A 4th member joins: a rebalance spreads the partitions over 4 members.
    const fourth = await startConsumer(kafka, 'd');
    members.push(fourth);
    await until(async () => {
      const d = (await admin.describeGroups(['orders-group'])).groups[0]!;
      return d.state === 'Stable' && d.members.length === 4 && fourth.assigned.size > 0;
    }, 'the 4th member to get partitions');
    await produce(kafka, 60_000, 3000);
    await until(() => seen.size === 63_000, 'records after the join');

    // One leaves: the remaining 3 take its partitions over.
    const leaving = members.shift()!;
    await leaving.consumer.disconnect();
    await until(async () => {
      const d = (await admin.describeGroups(['orders-group'])).groups[0]!;
      return d.state === 'Stable' && d.members.length === 3 && members.flatMap((m) => [...m.assigned]).length === 6;
    }, 'the group to settle on 3 members');
    await produce(kafka, 63_000, 3000);
    await until(() => seen.size === 66_000, 'records after the leave');
    await until(async () => (await committed(kafka)).reduce((a, b) => a + b, 0) === 66_000, 'all offsets committed again');
    for (let i = 0; i < 66_000; i++) expect(seen.has(String(i))).toBe(true);

    for (const m of members) await m.consumer.disconnect();
    await admin.disconnect();
    const before = await committed(kafka);

    // Restart on the same data: the group resumes from its committed offsets.
    await broker.close();
    broker = await startBroker({ dataDir, logLevel: 'silent', config: BROKER_CONFIG });
    const kafka2 = client(broker);
    expect(await committed(kafka2)).toEqual(before);
    seen.clear();
    const resumed = await startConsumer(kafka2, 'e');
    await produce(kafka2, 66_000, 600);
    await until(() => seen.size === 600, 'records produced after the restart');
    await sleep(300);
    expect(seen.size).toBe(600);
    expect([...seen.keys()].every((k) => Number(k) >= 66_000)).toBe(true);
    await resumed.consumer.disconnect();
  }, 180_000);
});

describe('session timeout', () => {
  it('evicts a consumer that stops heartbeating and moves its partitions', async () => {
    const broker = await startBroker({ memory: true, logLevel: 'silent', config: BROKER_CONFIG });
    try {
      const kafka = client(broker);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'st', numPartitions: 4 }] });
      let release!: () => void;
      const stuck = new Promise<void>((r) => (release = r));
      const assigned = new Map<string, number[]>();
      const make = async (name: string, block: boolean) => {
        const c = kafka.consumer({ groupId: 'st-group', sessionTimeout: 2000, heartbeatInterval: 200, rebalanceTimeout: 4000, maxWaitTimeInMs: 100 });
        c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, e.payload.memberAssignment.st ?? []));
        await c.connect();
        await c.subscribe({ topic: 'st', fromBeginning: true });
        await c.run({
          eachMessage: async () => {
            // The blocked consumer never returns, so it never heartbeats again.
            if (block) await stuck;
          },
        });
        return c;
      };
      const healthy = await make('healthy', false);
      const blocked = await make('blocked', true);
      await until(() => (assigned.get('healthy')?.length ?? 0) === 2 && (assigned.get('blocked')?.length ?? 0) === 2, 'both members with 2 partitions');
      const producer = kafka.producer();
      await producer.connect();
      // A record on each partition; the blocked member gets stuck on one of its own.
      await producer.send({ topic: 'st', messages: [0, 1, 2, 3].map((partition) => ({ partition, value: 'x' })) });
      await until(async () => {
        const d = (await admin.describeGroups(['st-group'])).groups[0]!;
        return d.state === 'Stable' && d.members.length === 1 && assigned.get('healthy')!.length === 4;
      }, 'the silent member to be evicted', 20_000);
      expect(assigned.get('healthy')!.sort()).toEqual([0, 1, 2, 3]);
      release();
      await producer.disconnect();
      await healthy.disconnect();
      await blocked.disconnect().catch(() => {});
      await admin.disconnect();
    } finally {
      await broker.close();
    }
  }, 60_000);
});

// ---- raw protocol ----

const SUBSCRIPTION = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]); // v0: topics ["t"], no user data

function joinReq(over: Record<string, unknown> = {}) {
  return {
    groupId: 'raw',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
    reason: null,
    ...over,
  };
}

describe('raw protocol: membership and error paths', () => {
  let broker: RunningBroker;
  const clients: RawClient[] = [];
  const open = async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    broker = await startBroker({ memory: true, logLevel: 'silent', config: { ...BROKER_CONFIG, 'group.max.size': 3 } });
    const c = await RawClient.connect(broker.host, broker.port);
    await c.request(ApiKey.Metadata, 4, { topics: [{ topicId: '', name: 't' }, { topicId: '', name: 'offs' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    await c.close();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await broker.close();
  });

  it('FindCoordinator answers this node for groups and transactions, single and batched', async () => {
    const c = await open();
    const v3 = await c.request(ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0, coordinatorKeys: [] });
    expect([v3.errorCode, v3.nodeId, v3.port]).toEqual([0, 1, broker.port]);
    const v4 = await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['tx-a', 'tx-b'] });
    expect(v4.coordinators.map((x: { key: string; port: number; errorCode: number }) => [x.key, x.port, x.errorCode])).toEqual([
      ['tx-a', broker.port, 0],
      ['tx-b', broker.port, 0],
    ]);
    const bad = await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 7, coordinatorKeys: ['x'] });
    expect(bad.coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('runs the join/sync protocol with its error codes', async () => {
    const a = await open();
    const b = await open();
    expect((await a.request(ApiKey.JoinGroup, 5, joinReq({ sessionTimeoutMs: 10 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await a.request(ApiKey.JoinGroup, 5, joinReq({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await a.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'nope', memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    const first = await a.request(ApiKey.JoinGroup, 5, joinReq());
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^skiff-test-/);
    const joined = await a.request(ApiKey.JoinGroup, 5, joinReq({ memberId: first.memberId }));
    expect([joined.errorCode, joined.generationId, joined.leader, joined.protocolName]).toEqual([0, 1, first.memberId, 'range']);
    expect(joined.members.map((m: { memberId: string }) => m.memberId)).toEqual([first.memberId]);

    // A different protocol type cannot join a non-empty group.
    expect((await b.request(ApiKey.JoinGroup, 5, joinReq({ protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const hbEarly = await a.request(ApiKey.Heartbeat, 3, { groupId: 'raw', generationId: 1, memberId: first.memberId, groupInstanceId: null });
    expect(hbEarly.errorCode).toBe(ErrorCode.NONE); // CompletingRebalance accepts heartbeats
    const commit = (generationIdOrMemberEpoch: number) =>
      a.request(ApiKey.OffsetCommit, 7, {
        groupId: 'raw', generationIdOrMemberEpoch, memberId: first.memberId, groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
    expect((await commit(1)).topics[0].partitions[0].errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    const synced = await a.request(ApiKey.SyncGroup, 5, {
      groupId: 'raw', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: first.memberId, assignment: Buffer.from('A1') }],
    });
    expect([synced.errorCode, synced.assignment.toString(), synced.protocolName]).toEqual([0, 'A1', 'range']);

    const hb = (generationId: number, memberId = first.memberId) => a.request(ApiKey.Heartbeat, 3, { groupId: 'raw', generationId, memberId, groupInstanceId: null });
    expect((await hb(1)).errorCode).toBe(ErrorCode.NONE);
    expect((await hb(7)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await hb(1, 'who')).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const syncWrong = await a.request(ApiKey.SyncGroup, 5, {
      groupId: 'raw', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'other', assignments: [],
    });
    expect(syncWrong.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    // A second member joins: the group rebalances; the first learns it from its heartbeat.
    const bId = (await b.request(ApiKey.JoinGroup, 5, joinReq())).memberId;
    const bJoin = b.request(ApiKey.JoinGroup, 5, joinReq({ memberId: bId }));
    await until(async () => (await hb(1)).errorCode === ErrorCode.REBALANCE_IN_PROGRESS, 'REBALANCE_IN_PROGRESS');
    expect((await commit(0)).topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const aJoin = await a.request(ApiKey.JoinGroup, 5, joinReq({ memberId: first.memberId }));
    const bJoined = await bJoin;
    expect([aJoin.generationId, bJoined.generationId]).toEqual([2, 2]);
    expect(aJoin.members.length).toBe(2); // a stays leader
    expect(bJoined.members.length).toBe(0);

    // The leader's assignment reaches the follower waiting in SyncGroup.
    const bSync = b.request(ApiKey.SyncGroup, 3, { groupId: 'raw', generationId: 2, memberId: bId, groupInstanceId: null, assignments: [] });
    const aSync = await a.request(ApiKey.SyncGroup, 3, {
      groupId: 'raw', generationId: 2, memberId: first.memberId, groupInstanceId: null,
      assignments: [{ memberId: first.memberId, assignment: Buffer.from('A2') }, { memberId: bId, assignment: Buffer.from('B2') }],
    });
    expect(aSync.assignment.toString()).toBe('A2');
    expect((await bSync).assignment.toString()).toBe('B2');

    const described = await a.request(ApiKey.DescribeGroups, 5, { groups: ['raw', 'missing'], includeAuthorizedOperations: false });
    expect(described.groups[0].groupState).toBe('Stable');
    expect(described.groups[0].protocolData).toBe('range');
    expect(described.groups[0].members.map((m: { memberAssignment: Buffer }) => m.memberAssignment.toString()).sort()).toEqual(['A2', 'B2']);
    expect([described.groups[1].groupState, described.groups[1].errorCode]).toEqual(['Dead', 0]);
    // v6 (Kafka 4): the missing group is GROUP_ID_NOT_FOUND with a message; the live one unchanged.
    const v6 = await a.request(ApiKey.DescribeGroups, 6, { groups: ['raw', 'missing'], includeAuthorizedOperations: true });
    expect(v6.groups[0]).toMatchObject({ errorCode: 0, errorMessage: null, groupState: 'Stable', protocolData: 'range' });
    expect(v6.groups[1]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group missing not found.', groupState: 'Dead', authorizedOperations: -2147483648 });

    const del = await a.request(ApiKey.DeleteGroups, 2, { groupsNames: ['raw', 'missing'] });
    expect(del.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);

    // Batched leave: one known member, one unknown.
    const left = await a.request(ApiKey.LeaveGroup, 5, { groupId: 'raw', memberId: '', members: [{ memberId: bId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
    expect(left.members.map((m: { errorCode: number }) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect((await hb(2)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const leftA = await a.request(ApiKey.LeaveGroup, 0, { groupId: 'raw', memberId: first.memberId, members: [] });
    expect(leftA.errorCode).toBe(0);
    const listed = await a.request(ApiKey.ListGroups, 5, { statesFilter: ['empty'], typesFilter: ['Classic'] });
    expect(listed.groups.find((g: { groupId: string }) => g.groupId === 'raw')).toMatchObject({ groupState: 'Empty', groupType: 'classic', protocolType: 'consumer' });
    const none = await a.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(none.groups).toEqual([]);
    expect((await a.request(ApiKey.DeleteGroups, 2, { groupsNames: ['raw'] })).results[0].errorCode).toBe(0);
    expect((await a.request(ApiKey.DescribeGroups, 5, { groups: ['raw'], includeAuthorizedOperations: false })).groups[0].groupState).toBe('Dead');
  });

  it('group.max.size refuses a member beyond the limit', async () => {
    const cs = [await open(), await open(), await open(), await open()];
    const ids: string[] = [];
    for (const c of cs) ids.push((await c.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'full' }))).memberId);
    const joins = cs.slice(0, 3).map((c, i) => c.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'full', memberId: ids[i] })));
    const results = await Promise.all(joins);
    expect(new Set(results.map((r) => r.errorCode))).toEqual(new Set([0]));
    const gen = Math.max(...results.map((r) => r.generationId));
    // Wait until every member is in the last generation before the extra member knocks.
    const fourth = await cs[3]!.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'full', memberId: ids[3] }));
    expect(fourth.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(gen).toBeGreaterThan(0);
  });

  it('static membership: a restart rejoins without a rebalance; the old instance is fenced', async () => {
    const a = await open();
    const a2 = await open();
    const joined = await a.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'static', groupInstanceId: 'i-1' }));
    expect(joined.errorCode).toBe(0); // static members get their id at once
    expect(joined.memberId).toMatch(/^i-1-/);
    await a.request(ApiKey.SyncGroup, 5, {
      groupId: 'static', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'i-1', protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('S') }],
    });
    // The instance restarts and joins with no member id: same generation, no rebalance.
    const rejoined = await a2.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'static', groupInstanceId: 'i-1' }));
    expect(rejoined.errorCode).toBe(0);
    expect(rejoined.generationId).toBe(joined.generationId);
    expect(rejoined.memberId).not.toBe(joined.memberId);
    const sync = await a2.request(ApiKey.SyncGroup, 5, {
      groupId: 'static', generationId: rejoined.generationId, memberId: rejoined.memberId, groupInstanceId: 'i-1', protocolType: 'consumer', protocolName: 'range', assignments: [],
    });
    expect(sync.assignment.toString()).toBe('S');
    // The old instance is fenced everywhere.
    const hbOld = await a.request(ApiKey.Heartbeat, 3, { groupId: 'static', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'i-1' });
    expect(hbOld.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const joinOld = await a.request(ApiKey.JoinGroup, 5, joinReq({ groupId: 'static', groupInstanceId: 'i-1', memberId: joined.memberId }));
    expect(joinOld.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const describe = await a.request(ApiKey.DescribeGroups, 5, { groups: ['static'], includeAuthorizedOperations: false });
    expect(describe.groups[0].members.map((m: { memberId: string; groupInstanceId: string }) => [m.memberId, m.groupInstanceId])).toEqual([[rejoined.memberId, 'i-1']]);
    expect(describe.groups[0].groupState).toBe('Stable');
  });

  it('commits and fetches offsets, single and multiple groups, and writes Kafka records', async () => {
    const c = await open();
    const commit = await c.request(ApiKey.OffsetCommit, 8, {
      groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [
        { name: 'offs', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: 'm' }, { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'x'.repeat(5000) }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
      ],
    });
    expect(commit.topics.map((t: { partitions: Array<{ errorCode: number }> }) => t.partitions.map((p) => p.errorCode))).toEqual([
      [0, ErrorCode.OFFSET_METADATA_TOO_LARGE],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const unknownGen = await c.request(ApiKey.OffsetCommit, 8, {
      groupId: 'nosuch', generationIdOrMemberEpoch: 3, memberId: 'm', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'offs', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect(unknownGen.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const v4 = await c.request(ApiKey.OffsetFetch, 4, { groupId: 'simple', topics: [{ name: 'offs', partitionIndexes: [0, 1] }], groups: [], requireStable: false });
    expect(v4.topics[0].partitions.map((p: { committedOffset: bigint; metadata: string }) => [p.committedOffset, p.metadata])).toEqual([[42n, 'm'], [-1n, '']]);
    const v8 = await c.request(ApiKey.OffsetFetch, 8, {
      groupId: '', topics: [], requireStable: true,
      groups: [{ groupId: 'simple', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'unknown', memberId: null, memberEpoch: -1, topics: [{ name: 'offs', partitionIndexes: [0] }] }],
    });
    expect(v8.groups[0].topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3 });
    expect(v8.groups[1].topics[0].partitions[0].committedOffset).toBe(-1n);

    const offDel = await c.request(ApiKey.OffsetDelete, 0, { groupId: 'simple', topics: [{ name: 'offs', partitions: [{ partitionIndex: 0 }] }] });
    expect([offDel.errorCode, offDel.topics[0].partitions[0].errorCode]).toEqual([0, 0]);
    const afterDel = await c.request(ApiKey.OffsetFetch, 4, { groupId: 'simple', topics: [{ name: 'offs', partitionIndexes: [0] }], groups: [], requireStable: false });
    expect(afterDel.topics[0].partitions[0].committedOffset).toBe(-1n);
    expect((await c.request(ApiKey.OffsetDelete, 0, { groupId: 'ghost', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    // The records in __consumer_offsets decode with Kafka's schemas and versions.
    const partition = partitionForKey('simple', 50);
    const fetched = await c.request(ApiKey.Fetch, 4, {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
      sessionId: 0, sessionEpoch: -1, topics: [{ topic: CONSUMER_OFFSETS_TOPIC, topicId: '', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: '' }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const records = fetched.responses[0].partitions[0].records as Buffer;
    const decoded: Array<{ keyVersion: number; valueVersion: number | null; rec: ReturnType<typeof decodeGroupRecord> }> = [];
    for (const { at } of batches(records)) {
      for (const r of decodeRecords(records, at)) {
        decoded.push({ keyVersion: r.key!.readInt16BE(0), valueVersion: r.value ? r.value.readInt16BE(0) : null, rec: decodeGroupRecord(r.key!, r.value) });
      }
    }
    const mine = decoded.filter((d) => d.rec?.type === 'offset' && d.rec.key.group === 'simple');
    expect(mine.map((d) => [d.keyVersion, d.valueVersion])).toEqual([[1, 3], [1, null]]);
    expect(mine[0]!.rec).toMatchObject({ type: 'offset', key: { group: 'simple', topic: 'offs', partition: 0 }, value: { offset: 42n, leaderEpoch: 3, metadata: 'm' } });
  });
});
