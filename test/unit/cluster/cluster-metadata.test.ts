/**
 * What clients see of a virtual cluster: every live broker with its rack, each partition's
 * leader, replicas, ISR and offline replicas, the controller, coordinators at the leader of
 * their internal partition, and NOT_LEADER_OR_FOLLOWER with the current leader from a broker
 * that does not lead.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultPartitionProduceData, defaultProduceRequest, defaultTopicProduceData, type ProduceResponse } from '../../../src/protocol/generated/000-produce.js';
import { defaultFindCoordinatorRequest, type FindCoordinatorResponse } from '../../../src/protocol/generated/010-find-coordinator.js';
import { partitionForKey } from '../../../src/coordinator/partitioner.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { RawClient } from '../../support/raw-client.js';

let cluster: RunningCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startBroker({ brokers: 3, config: { 'skiff.broker.racks': 'r1,r2,r3', 'replica.fetch.wait.max.ms': 50 } });
  kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await cluster?.close();
});

describe('virtual cluster metadata', () => {
  it('describes three brokers with their racks and ports, and a controller among them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const d = await admin.describeCluster();
      expect(d.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(new Set(d.brokers.map((b) => b.port)).size).toBe(3);
      expect([1, 2, 3]).toContain(d.controller);
      await admin.createTopics({ topics: [{ topic: 'meta', numPartitions: 6, replicationFactor: 3 }] });
      const md = await admin.fetchTopicMetadata({ topics: ['meta'] });
      const parts = md.topics[0]!.partitions;
      expect(parts.map((p) => p.leader).sort()).toEqual([1, 1, 2, 2, 3, 3]);
      for (const p of parts) {
        expect([...p.replicas].sort()).toEqual([1, 2, 3]);
        expect(p.replicas[0]).toBe(p.leader);
        expect([...p.isr].sort()).toEqual([1, 2, 3]);
        expect(p.offlineReplicas).toEqual([]);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('lists a stopped broker\'s replicas as offline and leaves it out of the broker list', async () => {
    await cluster.createTopic('off', { partitions: 3, replicationFactor: 3 });
    await cluster.stopBroker(3);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2]);
      for (const p of (await admin.fetchTopicMetadata({ topics: ['off'] })).topics[0]!.partitions) {
        expect(p.offlineReplicas).toEqual([3]);
        expect(p.isr).not.toContain(3);
        expect(p.leader).not.toBe(3);
      }
    } finally {
      await admin.disconnect();
      await cluster.startBroker(3);
    }
  });

  it('names the leader of the group\'s __consumer_offsets partition as its coordinator', async () => {
    const consumer = kafka.consumer({ groupId: 'meta-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'meta', fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(['meta-group']);
      expect(groups[0]!.state).not.toBe('Dead');
      const s = cluster.controller.partition('__consumer_offsets', partitionForKey('meta-group', 50))!;
      expect(s.replicas).toHaveLength(3);
      for (const id of [1, 2, 3]) {
        const client = await RawClient.connect(cluster.controller.broker(id)!.host, cluster.controller.broker(id)!.port);
        try {
          const res = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: ['meta-group'] });
          expect(res.coordinators[0]!.nodeId).toBe(s.leader);
          expect(res.coordinators[0]!.port).toBe(cluster.controller.broker(s.leader)!.port);
        } finally {
          await client.close();
        }
      }
    } finally {
      await admin.disconnect();
      await consumer.disconnect();
    }
  });

  it('answers a produce to a follower with NOT_LEADER_OR_FOLLOWER and the current leader', async () => {
    await cluster.createTopic('nl', { partitions: 1, replicationFactor: 2 });
    const s = cluster.controller.partition('nl', 0)!;
    const follower = cluster.controller.broker(s.replicas.find((r) => r !== s.leader)!)!;
    const client = await RawClient.connect(follower.host, follower.port);
    try {
      const records = buildBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from('x') }] });
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 10, {
        ...defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ ...defaultTopicProduceData(), name: 'nl', partitionData: [{ ...defaultPartitionProduceData(), index: 0, records }] }],
      });
      const p = res.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(p.currentLeader).toMatchObject({ leaderId: s.leader, leaderEpoch: s.leaderEpoch });
      expect(res.nodeEndpoints.map((n) => n.nodeId)).toEqual([s.leader]);
    } finally {
      await client.close();
    }
  });
});
