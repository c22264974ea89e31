/** CreateTopics, DeleteTopics and CreatePartitions over the raw protocol, old and new versions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import {
  type CreatableTopic,
  type CreateTopicsResponse,
  defaultCreatableTopic,
  defaultCreateTopicsRequest,
} from '../../../src/protocol/generated/019-create-topics.js';
import { type DeleteTopicsResponse, defaultDeleteTopicsRequest } from '../../../src/protocol/generated/020-delete-topics.js';
import { type CreatePartitionsResponse, defaultCreatePartitionsRequest } from '../../../src/protocol/generated/037-create-partitions.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';
import type { RawClient } from '../../support/raw-client.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h.close();
});

function topic(name: string, over: Partial<CreatableTopic> = {}): CreatableTopic {
  return { ...defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1, ...over };
}

function create(version: number, topics: CreatableTopic[], validateOnly = false): Promise<CreateTopicsResponse> {
  return h.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, version, { ...defaultCreateTopicsRequest(), timeoutMs: 5000, validateOnly, topics });
}

async function partitionsOf(client: RawClient, name: string): Promise<number | undefined> {
  const res = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    ...defaultMetadataRequest(),
    allowAutoTopicCreation: false,
    topics: [{ name, topicId: ZERO_UUID }],
  });
  const t = res.topics[0]!;
  return t.errorCode === 0 ? t.partitions.length : undefined;
}

describe('CreateTopics', () => {
  it('v0 creates, then refuses an existing name, a replication factor above the broker count and an illegal name', async () => {
    const ok = await create(0, [topic('ct-v0', { numPartitions: 3 })]);
    expect(ok.topics).toHaveLength(1);
    expect(ok.topics[0]!.name).toBe('ct-v0');
    expect(ok.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await partitionsOf(h.client, 'ct-v0')).toBe(3);

    const again = await create(0, [topic('ct-v0'), topic('ct-rf', { replicationFactor: 3 }), topic('bad name!')]);
    expect(again.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['ct-v0', ErrorCode.TOPIC_ALREADY_EXISTS],
      ['ct-rf', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ]);
    expect(await partitionsOf(h.client, 'ct-rf')).toBeUndefined();
  });

  it('v7 answers the topic id, partitions, replication factor and the effective configs with sources', async () => {
    const res = await create(7, [topic('ct-v7', { numPartitions: 2, configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '1000' }] })]);
    const t = res.topics[0]!;
    expect(t.errorCode).toBe(ErrorCode.NONE);
    expect(t.errorMessage).toBeNull();
    expect(t.topicId).not.toBe(ZERO_UUID);
    expect(t.numPartitions).toBe(2);
    expect(t.replicationFactor).toBe(1);
    const names = t.configs!.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    const policy = t.configs!.find((c) => c.name === 'cleanup.policy')!;
    expect(policy).toMatchObject({ value: 'compact', configSource: 1, readOnly: false, isSensitive: false });
    expect(t.configs!.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    expect(t.configs!.find((c) => c.name === 'segment.bytes')).toMatchObject({ configSource: 5 });

    const meta = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, {
      ...defaultMetadataRequest(),
      topics: [{ name: 'ct-v7', topicId: ZERO_UUID }],
    });
    expect(meta.topics[0]!.topicId).toBe(t.topicId);
  });

  it('v7 refuses a name given twice, once per name and after the others, and creates neither copy', async () => {
    const res = await create(7, [topic('ct-dup'), topic('ct-single'), topic('ct-dup', { numPartitions: 4 })]);
    expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['ct-single', ErrorCode.NONE, null],
      ['ct-dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ]);
    expect(await partitionsOf(h.client, 'ct-dup')).toBeUndefined();
    expect(await partitionsOf(h.client, 'ct-single')).toBe(1);
  });

  it('validateOnly checks and describes without creating', async () => {
    const res = await create(7, [topic('ct-dry', { numPartitions: -1, replicationFactor: -1 })], true);
    const t = res.topics[0]!;
    expect(t.errorCode).toBe(ErrorCode.NONE);
    expect(t.numPartitions).toBe(1);
    expect(t.replicationFactor).toBe(1);
    expect(t.configs!.length).toBeGreaterThan(5);
    expect(await partitionsOf(h.client, 'ct-dry')).toBeUndefined();
    const bad = await create(5, [topic('ct-dry-bad', { replicationFactor: 2 })], true);
    expect(bad.topics[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(bad.topics[0]!.errorMessage).toBe(
      'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.',
    );
  });

  it('v7 refuses bad partitions, configs and assignments with messages', async () => {
    const res = await create(7, [
      topic('ct-zero', { numPartitions: 0 }),
      topic('ct-badcfg', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      topic('ct-nocfg', { configs: [{ name: 'no.such.config', value: '1' }] }),
      topic('ct-gap', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }] }),
      topic('ct-twice', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] }),
      topic('ct-stranger', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }] }),
      topic('ct-assigned', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] }),
    ]);
    const byName = new Map(res.topics.map((t) => [t.name, t]));
    expect(byName.get('ct-zero')).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Number of partitions was set to an invalid non-positive value.' });
    expect(byName.get('ct-badcfg')!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(byName.get('ct-badcfg')!.errorMessage).toContain('retention.ms');
    expect(byName.get('ct-nocfg')!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(byName.get('ct-gap')).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'partitions should be a consecutive 0-based integer sequence' });
    expect(byName.get('ct-twice')).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Found multiple manual partition assignments for partition 0' });
    expect(byName.get('ct-stranger')!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(byName.get('ct-assigned')).toMatchObject({ errorCode: ErrorCode.NONE, numPartitions: 2, replicationFactor: 1 });
    expect(res.topics.find((t) => t.name === 'ct-zero')!.numPartitions).toBe(-1);
    expect(await partitionsOf(h.client, 'ct-assigned')).toBe(2);
    expect(await partitionsOf(h.client, 'ct-gap')).toBeUndefined();
  });
});

describe('DeleteTopics', () => {
  it('v0 deletes by name and answers UNKNOWN_TOPIC_OR_PARTITION for a missing one', async () => {
    await createTopic(h.client, 'dt-v0');
    const res = await h.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 0, { ...defaultDeleteTopicsRequest(), timeoutMs: 5000, topicNames: ['dt-v0', 'dt-missing'] });
    expect(res.responses.map((r) => [r.name, r.errorCode]).sort()).toEqual([
      ['dt-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['dt-v0', ErrorCode.NONE],
    ]);
    expect(await partitionsOf(h.client, 'dt-v0')).toBeUndefined();
  });

  it('v6 deletes by id and by name, with Kafka\'s INVALID_REQUEST cases', async () => {
    const idA = await createTopic(h.client, 'dt-a');
    await createTopic(h.client, 'dt-b');
    const idC = await createTopic(h.client, 'dt-c');
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const res = await h.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
      ...defaultDeleteTopicsRequest(),
      timeoutMs: 5000,
      topics: [
        { name: null, topicId: idA },
        { name: 'dt-b', topicId: ZERO_UUID },
        { name: 'dt-c', topicId: idC },
        { name: null, topicId: ZERO_UUID },
        { name: 'dt-x', topicId: ZERO_UUID },
        { name: 'dt-x', topicId: ZERO_UUID },
        { name: null, topicId: unknownId },
        { name: 'dt-gone', topicId: ZERO_UUID },
      ],
    });
    const rows = res.responses.map((r) => ({ name: r.name, id: r.topicId, code: r.errorCode, msg: r.errorMessage }));
    expect(rows).toEqual(
      expect.arrayContaining([
        { name: 'dt-a', id: idA, code: ErrorCode.NONE, msg: null },
        { name: 'dt-b', id: expect.not.stringMatching(ZERO_UUID), code: ErrorCode.NONE, msg: null },
        { name: 'dt-c', id: idC, code: ErrorCode.INVALID_REQUEST, msg: 'You may not specify both topic name and topic id.' },
        { name: null, id: ZERO_UUID, code: ErrorCode.INVALID_REQUEST, msg: 'Neither topic name nor id were specified.' },
        { name: 'dt-x', id: ZERO_UUID, code: ErrorCode.INVALID_REQUEST, msg: 'Duplicate topic name.' },
        { name: null, id: unknownId, code: ErrorCode.UNKNOWN_TOPIC_ID, msg: 'This server does not host this topic ID.' },
        { name: 'dt-gone', id: ZERO_UUID, code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, msg: 'This server does not host this topic-partition.' },
      ]),
    );
    expect(rows).toHaveLength(7);
    expect(await partitionsOf(h.client, 'dt-a')).toBeUndefined();
    expect(await partitionsOf(h.client, 'dt-b')).toBeUndefined();
    expect(await partitionsOf(h.client, 'dt-c')).toBe(1);
  });

  it('refuses internal topics', async () => {
    // The group coordinator may have created it already.
    if ((await partitionsOf(h.client, '__consumer_offsets')) === undefined) await createTopic(h.client, '__consumer_offsets');
    const partitions = await partitionsOf(h.client, '__consumer_offsets');
    const res = await h.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, { ...defaultDeleteTopicsRequest(), timeoutMs: 5000, topicNames: ['__consumer_offsets'] });
    expect(res.responses[0]).toMatchObject({ name: '__consumer_offsets', errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: 'Cannot delete internal topic __consumer_offsets' });
    expect(partitions).toBeGreaterThan(0);
    expect(await partitionsOf(h.client, '__consumer_offsets')).toBe(partitions);
  });
});

describe('DeleteTopics with delete.topic.enable=false', () => {
  it('answers INVALID_REQUEST before v3 and TOPIC_DELETION_DISABLED from v3', async () => {
    const off = await openHarness({ config: { 'delete.topic.enable': false } });
    try {
      await createTopic(off.client, 'kept');
      const v2 = await off.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 2, { ...defaultDeleteTopicsRequest(), timeoutMs: 1000, topicNames: ['kept'] });
      expect(v2.responses.map((r) => [r.name, r.errorCode])).toEqual([['kept', ErrorCode.INVALID_REQUEST]]);
      const v6 = await off.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
        ...defaultDeleteTopicsRequest(),
        timeoutMs: 1000,
        topics: [{ name: 'kept', topicId: ZERO_UUID }],
      });
      expect(v6.responses.map((r) => [r.name, r.errorCode])).toEqual([['kept', ErrorCode.TOPIC_DELETION_DISABLED]]);
      expect(await partitionsOf(off.client, 'kept')).toBe(1);
    } finally {
      await off.close();
    }
  });
});

describe('CreatePartitions', () => {
  it('v0 grows a topic; refuses no increase, unknown topics and duplicates', async () => {
    await createTopic(h.client, 'cp-a', 1);
    const res = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 0, {
      ...defaultCreatePartitionsRequest(),
      timeoutMs: 5000,
      topics: [
        { name: 'cp-a', count: 3, assignments: null },
        { name: 'cp-missing', count: 2, assignments: null },
        { name: 'cp-dup', count: 2, assignments: null },
        { name: 'cp-dup', count: 3, assignments: null },
      ],
    });
    expect(res.results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ['cp-dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ['cp-a', ErrorCode.NONE, null],
      ['cp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
    ]);
    expect(await partitionsOf(h.client, 'cp-a')).toBe(3);

    const same = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 0, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name: 'cp-a', count: 3, assignments: null }],
    });
    expect(same.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' });
    const fewer = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 1, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name: 'cp-a', count: 2, assignments: null }],
    });
    expect(fewer.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'The topic cp-a currently has 3 partition(s); 2 would not be an increase.' });
  });

  it('v3 checks assignments and honours validateOnly', async () => {
    await createTopic(h.client, 'cp-b', 1);
    const dry = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      ...defaultCreatePartitionsRequest(),
      validateOnly: true,
      topics: [{ name: 'cp-b', count: 4, assignments: null }],
    });
    expect(dry.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await partitionsOf(h.client, 'cp-b')).toBe(1);

    const bad = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name: 'cp-b', count: 3, assignments: [{ brokerIds: [1] }] }],
    });
    expect(bad.results[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
    });
    const stranger = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name: 'cp-b', count: 2, assignments: [{ brokerIds: [5] }] }],
    });
    expect(stranger.results[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'The manual partition assignment includes broker 5, but no such broker is registered.',
    });
    const good = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name: 'cp-b', count: 3, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }],
    });
    expect(good.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await partitionsOf(h.client, 'cp-b')).toBe(3);
  });
});

describe('Metadata by topic id', () => {
  const byId = (topicId: string, name: string | null) => ({ ...defaultMetadataRequest(), allowAutoTopicCreation: false, topics: [{ topicId, name }] });

  it('v12 answers the topic for its id whatever the name (kafka-topics --describe --topic-id sends "")', async () => {
    const id = await createTopic(h.client, 'md-by-id', 2);
    for (const name of ['', null, 'md-other']) {
      const res = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, byId(id, name));
      expect(res.topics.map((t) => [t.errorCode, t.name, t.topicId, t.partitions.length])).toEqual([[ErrorCode.NONE, 'md-by-id', id, 2]]);
    }
    const unknown = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, byId('_____________________w', ''));
    expect(unknown.topics.map((t) => [t.errorCode, t.name])).toEqual([[ErrorCode.UNKNOWN_TOPIC_ID, null]]);
  });

  it('v10 and v11 refuse an id with INVALID_REQUEST and keep the connection', async () => {
    const id = await createTopic(h.client, 'md-by-id-v10');
    for (const v of [10, 11]) {
      const res = await h.client.request<MetadataResponse>(ApiKey.Metadata, v, byId(id, null));
      expect(res.topics.map((t) => [t.errorCode, t.name])).toEqual([[ErrorCode.INVALID_REQUEST, '']]);
      expect([res.brokers.length, res.controllerId]).toEqual([0, -1]);
    }
    expect((await h.client.request<MetadataResponse>(ApiKey.Metadata, 11, byId(ZERO_UUID, 'md-by-id-v10'))).topics[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});
