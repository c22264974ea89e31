/**
 * On a virtual cluster, ListOffsets, OffsetForLeaderEpoch and DeleteRecords are served by the
 * partition's leader only, as Kafka's ReplicaManager: a follower (or a broker without a
 * replica) answers NOT_LEADER_OR_FOLLOWER, except ListOffsets from a debug client (replicaId
 * -2); a currentLeaderEpoch that does not match is fenced first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultListOffsetsPartition, defaultListOffsetsRequest, type ListOffsetsPartitionResponse, type ListOffsetsResponse } from '../../../src/protocol/generated/002-list-offsets.js';
import { defaultOffsetForLeaderEpochRequest, defaultOffsetForLeaderPartition, type EpochEndOffset, type OffsetForLeaderEpochResponse } from '../../../src/protocol/generated/023-offset-for-leader-epoch.js';
import { defaultDeleteRecordsRequest, type DeleteRecordsPartitionResult, type DeleteRecordsResponse } from '../../../src/protocol/generated/021-delete-records.js';
import { RawClient } from '../../support/raw-client.js';

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20 } });
});

afterAll(async () => {
  await cluster?.close();
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

async function ask<T>(id: number, apiKey: number, version: number, body: unknown): Promise<T> {
  const b = cluster.controller.broker(id)!;
  const client = await RawClient.connect(b.host, b.port);
  try {
    return await client.request<T>(apiKey, version, body);
  } finally {
    await client.close();
  }
}

async function listOffsets(id: number, topic: string, o: { replicaId?: number; currentLeaderEpoch?: number; timestamp?: bigint; version?: number } = {}): Promise<ListOffsetsPartitionResponse> {
  const res = await ask<ListOffsetsResponse>(id, ApiKey.ListOffsets, o.version ?? 7, {
    ...defaultListOffsetsRequest(),
    replicaId: o.replicaId ?? -1,
    topics: [{ name: topic, partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, currentLeaderEpoch: o.currentLeaderEpoch ?? -1, timestamp: o.timestamp ?? -1n, maxNumOffsets: 1 }] }],
  });
  return res.topics[0]!.partitions[0]!;
}

async function epochEnd(id: number, topic: string, o: { replicaId?: number; currentLeaderEpoch?: number; leaderEpoch: number }): Promise<EpochEndOffset> {
  const res = await ask<OffsetForLeaderEpochResponse>(id, ApiKey.OffsetForLeaderEpoch, 4, {
    ...defaultOffsetForLeaderEpochRequest(),
    replicaId: o.replicaId ?? -1,
    topics: [{ topic, partitions: [{ ...defaultOffsetForLeaderPartition(), partition: 0, currentLeaderEpoch: o.currentLeaderEpoch ?? -1, leaderEpoch: o.leaderEpoch }] }],
  });
  return res.topics[0]!.partitions[0]!;
}

async function deleteRecords(id: number, topic: string, offset: bigint): Promise<DeleteRecordsPartitionResult> {
  const res = await ask<DeleteRecordsResponse>(id, ApiKey.DeleteRecords, 2, {
    ...defaultDeleteRecordsRequest(),
    timeoutMs: 5000,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset }] }],
  });
  return res.topics[0]!.partitions[0]!;
}

/** A replicated topic with three records on every replica: its leader and a follower. */
async function replicated(topic: string): Promise<{ leader: number; follower: number; epoch: number }> {
  await cluster.createTopic(topic, { partitions: 1, replicationFactor: 3 });
  await cluster.produce(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
  const s = cluster.controller.partition(topic, 0)!;
  await until('every replica has the records', () => s.replicas.every((r) => cluster.partitionLog(r, topic, 0)?.highWatermark === 3n));
  return { leader: s.leader, follower: s.replicas.find((r) => r !== s.leader)!, epoch: s.leaderEpoch };
}

describe('requests only a partition leader serves', () => {
  it('the leader answers ListOffsets, OffsetForLeaderEpoch and DeleteRecords as a single broker does', async () => {
    const { leader, epoch } = await replicated('led');
    const latest = await listOffsets(leader, 'led', { currentLeaderEpoch: epoch });
    expect(latest.errorCode).toBe(ErrorCode.NONE);
    expect(latest.offset).toBe(3n);
    expect(latest.leaderEpoch).toBe(epoch);
    const end = await epochEnd(leader, 'led', { currentLeaderEpoch: epoch, leaderEpoch: epoch });
    expect(end).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: epoch, endOffset: 3n });
    // A follower asking the leader (replicaId >= 0) is answered too.
    expect((await epochEnd(leader, 'led', { replicaId: (leader + 1) % 3, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.NONE);
    expect(await deleteRecords(leader, 'led', 1n)).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 1n });
    expect((await listOffsets(leader, 'led', { timestamp: -2n })).offset).toBe(1n);
  });

  it('a follower refuses ListOffsets from a consumer or a replica, but answers a debug request from its own log', async () => {
    const { follower, epoch } = await replicated('lo');
    expect((await listOffsets(follower, 'lo')).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await listOffsets(follower, 'lo', { timestamp: -2n })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await listOffsets(follower, 'lo', { replicaId: (follower + 1) % 3 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await listOffsets(follower, 'lo', { version: 0 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const debug = await listOffsets(follower, 'lo', { replicaId: -2, currentLeaderEpoch: epoch });
    expect(debug.errorCode).toBe(ErrorCode.NONE);
    expect(debug.offset).toBe(3n);
    // The epoch is checked before leadership, against the partition's leader epoch.
    expect((await listOffsets(follower, 'lo', { currentLeaderEpoch: epoch + 1 })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await listOffsets(follower, 'lo', { replicaId: -2, currentLeaderEpoch: epoch + 1 })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it('a follower refuses OffsetForLeaderEpoch from a consumer and from a replica', async () => {
    const { follower, epoch } = await replicated('ep');
    const consumer = await epochEnd(follower, 'ep', { leaderEpoch: epoch });
    expect(consumer).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderEpoch: -1, endOffset: -1n });
    expect((await epochEnd(follower, 'ep', { replicaId: (follower + 1) % 3, currentLeaderEpoch: epoch, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await epochEnd(follower, 'ep', { currentLeaderEpoch: epoch + 1, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it('a follower refuses DeleteRecords and keeps its log start', async () => {
    const { follower } = await replicated('dr');
    expect(await deleteRecords(follower, 'dr', 2n)).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1n });
    expect(cluster.partitionLog(follower, 'dr', 0)!.logStartOffset).toBe(0n);
  });

  it('a follower fences an older currentLeaderEpoch before refusing, once leadership moved', async () => {
    const { leader, epoch } = await replicated('fence');
    await until('ISR complete', () => cluster.controller.partition('fence', 0)!.isr.length === 3);
    await cluster.stopBroker(leader);
    const now = cluster.controller.partition('fence', 0)!;
    expect(now.leaderEpoch).toBe(epoch + 1);
    const follower = now.replicas.find((r) => r !== now.leader && r !== leader)!;
    expect((await listOffsets(follower, 'fence', { currentLeaderEpoch: epoch })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await listOffsets(follower, 'fence', { replicaId: -2, currentLeaderEpoch: epoch })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await epochEnd(follower, 'fence', { currentLeaderEpoch: epoch, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await listOffsets(follower, 'fence', { currentLeaderEpoch: epoch + 1 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await epochEnd(now.leader, 'fence', { currentLeaderEpoch: epoch, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await epochEnd(now.leader, 'fence', { currentLeaderEpoch: epoch + 1, leaderEpoch: epoch })).errorCode).toBe(ErrorCode.NONE);
    await cluster.startBroker(leader);
  });

  it('a broker without a replica, and any broker once the only replica is offline, answers NOT_LEADER_OR_FOLLOWER', async () => {
    await cluster.createTopic('solo', { partitions: 1, replicationFactor: 1 });
    await cluster.produce('solo', [{ value: 'a' }]);
    const owner = cluster.controller.partition('solo', 0)!.leader;
    const other = [0, 1, 2].map((i) => cluster.brokers()[i]!.id).find((id) => id !== owner)!;
    const check = async (id: number) => {
      expect((await listOffsets(id, 'solo')).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect((await listOffsets(id, 'solo', { replicaId: -2 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect((await epochEnd(id, 'solo', { leaderEpoch: 0 })).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect((await deleteRecords(id, 'solo', 1n)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    };
    await check(other);
    await cluster.stopBroker(owner);
    expect(cluster.controller.partition('solo', 0)!.leader).toBe(-1);
    await check(other);
    await cluster.startBroker(owner);
  });
});
