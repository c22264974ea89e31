/** Kafka's per-request partition caps, and creations that fail midway leaving nothing behind. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config.js';
import { TopicManager } from '../../../src/cluster/topic-manager.js';
import { createLogger } from '../../../src/log.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import {
  type CreatableTopic,
  type CreateTopicsResponse,
  defaultCreatableTopic,
  defaultCreateTopicsRequest,
} from '../../../src/protocol/generated/019-create-topics.js';
import { type CreatePartitionsResponse, defaultCreatePartitionsRequest } from '../../../src/protocol/generated/037-create-partitions.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import { TopicStore } from '../../../src/storage/topic-store.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

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

async function partitionsOf(name: string): Promise<number | undefined> {
  const res = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    ...defaultMetadataRequest(),
    allowAutoTopicCreation: false,
    topics: [{ name, topicId: ZERO_UUID }],
  });
  const t = res.topics[0]!;
  return t.errorCode === 0 ? t.partitions.length : undefined;
}

describe('partitions per request', () => {
  it('CreateTopics over 10000 partitions in total refuses every topic with POLICY_VIOLATION and creates none', async () => {
    const res = await h.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 5000,
      topics: [topic('pl-a', { numPartitions: 5000 }), topic('pl-b', { numPartitions: 5000 }), topic('pl-c', { numPartitions: -1 })],
    });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['pl-a', ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
      ['pl-b', ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
      ['pl-c', ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
    ]);
    for (const name of ['pl-a', 'pl-b', 'pl-c']) expect(await partitionsOf(name)).toBeUndefined();
  });

  it('a single topic asking for Int.MaxValue partitions is refused at once (v0 too)', async () => {
    const res = await h.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 0, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 5000,
      topics: [topic('pl-huge', { numPartitions: 2_147_483_647 })],
    });
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    expect(await partitionsOf('pl-huge')).toBeUndefined();
  });

  it('counts manual assignments against the 10000 partitions; 10000 partitions are still too many metadata records', async () => {
    // Validate-only, so the test does not make 10000 logs: Kafka builds the records all the same.
    const request = (assigned: number, numPartitions = 9999) =>
      h.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        ...defaultCreateTopicsRequest(),
        timeoutMs: 5000,
        validateOnly: true,
        topics: [
          topic('pl-d', { numPartitions }),
          topic('pl-e', { numPartitions: -1, replicationFactor: -1, assignments: [...Array(assigned).keys()].map((i) => ({ partitionIndex: i, brokerIds: [1] })) }),
        ],
      });
    // 10000 partitions pass the partition cap, but with two topic records they make 10002 records.
    const exactly = await request(1);
    expect(exactly.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'],
      [ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'],
    ]);
    const over = await request(2);
    expect(over.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
      [ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
    ]);
    // 9997 + 1 partitions and two topic records: 10000 records, within Kafka's bound.
    const within = await request(1, 9997);
    expect(within.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  });

  it('a config is a metadata record too; a topic that fails its checks adds none', async () => {
    const request = (configs: number, extra: CreatableTopic[] = []) =>
      h.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        ...defaultCreateTopicsRequest(),
        timeoutMs: 5000,
        validateOnly: true,
        topics: [
          topic('pl-f', {
            numPartitions: 9998,
            configs: [
              { name: 'retention.ms', value: '1000' },
              { name: 'cleanup.policy', value: 'delete' },
            ].slice(0, configs),
          }),
          ...extra,
        ],
      });
    expect((await request(1)).topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE]);
    expect((await request(2)).topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([[ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.']]);
    // An invalid name builds no records: 10000 counted, not 10002.
    expect((await request(1, [topic('pl bad name')])).topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION]);
  });

  it('CreatePartitions adding over 10000 partitions refuses every topic with POLICY_VIOLATION', async () => {
    await createTopic(h.client, 'pl-grow', 2);
    await createTopic(h.client, 'pl-grow2', 1);
    const res = await h.client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      ...defaultCreatePartitionsRequest(),
      timeoutMs: 5000,
      topics: [
        { name: 'pl-grow', count: 5002, assignments: null },
        { name: 'pl-grow2', count: 5002, assignments: null },
      ],
    });
    expect(res.results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ['pl-grow', ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'],
      ['pl-grow2', ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'],
    ]);
    expect(await partitionsOf('pl-grow')).toBe(2);
    expect(await partitionsOf('pl-grow2')).toBe(1);
  });
});

describe('a creation that fails midway', () => {
  async function manager(failAtPartition: number) {
    const config = resolveConfig([{ source: 'test', values: { 'skiff.memory': true } }]);
    const logger = createLogger({ level: 'silent' });
    const store = new MemorySegmentStore();
    const logs = await LogManager.open({ store, logger, schedulerIntervalMs: 0 });
    const topics = new TopicManager(await TopicStore.open(store), logs, config, logger);
    const real = logs.createPartition.bind(logs);
    let armed = true;
    logs.createPartition = async (t, p, opts) => {
      if (armed && p === failAtPartition) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return real(t, p, opts);
    };
    return { topics, logs, store, disarm: () => (armed = false) };
  }

  it('CreateTopics leaves no topic and no log, and the name can be created afterwards', async () => {
    const { topics, logs, disarm } = await manager(2);
    await expect(topics.create({ name: 'half', numPartitions: 4, replicationFactor: 1, configs: {} })).rejects.toThrow(/ENOSPC/);
    expect(topics.get('half')).toBeUndefined();
    expect(logs.logs().filter((l) => l.topic === 'half')).toEqual([]);
    disarm();
    const t = await topics.create({ name: 'half', numPartitions: 4, replicationFactor: 1, configs: {} });
    expect(t.partitions).toBe(4);
    expect(logs.logs().filter((l) => l.topic === 'half')).toHaveLength(4);
    await logs.close();
  });

  it('CreatePartitions keeps the old count and removes the new logs', async () => {
    const { topics, logs } = await manager(3);
    await topics.create({ name: 'grow', numPartitions: 2, replicationFactor: 1, configs: {} });
    await expect(topics.createPartitions('grow', 5)).rejects.toThrow(/ENOSPC/);
    expect(topics.get('grow')!.partitions).toBe(2);
    expect(logs.logs().filter((l) => l.topic === 'grow').map((l) => l.partition).sort()).toEqual([0, 1]);
    await logs.close();
  });
});
