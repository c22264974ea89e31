/**
 * kafkajs scenarios (see scenarios.json). Run by ./run <bootstrap> <target>.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, EachMessagePayload, Kafka as KafkaT, Message } from 'kafkajs';
import { bootstrap, runScenarios, sleep, waitFor } from '../lib/harness.js';

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, CompressionCodecs, logLevel, Partitioners } = kafkajs;
// Codecs kafkajs does not ship: the packages Skiff's own tests already use.
const SnappyCodec = require('kafkajs-snappy');
const LZ4Codec = require('kafkajs-lz4');
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;

const kafka: KafkaT = new Kafka({
  clientId: 'skiff-compat',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3000,
  requestTimeout: 10000,
  retry: { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 },
});

/** The error types (Kafka error names) in an error, its cause and aggregated errors. */
function errorTypes(err: unknown): string[] {
  const out = new Set<string>();
  const walk = (e: any, depth: number) => {
    if (!e || depth > 4) return;
    if (typeof e.type === 'string') out.add(e.type);
    if (Array.isArray(e.errors)) for (const x of e.errors) walk(x, depth + 1);
    if (e.cause) walk(e.cause, depth + 1);
    if (e.originalError) walk(e.originalError, depth + 1);
  };
  walk(err, 0);
  if (out.size === 0) out.add(err instanceof Error ? err.name : 'unknown');
  return [...out].sort();
}

async function withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100 } });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates a topic and waits until every partition has a leader in the metadata the client sees
 * and that leader answers for it. Kafka's broker creates a new topic's partition logs one by one
 * after the metadata shows their leader (seconds apart on a busy machine); a produce that meets
 * a partition not yet there fails for it, and kafkajs then sends the whole request again, which
 * writes the other partitions' records twice.
 */
async function createTopic(topic: string, numPartitions = 1, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  await withAdmin(async (a) => {
    await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, configEntries }] });
    for (let i = 0; i < 50; i++) {
      const md = await a.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const parts = md?.topics[0]?.partitions ?? [];
      if (parts.length === numPartitions && parts.every((p) => p.leader >= 0)) break;
      await sleep(100);
    }
    for (let i = 0; i < 100; i++) {
      const offsets = await a.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.length === numPartitions) break;
      await sleep(100);
    }
  });
}

async function produce(topic: string, batches: Message[][], opts: { compression?: number; idempotent?: boolean } = {}) {
  const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: opts.idempotent, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const out = [];
    for (const messages of batches) {
      const md = await producer.send({ topic, messages, compression: opts.compression, acks: -1 });
      // One entry per partition, in the broker's response order: Kafka does not promise an order.
      out.push(md.map((m) => ({ partition: m.partition, errorCode: m.errorCode, baseOffset: m.baseOffset })).sort((a, b) => a.partition - b.partition));
    }
    return out;
  } finally {
    await producer.disconnect();
  }
}

interface Rec {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp?: string;
}

function norm(p: EachMessagePayload, withTimestamp = false): Rec {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.message.headers ?? {})) headers[k] = v === undefined ? '<undefined>' : String(v);
  const r: Rec = {
    partition: p.partition,
    offset: p.message.offset,
    key: p.message.key === null ? null : p.message.key.toString(),
    value: p.message.value === null ? null : p.message.value.toString(),
    headers,
  };
  if (withTimestamp) r.timestamp = p.message.timestamp;
  return r;
}

const sortRecs = (rs: Rec[]) => rs.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));

/** Consumes `count` records from the beginning in a fresh group. */
async function consumeAll(topic: string, count: number, opts: { readUncommitted?: boolean; withTimestamp?: boolean; groupId?: string } = {}): Promise<Rec[]> {
  const consumer = kafka.consumer({
    groupId: opts.groupId ?? `g-${topic}`,
    readUncommitted: opts.readUncommitted ?? false,
    maxWaitTimeInMs: 200,
    retry: { retries: 3, initialRetryTime: 100 },
  });
  const got: Rec[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async (p) => void got.push(norm(p, opts.withTimestamp)) });
    await waitFor(() => got.length >= count, 20_000, `${count} records from ${topic} (got ${got.length})`);
    await sleep(300); // anything beyond `count` would show up as a difference
    return sortRecs(got);
  } finally {
    await consumer.disconnect();
  }
}

function codecScenario(codec: number, name: string) {
  return async () => {
    const topic = `kjs-codec-${name}`;
    const batches = [0, 1, 2].map((b) =>
      Array.from({ length: 5 }, (_, i) => ({ key: `k${b}-${i}`, value: `${name} value ${b}-${i} ${'x'.repeat(i * 20)}` })),
    );
    const produced = await produce(topic, batches, { compression: codec });
    const records = await consumeAll(topic, 15);
    return { produced, records };
  };
}

const scenarios = {
  'produce-consume-none': codecScenario(CompressionTypes.None, 'none'),
  'produce-consume-gzip': codecScenario(CompressionTypes.GZIP, 'gzip'),
  'produce-consume-snappy': codecScenario(CompressionTypes.Snappy, 'snappy'),
  'produce-consume-lz4': codecScenario(CompressionTypes.LZ4, 'lz4'),

  'produce-only-codecs': async () => {
    // Produce alone (Metadata + Produce): the part of the codec scenarios that needs no group.
    const out: Record<string, unknown> = {};
    for (const [name, codec] of Object.entries({ none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4 })) {
      out[name] = await produce(`kjs-produce-only-${name}`, [
        [{ key: 'a', value: '1' }, { key: 'b', value: '2' }],
        [{ key: 'c', value: '3' }],
      ], { compression: codec });
    }
    return out;
  },

  'keys-nulls-headers': async () => {
    const topic = 'kjs-keys-nulls-headers';
    const produced = await produce(topic, [
      [
        { key: 'k1', value: 'v1', headers: { h1: 'a', h2: Buffer.from([0, 1, 2]) } },
        { key: null, value: 'no key' },
        { key: 'tombstone', value: null },
        { key: '', value: '' },
        { key: 'multi', value: 'v', headers: { same: ['x', 'y'] as any } },
      ],
    ]);
    const records = await consumeAll(topic, 5);
    return { produced, records };
  },

  'create-time': async () => {
    const topic = 'kjs-create-time';
    const base = 1_700_000_000_000;
    const produced = await produce(topic, [[0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: String(base + i * 1000) }))]);
    const records = await consumeAll(topic, 3, { withTimestamp: true });
    return { produced, records };
  },

  'log-append-time': async () => {
    const topic = 'kjs-log-append-time';
    await createTopic(topic, 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
    const before = Date.now();
    const produced = await produce(topic, [[0, 1].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: '1000' }))]);
    const after = Date.now();
    const records = await consumeAll(topic, 2, { withTimestamp: true });
    return {
      produced,
      records: records.map(({ timestamp, ...r }) => ({ ...r, brokerStamped: Number(timestamp) >= before - 1000 && Number(timestamp) <= after + 1000 })),
    };
  },

  'many-partitions': async () => {
    const topic = 'kjs-many-partitions';
    await createTopic(topic, 12);
    const produced = await produce(topic, [Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` }))]);
    const records = await consumeAll(topic, 60);
    const perPartition: Record<number, number> = {};
    for (const r of records) perPartition[r.partition] = (perPartition[r.partition] ?? 0) + 1;
    return { produced, perPartition, keysByPartition: records.map((r) => `${r.partition}:${r.key}`) };
  },

  'list-offsets': async () => {
    const topic = 'kjs-list-offsets';
    const base = 1_700_000_000_000;
    await produce(topic, [[0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: String(base + i * 1000) }))]);
    return withAdmin(async (a) => ({
      offsets: await a.fetchTopicOffsets(topic),
      byTime: {
        before: await a.fetchTopicOffsetsByTimestamp(topic, base - 1),
        exact2: await a.fetchTopicOffsetsByTimestamp(topic, base + 2000),
        between: await a.fetchTopicOffsetsByTimestamp(topic, base + 2500),
        after: await a.fetchTopicOffsetsByTimestamp(topic, base + 10_000),
      },
    }));
  },

  'admin-topics': async () => {
    const topic = 'kjs-admin-topics';
    return withAdmin(async (a) => {
      const created = await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
      const again = await a.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      const listed = (await a.listTopics()).includes(topic);
      const md = await a.fetchTopicMetadata({ topics: [topic] });
      const partitions = md.topics[0]!.partitions.map((p) => ({ id: p.partitionId, replicas: p.replicas.length, isr: p.isr.length, leaderKnown: p.leader >= 0 })).sort((x, y) => x.id - y.id);
      await a.deleteTopics({ topics: [topic], timeout: 5000 });
      await sleep(500);
      const listedAfterDelete = (await a.listTopics()).includes(topic);
      return { created, again, listed, partitions, listedAfterDelete };
    });
  },

  'admin-configs': async () => {
    const topic = 'kjs-admin-configs';
    return withAdmin(async (a) => {
      await a.createTopics({ waitForLeaders: true, topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      const names = ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.bytes'];
      const describe = async () => {
        const r = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: names }] });
        return r.resources[0]!.configEntries
          .map((e) => ({ name: e.configName, value: e.configValue, isDefault: e.isDefault, readOnly: e.readOnly, sensitive: e.isSensitive, source: e.configSource }))
          .sort((x, y) => x.name.localeCompare(y.name));
      };
      const before = await describe();
      await a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }, { name: 'cleanup.policy', value: 'compact' }] }] });
      await sleep(700); // Kafka applies config changes through its metadata log, asynchronously
      const after = await describe();
      return { before, after };
    });
  },

  'create-partitions': async () => {
    const topic = 'kjs-create-partitions';
    return withAdmin(async (a) => {
      await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      await a.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      await sleep(300);
      const md = await a.fetchTopicMetadata({ topics: [topic] });
      let shrink: string[] = [];
      try {
        await a.createPartitions({ topicPartitions: [{ topic, count: 2 }] });
      } catch (e) {
        shrink = errorTypes(e);
      }
      return { partitions: md.topics[0]!.partitions.length, shrink };
    });
  },

  'delete-records': async () => {
    const topic = 'kjs-delete-records';
    await produce(topic, [Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }))]);
    return withAdmin(async (a) => {
      await a.fetchTopicMetadata({ topics: [topic] });
      await a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });
      const offsets = await a.fetchTopicOffsets(topic);
      return { offsets };
    });
  },

  'consumer-group-rebalance': async () => {
    const topic = 'kjs-group-rebalance';
    const groupId = 'kjs-group-3';
    await createTopic(topic, 6);
    await produce(topic, [Array.from({ length: 30 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` }))]);
    const assignments = new Map<string, number[]>();
    const seen: Rec[] = [];
    const members: Consumer[] = [];
    for (let i = 0; i < 3; i++) {
      const c = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      const id = `m${i}`;
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(id, [...(e.payload.memberAssignment[topic] ?? [])].sort((x, y) => x - y)));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ autoCommitInterval: 100, eachMessage: async (p) => void seen.push(norm(p)) });
      members.push(c);
    }
    const counts = () => [...assignments.values()].map((a) => a.length).sort();
    await waitFor(() => assignments.size === 3 && counts().reduce((x, y) => x + y, 0) === 6 && counts().every((n) => n === 2), 25_000, 'three members with two partitions each');
    const threeMembers = counts();
    await waitFor(() => new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size >= 30, 15_000, '30 records');
    // One member leaves: the other two share the six partitions.
    await members.pop()!.disconnect();
    assignments.delete('m2');
    await waitFor(() => counts().reduce((x, y) => x + y, 0) === 6 && counts().every((n) => n === 3), 25_000, 'two members with three partitions each');
    const twoMembers = counts();
    for (const c of members) await c.disconnect();
    const committed = await withAdmin(async (a) => {
      const o = await a.fetchOffsets({ groupId, topics: [topic] });
      return o[0]!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((x, y) => x.partition - y.partition);
    });
    // Resume: a new member of the same group gets only what was produced after the commits.
    await produce(topic, [[{ key: 'late-1', value: 'after' }, { key: 'late-2', value: 'after' }]]);
    const resumed = await consumeAll(topic, 2, { groupId });
    return { threeMembers, twoMembers, distinctRecords: new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size, committed, resumed: resumed.map((r) => r.key) };
  },

  'idempotent-producer': async () => {
    const topic = 'kjs-idempotent';
    const produced = await produce(topic, [[{ key: 'a', value: '1' }, { key: 'b', value: '2' }], [{ key: 'c', value: '3' }]], { idempotent: true });
    const records = await consumeAll(topic, 3);
    return { produced, records };
  },

  transactions: async () => {
    const topic = 'kjs-transactions';
    await createTopic(topic, 1);
    const producer = kafka.producer({ transactionalId: 'kjs-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const run = async (values: string[], commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: values.map((v) => ({ key: v, value: v })) });
      if (commit) await tx.commit();
      else await tx.abort();
    };
    await run(['c1', 'c2', 'c3'], true);
    await run(['a1', 'a2', 'a3'], false);
    await run(['c4', 'c5'], true);
    await producer.disconnect();
    const committed = await consumeAll(topic, 5, { groupId: 'kjs-txn-rc' });
    const uncommitted = await consumeAll(topic, 8, { groupId: 'kjs-txn-ru', readUncommitted: true });
    return {
      readCommitted: committed.map((r) => `${r.offset}:${r.value}`),
      readUncommitted: uncommitted.map((r) => `${r.offset}:${r.value}`),
    };
  },

  // Consume-transform-produce with exactly-once on kafkajs (the v1 transaction path:
  // AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit v0-v3): input read in three rounds,
  // the second aborted and redone; offsets committed inside each transaction.
  'eos-consume-transform-produce': async () => {
    const input = 'kjs-eos-in';
    const output = 'kjs-eos-out';
    const groupId = 'kjs-eos-group';
    await createTopic(input, 1);
    await createTopic(output, 1);
    await produce(input, [Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }))]);
    const records = await consumeAll(input, 9, { groupId: 'kjs-eos-reader' });
    const producer = kafka.producer({ transactionalId: 'kjs-eos', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const rounds: string[] = [];
    try {
      for (let from = 0, round = 0; from < 9; round++) {
        const chunk = records.slice(from, from + 3);
        const next = Number(chunk.at(-1)!.offset) + 1;
        const tx = await producer.transaction();
        await tx.send({ topic: output, messages: chunk.map((r) => ({ key: r.key, value: String(r.value).toUpperCase() })) });
        await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(next) }] }] });
        if (round === 1) {
          await tx.abort();
          rounds.push(`aborted ${from}-${next - 1}`);
        } else {
          await tx.commit();
          rounds.push(`committed ${from}-${next - 1}`);
          from = next;
        }
      }
    } finally {
      await producer.disconnect();
    }
    const committed = await consumeAll(output, 9, { groupId: 'kjs-eos-rc' });
    const uncommitted = await consumeAll(output, 12, { groupId: 'kjs-eos-ru', readUncommitted: true });
    const offsets = await withAdmin((a) => a.fetchOffsets({ groupId, topics: [input] }));
    return {
      rounds,
      output: committed.map((r) => `${r.offset}:${r.value}`),
      uncommittedCount: uncommitted.length,
      groupOffset: offsets[0]?.partitions[0]?.offset,
    };
  },

  'error-unknown-topic-no-autocreate': async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1, initialRetryTime: 100 } });
    await producer.connect();
    try {
      await producer.send({ topic: 'kjs-does-not-exist', messages: [{ value: 'x' }] });
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    } finally {
      await producer.disconnect();
    }
  },

  'error-invalid-topic-name': async () => {
    const out: Record<string, unknown> = {};
    for (const name of ['bad topic!', 'x'.repeat(250), '..']) {
      try {
        await withAdmin((a) => a.createTopics({ topics: [{ topic: name }] }));
        out[name.slice(0, 20)] = 'created';
      } catch (e) {
        out[name.slice(0, 20)] = errorTypes(e);
      }
    }
    return out;
  },

  'error-record-too-large': async () => {
    const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 100 } });
    await producer.connect();
    try {
      await producer.send({ topic: 'kjs-too-large', messages: [{ value: 'small' }] });
      await producer.send({ topic: 'kjs-too-large', messages: [{ value: Buffer.alloc(2 * 1024 * 1024, 1) }] });
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    } finally {
      await producer.disconnect();
    }
  },

  'error-replication-factor': async () => {
    try {
      await withAdmin((a) => a.createTopics({ topics: [{ topic: 'kjs-rf3', replicationFactor: 3 }] }));
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    }
  },
};

const version = (require('kafkajs/package.json') as { version: string }).version;
await runScenarios({ client: 'kafkajs', versions: { kafkajs: version, 'kafkajs-snappy': require('kafkajs-snappy/package.json').version, 'kafkajs-lz4': require('kafkajs-lz4/package.json').version }, scenarios, timeoutMs: 45_000 });
process.exit(0);
