/** ListOffsets, OffsetForLeaderEpoch and DeleteRecords against real produced data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  type ListOffsetsPartition,
  type ListOffsetsResponse,
  defaultListOffsetsPartition,
  defaultListOffsetsRequest,
} from '../../../src/protocol/generated/002-list-offsets.js';
import {
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderPartition,
  defaultOffsetForLeaderEpochRequest,
} from '../../../src/protocol/generated/023-offset-for-leader-epoch.js';
import { type DeleteRecordsResponse, defaultDeleteRecordsRequest } from '../../../src/protocol/generated/021-delete-records.js';
import { createTopic, type Harness, openHarness, produceBatch } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'lo', 1);
  // Offsets 0-2, 3, 4-5, 6 with batch max timestamps 1002, 5000, 3500, 2000.
  expect(await produceBatch(h.client, 'lo', 0, [1000n, 1001n, 1002n])).toBe(0n);
  expect(await produceBatch(h.client, 'lo', 0, [5000n])).toBe(3n);
  expect(await produceBatch(h.client, 'lo', 0, [3000n, 3500n])).toBe(4n);
  expect(await produceBatch(h.client, 'lo', 0, [2000n])).toBe(6n);
  await createTopic(h.client, 'lo-empty', 1);
  // One batch whose largest timestamp sits in its middle record.
  await createTopic(h.client, 'lo-multi', 1);
  expect(await produceBatch(h.client, 'lo-multi', 0, [10n, 30n, 20n])).toBe(0n);
});
afterAll(async () => {
  await h.close();
});

function part(partitionIndex: number, timestamp: bigint, over: Partial<ListOffsetsPartition> = {}): ListOffsetsPartition {
  return { ...defaultListOffsetsPartition(), partitionIndex, timestamp, ...over };
}

async function listOffsets(version: number, topic: string, partitions: ListOffsetsPartition[], over: { replicaId?: number; isolationLevel?: number } = {}) {
  const res = await h.client.request<ListOffsetsResponse>(ApiKey.ListOffsets, version, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    ...over,
    topics: [{ name: topic, partitions }],
  });
  return res.topics[0]!.partitions;
}

describe('ListOffsets', () => {
  it('v1 answers latest, earliest and by time, without leader epochs', async () => {
    const latest = (await listOffsets(1, 'lo', [part(0, -1n)]))[0];
    const earliest = (await listOffsets(1, 'lo', [part(0, -2n)]))[0];
    const byTime = (await listOffsets(1, 'lo', [part(0, 1500n)]))[0];
    const none = (await listOffsets(1, 'lo', [part(0, 6000n)]))[0];
    expect(latest).toMatchObject({ errorCode: 0, offset: 7n, timestamp: -1n, leaderEpoch: -1 });
    expect(earliest).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n });
    expect(byTime).toMatchObject({ errorCode: 0, offset: 3n, timestamp: 5000n });
    expect(none).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('finds the record inside a batch, as Kafka does, by time and by max timestamp', async () => {
    expect((await listOffsets(1, 'lo', [part(0, 1001n)]))[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 1001n });
    expect((await listOffsets(1, 'lo', [part(0, 1002n)]))[0]).toMatchObject({ errorCode: 0, offset: 2n, timestamp: 1002n });
    expect((await listOffsets(1, 'lo-multi', [part(0, 15n)]))[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 30n });
    expect((await listOffsets(7, 'lo-multi', [part(0, -3n)]))[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 30n });
  });

  it('v7+ answers max timestamp with its epoch; v8 earliest local; v9 latest tiered is -1', async () => {
    const v7 = await listOffsets(7, 'lo', [part(0, -3n)]);
    expect(v7[0]).toMatchObject({ errorCode: 0, offset: 3n, timestamp: 5000n, leaderEpoch: 0 });
    const v8 = await listOffsets(8, 'lo', [part(0, -4n)]);
    expect(v8[0]).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    const v9 = await listOffsets(9, 'lo', [part(0, -5n)]);
    expect(v9[0]).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    const v10 = await listOffsets(10, 'lo', [part(0, -1n)]);
    expect(v10[0]).toMatchObject({ errorCode: 0, offset: 7n, leaderEpoch: 0 });
    const time = await listOffsets(10, 'lo', [part(0, 3200n)]);
    expect(time[0]).toMatchObject({ errorCode: 0, offset: 3n, timestamp: 5000n, leaderEpoch: 0 });
  });

  it('v11 earliest pending upload is -1 without tiered storage; a timestamp the version does not know is UNSUPPORTED_VERSION', async () => {
    const v11 = await listOffsets(11, 'lo', [part(0, -6n)]);
    expect(v11[0]).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    const none = { errorCode: ErrorCode.UNSUPPORTED_VERSION, offset: -1n, timestamp: -1n, leaderEpoch: -1 };
    expect((await listOffsets(10, 'lo', [part(0, -6n)]))[0]).toMatchObject(none);
    expect((await listOffsets(8, 'lo', [part(0, -5n)]))[0]).toMatchObject(none);
    expect((await listOffsets(6, 'lo', [part(0, -3n)]))[0]).toMatchObject(none);
    expect((await listOffsets(11, 'lo', [part(0, -10n)]))[0]).toMatchObject(none);
    // Checked before the partition is looked up, as Kafka does.
    expect((await listOffsets(10, 'lo', [part(7, -6n)]))[0]).toMatchObject(none);
  });

  it('read_committed latest is the high watermark; an empty partition answers 0 for every end', async () => {
    const rc = await listOffsets(5, 'lo', [part(0, -1n)], { isolationLevel: 1 });
    expect(rc[0]).toMatchObject({ errorCode: 0, offset: 7n, leaderEpoch: 0 });
    const empty = await listOffsets(7, 'lo-empty', [part(0, -1n)]);
    expect(empty[0]).toMatchObject({ errorCode: 0, offset: 0n, leaderEpoch: 0 });
    const emptyEarliest = await listOffsets(7, 'lo-empty', [part(0, -2n)]);
    expect(emptyEarliest[0]).toMatchObject({ errorCode: 0, offset: 0n, leaderEpoch: 0 });
    const emptyMax = await listOffsets(7, 'lo-empty', [part(0, -3n)]);
    expect(emptyMax[0]).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('fences on currentLeaderEpoch and refuses duplicates and unknown partitions', async () => {
    const res = await listOffsets(7, 'lo', [
      part(0, -1n, { currentLeaderEpoch: 3 }),
      part(9, -1n),
    ]);
    expect(res.map((p) => [p.partitionIndex, p.errorCode, p.offset])).toEqual([
      [0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1n],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
    ]);
    const ok = await listOffsets(7, 'lo', [part(0, -1n, { currentLeaderEpoch: 0 })]);
    expect(ok[0]).toMatchObject({ errorCode: 0, offset: 7n });
    const dup = await listOffsets(5, 'lo', [part(0, -1n), part(0, -2n)]);
    expect(dup.map((p) => [p.errorCode, p.offset, p.timestamp])).toEqual([
      [ErrorCode.INVALID_REQUEST, -1n, -1n],
      [ErrorCode.INVALID_REQUEST, -1n, -1n],
    ]);
    const unknown = await listOffsets(2, 'no-such-topic', [part(0, -1n)]);
    expect(unknown[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('v0 answers old-style offsets, newest first, limited by maxNumOffsets', async () => {
    const latest = await listOffsets(0, 'lo', [part(0, -1n, { maxNumOffsets: 1 })]);
    expect(latest[0]).toMatchObject({ errorCode: 0, oldStyleOffsets: [7n] });
    const earliest = await listOffsets(0, 'lo', [part(0, -2n, { maxNumOffsets: 5 })]);
    expect(earliest[0]).toMatchObject({ errorCode: 0, oldStyleOffsets: [0n] });
    const both = await listOffsets(0, 'lo', [part(0, -1n, { maxNumOffsets: 10 })]);
    expect(both[0]!.oldStyleOffsets[0]).toBe(7n);
    expect(both[0]!.oldStyleOffsets.at(-1)).toBe(0n);
    const unknown = await listOffsets(0, 'lo', [part(4, -1n, { maxNumOffsets: 1 })]);
    expect(unknown[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, oldStyleOffsets: [] });
  });
});

describe('OffsetForLeaderEpoch', () => {
  async function ofle(version: number, topic: string, partitions: OffsetForLeaderPartition[], replicaId = -1) {
    const res = await h.client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, version, {
      ...defaultOffsetForLeaderEpochRequest(),
      replicaId,
      topics: [{ topic, partitions }],
    });
    return res.topics[0]!.partitions;
  }

  it('v0 answers the end of the current epoch', async () => {
    const res = await ofle(0, 'lo', [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }]);
    expect(res[0]).toMatchObject({ errorCode: 0, partition: 0, endOffset: 7n });
  });

  it('v4 answers epoch and end offset, -1 for unknown epochs, and fences', async () => {
    const res = await ofle(4, 'lo', [
      { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
    ]);
    expect(res[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 7n });
    const newer = await ofle(4, 'lo', [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 5 }]);
    expect(newer[0]).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    const undef = await ofle(4, 'lo', [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: -1 }]);
    expect(undef[0]).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    const fenced = await ofle(4, 'lo', [{ partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0 }]);
    expect(fenced[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1n });
    const unknown = await ofle(4, 'lo', [{ partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 }]);
    expect(unknown[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, endOffset: -1n });
    const empty = await ofle(3, 'lo-empty', [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }], 1);
    expect(empty[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 0n });
  });
});

describe('DeleteRecords', () => {
  async function deleteRecords(version: number, topic: string, partitions: Array<{ partitionIndex: number; offset: bigint }>) {
    const res = await h.client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, version, {
      ...defaultDeleteRecordsRequest(),
      timeoutMs: 5000,
      topics: [{ name: topic, partitions }],
    });
    return res.topics[0]!.partitions;
  }

  it('moves the log start, to the high watermark for -1, and refuses offsets out of range', async () => {
    await createTopic(h.client, 'dr', 2);
    await produceBatch(h.client, 'dr', 0, [10n, 11n, 12n, 13n]);
    await produceBatch(h.client, 'dr', 1, [10n, 11n]);
    const v0 = await deleteRecords(0, 'dr', [
      { partitionIndex: 0, offset: 2n },
      { partitionIndex: 1, offset: 5n },
      { partitionIndex: 7, offset: 0n },
    ]);
    expect(v0).toEqual([
      { partitionIndex: 0, errorCode: 0, lowWatermark: 2n },
      { partitionIndex: 1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n },
      { partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1n },
    ]);
    const earliest = await listOffsets(4, 'dr', [part(0, -2n)]);
    expect(earliest[0]).toMatchObject({ offset: 2n, leaderEpoch: 0 });

    const v2 = await deleteRecords(2, 'dr', [
      { partitionIndex: 0, offset: -1n },
      { partitionIndex: 1, offset: -3n },
    ]);
    expect(v2).toEqual([
      expect.objectContaining({ partitionIndex: 0, errorCode: 0, lowWatermark: 4n }),
      expect.objectContaining({ partitionIndex: 1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n }),
    ]);
    const afterAll = await listOffsets(1, 'dr', [part(0, -2n), part(1, -2n)]);
    expect(afterAll.map((p) => p.offset)).toEqual([4n, 0n]);
  });

  it('refuses compacted topics and internal topics', async () => {
    await createTopic(h.client, 'dr-compact', 1, { 'cleanup.policy': 'compact' });
    const compact = await deleteRecords(1, 'dr-compact', [{ partitionIndex: 0, offset: 0n }]);
    expect(compact[0]).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1n });
    const internal = await deleteRecords(1, '__transaction_state', [{ partitionIndex: 0, offset: 0n }]);
    expect(internal[0]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, lowWatermark: -1n });
    const unknown = await deleteRecords(2, 'dr-none', [{ partitionIndex: 0, offset: 0n }]);
    expect(unknown[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1n });
  });
});
