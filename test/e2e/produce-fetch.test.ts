import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { RawClient } from '../support/raw-client.js';
import { fetchPartition } from '../support/fetch-all.js';

const PARTITIONS = 6;
const RECORDS = 100_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function readAll(bootstrapHost: string, port: number, topic: string) {
  const client = await RawClient.connect(bootstrapHost, port);
  try {
    const parts = [];
    for (let p = 0; p < PARTITIONS; p++) parts.push(await fetchPartition(client, topic, p));
    return parts;
  } finally {
    await client.close();
  }
}

describe('kafkajs produces, the log serves it back, and it survives a restart', () => {
  it('100k keyed records with headers across 6 partitions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
    dirs.push(dataDir);
    let broker = await startBroker({ dataDir });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'e2e', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] })).toBe(true);
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const expected = new Map<number, string[]>();
    const batchSize = 2_000;
    for (let start = 0; start < RECORDS; start += batchSize) {
      const messages = [];
      for (let i = start; i < start + batchSize; i++) {
        const partition = i % PARTITIONS;
        const value = `value-${i}`;
        messages.push({ key: `key-${i}`, value, partition, headers: { seq: String(i), kind: i % 2 ? 'odd' : 'even' } });
        (expected.get(partition) ?? expected.set(partition, []).get(partition)!).push(value);
      }
      await producer.send({ topic: 'orders', messages, acks: -1, compression: start % 4000 === 0 ? CompressionTypes.GZIP : CompressionTypes.None });
    }
    await producer.disconnect();

    const check = (parts: Awaited<ReturnType<typeof readAll>>) => {
      let total = 0;
      parts.forEach((part, p) => {
        const values = part.records.map((r) => r.value!.toString());
        expect(values).toEqual(expected.get(p));
        part.records.forEach((r, i) => {
          expect(r.offset).toBe(BigInt(i));
          const seq = Number(r.headers.find((h) => h.key === 'seq')!.value!.toString());
          expect(r.key!.toString()).toBe(`key-${seq}`);
          expect(seq % PARTITIONS).toBe(p);
        });
        expect(part.highWatermark).toBe(BigInt(part.records.length));
        total += part.records.length;
      });
      expect(total).toBe(RECORDS);
    };

    check(await readAll('127.0.0.1', broker.port, 'orders'));

    // The same records through kafkajs's own consumer, in per-partition order.
    const consumer = kafka.consumer({ groupId: 'e2e-reader', maxBytes: 4 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen = new Map<number, string[]>();
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const list = seen.get(batch.partition) ?? seen.set(batch.partition, []).get(batch.partition)!;
            for (const m of batch.messages) list.push(m.value!.toString());
            count += batch.messages.length;
            if (count >= RECORDS) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    for (let p = 0; p < PARTITIONS; p++) expect(seen.get(p)).toEqual(expected.get(p));

    await broker.close();
    broker = await startBroker({ dataDir });
    check(await readAll('127.0.0.1', broker.port, 'orders'));
    await broker.close();
  }, 120_000);
});
