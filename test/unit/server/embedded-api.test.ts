import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FixtureError, startBroker, type RunningBroker } from '../../../src/index.js';
import { TestClient, captureLogger } from './helpers.js';

async function withBroker(fn: (broker: RunningBroker) => Promise<void>): Promise<void> {
  const broker = await startBroker({ logLevel: 'silent' });
  try {
    await fn(broker);
  } finally {
    await broker.close();
  }
}

describe('startBroker', () => {
  it('starts on a free loopback port by default and closes', async () => {
    const broker = await startBroker({ memory: true, logLevel: 'silent' });
    expect(broker.host).toBe('127.0.0.1');
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.port).not.toBe(9092);
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    const client = await TestClient.open(broker.port);
    await broker.close();
    await client.closed;
  });

  it('keeps nothing on disk when no option names a place for data', async () => {
    const { logger, lines } = captureLogger('info');
    const broker = await startBroker({ logger });
    await broker.close();
    const listening = lines.find((l) => String(l.msg).startsWith('Skiff listening'))!;
    expect(listening.memory).toBe(true);
    expect(listening.dataDir).toBeNull();
  });

  it('writes to dataDir when given one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-embedded-'));
    try {
      const broker = await startBroker({ dataDir: dir, logLevel: 'silent' });
      await broker.createTopic('on-disk');
      await broker.produce('on-disk', [{ value: 'kept' }]);
      await broker.close();
      expect(readdirSync(dir)).toContain('on-disk-0');
      const again = await startBroker({ dataDir: dir, logLevel: 'silent' });
      // Served from the segment file (as a file region where sendfile is available).
      expect((await again.consume('on-disk')).map((r) => r.value?.toString())).toEqual(['kept']);
      await expect(again.reset()).rejects.toThrow(/memory broker/);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fixture helpers', () => {
  it('createTopic, produce and consume go through the broker as a client would', () =>
    withBroker(async (broker) => {
      await broker.createTopic('orders', { partitions: 2, configs: { 'cleanup.policy': 'compact' } });
      const at = await broker.produce('orders', [
        { key: 'k1', value: 'one', headers: { source: 'test' }, timestamp: 1_700_000_000_000 },
        { key: 'k2', value: Buffer.from('two'), partition: 1 },
        { key: 'k3', value: null },
      ]);
      expect(at).toEqual([
        { partition: 0, offset: 0n },
        { partition: 1, offset: 0n },
        { partition: 0, offset: 1n },
      ]);
      const p0 = await broker.consume('orders');
      expect(p0.map((r) => [r.offset, r.key?.toString(), r.value?.toString() ?? null])).toEqual([
        [0n, 'k1', 'one'],
        [1n, 'k3', null],
      ]);
      expect(p0[0]!.headers.source?.toString()).toBe('test');
      expect(p0[0]!.timestamp).toBe(1_700_000_000_000n);
      expect((await broker.consume('orders', { partition: 1 })).map((r) => r.value?.toString())).toEqual(['two']);
      expect(await broker.consume('orders', { fromOffset: 1n, maxRecords: 1 })).toHaveLength(1);

      // A real client sees the same topic and records.
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [meta] = (await admin.fetchTopicMetadata({ topics: ['orders'] })).topics;
        expect(meta!.partitions).toHaveLength(2);
        const offsets = await admin.fetchTopicOffsets('orders');
        expect(offsets.find((o) => o.partition === 0)!.high).toBe('2');
      } finally {
        await admin.disconnect();
      }
    }));

  it('reports Kafka error codes', () =>
    withBroker(async (broker) => {
      await broker.createTopic('dup');
      await expect(broker.createTopic('dup')).rejects.toMatchObject({ errorCode: 36 }); // TOPIC_ALREADY_EXISTS
      const err = await broker.produce('dup', [{ value: 'x', partition: 5 }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FixtureError);
      expect((err as FixtureError).errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
    }));
});

describe('reset', () => {
  it('forgets topics, records and groups while connections stay open', () =>
    withBroker(async (broker) => {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await broker.createTopic('before');
        await broker.produce('before', [{ value: 'a' }, { value: 'b' }]);
        await admin.setOffsets({ groupId: 'g1', topic: 'before', partitions: [{ partition: 0, offset: '1' }] });
        expect((await admin.listGroups()).groups.map((g) => g.groupId)).toEqual(['g1']);

        await broker.reset();

        // The admin client's connection survived and sees an empty broker. (kafkajs keeps
        // asking for the topics it knew, so the topic is back before the group checks.)
        expect(await admin.listTopics()).not.toContain('before');
        await broker.createTopic('before');
        expect((await admin.listGroups()).groups).toEqual([]);
        const [committed] = await admin.fetchOffsets({ groupId: 'g1', topics: ['before'] });
        expect(committed!.partitions[0]!.offset).toBe('-1');
        expect(await broker.consume('before')).toEqual([]);
        await broker.produce('before', [{ value: 'c' }]);
        expect((await broker.consume('before')).map((r) => [r.offset, r.value?.toString()])).toEqual([[0n, 'c']]);
      } finally {
        await admin.disconnect();
      }
    }));
});
