/** The admin calls of a real client (kafkajs) against the admin handlers. */
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';

let broker: RunningBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startBroker({ memory: true, logLevel: 'silent' });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});
afterAll(async () => {
  await broker.close();
});

describe('kafkajs admin', () => {
  it('creates, describes, alters, grows, reads offsets of, trims and deletes a topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [{ topic: 'jsadmin', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'jsadmin', numPartitions: 2 }] })).toBe(false);
      await expect(admin.createTopics({ topics: [{ topic: 'jsadmin-rf', replicationFactor: 3 }] })).rejects.toThrow();

      const meta = await admin.fetchTopicMetadata({ topics: ['jsadmin'] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
      expect(meta.topics[0]!.partitions[0]!.leader).toBe(1);

      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'jsadmin', configNames: ['retention.ms', 'cleanup.policy'] }],
      });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries.get('retention.ms')).toMatchObject({ configValue: '86400000', isDefault: false, readOnly: false });
      expect(entries.get('cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true });

      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'jsadmin', configEntries: [{ name: 'cleanup.policy', value: 'delete,compact' }] }],
      });
      const altered = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'jsadmin', configNames: ['retention.ms', 'cleanup.policy'] }],
      });
      const after = new Map(altered.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(after.get('cleanup.policy')!.configValue).toBe('delete,compact');
      // AlterConfigs replaces every override: retention.ms is back to its default.
      expect(after.get('retention.ms')!.isDefault).toBe(true);

      await admin.createPartitions({ topicPartitions: [{ topic: 'jsadmin', count: 3 }] });
      const grown = await admin.fetchTopicMetadata({ topics: ['jsadmin'] });
      expect(grown.topics[0]!.partitions).toHaveLength(3);

      // The topic is compacted now: records need keys.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: 'jsadmin',
        messages: [
          { partition: 0, key: 'k1', value: 'a', timestamp: '1000' },
          { partition: 0, key: 'k2', value: 'b', timestamp: '2000' },
        ],
      });
      await producer.send({ topic: 'jsadmin', messages: [{ partition: 0, key: 'k3', value: 'c', timestamp: '3000' }] });
      await producer.disconnect();

      const offsets = await admin.fetchTopicOffsets('jsadmin');
      const p0 = offsets.find((o) => o.partition === 0)!;
      expect(p0).toMatchObject({ high: '3', low: '0', offset: '3' });
      expect(offsets.find((o) => o.partition === 2)).toMatchObject({ high: '0', low: '0' });

      const byTime = await admin.fetchTopicOffsetsByTimestamp('jsadmin', 2500);
      expect(byTime.find((o) => o.partition === 0)!.offset).toBe('2');

      await admin.deleteTopicRecords({ topic: 'jsadmin', partitions: [{ partition: 0, offset: '2' }] });
      const trimmed = await admin.fetchTopicOffsets('jsadmin');
      expect(trimmed.find((o) => o.partition === 0)).toMatchObject({ high: '3', low: '2' });

      await admin.deleteTopics({ topics: ['jsadmin'] });
      expect(await admin.listTopics()).not.toContain('jsadmin');
    } finally {
      await admin.disconnect();
    }
  });
});
