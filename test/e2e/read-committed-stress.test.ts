/**
 * Concurrent transactions against a disk-backed broker: several kafkajs transactional
 * producers alternately abort and commit while a read_committed consumer reads the same
 * partitions. The consumer must never deliver a record of an aborted transaction and must
 * deliver every committed one exactly once. Markers of different producers often land in one
 * write here (where the last stable offset once ran ahead of the aborted index), and
 * transactions end out of order, so aborted lists hold entries begun before the fetch offset
 * (which kafkajs mishandled until the list was fitted to the records).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';

const TOPIC = 'txn-stress';
const PARTITIONS = 11;
const PRODUCERS = 4;
const TRANSACTIONS = 10;
const RECORDS = 2_000;

/** A seeded generator, so each run waits the same pseudo-random pauses. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function runProducer(kafka: Kafka, index: number): Promise<void> {
  const producer: Producer = kafka.producer({ transactionalId: `stress-${index}`, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const random = rng(index + 1);
  for (let t = 0; t < TRANSACTIONS; t++) {
    const abort = (t + index) % 2 === 0;
    const txn = await producer.transaction();
    const tag = abort ? 'A' : 'C';
    await txn.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: RECORDS }, (_, i) => ({ partition: i % PARTITIONS, value: `${tag}:${index}:${t}:${i}` })),
    });
    await sleep(10 + Math.floor(random() * 40));
    if (abort) await txn.abort();
    else await txn.commit();
  }
}

it('a read_committed consumer never sees aborted records while transactions end concurrently', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-txn-stress-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const broker = await startBroker({ dataDir: dir, logLevel: 'error', config: { 'group.initial.rebalance.delay.ms': 0 } });
  cleanups.push(() => broker.close());
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-stress', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();

  const aborted: string[] = [];
  const committed = new Set<string>();
  let duplicates = 0;
  const consumer = kafka.consumer({ groupId: 'txn-stress-reader', readUncommitted: false, maxWaitTimeInMs: 50 });
  await consumer.connect();
  cleanups.push(() => consumer.disconnect());
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const v = m.value!.toString();
        if (v.startsWith('A:')) aborted.push(v);
        else if (committed.has(v)) duplicates++;
        else committed.add(v);
      }
    },
  });

  await Promise.all(Array.from({ length: PRODUCERS }, (_, i) => runProducer(kafka, i)));

  // Half of each producer's transactions commit; wait for the consumer to catch up with them.
  const expected = PRODUCERS * (TRANSACTIONS / 2) * RECORDS;
  while (committed.size < expected && aborted.length === 0) await sleep(50);

  expect(aborted.slice(0, 5)).toEqual([]);
  expect(aborted.length).toBe(0);
  expect(committed.size).toBe(expected);
  expect(duplicates).toBe(0);
});
