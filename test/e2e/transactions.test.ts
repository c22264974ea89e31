/**
 * kafkajs against Skiff: idempotent retries after a lost response, transactions committed and
 * aborted as read_committed and read_uncommitted consumers see them, fencing, and
 * consume-transform-produce with offsets committed in the transaction (sendOffsets), including
 * a transaction left open across a broker restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultOffsetFetchRequest } from '../../src/protocol/generated/009-offset-fetch.js';
import { RawClient } from '../support/raw-client.js';
import { fetchPartition } from '../support/fetch-all.js';

/**
 * A TCP proxy in front of the broker that can drop the connection when the answer to the next
 * Produce arrives: the broker wrote the batch, the client never hears it did.
 */
class CuttingProxy {
  dropNextProduceResponse = false;
  drops = 0;
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: () => number): Promise<CuttingProxy> {
    let proxy!: CuttingProxy;
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: target() });
      const produceIds = new Set<number>();
      let inBuf = Buffer.alloc(0);
      let outBuf = Buffer.alloc(0);
      const kill = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk: Buffer) => {
        inBuf = Buffer.concat([inBuf, chunk]);
        while (inBuf.length >= 4 && inBuf.length >= 4 + inBuf.readInt32BE(0)) {
          const size = inBuf.readInt32BE(0);
          if (inBuf.readInt16BE(4) === 0) produceIds.add(inBuf.readInt32BE(8));
          upstream.write(inBuf.subarray(0, 4 + size));
          inBuf = inBuf.subarray(4 + size);
        }
      });
      upstream.on('data', (chunk: Buffer) => {
        outBuf = Buffer.concat([outBuf, chunk]);
        while (outBuf.length >= 4 && outBuf.length >= 4 + outBuf.readInt32BE(0)) {
          const size = outBuf.readInt32BE(0);
          const correlationId = outBuf.readInt32BE(4);
          if (produceIds.has(correlationId) && proxy.dropNextProduceResponse) {
            proxy.dropNextProduceResponse = false;
            proxy.drops++;
            kill();
            return;
          }
          client.write(outBuf.subarray(0, 4 + size));
          outBuf = outBuf.subarray(4 + size);
        }
      });
      client.on('error', kill);
      upstream.on('error', kill);
      client.on('close', kill);
      upstream.on('close', kill);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    proxy = new CuttingProxy(server, port);
    return proxy;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function consumeAll(kafka: Kafka, topic: string, groupId: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  const end = Date.now() + 20_000;
  while (seen.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  // Give stray extra messages a moment to show up.
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  return seen;
}

describe('kafkajs idempotent and transactional producers', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('an idempotent retry after a lost response leaves no duplicate', async () => {
    let brokerPort = 0;
    const proxy = await CuttingProxy.start(() => brokerPort);
    cleanups.push(() => proxy.close());
    const broker = await startBroker({ memory: true, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
    cleanups.push(() => broker.close());
    brokerPort = broker.port;
    const kafka = new Kafka({ brokers: [`127.0.0.1:${proxy.port}`], clientId: 'idem', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
    await admin.disconnect();
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'm0' }] });
    proxy.dropNextProduceResponse = true;
    await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'm1' }, { value: 'm2' }] });
    expect(proxy.drops).toBe(1);
    await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'm3' }] });
    const raw = await RawClient.connect('127.0.0.1', broker.port);
    cleanups.push(() => raw.close());
    const { records } = await fetchPartition(raw, 'idem', 0);
    expect(records.map((r) => r.value!.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('transform-and-produce exactly once; aborted output hidden from read_committed; fencing', async () => {
    const broker: RunningBroker = await startBroker({ memory: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    cleanups.push(() => broker.close());
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'eos', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 2 }, { topic: 'out', numPartitions: 2 }] });
    await admin.disconnect();

    const plain = kafka.producer();
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    const input = Array.from({ length: 40 }, (_, i) => `rec-${i}`);
    await plain.send({ topic: 'in', messages: input.map((value, i) => ({ value, partition: i % 2 })) });

    const producer = kafka.producer({ transactionalId: 'transformer', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    // A transaction that is aborted: its records must never reach a read_committed consumer.
    const doomed = await producer.transaction();
    await doomed.send({ topic: 'out', messages: input.slice(0, 5).map((v) => ({ value: `ABORTED-${v}` })) });
    await doomed.abort();

    // Transform everything in two committed transactions.
    for (const half of [input.slice(0, 20), input.slice(20)]) {
      const txn = await producer.transaction();
      await txn.send({ topic: 'out', messages: half.map((v, i) => ({ value: v.toUpperCase(), partition: i % 2 })) });
      await txn.commit();
    }

    const committed = await consumeAll(kafka, 'out', 'reader-committed', false, input.length);
    expect(committed.sort()).toEqual(input.map((v) => v.toUpperCase()).sort());
    const uncommitted = await consumeAll(kafka, 'out', 'reader-uncommitted', true, input.length + 5);
    expect(uncommitted.filter((v) => v.startsWith('ABORTED-')).length).toBe(5);
    expect(uncommitted.length).toBe(input.length + 5);

    // Two producers with one transactional id: the newer fences the older.
    const zombie = kafka.producer({ transactionalId: 'fenced-id', maxInFlightRequests: 1, idempotent: true });
    await zombie.connect();
    cleanups.push(() => zombie.disconnect());
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic: 'out', messages: [{ value: 'zombie-1' }] });
    const successor = kafka.producer({ transactionalId: 'fenced-id', maxInFlightRequests: 1, idempotent: true });
    await successor.connect();
    cleanups.push(() => successor.disconnect());
    // The successor's InitProducerId (at its first transaction) fences the zombie and aborts its open transaction.
    const ok = await successor.transaction();
    const err = await (async () => {
      await zombieTxn.send({ topic: 'out', messages: [{ value: 'zombie-2' }] });
      await zombieTxn.commit();
    })().then(
      () => undefined,
      (e: unknown) => e as Error & { type?: string },
    );
    expect(err).toBeDefined();
    await ok.send({ topic: 'out', messages: [{ value: 'successor' }] });
    await ok.commit();
    const after = await consumeAll(kafka, 'out', 'reader-after', false, input.length + 1);
    expect(after.filter((v) => v.startsWith('zombie'))).toEqual([]);
    expect(after).toContain('successor');
  });
});

describe('offsets in transactions (consume-transform-produce)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('sendOffsets then commit: the output is the input exactly once and the group offsets are the input end offsets; aborted offsets never show', async () => {
    const broker = await startBroker({ memory: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    cleanups.push(() => broker.close());
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'ctp', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'ctp-in', numPartitions: 2 }, { topic: 'ctp-out', numPartitions: 2 }] });

    const plain = kafka.producer();
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    const input = Array.from({ length: 30 }, (_, i) => `item-${i}`);
    await plain.send({ topic: 'ctp-in', messages: input.map((value, i) => ({ value, partition: i % 2 })) });

    const producer = kafka.producer({ transactionalId: 'ctp-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    // An aborted transaction with offsets of another group: neither its output nor its offsets count.
    const doomed = await producer.transaction();
    await doomed.send({ topic: 'ctp-out', messages: [{ value: 'ABORTED' }] });
    await doomed.sendOffsets({ consumerGroupId: 'ctp-aborted', topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '5' }] }] });
    await doomed.abort();

    let processed = 0;
    const consumer = kafka.consumer({ groupId: 'ctp-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const txn = await producer.transaction();
        try {
          await txn.send({ topic: 'ctp-out', messages: batch.messages.map((m) => ({ value: m.value!.toString().toUpperCase(), partition: batch.partition })) });
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
          await txn.commit();
        } catch (err) {
          await txn.abort();
          throw err;
        }
        for (const m of batch.messages) resolveOffset(m.offset);
        processed += batch.messages.length;
      },
    });
    const end = Date.now() + 20_000;
    while (processed < input.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    expect(processed).toBe(input.length);

    const out = await consumeAll(kafka, 'ctp-out', 'ctp-reader', false, input.length);
    expect(out.sort()).toEqual(input.map((v) => v.toUpperCase()).sort());

    const ends = await admin.fetchTopicOffsets('ctp-in');
    const committed = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] });
    const byPartition = (xs: Array<{ partition: number; offset: string }>) => Object.fromEntries(xs.map((x) => [x.partition, x.offset]));
    expect(byPartition(committed[0]!.partitions)).toEqual(byPartition(ends.map((e) => ({ partition: e.partition, offset: e.high }))));
    const aborted = await admin.fetchOffsets({ groupId: 'ctp-aborted', topics: ['ctp-in'] });
    expect(aborted[0]!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);

    // The group resumes from the offsets its transactions committed: nothing is processed twice.
    const resumed = kafka.consumer({ groupId: 'ctp-group', maxWaitTimeInMs: 100 });
    let redelivered = 0;
    let joined = false;
    resumed.on(resumed.events.GROUP_JOIN, () => void (joined = true));
    await resumed.connect();
    cleanups.push(() => resumed.disconnect());
    await resumed.subscribe({ topic: 'ctp-in', fromBeginning: true });
    await resumed.run({ autoCommit: false, eachMessage: async () => void redelivered++ });
    const joinBy = Date.now() + 10_000;
    while (!joined && Date.now() < joinBy) await new Promise((r) => setTimeout(r, 50));
    expect(joined).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    await resumed.disconnect();
    expect(redelivered).toBe(0);
  });

  it('a transaction left open across a restart keeps its offsets pending; EndTxn(commit) afterwards makes them visible', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-txn-offsets-'));
    dirs.push(dataDir);
    const up = async () => {
      const broker = await startBroker({ dataDir });
      const c = await RawClient.connect('127.0.0.1', broker.port);
      return { broker, c, close: async () => { await c.close(); await broker.close(); } };
    };
    const fetch = async (c: RawClient, requireStable: boolean) => {
      const res = await c.request(ApiKey.OffsetFetch, 7, { ...defaultOffsetFetchRequest(), groupId: 'rs-group', topics: [{ name: 'rs-in', partitionIndexes: [0] }], requireStable });
      const p = res.topics[0].partitions[0];
      return [p.committedOffset as bigint, p.errorCode as number];
    };

    let run = await up();
    cleanups.push(() => run.close());
    const created = await run.c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'rs-in', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(0);
    const init = await run.c.request(ApiKey.InitProducerId, 4, { transactionalId: 'rs-tx', transactionTimeoutMs: 120_000, producerId: -1n, producerEpoch: -1 });
    const { producerId, producerEpoch } = init as { producerId: bigint; producerEpoch: number };
    expect((await run.c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'rs-tx', producerId, producerEpoch, groupId: 'rs-group' })).errorCode).toBe(0);
    const committed = await run.c.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'rs-tx', groupId: 'rs-group', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'rs-in', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
    });
    expect(committed.topics[0].partitions[0].errorCode).toBe(0);
    await run.close();

    run = await up();
    const desc = await run.c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['rs-tx'] });
    expect(desc.transactionStates[0].transactionState).toBe('Ongoing');
    expect(await fetch(run.c, false)).toEqual([-1n, 0]);
    expect(await fetch(run.c, true)).toEqual([-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    const ended = await run.c.request(ApiKey.EndTxn, 3, { transactionalId: 'rs-tx', producerId, producerEpoch, committed: true });
    expect(ended.errorCode).toBe(0);
    expect(await fetch(run.c, true)).toEqual([42n, 0]);
    await run.close();

    // Replaying the offsets, then the marker, gives the same answer.
    run = await up();
    expect(await fetch(run.c, true)).toEqual([42n, 0]);
  });
});
