/** The console's group API for KIP-848 consumer groups: epochs, members, current and target assignments, lag. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { type ConsumerGroupHeartbeatResponse, defaultConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/068-consumer-group-heartbeat.js';
import { type OffsetCommitResponse, defaultOffsetCommitRequest } from '../../../src/protocol/generated/008-offset-commit.js';
import { type FindCoordinatorResponse, defaultFindCoordinatorRequest } from '../../../src/protocol/generated/010-find-coordinator.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { RawClient } from '../../support/raw-client.js';

let broker: RunningBroker;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent' });
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  await client.close();
  await broker.close();
});

const get = async (path: string) => {
  const res = await fetch(new URL(path, broker.httpUrl));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const heartbeat = (memberId: string, memberEpoch: number, more = {}) =>
  client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
    ...defaultConsumerGroupHeartbeatRequest(), groupId: 'api-cg', memberId, memberEpoch, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['api-cg-topic'], topicPartitions: [], ...more,
  });

describe('console API: consumer groups', () => {
  it('describes a consumer group: epochs, each member with its epoch, assignment and target, and the lag of its offsets', async () => {
    await broker.createTopic('api-cg-topic', { partitions: 2 });
    await broker.produce('api-cg-topic', ['a', 'b', 'c'].map((value) => ({ value, partition: 0 })));
    // __consumer_offsets is created on the first FindCoordinator, as on Kafka.
    for (;;) {
      const r = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { ...defaultFindCoordinatorRequest(), coordinatorKeys: ['api-cg'] });
      if (r.coordinators[0]!.errorCode === ErrorCode.NONE) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const first = await heartbeat('m1', 0, { rackId: 'r1' });
    expect(first.memberEpoch).toBe(2);
    const commit = await client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 9, {
      ...defaultOffsetCommitRequest(), groupId: 'api-cg', generationIdOrMemberEpoch: 2, memberId: 'm1',
      topics: [{ name: 'api-cg-topic', topicId: '', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    // A second member: m1 must give up a partition first, so m2's target is ahead of its assignment.
    await heartbeat('m2', 0);

    const { status, body } = await get('api/groups/api-cg');
    expect(status).toBe(200);
    expect(body).toMatchObject({ groupId: 'api-cg', type: 'consumer', state: 'Reconciling', protocolType: 'consumer', protocol: 'uniform', groupEpoch: 3, assignmentEpoch: 3 });
    const members = body.members as Array<Record<string, unknown>>;
    const m1 = members.find((m) => m.memberId === 'm1')!;
    const m2 = members.find((m) => m.memberId === 'm2')!;
    expect(m1).toMatchObject({ memberProtocol: 'consumer', memberEpoch: 2, rackId: 'r1', subscribedTopicNames: ['api-cg-topic'], assignment: [{ topic: 'api-cg-topic', partitions: [0, 1] }] });
    expect((m1.targetAssignment as Array<{ partitions: number[] }>)[0]!.partitions).toHaveLength(1);
    expect(m2).toMatchObject({ memberProtocol: 'consumer', memberEpoch: 3, assignment: [] });
    expect((m2.targetAssignment as Array<{ partitions: number[] }>)[0]!.partitions).toHaveLength(1);
    expect(body.offsets).toEqual([{ topic: 'api-cg-topic', partition: 0, committedOffset: 1, logEndOffset: 3, lag: 2 }]);

    const list = await fetch(new URL('api/groups', broker.httpUrl));
    expect(((await list.json()) as unknown[]).find((g) => (g as { groupId: string }).groupId === 'api-cg')).toMatchObject({ type: 'consumer', state: 'Reconciling', members: 2, lag: 2 });

    // Offsets of a group with members cannot be reset, whatever its type.
    const reset = await fetch(new URL('api/groups/api-cg/reset-offsets', broker.httpUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'api-cg-topic', to: 'earliest' }) });
    expect(reset.status).toBe(409);
    expect(await reset.json()).toMatchObject({ error: expect.stringContaining('the current state is Reconciling') });
    expect((await get('api/groups/nope')).status).toBe(404);
  });
});
