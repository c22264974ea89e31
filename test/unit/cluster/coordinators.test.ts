/**
 * Coordinators in a virtual cluster: committed offsets survive their coordinator's broker
 * stopping (the new leader of the __consumer_offsets partition replays it), and a transaction
 * over partitions led by different brokers commits and aborts on each of them.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { partitionForKey } from '../../../src/coordinator/partitioner.js';

let cluster: RunningCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 50 } });
  kafka = new Kafka({ brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
});

afterAll(async () => {
  await cluster?.close();
});

describe('coordinators in a virtual cluster', () => {
  it('keeps a group\'s committed offsets when its coordinator\'s broker stops', async () => {
    await cluster.createTopic('co', { partitions: 3, replicationFactor: 3 });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: 'moving', topic: 'co', partitions: [0, 1, 2].map((partition) => ({ partition, offset: String(partition + 5) })) });
      const p = partitionForKey('moving', 50);
      const before = cluster.controller.partition('__consumer_offsets', p)!.leader;
      await cluster.stopBroker(before);
      const after = cluster.controller.partition('__consumer_offsets', p)!.leader;
      expect(after).not.toBe(before);
      const offsets = await admin.fetchOffsets({ groupId: 'moving', topics: ['co'] });
      expect(offsets[0]!.partitions.map((x) => [x.partition, x.offset]).sort()).toEqual([[0, '5'], [1, '6'], [2, '7']]);
      await cluster.startBroker(before);
    } finally {
      await admin.disconnect();
    }
  });

  it('commits and aborts a transaction over partitions led by different brokers', async () => {
    await cluster.createTopic('tx', { partitions: 3, replicationFactor: 3 });
    expect(new Set([0, 1, 2].map((p) => cluster.controller.partition('tx', p)!.leader)).size).toBe(3);
    const producer = kafka.producer({ transactionalId: 'tx-1', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'tx', messages: [0, 1, 2].map((partition) => ({ partition, value: `c${partition}` })) });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'tx', messages: [0, 1, 2].map((partition) => ({ partition, value: `a${partition}` })) });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: 'tx', messages: [0, 1, 2].map((partition) => ({ partition, value: `d${partition}` })) });
    await last.commit();
    await producer.disconnect();
    // read_committed, as kafkajs consumers read by default: the aborted records never show.
    const consumer = kafka.consumer({ groupId: 'tx-check', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'tx', fromBeginning: true });
    const read: string[][] = [[], [], []];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            read[partition]!.push(message.value!.toString());
            if (read.flat().length === 6) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(read).toEqual([0, 1, 2].map((p) => [`c${p}`, `d${p}`]));
  });
});
