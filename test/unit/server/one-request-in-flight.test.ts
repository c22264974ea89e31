/**
 * Kafka processes one request at a time per connection (its SocketServer mutes a channel from
 * reading a request until the response is sent), so a request sees every effect of the requests
 * sent before it on the same connection, even when the client does not wait for their answers.
 * Skiff lets one exception overlap without changing what any request sees: a Produce behind
 * Produce requests starts once their appends hold their places in the partition logs' queues.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type CreateTopicsResponse, defaultCreatableTopic, defaultCreateTopicsRequest } from '../../../src/protocol/generated/019-create-topics.js';
import { type ProduceResponse, defaultProduceRequest } from '../../../src/protocol/generated/000-produce.js';
import { type ListOffsetsResponse, defaultListOffsetsPartition, defaultListOffsetsRequest, defaultListOffsetsTopic } from '../../../src/protocol/generated/002-list-offsets.js';
import { type FetchResponse, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic } from '../../../src/protocol/generated/001-fetch.js';
import type { InitProducerIdResponse } from '../../../src/protocol/generated/022-init-producer-id.js';
import { BATCH_HEADER_SIZE, Compression, Field, computeCrc, forEachBatch } from '../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { Broker } from '../../../src/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { createDispatch } from '../../../src/server/dispatch.js';
import { type Handler, loadedEntry } from '../../../src/server/handler.js';
import { Listener } from '../../../src/server/listener.js';
import { HANDLERS } from '../../../src/server/registry.js';
import type { AppendOptions } from '../../../src/storage/partition-log.js';
import { type Harness, createTopic, openHarness } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';
import { sleep, waitFor } from './helpers.js';

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A disk-backed broker, where creating a topic waits on the file system. */
async function openDiskHarness(): Promise<Harness> {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-one-in-flight-')));
  return openHarness({ dataDir: dir });
}

function createTopics(name: string) {
  return h!.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    ...defaultCreateTopicsRequest(),
    timeoutMs: 5000,
    topics: [{ ...defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1 }],
  });
}

function produceBody(topic: string, acks: number, value: string) {
  const records = buildBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from(value) }] });
  return { ...defaultProduceRequest(), acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

describe('one request in flight per connection', () => {
  it('a Produce pipelined behind the CreateTopics of its topic succeeds', async () => {
    h = await openDiskHarness();
    // Handlers loaded first, so that loading them does not order the two requests by itself.
    await createTopics('warm-up');
    await h.client.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('warm-up', -1, 'v'));
    const client = h.client;
    const [created, produced] = client.together(() => [createTopics('pipelined'), client.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('pipelined', -1, 'v'))] as const);
    expect((await created).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p = (await produced).responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.baseOffset).toBe(0n);
  });

  it('acks=0 produces pipelined behind CreateTopics are all applied before a later ListOffsets', async () => {
    h = await openDiskHarness();
    const client = h.client;
    const [created, offsets] = client.together(() => {
      const created = createTopics('pipelined-acks0');
      for (let i = 0; i < 20; i++) client.send(ApiKey.Produce, 9, produceBody('pipelined-acks0', 0, `v${i}`));
      const offsets = client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
        ...defaultListOffsetsRequest(),
        topics: [{ ...defaultListOffsetsTopic(), name: 'pipelined-acks0', partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }] }],
      });
      return [created, offsets] as const;
    });
    expect((await created).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p = (await offsets).topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.offset).toBe(20n);
  });
});

/**
 * A broker whose Produce, ListOffsets and Fetch handlers log when they start, behind a listener
 * with `maxOverlapping`, and a gate that holds the appends to one partition in its log's queue
 * (as a slow page-cache write would) until opened.
 */
async function openGatedBroker(topic: string, maxOverlapping?: number) {
  const log = createLogger({ level: 'silent' });
  const broker = await Broker.open(resolveConfig([{ source: 'test', values: { 'skiff.memory': true } }]), log);
  const started: string[] = [];
  const registry = new Map(HANDLERS);
  for (const [key, name] of [[ApiKey.Produce, 'produce'], [ApiKey.ListOffsets, 'list-offsets'], [ApiKey.Fetch, 'fetch']] as const) {
    const real: Handler = await HANDLERS.get(key)!.load();
    registry.set(key, loadedEntry({ ...real, handle: (req, ctx) => (started.push(name), real.handle(req, ctx)) }));
  }
  const listener = await Listener.listen({ host: '127.0.0.1', port: 0, dispatch: createDispatch(registry, broker, log), logger: log, limits: maxOverlapping === undefined ? {} : { maxOverlapping } });
  const client = await RawClient.connect('127.0.0.1', listener.port);
  await createTopic(client, topic);
  const partition = broker.topics.partition(topic, 0)!;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const append = partition.append.bind(partition);
  partition.append = (batches: Buffer, opts: AppendOptions = {}) => append(batches, { ...opts, ready: Promise.all([opts.ready, gate]) });
  return {
    client,
    started,
    open,
    async close() {
      await client.close();
      await listener.close({ timeoutMs: 100 });
      await broker.close();
    },
  };
}

function produceBatch(topic: string, batch: Buffer) {
  return { ...defaultProduceRequest(), acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] };
}

describe('Produce requests pipelined behind Produce requests', () => {
  let stack: Awaited<ReturnType<typeof openGatedBroker>> | undefined;
  afterEach(async () => {
    stack?.open();
    await stack?.close();
    stack = undefined;
  });

  it('start before the earlier ones are answered, take offsets in order and are answered in order; a ListOffsets and a Fetch behind them see them all', async () => {
    stack = await openGatedBroker('overlap');
    const { client } = stack;
    const batch = (value: string) => buildBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from(value) }] });
    const [first, second, offsets, fetched] = client.together(
      () =>
        [
          client.request<ProduceResponse>(ApiKey.Produce, 9, produceBatch('overlap', batch('a'))),
          client.request<ProduceResponse>(ApiKey.Produce, 9, produceBatch('overlap', batch('b'))),
          client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
            ...defaultListOffsetsRequest(),
            topics: [{ ...defaultListOffsetsTopic(), name: 'overlap', partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }] }],
          }),
          client.request<FetchResponse>(ApiKey.Fetch, 12, {
            ...defaultFetchRequest(),
            maxWaitMs: 0,
            topics: [{ ...defaultFetchTopic(), topic: 'overlap', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
          }),
        ] as const,
    );
    // Both Produce requests started while neither can be answered (their appends wait at the gate).
    await waitFor(() => stack!.started.length === 2, 'second produce started');
    await sleep(30);
    expect(stack.started).toEqual(['produce', 'produce']);
    stack.open();
    expect((await first).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect((await second).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect((await offsets).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, offset: 2n });
    const records = (await fetched).responses[0]!.partitions[0]!.records as Buffer;
    const bases: bigint[] = [];
    forEachBatch(records, (header) => void bases.push(header.baseOffset));
    expect(bases).toEqual([0n, 1n]);
    expect(stack.started).toEqual(['produce', 'produce', 'list-offsets', 'fetch']);
  });

  it("of an idempotent producer (sequence n, then n+1) are both accepted, in order", async () => {
    stack = await openGatedBroker('overlap-idempotent');
    const { client } = stack;
    const init = await client.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const batch = (baseSequence: number, count: number) =>
      buildBatch({
        baseTimestamp: 0n,
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        baseSequence,
        records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${baseSequence + i}`) })),
      });
    const request = (baseSequence: number, count: number) => ({ ...produceBatch('overlap-idempotent', batch(baseSequence, count)), acks: -1 });
    const [first, second] = client.together(
      () => [client.request<ProduceResponse>(ApiKey.Produce, 9, request(0, 3)), client.request<ProduceResponse>(ApiKey.Produce, 9, request(3, 2))] as const,
    );
    await waitFor(() => stack!.started.length === 2, 'second produce started');
    stack.open();
    expect((await first).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect((await second).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3n });
  });

  it('behind a compressed batch still validated off the event loop take the offsets after it, or its offsets when it is refused', async () => {
    stack = await openGatedBroker('overlap-compressed');
    const { client } = stack;
    // Random values do not compress: a section well over the size validated off the event loop.
    const compressed = () => buildBatch({ baseTimestamp: 0n, compression: Compression.gzip, records: Array.from({ length: 30 }, () => ({ key: null, value: randomBytes(1024) })) });
    const corrupt = compressed();
    corrupt.fill(0x55, BATCH_HEADER_SIZE + 20, BATCH_HEADER_SIZE + 400);
    corrupt.writeUInt32BE(computeCrc(corrupt), Field.crc);
    const plain = buildBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('after') }] });
    const answers = client.together(() =>
      [compressed(), plain, corrupt, plain].map((batch) => client.request<ProduceResponse>(ApiKey.Produce, 9, produceBatch('overlap-compressed', batch))),
    );
    await waitFor(() => stack!.started.length === 4, 'all four started');
    stack.open();
    const results = (await Promise.all(answers)).map((r) => r.responses[0]!.partitionResponses[0]!);
    // The refused batch takes no offsets (its error code is the validator's business).
    expect(results[2]!.errorCode).not.toBe(ErrorCode.NONE);
    expect(results.map((p) => p.baseOffset)).toEqual([0n, 30n, -1n, 31n]);
    expect(results.filter((p) => p.errorCode === ErrorCode.NONE)).toHaveLength(3);
  });

  it('start no more than maxOverlapping at once', async () => {
    stack = await openGatedBroker('overlap-bound', 3);
    const { client } = stack;
    const answers = client.together(() =>
      Array.from({ length: 7 }, (_, i) => client.request<ProduceResponse>(ApiKey.Produce, 9, produceBatch('overlap-bound', buildBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from(`v${i}`) }] })))),
    );
    await waitFor(() => stack!.started.length === 3, 'three started');
    await sleep(30);
    expect(stack.started).toHaveLength(3);
    stack.open();
    const offsets = (await Promise.all(answers)).map((r) => r.responses[0]!.partitionResponses[0]!.baseOffset);
    expect(offsets).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
  });
});
