/** TopicManager's lookups hand out one read-only view per topic state instead of a copy per call. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config.js';
import { TopicManager } from '../../../src/cluster/topic-manager.js';
import { createLogger } from '../../../src/log.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import { TopicStore } from '../../../src/storage/topic-store.js';

let topics: TopicManager;
let logs: LogManager;
beforeAll(async () => {
  const config = resolveConfig([{ source: 'test', values: { 'skiff.memory': true } }]);
  const logger = createLogger({ level: 'silent' });
  const store = new MemorySegmentStore();
  logs = await LogManager.open({ store, logger, schedulerIntervalMs: 0 });
  topics = new TopicManager(await TopicStore.open(store), logs, config, logger);
});
afterAll(async () => {
  await logs.close();
});

describe('topic views', () => {
  it('get, byId and list return the same view until the topic changes', async () => {
    const created = await topics.create({ name: 'views', numPartitions: 2, replicationFactor: 1, configs: { 'retention.ms': '1000' } });
    const view = topics.get('views')!;
    expect(view).toBe(created);
    expect(topics.get('views')).toBe(view);
    expect(topics.byId(view.topicId)).toBe(view);
    expect(topics.list().find((t) => t.name === 'views')).toBe(view);
    expect(view).toMatchObject({ name: 'views', partitions: 2, internal: false, configs: { 'retention.ms': '1000' } });
  });

  it('a change gives a new view; the old one keeps the state it was taken in', async () => {
    const before = topics.get('views')!;
    await topics.alterConfigs('views', { 'retention.ms': '2000' }, false);
    const after = topics.get('views')!;
    expect(after).not.toBe(before);
    expect(after.configs['retention.ms']).toBe('2000');
    expect(before.configs['retention.ms']).toBe('1000');
    await topics.createPartitions('views', 3);
    expect(topics.get('views')!.partitions).toBe(3);
    expect(after.partitions).toBe(2);
  });

  it('a view cannot be changed by one caller under the others', () => {
    const view = topics.get('views')! as { partitions: number };
    expect(() => {
      view.partitions = 99;
    }).toThrow(TypeError);
    expect(topics.get('views')!.partitions).toBe(3);
  });

  it('internal topics are marked', async () => {
    await topics.create({ name: '__consumer_offsets', numPartitions: 1, replicationFactor: 1, configs: {} });
    expect(topics.get('__consumer_offsets')!.internal).toBe(true);
  });
});
