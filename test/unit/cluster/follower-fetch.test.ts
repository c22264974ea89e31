/**
 * KIP-392 in a virtual cluster: with replica.selector.class = RackAwareReplicaSelector the
 * leader sends a consumer with client.rack to an in-sync replica in its rack, and that
 * follower serves the consumer's fetches up to its own high watermark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../../../src/protocol/generated/001-fetch.js';
import { RawClient } from '../../support/raw-client.js';

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startBroker({
    brokers: 3,
    config: { 'skiff.broker.racks': 'east,west,north', 'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector', 'replica.fetch.wait.max.ms': 20 },
  });
});

afterAll(async () => {
  await cluster?.close();
});

async function fetchFrom(id: number, rackId: string, version = 11): Promise<FetchResponse['responses'][number]['partitions'][number]> {
  const b = cluster.controller.broker(id)!;
  const client = await RawClient.connect(b.host, b.port);
  try {
    const res = await client.request<FetchResponse>(ApiKey.Fetch, version, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      rackId,
      topics: [{ ...defaultFetchTopic(), topic: 'near', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    return res.responses[0]!.partitions[0]!;
  } finally {
    await client.close();
  }
}

describe('fetching from the closest replica', () => {
  it('points a consumer to the in-sync replica of its rack, which then serves it', async () => {
    await cluster.createTopic('near', { partitions: 1, replicationFactor: 3 });
    await cluster.produce('near', [{ value: 'a' }, { value: 'b' }]);
    const s = cluster.controller.partition('near', 0)!;
    const follower = s.replicas.find((r) => r !== s.leader)!;
    const rack = cluster.controller.broker(follower)!.rack!;
    for (let i = 0; i < 500 && cluster.partitionLog(follower, 'near', 0)!.highWatermark < 2n; i++) await new Promise((r) => setTimeout(r, 10));

    const atLeader = await fetchFrom(s.leader, rack);
    expect(atLeader.errorCode).toBe(ErrorCode.NONE);
    expect(atLeader.preferredReadReplica).toBe(follower);
    expect(atLeader.records === null || (atLeader.records as Buffer).length === 0).toBe(true);
    // The leader's own rack, or none: the leader serves.
    expect((await fetchFrom(s.leader, cluster.controller.broker(s.leader)!.rack!)).preferredReadReplica).toBe(-1);
    expect((await fetchFrom(s.leader, '')).preferredReadReplica).toBe(-1);

    const atFollower = await fetchFrom(follower, rack);
    expect(atFollower.errorCode).toBe(ErrorCode.NONE);
    expect(atFollower.highWatermark).toBe(2n);
    expect((atFollower.records as Buffer).length).toBeGreaterThan(0);
    // Before v11 a consumer may only read from the leader.
    expect((await fetchFrom(follower, rack, 10)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
