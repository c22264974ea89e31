/**
 * Racks and consumer groups as in Kafka 4.3: members' rack ids come from the heartbeat, a
 * partition's racks from its replicas' brokers, and a change of those racks makes a new
 * target assignment due (KIP-1101). Kafka 4.3's uniform and range assignors place partitions
 * without looking at racks (rack awareness left the server-side assignors in KAFKA-16694).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { replicaRacks } from '../../../src/cluster/partition-leadership.js';
import { rangeAssignor, uniformAssignor } from '../../../src/coordinator/group/assignors.js';
import { GroupCoordinator, type HeartbeatParams } from '../../../src/coordinator/group/group-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { type FindCoordinatorResponse, defaultFindCoordinatorRequest } from '../../../src/protocol/generated/010-find-coordinator.js';
import { type ConsumerGroupDescribeResponse, defaultConsumerGroupDescribeRequest } from '../../../src/protocol/generated/069-consumer-group-describe.js';
import { type ConsumerGroupHeartbeatResponse, defaultConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/068-consumer-group-heartbeat.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { RawClient } from '../../support/raw-client.js';
import { TestTopics } from '../../support/topics-view.js';

const logger = createLogger({ level: 'silent' });
const coordinators: GroupCoordinator[] = [];
afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close();
});

/** Topics whose partitions' racks the test moves. */
class RackedTopics extends TestTopics {
  racks = new Map<number, string[]>();
  partitionRacks(_name: string, partition: number): readonly string[] {
    return this.racks.get(partition) ?? [];
  }
}

function hb(over: Partial<HeartbeatParams>): HeartbeatParams {
  return {
    groupId: 'g', memberId: 'm1', memberEpoch: 0, instanceId: null, rackId: 'a', rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
    serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  };
}

describe('racks in consumer groups', () => {
  it('a partition whose replicas move to other racks makes a new target assignment due; an unchanged topology does not', async () => {
    const topics = new RackedTopics();
    const t = topics.add('t', 2);
    topics.racks = new Map([[0, ['a', 'b']], [1, ['b', 'c']]]);
    const c = new GroupCoordinator({ log: new MemoryOffsetsLog(1), logger, topics });
    coordinators.push(c);
    await c.load();
    const joined = await c.consumerGroupHeartbeat(hb({}));
    expect(joined.memberEpoch).toBe(2);
    const steady = { memberEpoch: 2, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: joined.assignment };
    expect((await c.consumerGroupHeartbeat(hb(steady))).memberEpoch).toBe(2);
    // The same racks in another order are the same topology.
    topics.racks = new Map([[0, ['b', 'a']], [1, ['c', 'b']]]);
    expect((await c.consumerGroupHeartbeat(hb(steady))).memberEpoch).toBe(2);
    topics.racks = new Map([[0, ['a', 'c']], [1, ['b', 'c']]]);
    const moved = await c.consumerGroupHeartbeat(hb(steady));
    expect(moved.memberEpoch).toBe(3);
    expect(c.consumerGroupDescribe('g')).toMatchObject({ groupEpoch: 3, assignmentEpoch: 3, members: [{ rackId: 'a', assignment: { topicPartitions: [{ topicId: t, partitions: [0, 1] }] } }] });
  });

  it('the uniform and range assignors place partitions whatever the racks, as Kafka 4.3\'s', () => {
    const spec = {
      members: [{ memberId: 'a', topics: new Set(['t']) }, { memberId: 'b', topics: new Set(['t']) }],
      topics: new Map([['t', 4]]),
      previous: () => undefined,
    };
    expect(uniformAssignor.assign(spec)).toEqual(new Map([['a', new Map([['t', new Set([0, 2])]])], ['b', new Map([['t', new Set([1, 3])]])]]));
    expect(rangeAssignor.assign(spec)).toEqual(new Map([['a', new Map([['t', new Set([0, 1])]])], ['b', new Map([['t', new Set([2, 3])]])]]));
  });
});

/** FindCoordinator until __consumer_offsets exists and the group's partition has a leader. */
async function findCoordinator(groupId: string): Promise<{ host: string; port: number }> {
  const [host, port] = cluster.bootstrapServers.split(',')[0]!.split(':');
  const client = await RawClient.connect(host!, Number(port));
  try {
    for (;;) {
      const r = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: [groupId] });
      const c = r.coordinators[0]!;
      if (c.errorCode === ErrorCode.NONE) return c;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.close();
  }
}

let cluster: RunningCluster;

describe('racks in a virtual cluster', () => {
  beforeAll(async () => {
    cluster = await startBroker({ brokers: 3, config: { 'skiff.broker.racks': 'ra,rb,rc', 'replica.fetch.wait.max.ms': 50 } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('partition racks follow replica placement; the heartbeat\'s rack id is the member\'s', async () => {
    await cluster.createTopic('racked', { partitions: 3, replicationFactor: 2 });
    for (let p = 0; p < 3; p++) {
      const replicas = cluster.controller.partition('racked', p)!.replicas;
      const racks = replicaRacks(cluster.controller, null, 'racked', p);
      expect(racks).toEqual(replicas.map((id) => cluster.controller.broker(id)!.rack));
      // Kafka's placement puts a partition's two replicas on two racks.
      expect(new Set(racks).size).toBe(2);
    }
    expect(replicaRacks(undefined, 'solo', 'racked', 0)).toEqual(['solo']);
    expect(replicaRacks(undefined, null, 'racked', 0)).toEqual([]);

    const coordinator = await findCoordinator('racked-group');
    const client = await RawClient.connect(coordinator.host, coordinator.port);
    try {
      const joined = await client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
        ...defaultConsumerGroupHeartbeatRequest(), groupId: 'racked-group', memberId: 'm-rb', memberEpoch: 0, rackId: 'rb', rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['racked'], topicPartitions: [],
      });
      expect([joined.errorCode, joined.assignment?.topicPartitions[0]?.partitions]).toEqual([ErrorCode.NONE, [0, 1, 2]]);
      const described = await client.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 1, { ...defaultConsumerGroupDescribeRequest(), groupIds: ['racked-group'] });
      expect(described.groups[0]!.members).toMatchObject([{ memberId: 'm-rb', rackId: 'rb' }]);
    } finally {
      await client.close();
    }
  });
});
