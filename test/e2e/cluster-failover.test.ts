/**
 * A 3-broker virtual cluster under a real client: kafkajs produces idempotently with
 * acks=all while the leader of a partition is stopped and later restarted from its data dir;
 * every acknowledged record must then be read back exactly once, in order, by a consumer group
 * (whose coordinator may have moved with the stopped broker).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../src/index.js';

let cluster: RunningCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-failover-'));
  cluster = await startBroker({ brokers: 3, dataDir: dir, config: { 'replica.fetch.wait.max.ms': 50, 'replica.lag.time.max.ms': 2000 } });
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('virtual cluster failover', () => {
  it('keeps every record kafkajs got acknowledged, exactly once and in order, across a leader stop and restart', async () => {
    const topic = 'orders';
    await cluster.createTopic(topic, { partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const kafka = new Kafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'failover', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const acked: string[][] = [[], [], []];
    const victim = cluster.controller.partition(topic, 0)!.leader;
    let stopping: Promise<void> | undefined;
    for (let i = 0; i < 150; i++) {
      // The stop lands while records to the victim are in flight, not between two sends.
      if (i === 48) stopping = new Promise((r) => setTimeout(r, 1)).then(() => cluster.stopBroker(victim));
      if (i === 100) {
        await stopping;
        await cluster.startBroker(victim);
      }
      const partition = i < 60 ? 0 : i % 3;
      const value = `r${i}`;
      try {
        await producer.send({ topic, acks: -1, messages: [{ partition, value }] });
        acked[partition]!.push(value);
      } catch {
        // Not acknowledged: it may or may not be stored, but must not be stored twice.
      }
    }
    await producer.disconnect();
    expect(acked.flat().length).toBeGreaterThan(140);
    expect(cluster.controller.partition(topic, 0)!.leader).not.toBe(-1);

    const consumer = kafka.consumer({ groupId: 'failover-check', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: string[][] = [[], [], []];
    const total = acked.flat().length;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            read[partition]!.push(message.value!.toString());
            if (read.flat().length >= total) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    for (let p = 0; p < 3; p++) {
      const stored = read[p]!;
      expect(new Set(stored).size).toBe(stored.length);
      expect(stored.filter((v) => acked[p]!.includes(v))).toEqual(acked[p]);
    }
    // The restarted broker caught up with the leader and is back in the ISR.
    const s = cluster.controller.partition(topic, 0)!;
    for (let i = 0; i < 500 && !s.isr.includes(victim); i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.isr).toContain(victim);
    expect(cluster.partitionLog(victim, topic, 0)!.logEndOffset).toBe(cluster.partitionLog(s.leader, topic, 0)!.logEndOffset);
  });
});
