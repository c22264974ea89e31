/**
 * ElectLeaders and partition reassignments on a virtual cluster, through real requests, with
 * the answers of Kafka's controller: preferred and unclean elections (ELECTION_NOT_NEEDED,
 * PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE), and reassignments that add a
 * replica (it catches up and joins the ISR), remove one (its log goes), move the leader, are
 * listed while under way and can be cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { ElectLeadersResponse } from '../../../src/protocol/generated/043-elect-leaders.js';
import type { AlterPartitionReassignmentsResponse } from '../../../src/protocol/generated/045-alter-partition-reassignments.js';
import type { ListPartitionReassignmentsResponse } from '../../../src/protocol/generated/046-list-partition-reassignments.js';
import { RawClient } from '../../support/raw-client.js';

let cluster: RunningCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

async function ask<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  const b = cluster!.controller.liveBrokers()[0]!;
  const client = await RawClient.connect(b.host, b.port);
  try {
    return await client.request<T>(apiKey, version, body);
  } finally {
    await client.close();
  }
}

const elect = (electionType: number, topicPartitions: Array<{ topic: string; partitions: number[] }> | null) =>
  ask<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, { electionType, topicPartitions, timeoutMs: 5000 });
const reassign = (topic: string, partitionIndex: number, replicas: number[] | null, allowReplicationFactorChange = true) =>
  ask<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, 1, { timeoutMs: 5000, allowReplicationFactorChange, topics: [{ name: topic, partitions: [{ partitionIndex, replicas }] }] }).then(
    (r) => r.responses[0]!.partitions[0]!,
  );
const listReassignments = (topics: Array<{ name: string; partitionIndexes: number[] }> | null = null) =>
  ask<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 5000, topics });
const state = (topic: string, p = 0) => structuredClone(cluster!.controller.partition(topic, p)!);

describe('ElectLeaders on a virtual cluster', () => {
  it('moves leadership back to the preferred replica, and answers as Kafka when none is needed or possible', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20, 'auto.leader.rebalance.enable': false } });
    await cluster.createTopic('e', { partitions: 2, replicationFactor: 2 });
    const first = state('e');
    const preferred = first.replicas[0]!;
    expect(first.leader).toBe(preferred);

    let res = await elect(0, [{ topic: 'e', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }]);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.replicaElectionResults.map((t) => t.partitionResult.map((p) => p.errorCode))).toEqual([
      [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    // All partitions: those already led by their preferred replica are left out.
    expect((await elect(0, null)).replicaElectionResults.flatMap((t) => t.partitionResult)).toEqual([]);

    await cluster.stopBroker(preferred);
    expect(state('e').leader).toBe(first.replicas[1]);
    res = await elect(0, [{ topic: 'e', partitions: [0] }]);
    expect(res.replicaElectionResults[0]!.partitionResult[0]).toMatchObject({ errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' });
    // An unclean election is not needed while the partition has a leader.
    expect((await elect(1, [{ topic: 'e', partitions: [0] }])).replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);

    await cluster.startBroker(preferred);
    await until('the preferred replica is back in the ISR', () => state('e').isr.includes(preferred));
    expect(state('e').leader).toBe(first.replicas[1]);
    const epoch = state('e').leaderEpoch;
    res = await elect(0, null);
    const moved = res.replicaElectionResults.find((t) => t.topic === 'e')!.partitionResult;
    expect(moved).toContainEqual({ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    expect(state('e')).toMatchObject({ leader: preferred, leaderEpoch: epoch + 1 });
  });

  it('elects an offline partition uncleanly only when asked, with the new leader alone in the ISR', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20, 'replica.lag.time.max.ms': 200 } });
    await cluster.createTopic('u', { partitions: 1, replicationFactor: 2 });
    const { replicas, leader } = state('u');
    const follower = replicas.find((r) => r !== leader)!;
    await cluster.stopBroker(follower);
    await until('the follower left the ISR', () => state('u').isr.length === 1);
    await cluster.stopBroker(leader);
    await cluster.startBroker(follower);
    expect(state('u').leader).toBe(-1);

    const preferred = await elect(0, [{ topic: 'u', partitions: [0] }]);
    expect(preferred.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    const unclean = await elect(1, [{ topic: 'u', partitions: [0] }]);
    expect(unclean.replicaElectionResults[0]!.partitionResult[0]).toEqual({ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    expect(state('u')).toMatchObject({ leader: follower, isr: [follower] });

    await cluster.stopBroker(follower);
    const none = await elect(1, [{ topic: 'u', partitions: [0] }]);
    expect(none.replicaElectionResults[0]!.partitionResult[0]).toMatchObject({ errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
  });
});

describe('partition reassignment on a virtual cluster', () => {
  it('adds a replica that catches up before the removed one leaves, moving the leader with it', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20 } });
    await cluster.createTopic('r', { partitions: 1, replicationFactor: 2 });
    await cluster.produce('r', Array.from({ length: 50 }, (_, i) => ({ value: `v${i}` })));
    const { replicas, leader } = state('r');
    const outsider = [0, 1, 2].map((i) => cluster!.controller.brokers()[i]!.id).find((id) => !replicas.includes(id))!;
    const kept = replicas.find((r) => r !== leader)!;
    // Hold the new replica back so the reassignment is seen under way.
    const isolation = cluster.addFault({ kind: 'isolate', broker: outsider });

    expect(await reassign('r', 0, [outsider, kept])).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    expect(state('r')).toMatchObject({ replicas: [outsider, kept, leader], adding: [outsider], removing: [leader], leader });
    const listed = await listReassignments();
    expect(listed.topics).toEqual([{ name: 'r', partitions: [{ partitionIndex: 0, replicas: [outsider, kept, leader], addingReplicas: [outsider], removingReplicas: [leader] }] }]);
    expect((await listReassignments([{ name: 'r', partitionIndexes: [1] }, { name: 'nope', partitionIndexes: [0] }])).topics).toEqual([]);
    expect(cluster.partitionLog(outsider, 'r', 0)?.logEndOffset).toBe(0n);

    cluster.clearFault(isolation.id);
    await until('the reassignment completed', () => state('r').adding === undefined);
    const done = state('r');
    expect(done.replicas).toEqual([outsider, kept]);
    expect(done.isr.sort()).toEqual([outsider, kept].sort());
    // The old leader left: the first in-sync replica of the target leads, in a new epoch.
    expect(done.leader).toBe(outsider);
    expect((await listReassignments()).topics).toEqual([]);
    await until('the removed replica deleted its log', () => cluster!.partitionLog(leader, 'r', 0) === undefined);
    expect(cluster.partitionLog(outsider, 'r', 0)!.logEndOffset).toBe(50n);
    expect((await cluster.consume('r')).map((r) => r.value!.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  it('validates as Kafka does and cancels a reassignment under way back to the original replicas', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20 } });
    await cluster.createTopic('c', { partitions: 1, replicationFactor: 2 });
    const { replicas } = state('c');
    const outsider = cluster.controller.brokers().map((b) => b.id).find((id) => !replicas.includes(id))!;

    expect(await reassign('c', 0, null)).toMatchObject({ errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS });
    expect(await reassign('c', 0, [])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
    expect(await reassign('c', 0, [outsider, outsider])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes the broker ${outsider} more than once.` });
    expect(await reassign('c', 0, [replicas[0]!, 99])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes broker 99, but no such broker is registered.' });
    expect(await reassign('c', 0, [...replicas, outsider], false)).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR });
    expect(await reassign('c', 3, [outsider])).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'Unable to find partition c:3.' });
    expect(await reassign('nope', 0, [outsider])).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(state('c').replicas).toEqual(replicas);

    // Reordering only completes at once, and changes the preferred replica.
    expect(await reassign('c', 0, [replicas[1]!, replicas[0]!])).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(state('c')).toMatchObject({ replicas: [replicas[1], replicas[0]] });
    expect(state('c').adding).toBeUndefined();

    const isolation = cluster.addFault({ kind: 'isolate', broker: outsider });
    expect(await reassign('c', 0, [replicas[1]!, replicas[0]!, outsider])).toMatchObject({ errorCode: ErrorCode.NONE });
    await until('the new replica has its log', () => cluster!.partitionLog(outsider, 'c', 0) !== undefined);
    expect(state('c').adding).toEqual([outsider]);
    expect(await reassign('c', 0, null)).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(state('c')).toMatchObject({ replicas: [replicas[1], replicas[0]] });
    expect(state('c').adding).toBeUndefined();
    await until('the cancelled replica deleted its log', () => cluster!.partitionLog(outsider, 'c', 0) === undefined);
    cluster.clearFault(isolation.id);
  });
});
