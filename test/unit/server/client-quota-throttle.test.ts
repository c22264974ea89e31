/**
 * Quota enforcement: which quota applies to a (user, client-id), the throttle time Kafka's
 * formula gives, the throttle time in answers and the muted connection (KIP-219), and a real
 * client (kafkajs) held to a producer byte rate.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import type { ProduceResponse } from '../../../src/protocol/generated/000-produce.js';
import type { FetchResponse } from '../../../src/protocol/generated/001-fetch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { ClientQuotaStore, MemorySegmentStore } from '../../../src/storage/index.js';
import { ClientQuotaManager, QUOTA_SAMPLE_MS, QUOTA_WINDOW_SAMPLES, quotaUser } from '../../../src/server/quota/client-quota-manager.js';
import { createTopic, openHarness } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';

async function manager(quotas: Array<{ entity: Record<string, string | null>; values: Record<string, number> }>) {
  const store = await ClientQuotaStore.open(new MemorySegmentStore());
  await store.alter(quotas);
  return new ClientQuotaManager(store);
}

describe('ClientQuotaManager', () => {
  it('applies the most specific quota in Kafka order', async () => {
    const m = await manager([
      { entity: { 'client-id': null }, values: { producer_byte_rate: 8 } },
      { entity: { 'client-id': 'app' }, values: { producer_byte_rate: 7 } },
      { entity: { user: null }, values: { producer_byte_rate: 6 } },
      { entity: { user: 'alice' }, values: { producer_byte_rate: 3 } },
      { entity: { user: 'alice', 'client-id': null }, values: { producer_byte_rate: 2 } },
      { entity: { user: 'alice', 'client-id': 'app' }, values: { producer_byte_rate: 1 } },
    ]);
    expect(m.resolve('producer_byte_rate', 'alice', 'app')?.bound).toBe(1);
    expect(m.resolve('producer_byte_rate', 'alice', 'other')?.bound).toBe(2);
    expect(m.resolve('producer_byte_rate', 'bob', 'app')?.bound).toBe(6);
    expect(m.resolve('consumer_byte_rate', 'alice', 'app')).toBeUndefined();
    const onlyClients = await manager([
      { entity: { 'client-id': null }, values: { producer_byte_rate: 8 } },
      { entity: { 'client-id': 'app' }, values: { producer_byte_rate: 7 } },
    ]);
    expect(onlyClients.resolve('producer_byte_rate', 'bob', 'app')?.bound).toBe(7);
    expect(onlyClients.resolve('producer_byte_rate', 'bob', 'x')?.bound).toBe(8);
  });

  it('throttles by (rate - bound) / bound x window, the rate over at least samples - 1 windows', async () => {
    const m = await manager([{ entity: { 'client-id': 'app' }, values: { producer_byte_rate: 1000 } }]);
    const fullWindowMs = (QUOTA_WINDOW_SAMPLES - 1) * QUOTA_SAMPLE_MS;
    // 10 s worth at 1000 B/s is within the quota; 20 s worth is twice the bound: one window's wait.
    expect(m.record('producer_byte_rate', 'u', 'app', 10_000, 0)).toBe(0);
    expect(m.record('producer_byte_rate', 'u', 'app', 10_000, 0)).toBe(fullWindowMs);
    // Clients sharing no entity share no budget.
    expect(m.record('producer_byte_rate', 'u', 'other', 1e9, 0)).toBe(0);
  });

  it('caps request-time throttles at one sample window', async () => {
    const m = await manager([{ entity: { user: null }, values: { request_percentage: 1 } }]);
    expect(m.record('request_percentage', 'u', 'c', 1e6, 0)).toBe(QUOTA_SAMPLE_MS);
  });
});

function produceBody(topic: string, valueBytes: number) {
  const records = buildBatch({ baseTimestamp: 0n, records: [{ timestampDelta: 0, key: null, value: Buffer.alloc(valueBytes, 1), headers: [] }] });
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

async function setQuota(client: RawClient, clientId: string, key: string, value: number) {
  await client.request(ApiKey.AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key, value, remove: false }] }] });
}

describe('throttled clients', () => {
  it('answer with a throttle time and read nothing more from the client until it has passed', async () => {
    const h = await openHarness();
    const producer = await RawClient.connect(h.broker.host, h.broker.port);
    try {
      await createTopic(h.client, 'throttled');
      producer.clientId = 'slow-producer';
      await setQuota(h.client, 'slow-producer', 'producer_byte_rate', 1000);
      // 13 s worth of the quota at once, over a rate measured across 10 s: throttled for about 3 s.
      const res = await producer.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('throttled', 13_000));
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(res.throttleTimeMs).toBeGreaterThan(2000);
      // The connection is muted: a request sent now is not read, so not answered, for a while;
      // another client is served meanwhile. Once the throttle is over it is answered.
      let answered = false;
      const later = producer.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }).then(() => (answered = true));
      const other = await h.client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(other).toBeDefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);
      await later;
      // Clients without a quota are not throttled.
      expect((await h.client.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('throttled', 20_000))).throttleTimeMs).toBe(0);
    } finally {
      await producer.close();
      await h.close();
    }
  });

  it('start no request pipelined behind a throttled one until the throttle has passed', async () => {
    const h = await openHarness();
    const producer = await RawClient.connect(h.broker.host, h.broker.port);
    try {
      await createTopic(h.client, 'throttled-pipeline');
      producer.clientId = 'slow-pipeline';
      await setQuota(h.client, 'slow-pipeline', 'producer_byte_rate', 1000);
      // Both sent before the first answer: the second is already read when the throttle starts,
      // but Kafka's muted channel starts it only once the throttle is over.
      const first = producer.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('throttled-pipeline', 13_000));
      let answered = false;
      const second = producer.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }).then(() => (answered = true));
      expect((await first).throttleTimeMs).toBeGreaterThan(2000);
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);
      await second;
    } finally {
      await producer.close();
      await h.close();
    }
  });

  it('bound a fetch by the quota window and answer a throttled fetch empty', async () => {
    const h = await openHarness();
    const consumer = await RawClient.connect(h.broker.host, h.broker.port);
    try {
      await createTopic(h.client, 'throttled-fetch');
      for (let i = 0; i < 3; i++) await h.client.request(ApiKey.Produce, 9, produceBody('throttled-fetch', 9_000));
      consumer.clientId = 'slow-consumer';
      // 27 kB is over 10 s worth of 2000 B/s, but a fetch may take no more than 20 kB (the
      // quota's window): the first fetch gets two of the three batches, within the quota, the next goes over
      // the rate and is answered empty.
      await setQuota(h.client, 'slow-consumer', 'consumer_byte_rate', 2000);
      const fetch = () =>
        consumer.request<FetchResponse>(ApiKey.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1_000_000,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: 'throttled-fetch', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
      const first = await fetch();
      expect(first.throttleTimeMs).toBe(0);
      const firstBytes = first.responses[0]!.partitions[0]!.records?.length ?? 0;
      expect(firstBytes).toBeGreaterThan(18_000);
      expect(firstBytes).toBeLessThan(20_000);
      const second = await fetch();
      expect(second.throttleTimeMs).toBeGreaterThan(0);
      expect(second.responses).toEqual([]);
    } finally {
      // The broker first: a muted connection reads the client's FIN only after the throttle.
      await h.close();
      await consumer.close();
    }
  });

  it('hold a kafkajs producer to its byte rate', async () => {
    const h = await openHarness();
    const rate = 100_000;
    const kafka = new Kafka({ clientId: 'rate-limited', brokers: [h.broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    try {
      await createTopic(h.client, 'rate-limited');
      await setQuota(h.client, 'rate-limited', 'producer_byte_rate', rate);
      await producer.connect();
      const started = Date.now();
      // 13 windows' worth: the first 10 s worth pass at once, the rest at the quota's pace.
      const value = Buffer.alloc(50_000, 7);
      for (let i = 0; i < 26; i++) await producer.send({ topic: 'rate-limited', messages: [{ value }] });
      const elapsedMs = Date.now() - started;
      const sent = 26 * value.length;
      const burst = rate * ((QUOTA_WINDOW_SAMPLES - 1) * QUOTA_SAMPLE_MS) / 1000;
      // A lower bound only: the quota makes it take at least this long, however fast the machine.
      expect(elapsedMs).toBeGreaterThanOrEqual(((sent - burst) / rate) * 1000 * 0.8);
    } finally {
      await producer.disconnect();
      await h.close();
    }
  }, 30_000);
});

describe('quota user of a connection', () => {
  it('is the name of a User principal (TLS or SASL), ANONYMOUS otherwise', () => {
    expect(quotaUser('User:alice')).toBe('alice');
    expect(quotaUser('User:CN=alice,O=Skiff')).toBe('CN=alice,O=Skiff');
    expect(quotaUser('User:ANONYMOUS')).toBe('ANONYMOUS');
    expect(quotaUser('Internal:skiff')).toBe('ANONYMOUS');
  });
});
