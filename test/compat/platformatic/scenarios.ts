/**
 * @platformatic/kafka scenarios (see scenarios.json). Run by ./run <bootstrap> <target>.
 *
 * The package lives in this folder's node_modules (own package.json and lockfile; ./run installs
 * it), so it is loaded by a computed specifier: the repository's typecheck must not need it.
 */
import { readFileSync } from 'node:fs';
import { bootstrap, runScenarios, sleep, waitFor } from '../lib/harness.js';

const PKG = '@platformatic/kafka';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pk: any = await import(PKG);
const { Admin, Consumer, Producer } = pk;
// The package's exports map hides its package.json.
const version = (JSON.parse(readFileSync(new URL(`./node_modules/${PKG}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

const base = { bootstrapBrokers: [bootstrap], timeout: 10_000, retries: 4, retryDelay: 200 };
// Joining a group waits for __consumer_offsets, which Kafka creates on the first FindCoordinator.
const consumerBase = { ...base, retries: 20, retryDelay: 250 };
const TOPIC = 2; // ConfigResourceTypes.TOPIC
const SET = 0; // IncrementalAlterConfigOperationTypes.SET

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Kafka error names (apiId) in an error, its aggregated errors and causes; else the client's code. */
function errorTypes(err: unknown): string[] {
  const out = new Set<string>();
  const walk = (e: Any, depth: number) => {
    if (!e || depth > 5) return;
    if (typeof e.apiId === 'string') out.add(e.apiId);
    if (Array.isArray(e.errors)) for (const x of e.errors) walk(x, depth + 1);
    if (e.cause) walk(e.cause, depth + 1);
  };
  walk(err, 0);
  // Client-side errors (UserError and the like): the code and the message, which names the cause.
  if (out.size === 0) out.add(`${(err as Any)?.code ?? (err instanceof Error ? err.name : 'unknown')}: ${(err as Any)?.message ?? ''}`.slice(0, 200));
  return [...out].sort();
}

async function withAdmin<T>(fn: (a: Any) => Promise<T>): Promise<T> {
  const admin = new Admin({ ...base, clientId: 'skiff-compat-admin' });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Creates a topic and waits until every partition has a leader in the metadata. */
async function createTopic(topic: string, partitions = 1, configs: Array<{ name: string; value: string }> = []): Promise<void> {
  await withAdmin(async (a) => {
    await a.createTopics({ topics: [topic], partitions, replicas: 1, configs });
    for (let i = 0; i < 50; i++) {
      const md = await a.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const parts = md?.topics.get(topic)?.partitions ?? [];
      if (parts.length === partitions && parts.every((p: Any) => p && p.leader >= 0)) break;
      await sleep(100);
    }
    // Kafka's broker creates the partition logs one by one after the metadata names their
    // leader: wait until the leader answers ListOffsets for every partition.
    for (let i = 0; i < 100; i++) {
      const ok = await listOffsets(a, topic, partitions, -1n).then(() => true, () => false);
      if (ok) break;
      await sleep(100);
    }
  });
}

interface Msg {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: Map<Buffer, Buffer>;
  timestamp?: bigint;
  partition?: number;
}

const buf = (x: string | Buffer | null | undefined) => (x === null || x === undefined ? undefined : Buffer.isBuffer(x) ? x : Buffer.from(x));

/** Sends each batch with one send(); the base offset per partition, sorted by partition. */
async function produce(topic: string, batches: Msg[][], opts: { compression?: string; idempotent?: boolean } = {}) {
  const producer = new Producer({ ...base, clientId: 'skiff-compat-producer', idempotent: opts.idempotent ?? false, autocreateTopics: true });
  try {
    const out = [];
    for (const batch of batches) {
      const res = await producer.send({
        acks: -1,
        compression: opts.compression ?? 'none',
        messages: batch.map((m) => ({ topic, key: buf(m.key), value: buf(m.value), headers: m.headers, timestamp: m.timestamp, partition: m.partition })),
      });
      out.push((res.offsets ?? []).map((o: Any) => ({ partition: o.partition, offset: String(o.offset) })).sort((x: Any, y: Any) => x.partition - y.partition));
    }
    return out;
  } finally {
    await producer.close();
  }
}

interface Rec {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: string[];
  timestamp?: string;
}

const str = (b: Any) => (b === undefined || b === null ? null : Buffer.from(b).toString('latin1'));

function norm(m: Any, withTimestamp = false): Rec {
  const headers: string[] = [];
  for (const [k, v] of m.headers ?? new Map()) headers.push(`${str(k)}=${v === undefined || v === null ? '<null>' : Buffer.from(v).toString('hex')}`);
  const r: Rec = { partition: m.partition, offset: String(m.offset), key: str(m.key), value: str(m.value), headers };
  if (withTimestamp) r.timestamp = String(m.timestamp);
  return r;
}

const sortRecs = (rs: Rec[]) => rs.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));

/** Consumes `count` records from the beginning in a fresh group. */
async function consumeAll(topic: string, count: number, opts: { isolationLevel?: number; withTimestamp?: boolean; groupId?: string; mode?: string } = {}): Promise<Rec[]> {
  const consumer = new Consumer({ ...consumerBase, clientId: 'skiff-compat-consumer', groupId: opts.groupId ?? `g-${topic}`, maxWaitTime: 200, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const got: Rec[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: opts.mode ?? 'earliest', autocommit: opts.mode === 'committed', isolationLevel: opts.isolationLevel ?? 1 });
    stream.on('data', (m: Any) => void got.push(norm(m, opts.withTimestamp)));
    stream.on('error', () => {});
    await waitFor(() => got.length >= count, 20_000, `${count} records from ${topic} (got ${got.length})`);
    await sleep(300); // anything beyond `count` would show up as a difference
    await stream.close();
    return sortRecs(got);
  } finally {
    await consumer.close(true);
  }
}

function codecScenario(codec: string) {
  return async () => {
    const topic = `plt-codec-${codec}`;
    const batches = [0, 1, 2].map((b) => Array.from({ length: 5 }, (_, i) => ({ key: `k${b}-${i}`, value: `${codec} value ${b}-${i} ${'x'.repeat(i * 20)}`, partition: 0 })));
    const produced = await produce(topic, batches, { compression: codec });
    const records = await consumeAll(topic, 15);
    return { produced, records };
  };
}

async function listOffsets(a: Any, topic: string, partitions: number, timestamp: bigint) {
  const res = await a.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp })) }] });
  return res[0].partitions
    .map((p: Any) => ({ partition: p.partitionIndex, offset: String(p.offset), timestamp: String(p.timestamp) }))
    .sort((x: Any, y: Any) => x.partition - y.partition);
}

const scenarios = {
  'produce-consume-none': codecScenario('none'),
  'produce-consume-gzip': codecScenario('gzip'),
  'produce-consume-snappy': codecScenario('snappy'),
  'produce-consume-lz4': codecScenario('lz4'),

  'keys-nulls-headers': async () => {
    const topic = 'plt-keys-nulls-headers';
    const produced = await produce(topic, [
      [
        { key: 'k1', value: 'v1', headers: new Map([[Buffer.from('h1'), Buffer.from('a')], [Buffer.from('h2'), Buffer.from([0, 1, 2])]]), partition: 0 },
        { key: null, value: 'no key', partition: 0 },
        { key: 'tombstone', value: null, partition: 0 },
        { key: '', value: '', partition: 0 },
        { key: Buffer.from([0xff, 0x00]), value: Buffer.from([0x00, 0xfe]), headers: new Map([[Buffer.from('empty'), Buffer.alloc(0)]]), partition: 0 },
      ],
    ]);
    const records = await consumeAll(topic, 5);
    return { produced, records };
  },

  'create-time': async () => {
    const topic = 'plt-create-time';
    const t0 = 1_700_000_000_000n;
    const produced = await produce(topic, [[0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: t0 + BigInt(i * 1000), partition: 0 }))]);
    const records = await consumeAll(topic, 3, { withTimestamp: true });
    return { produced, records };
  },

  'log-append-time': async () => {
    const topic = 'plt-log-append-time';
    await createTopic(topic, 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
    const before = Date.now();
    const produced = await produce(topic, [[0, 1].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1000n, partition: 0 }))]);
    const after = Date.now();
    const records = await consumeAll(topic, 2, { withTimestamp: true });
    return {
      produced,
      // The client reports each record's own timestamp even for LogAppendTime batches (where
      // Kafka clients use the batch's maxTimestamp), so the producer's 1000 is expected here.
      records: records.map(({ timestamp, ...r }) => ({
        ...r,
        timestamp: timestamp === '1000' ? 'producer timestamp (1000)' : Number(timestamp) >= before - 1000 && Number(timestamp) <= after + 1000 ? 'broker-stamped' : timestamp,
      })),
    };
  },

  'many-partitions': async () => {
    const topic = 'plt-many-partitions';
    await createTopic(topic, 12);
    const produced = await produce(topic, [Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` }))]);
    const records = await consumeAll(topic, 60);
    const perPartition: Record<number, number> = {};
    for (const r of records) perPartition[r.partition] = (perPartition[r.partition] ?? 0) + 1;
    return { produced, perPartition, keysByPartition: records.map((r) => `${r.partition}:${r.offset}:${r.key}`) };
  },

  'list-offsets': async () => {
    const topic = 'plt-list-offsets';
    const t0 = 1_700_000_000_000n;
    await createTopic(topic, 1);
    await produce(topic, [[0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: t0 + BigInt(i * 1000), partition: 0 }))]);
    return withAdmin(async (a) => ({
      earliest: await listOffsets(a, topic, 1, -2n),
      latest: await listOffsets(a, topic, 1, -1n),
      maxTimestamp: await listOffsets(a, topic, 1, -3n),
      before: await listOffsets(a, topic, 1, t0 - 1n),
      exact2: await listOffsets(a, topic, 1, t0 + 2000n),
      between: await listOffsets(a, topic, 1, t0 + 2500n),
      after: await listOffsets(a, topic, 1, t0 + 10_000n),
    }));
  },

  'admin-topics': async () => {
    const topic = 'plt-admin-topics';
    return withAdmin(async (a) => {
      const created = (await a.createTopics({ topics: [topic], partitions: 3, replicas: 1 })).map((t: Any) => ({ name: t.name, partitions: t.partitions, replicas: t.replicas, hasId: typeof t.id === 'string' && t.id.length > 0 }));
      let again: unknown = 'no error';
      try {
        await a.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
      } catch (e) {
        again = errorTypes(e);
      }
      const listed = (await a.listTopics()).includes(topic);
      const md = await a.metadata({ topics: [topic], forceUpdate: true });
      const partitions = md.topics.get(topic).partitions.map((p: Any, id: number) => ({ id, replicas: p.replicas.length, isr: p.isr.length, leaderKnown: p.leader >= 0 }));
      await a.deleteTopics({ topics: [topic] });
      await sleep(500);
      const listedAfterDelete = (await a.listTopics()).includes(topic);
      return { created, again, listed, partitions, listedAfterDelete };
    });
  },

  'admin-configs': async () => {
    const topic = 'plt-admin-configs';
    return withAdmin(async (a) => {
      await a.createTopics({ topics: [topic], partitions: 1, replicas: 1, configs: [{ name: 'retention.ms', value: '3600000' }] });
      const names = ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.bytes'];
      const describe = async () => {
        const r = await a.describeConfigs({ resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: names }], includeSynonyms: false });
        return r[0].configs
          .map((e: Any) => ({ name: e.name, value: e.value, readOnly: e.readOnly, sensitive: e.isSensitive, source: e.configSource }))
          .sort((x: Any, y: Any) => x.name.localeCompare(y.name));
      };
      const before = await describe();
      await a.alterConfigs({ resources: [{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'retention.ms', value: '7200000' }, { name: 'cleanup.policy', value: 'compact' }] }] });
      await sleep(700); // Kafka applies config changes through its metadata log, asynchronously
      const afterAlter = await describe();
      await a.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'max.message.bytes', configOperation: SET, value: '500000' }] }] });
      await sleep(700);
      const afterIncremental = await describe();
      let invalid: unknown = 'no error';
      try {
        await a.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: SET, value: 'not-a-number' }] }] });
      } catch (e) {
        invalid = errorTypes(e);
      }
      return { before, afterAlter, afterIncremental, invalid };
    });
  },

  'create-partitions': async () => {
    const topic = 'plt-create-partitions';
    await createTopic(topic, 1);
    return withAdmin(async (a) => {
      await a.createPartitions({ topics: [{ name: topic, count: 4 }] });
      await sleep(300);
      const md = await a.metadata({ topics: [topic], forceUpdate: true });
      let shrink: unknown = 'no error';
      try {
        await a.createPartitions({ topics: [{ name: topic, count: 2 }] });
      } catch (e) {
        shrink = errorTypes(e);
      }
      return { partitions: md.topics.get(topic).partitionsCount, shrink };
    });
  },

  'delete-records': async () => {
    const topic = 'plt-delete-records';
    await createTopic(topic, 1);
    await produce(topic, [Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 }))]);
    return withAdmin(async (a) => {
      const deleted = await a.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 5n }] }] });
      return {
        deleted: deleted.map((t: Any) => ({ name: t.name, partitions: t.partitions.map((p: Any) => ({ partition: p.partition, lowWatermark: String(p.lowWatermark) })) })),
        earliest: await listOffsets(a, topic, 1, -2n),
        latest: await listOffsets(a, topic, 1, -1n),
      };
    });
  },

  'consumer-group-rebalance': async () => {
    const topic = 'plt-group-rebalance';
    const groupId = 'plt-group-3';
    await createTopic(topic, 6);
    await produce(topic, [Array.from({ length: 30 }, (_, i) => ({ key: `key-${i}`, value: `v${i}`, partition: i % 6 }))]);
    const assignments = new Map<string, number[]>();
    const seen: Rec[] = [];
    const members: Array<{ c: Any; s: Any }> = [];
    for (let i = 0; i < 3; i++) {
      const id = `m${i}`;
      const c = new Consumer({ ...consumerBase, clientId: `plt-${id}`, groupId, maxWaitTime: 200, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500 });
      c.on('consumer:group:join', (e: Any) => {
        const parts: number[] = [];
        for (const a of e.assignments ?? []) if (a.topic === topic) parts.push(...a.partitions);
        assignments.set(id, parts.sort((x, y) => x - y));
      });
      const s = await c.consume({ topics: [topic], mode: 'earliest', autocommit: 100 });
      s.on('data', (m: Any) => void seen.push(norm(m)));
      s.on('error', () => {});
      members.push({ c, s });
    }
    const counts = () => [...assignments.values()].map((a) => a.length).sort();
    await waitFor(() => assignments.size === 3 && counts().reduce((x, y) => x + y, 0) === 6 && counts().every((n) => n === 2), 25_000, 'three members with two partitions each');
    const threeMembers = counts();
    await waitFor(() => new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size >= 30, 15_000, '30 records');
    await sleep(500); // autocommit every 100 ms
    // One member leaves: the other two share the six partitions.
    const leaving = members.pop()!;
    await leaving.s.close();
    await leaving.c.close();
    assignments.delete('m2');
    await waitFor(() => counts().reduce((x, y) => x + y, 0) === 6 && counts().every((n) => n === 3), 25_000, 'two members with three partitions each');
    const twoMembers = counts();
    await sleep(500);
    for (const { c, s } of members) {
      await s.close();
      await c.close();
    }
    const committed = await withAdmin(async (a) => {
      const o = await a.listConsumerGroupOffsets({ groups: [groupId] });
      const t = o[0].topics.find((x: Any) => x.name === topic);
      return (t?.partitions ?? []).map((p: Any) => ({ partition: p.partitionIndex, offset: String(p.committedOffset) })).sort((x: Any, y: Any) => x.partition - y.partition);
    });
    // Resume: a new member of the same group gets only what was produced after the commits.
    await produce(topic, [[{ key: 'late-1', value: 'after', partition: 0 }, { key: 'late-2', value: 'after', partition: 3 }]]);
    const resumed = await consumeAll(topic, 2, { groupId, mode: 'committed' });
    return { threeMembers, twoMembers, distinctRecords: new Set(seen.map((r) => `${r.partition}:${r.offset}`)).size, committed, resumed: resumed.map((r) => `${r.partition}:${r.offset}:${r.key}`) };
  },

  'idempotent-producer': async () => {
    const topic = 'plt-idempotent';
    const produced = await produce(topic, [[{ key: 'a', value: '1', partition: 0 }, { key: 'b', value: '2', partition: 0 }], [{ key: 'c', value: '3', partition: 0 }]], { idempotent: true });
    const records = await consumeAll(topic, 3);
    return { produced, records };
  },

  transactions: async () => {
    const topic = 'plt-transactions';
    await createTopic(topic, 1);
    const producer = new Producer({ ...base, clientId: 'plt-txn-producer', transactionalId: 'plt-txn', idempotent: true });
    try {
      const run = async (values: string[], commit: boolean) => {
        const tx = await producer.beginTransaction();
        await tx.send({ messages: values.map((v) => ({ topic, key: Buffer.from(v), value: Buffer.from(v), partition: 0 })) });
        if (commit) await tx.commit();
        else await tx.abort();
      };
      await run(['c1', 'c2', 'c3'], true);
      await run(['a1', 'a2', 'a3'], false);
      await run(['c4', 'c5'], true);
    } finally {
      await producer.close();
    }
    const committed = await consumeAll(topic, 5, { groupId: 'plt-txn-rc', isolationLevel: 1 });
    const uncommitted = await consumeAll(topic, 8, { groupId: 'plt-txn-ru', isolationLevel: 0 });
    return {
      readCommitted: committed.map((r) => `${r.offset}:${r.value}`),
      readUncommitted: uncommitted.map((r) => `${r.offset}:${r.value}`),
    };
  },

  'error-unknown-topic-no-autocreate': async () => {
    const producer = new Producer({ ...base, clientId: 'plt-no-autocreate', retries: 1, autocreateTopics: false });
    try {
      await producer.send({ messages: [{ topic: 'plt-does-not-exist', value: Buffer.from('x') }] });
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    } finally {
      await producer.close();
    }
  },

  'error-invalid-topic-name': async () => {
    const out: Record<string, unknown> = {};
    for (const name of ['bad topic!', 'x'.repeat(250), '..']) {
      try {
        await withAdmin((a) => a.createTopics({ topics: [name], partitions: 1, replicas: 1 }));
        out[name.slice(0, 20)] = 'created';
      } catch (e) {
        out[name.slice(0, 20)] = errorTypes(e);
      }
    }
    return out;
  },

  'error-record-too-large': async () => {
    const producer = new Producer({ ...base, clientId: 'plt-too-large', retries: 1, autocreateTopics: true });
    try {
      await producer.send({ messages: [{ topic: 'plt-too-large', value: Buffer.from('small') }] });
      await producer.send({ messages: [{ topic: 'plt-too-large', value: Buffer.alloc(2 * 1024 * 1024, 1) }] });
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    } finally {
      await producer.close();
    }
  },

  'error-replication-factor': async () => {
    try {
      await withAdmin((a) => a.createTopics({ topics: ['plt-rf3'], partitions: 1, replicas: 3 }));
      return { error: null };
    } catch (e) {
      return { error: errorTypes(e) };
    }
  },
};

await runScenarios({ client: 'platformatic', versions: { '@platformatic/kafka': version }, scenarios, timeoutMs: 45_000 });
process.exit(0);
