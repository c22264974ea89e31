/** /metrics after real client traffic (kafkajs): the counts the test caused, in a strictly parsed exposition. */
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { parsePrometheusText, sumOf, valueOf, type Family } from '../../support/prometheus-text-parser.js';

const TOPIC = 'metrics-topic';
const GROUP = 'metrics-group';
const MESSAGES = 12;

let broker: RunningBroker;
let kafka: Kafka;

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(new URL('metrics', broker.httpUrl));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  broker = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent' });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'metrics-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
});
afterAll(async () => {
  await broker.close();
});

describe('/metrics', () => {
  it('counts produce, fetch, commits and validation failures a real client caused', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }, { topic: 'metrics-compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < MESSAGES; i += 3) {
      await producer.send({ topic: TOPIC, messages: [0, 1, 2].map((j) => ({ key: `k${i + j}`, value: `value-${i + j}`, partition: (i + j) % 2 })) });
    }
    // A keyless record on a compacted topic is refused before the append (INVALID_RECORD).
    await expect(producer.send({ topic: 'metrics-compacted', messages: [{ value: 'no key' }] })).rejects.toThrow();

    const consumer = kafka.consumer({ groupId: GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === MESSAGES) resolve();
        },
      });
    });
    await done;
    await consumer.stop(); // commits what it consumed
    const open = await scrape();
    expect(valueOf(open, 'kafka_server_socketservermetrics_connection_count', 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(open, 'kafka_consumergroup_state', 'kafka_consumergroup_state', { consumergroup: GROUP, state: 'Empty' })).toBe(1);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();

    const m = await scrape();
    const topic = { topic: TOPIC };
    expect(valueOf(m, 'kafka_server_brokertopicmetrics_messagesin_total', 'kafka_server_brokertopicmetrics_messagesin_total', topic)).toBe(MESSAGES);
    const bytesIn = valueOf(m, 'kafka_server_brokertopicmetrics_bytesin_total', 'kafka_server_brokertopicmetrics_bytesin_total', topic)!;
    expect(bytesIn).toBeGreaterThan(MESSAGES * 'value-0'.length);
    // The consumer read every stored byte once.
    expect(valueOf(m, 'kafka_server_brokertopicmetrics_bytesout_total', 'kafka_server_brokertopicmetrics_bytesout_total', topic)).toBe(bytesIn);
    expect(valueOf(m, 'kafka_server_brokertopicmetrics_totalproducerequests_total', 'kafka_server_brokertopicmetrics_totalproducerequests_total', topic)).toBe((MESSAGES / 3) * 2);
    expect(valueOf(m, 'kafka_server_brokertopicmetrics_failedproducerequests_total', 'kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: 'metrics-compacted' })).toBe(1);
    expect(valueOf(m, 'skiff_produce_validation_failures_total', 'skiff_produce_validation_failures_total', { error: 'INVALID_RECORD' })).toBe(1);
    expect(valueOf(m, 'kafka_server_brokertopicmetrics_nokeycompactedtopicrecords_total', 'kafka_server_brokertopicmetrics_nokeycompactedtopicrecords_total')).toBe(1);

    const produceRequests = valueOf(m, 'kafka_network_requestmetrics_requests_total', 'kafka_network_requestmetrics_requests_total', { request: 'Produce' });
    expect(produceRequests).toBe(MESSAGES / 3 + 1);
    expect(valueOf(m, 'kafka_network_requestmetrics_totaltimems', 'kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' })).toBe(produceRequests);
    expect(valueOf(m, 'kafka_network_requestmetrics_errors_total', 'kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'INVALID_RECORD' })).toBe(1);
    expect(valueOf(m, 'kafka_network_requestmetrics_requests_total', 'kafka_network_requestmetrics_requests_total', { request: 'OffsetCommit' })).toBeGreaterThanOrEqual(1);

    expect(sumOf(m, 'kafka_log_log_logendoffset', 'kafka_log_log_logendoffset', topic)).toBe(MESSAGES);
    expect(sumOf(m, 'skiff_log_high_watermark', 'skiff_log_high_watermark', topic)).toBe(MESSAGES);
    expect(sumOf(m, 'kafka_log_log_logstartoffset', 'kafka_log_log_logstartoffset', topic)).toBe(0);
    expect(sumOf(m, 'kafka_log_log_size', 'kafka_log_log_size', topic)).toBe(bytesIn);
    expect(valueOf(m, 'kafka_log_log_numlogsegments', 'kafka_log_log_numlogsegments', { topic: TOPIC, partition: '0' })).toBe(1);

    const group = { consumergroup: GROUP, topic: TOPIC };
    expect(sumOf(m, 'kafka_consumergroup_current_offset', 'kafka_consumergroup_current_offset', group)).toBe(MESSAGES);
    expect(sumOf(m, 'kafka_consumergroup_lag', 'kafka_consumergroup_lag', group)).toBe(0);
    expect(valueOf(m, 'kafka_consumergroup_members', 'kafka_consumergroup_members', { consumergroup: GROUP })).toBe(0);

    for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'skiff_transactions', 'kafka_log_logcleanermanager_max_dirty_percent', 'kafka_network_requestchannel_requestqueuesize']) {
      expect(m.get(family)?.samples.length, family).toBeGreaterThan(0);
    }
    expect(valueOf(m, 'process_resident_memory_bytes', 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
  });

  it('forgets the counters of a deleted topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'metrics-gone' }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'metrics-gone', messages: [{ value: 'x' }] });
    await producer.disconnect();
    expect(valueOf(await scrape(), 'kafka_server_brokertopicmetrics_messagesin_total', 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'metrics-gone' })).toBe(1);
    await admin.deleteTopics({ topics: ['metrics-gone'] });
    await admin.disconnect();
    const after = await scrape();
    expect(valueOf(after, 'kafka_server_brokertopicmetrics_messagesin_total', 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'metrics-gone' })).toBeUndefined();
    expect(valueOf(after, 'kafka_log_log_size', 'kafka_log_log_size', { topic: 'metrics-gone', partition: '0' })).toBeUndefined();
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(new URL('health', broker.httpUrl))).status).toBe(200);
    const ready = await fetch(new URL('ready', broker.httpUrl));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

describe('/ready during shutdown', () => {
  it('answers 503 as soon as shutdown begins, while connections still drain', async () => {
    const b = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent' });
    // A client that does not close its side keeps the listener draining.
    const socket = connect({ host: '127.0.0.1', port: b.port, allowHalfOpen: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    expect((await fetch(new URL('ready', b.httpUrl))).status).toBe(200);
    const closing = b.close();
    const ready = await fetch(new URL('ready', b.httpUrl));
    expect(ready.status).toBe(503);
    expect((await fetch(new URL('health', b.httpUrl))).status).toBe(200);
    socket.destroy();
    await closing;
  });
});

describe('the strict exposition parser', () => {
  it.each([
    ['a sample before its TYPE line and a TYPE after it', 'm 1\n# TYPE m counter\n'],
    ['a bad escape in a label value', 'm{a="\\x"} 1\n'],
    ['a series twice', 'm{a="1"} 1\nm{a="1"} 2\n'],
    ['a family split in two', 'a 1\nb 1\na{x="1"} 2\n'],
    ['a histogram whose +Inf bucket differs from _count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a negative counter', '# TYPE c counter\nc -1\n'],
    ['no final line feed', 'm 1'],
    ['a bad value', 'm one\n'],
  ])('rejects %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
