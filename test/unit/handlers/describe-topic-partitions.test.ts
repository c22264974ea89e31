/** DescribeTopicPartitions (key 75) over the raw protocol: listing, unknown names, pagination. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_OPERATIONS } from '../../../src/cluster/authorized-operations.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { type ApiVersionsResponse, defaultApiVersionsRequest } from '../../../src/protocol/generated/018-api-versions.js';
import {
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsRequest,
} from '../../../src/protocol/generated/075-describe-topic-partitions.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness;
const ids: Record<string, string> = {};
beforeAll(async () => {
  h = await openHarness();
  // Created out of name order: answers come in name order.
  ids['dtp-c'] = await createTopic(h.client, 'dtp-c', 1);
  ids['dtp-a'] = await createTopic(h.client, 'dtp-a', 3);
  ids['dtp-b'] = await createTopic(h.client, 'dtp-b', 2);
});
afterAll(async () => {
  await h.close();
});

function describeTopics(over: Partial<DescribeTopicPartitionsRequest>): Promise<DescribeTopicPartitionsResponse> {
  return h.client.request<DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, { ...defaultDescribeTopicPartitionsRequest(), ...over });
}

const named = (...names: string[]) => names.map((name) => ({ name }));
/** topic name -> partition indexes, in answer order. */
const shape = (res: DescribeTopicPartitionsResponse) => res.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]);

describe('DescribeTopicPartitions', () => {
  it('is advertised by ApiVersions as v0', async () => {
    const res = await h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(res.apiKeys.find((k) => k.apiKey === ApiKey.DescribeTopicPartitions)).toMatchObject({ minVersion: 0, maxVersion: 0 });
  });

  it('describes named topics in name order, once each, with the one broker as leader and no ELR', async () => {
    const res = await describeTopics({ topics: named('dtp-b', 'dtp-a', 'dtp-b') });
    expect(res.nextCursor).toBeNull();
    expect(shape(res)).toEqual([
      ['dtp-a', [0, 1, 2]],
      ['dtp-b', [0, 1]],
    ]);
    const a = res.topics[0]!;
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, topicId: ids['dtp-a'], isInternal: false, topicAuthorizedOperations: TOPIC_OPERATIONS });
    expect(a.partitions[1]).toEqual({
      errorCode: ErrorCode.NONE,
      partitionIndex: 1,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [],
      unknownTaggedFields: undefined,
    });
  });

  it('answers unknown and illegal names with an error, the zero id and no partitions', async () => {
    const res = await describeTopics({ topics: named('dtp-missing', 'dtp-a', 'bad name!', '__consumer_offsets_no') });
    const byName = new Map(res.topics.map((t) => [t.name, t]));
    expect(res.topics.map((t) => t.name)).toEqual(['__consumer_offsets_no', 'bad name!', 'dtp-a', 'dtp-missing']);
    expect(byName.get('dtp-missing')).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicId: ZERO_UUID, isInternal: false, partitions: [] });
    expect(byName.get('bad name!')).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, topicId: ZERO_UUID, partitions: [] });
    expect(byName.get('dtp-a')!.partitions).toHaveLength(3);
  });

  it('an empty topic list describes every topic, as Metadata lists them, and never auto-creates', async () => {
    const res = await describeTopics({ topics: [] });
    const meta = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null });
    const all = meta.topics.map((t) => t.name!).sort();
    expect(res.topics.map((t) => t.name)).toEqual(all);
    expect(all).toEqual(expect.arrayContaining(['dtp-a', 'dtp-b', 'dtp-c']));
    expect(res.topics.every((t) => t.errorCode === ErrorCode.NONE)).toBe(true);

    await describeTopics({ topics: named('dtp-not-created') });
    const after = await describeTopics({ topics: [] });
    expect(after.topics.map((t) => t.name)).not.toContain('dtp-not-created');
  });

  it('pages with responsePartitionLimit and the cursor, as Kafka does', async () => {
    const topics = named('dtp-a', 'dtp-b', 'dtp-c');
    // The limit cuts dtp-a: the cursor points at its first partition left out.
    const p1 = await describeTopics({ topics, responsePartitionLimit: 2 });
    expect(shape(p1)).toEqual([['dtp-a', [0, 1]]]);
    expect(p1.nextCursor).toMatchObject({ topicName: 'dtp-a', partitionIndex: 2 });

    const p2 = await describeTopics({ topics, responsePartitionLimit: 2, cursor: p1.nextCursor });
    expect(shape(p2)).toEqual([
      ['dtp-a', [2]],
      ['dtp-b', [0]],
    ]);
    expect(p2.nextCursor).toMatchObject({ topicName: 'dtp-b', partitionIndex: 1 });

    // The limit used up exactly at a topic's end: the cursor names the next topic, partition 0.
    const p3 = await describeTopics({ topics, responsePartitionLimit: 1, cursor: p2.nextCursor });
    expect(shape(p3)).toEqual([['dtp-b', [1]]]);
    expect(p3.nextCursor).toMatchObject({ topicName: 'dtp-c', partitionIndex: 0 });

    const p4 = await describeTopics({ topics, responsePartitionLimit: 2, cursor: p3.nextCursor });
    expect(shape(p4)).toEqual([['dtp-c', [0]]]);
    expect(p4.nextCursor).toBeNull();
  });

  it('an unknown topic does not use up the limit; the cap is 2000 partitions', async () => {
    const res = await describeTopics({ topics: named('dtp-a', 'dtp-aa-missing', 'dtp-b'), responsePartitionLimit: 5 });
    expect(shape(res)).toEqual([
      ['dtp-a', [0, 1, 2]],
      ['dtp-aa-missing', []],
      ['dtp-b', [0, 1]],
    ]);
    expect(res.nextCursor).toBeNull();
    const big = await describeTopics({ topics: named('dtp-a'), responsePartitionLimit: 1_000_000 });
    expect(shape(big)).toEqual([['dtp-a', [0, 1, 2]]]);
  });

  it('when listing all topics the cursor skips the topics named before it', async () => {
    const res = await describeTopics({ topics: [], cursor: { topicName: 'dtp-b', partitionIndex: 1 } });
    const names = res.topics.map((t) => t.name);
    expect(names[0]).toBe('dtp-b');
    expect(res.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([1]);
    expect(names.every((n) => n! >= 'dtp-b')).toBe(true);
    expect(names).toContain('dtp-c');
    // A cursor topic deleted meanwhile is skipped silently.
    const gone = await describeTopics({ topics: [], cursor: { topicName: 'dtp-bb-gone', partitionIndex: 3 } });
    expect(gone.topics[0]!.name).toBe('dtp-c');
    expect(gone.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0]);
  });

  it('a cursor topic missing from the topic list is an INVALID_REQUEST for every topic', async () => {
    const res = await describeTopics({ topics: named('dtp-a', 'dtp-c'), cursor: { topicName: 'dtp-b', partitionIndex: 0 } });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['dtp-a', ErrorCode.INVALID_REQUEST, 0],
      ['dtp-c', ErrorCode.INVALID_REQUEST, 0],
    ]);
    expect(res.nextCursor).toBeNull();
  });
});
