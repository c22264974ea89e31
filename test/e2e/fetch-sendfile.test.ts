/**
 * Fetch from segment files (the tail cache is off, so every read is cold and goes out as
 * file regions with sendfile): records come back whole and in order, responses keep their
 * order on a pipelined connection, and a consumer that stops reading holds up only its own
 * connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { codec as fetchCodec, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../../src/protocol/generated/001-fetch.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { defaultRequestHeader } from '../../src/protocol/generated/headers.js';
import { defaultMetadataRequest } from '../../src/protocol/generated/003-metadata.js';
import { RawClient } from '../support/raw-client.js';
import { fetchPartition } from '../support/fetch-all.js';

const TOPIC = 'cold';
const RECORDS = 6_000;
const VALUE = 'v'.repeat(1000);
let broker: RunningBroker;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-sendfile-e2e-'));
  broker = await startBroker({ dataDir, config: { 'skiff.tail.cache.bytes': 0 } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'sendfile', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let start = 0; start < RECORDS; start += 500) {
    const messages = [];
    for (let i = start; i < start + 500; i++) messages.push({ key: String(i), value: `${i}:${VALUE}` });
    await producer.send({ topic: TOPIC, messages });
  }
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function fetchRequest(fetchOffset: bigint, isolationLevel = 0) {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 64 * 1024 * 1024,
    isolationLevel,
    topics: [{ ...defaultFetchTopic(), topic: TOPIC, partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset, partitionMaxBytes: 64 * 1024 * 1024 }] }],
  };
}

describe('fetch served with sendfile', () => {
  it('reads every record back in order', async () => {
    const client = await RawClient.connect('127.0.0.1', broker.port);
    try {
      const { records, highWatermark } = await fetchPartition(client, TOPIC, 0);
      expect(highWatermark).toBe(BigInt(RECORDS));
      expect(records.map((r) => r.value!.toString().split(':')[0])).toEqual(Array.from({ length: RECORDS }, (_, i) => String(i)));
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: RECORDS }, (_, i) => BigInt(i)));
    } finally {
      await client.close();
    }
  });

  it('keeps pipelined responses in order around file regions (read_committed too)', async () => {
    const client = await RawClient.connect('127.0.0.1', broker.port);
    try {
      const [a, meta, b, c] = await Promise.all([
        client.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest(0n)),
        client.request(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null }),
        client.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest(3000n, 1)),
        client.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest(BigInt(RECORDS))),
      ]);
      const size = (r: FetchResponse) => (r.responses[0]!.partitions[0]!.records as Buffer).length;
      expect(size(a)).toBeGreaterThan(RECORDS * 1000);
      expect(meta.topics.some((t: { name: string }) => t.name === TOPIC)).toBe(true);
      expect(size(b)).toBeGreaterThan(3000 * 1000);
      expect(size(b)).toBeLessThan(size(a));
      expect(b.responses[0]!.partitions[0]!.abortedTransactions).toEqual([]);
      expect(b.responses[0]!.partitions[0]!.lastStableOffset).toBe(BigInt(RECORDS));
      expect(size(c)).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('a consumer that stops reading does not hold up another connection', async () => {
    // A raw socket that asks for everything and never reads: its response stalls in sendfile.
    const stalled = connect(broker.port, '127.0.0.1');
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.pause();
    const header = { ...defaultRequestHeader(), requestApiKey: ApiKey.Fetch, requestApiVersion: 12, correlationId: 1, clientId: 'stalled' };
    for (let i = 0; i < 4; i++) stalled.write(encodeRequestFrame(fetchCodec, { ...header, correlationId: i + 1 }, fetchRequest(0n)));
    await new Promise((r) => setTimeout(r, 300));
    const client = await RawClient.connect('127.0.0.1', broker.port);
    try {
      // Held up, this fetch would never be answered and the test would time out.
      const { records } = await fetchPartition(client, TOPIC, 0);
      expect(records.length).toBe(RECORDS);
    } finally {
      await client.close();
      stalled.destroy();
    }
  });
});
