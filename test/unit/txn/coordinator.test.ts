import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultOffsetFetchRequest } from '../../../src/protocol/generated/009-offset-fetch.js';
import { RawClient } from '../../support/raw-client.js';
import { createTopic, fetchPartition, latestOffset, produce, records, txnApi } from './raw-client-helpers.js';

const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('idempotence and transactions over the raw protocol', () => {
  let broker: RunningBroker | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    await client?.close();
    await broker?.close();
    client = broker = undefined;
  });

  async function start(config: Record<string, unknown> = {}, dataDir?: string): Promise<RawClient> {
    broker = dataDir ? await startBroker({ dataDir, config }) : await startBroker({ memory: true, config });
    client = await RawClient.connect('127.0.0.1', broker.port);
    return client;
  }

  it('InitProducerId without a transactional id: fresh ids, epoch 0, and its request checks', async () => {
    const c = await start();
    const a = await txnApi.init(c, null);
    const b = await txnApi.init(c, null, { producerId: a.producerId, producerEpoch: 0 });
    expect(a.errorCode).toBe(0);
    expect(a.producerEpoch).toBe(0);
    expect(b.producerId).not.toBe(a.producerId);
    expect((await txnApi.init(c, null, { producerId: 5n })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await txnApi.init(c, '')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await txnApi.init(c, 'tx', { timeoutMs: 900_001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await txnApi.init(c, 'tx', { timeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('producer ids come from persisted blocks and are never reused after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-pid-'));
    dirs.push(dataDir);
    let c = await start({}, dataDir);
    const first = (await txnApi.init(c, null)).producerId;
    await c.close();
    await broker!.close();
    c = await start({}, dataDir);
    const second = (await txnApi.init(c, null)).producerId;
    expect(second).toBeGreaterThanOrEqual(first + 1000n);
  });

  it('idempotent produce: duplicates, gaps and stale epochs', async () => {
    const c = await start();
    await createTopic(c, 'idem');
    const { producerId: pid } = await txnApi.init(c, null);
    expect((await produce(c, 'idem', 0, records({ pid, epoch: 0, seq: 0, count: 2 }))).baseOffset).toBe(0n);
    const dup = await produce(c, 'idem', 0, records({ pid, epoch: 0, seq: 0, count: 2 }));
    expect(dup.errorCode).toBe(0);
    expect(dup.baseOffset).toBe(0n);
    expect((await produce(c, 'idem', 0, records({ pid, epoch: 0, seq: 5 }))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produce(c, 'idem', 0, records({ pid, epoch: 1, seq: 0 }))).baseOffset).toBe(2n);
    expect((await produce(c, 'idem', 0, records({ pid, epoch: 0, seq: 2 }))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await produce(c, 'idem', 0, records({ pid, epoch: 1, seq: -1 }))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const { values } = await fetchPartition(c, 'idem', 0, READ_UNCOMMITTED);
    expect(values).toEqual(['v0', 'v1', 'v0']);
  });

  it('commit and abort: LSO, read_committed, aborted transactions, ListOffsets', async () => {
    const c = await start();
    await createTopic(c, 'out', 2);
    const init = await txnApi.init(c, 'app-1');
    expect(init.errorCode).toBe(0);
    expect(init.producerEpoch).toBe(0);
    const { producerId: pid, producerEpoch: epoch } = init;
    // Producing before AddPartitionsToTxn fails verification.
    expect((await produce(c, 'out', 0, records({ pid, epoch, seq: 0, txn: true }), 'app-1')).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await txnApi.end(c, 'app-1', pid, epoch, true)).toBe(ErrorCode.INVALID_TXN_STATE);

    // Transaction 1: aborted.
    const added = await txnApi.addPartitions(c, 'app-1', pid, epoch, 'out', [0, 1]);
    expect(added[0]!.resultsByPartition.map((r) => r.partitionErrorCode)).toEqual([0, 0]);
    expect((await produce(c, 'out', 0, records({ pid, epoch, seq: 0, count: 2, txn: true, prefix: 'a' }), 'app-1')).baseOffset).toBe(0n);
    const open = await fetchPartition(c, 'out', 0, READ_COMMITTED);
    expect(open.p.lastStableOffset).toBe(0n);
    expect(open.p.highWatermark).toBe(2n);
    expect(open.values).toEqual([]);
    expect(await latestOffset(c, 'out', 0, READ_COMMITTED)).toBe(0n);
    expect(await latestOffset(c, 'out', 0, READ_UNCOMMITTED)).toBe(2n);
    const desc = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['app-1', 'nope'] });
    expect(desc.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', producerId: pid, topics: [{ topic: 'out', partitions: [0, 1] }] });
    expect(desc.transactionStates[1].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const producers = await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: 'out', partitionIndexes: [0, 7] }] });
    expect(producers.topics[0].partitions[0].activeProducers[0]).toMatchObject({ producerId: pid, producerEpoch: 0, lastSequence: 1, currentTxnStartOffset: 0n });
    expect(producers.topics[0].partitions[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await txnApi.end(c, 'app-1', pid, epoch, false)).toBe(0);
    // A retried EndTxn of the same outcome succeeds; the other outcome is refused.
    expect(await txnApi.end(c, 'app-1', pid, epoch, false)).toBe(0);
    expect(await txnApi.end(c, 'app-1', pid, epoch, true)).toBe(ErrorCode.INVALID_TXN_STATE);

    // Transaction 2: committed.
    await txnApi.addPartitions(c, 'app-1', pid, epoch, 'out', [0]);
    expect((await produce(c, 'out', 0, records({ pid, epoch, seq: 2, count: 2, txn: true, prefix: 'c' }), 'app-1')).baseOffset).toBe(3n);
    expect(await txnApi.end(c, 'app-1', pid, epoch, true)).toBe(0);

    const committed = await fetchPartition(c, 'out', 0, READ_COMMITTED);
    expect(committed.p.lastStableOffset).toBe(6n);
    expect(committed.p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 0n }]);
    expect(committed.values).toEqual(['a0', 'a1', 'c2', 'c3']); // the consumer drops a0, a1 using the list above
    expect(committed.control).toBe(2);
    const uncommitted = await fetchPartition(c, 'out', 0, READ_UNCOMMITTED);
    expect(uncommitted.p.abortedTransactions).toBeNull();
    // Partition 1 got only an abort marker.
    expect((await fetchPartition(c, 'out', 1, READ_COMMITTED)).control).toBe(1);
    const listed = await c.request(ApiKey.ListTransactions, 1, { stateFilters: ['CompleteCommit', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    expect(listed.unknownStateFilters).toEqual(['Bogus']);
    expect(listed.transactionStates).toEqual([{ transactionalId: 'app-1', producerId: pid, transactionState: 'CompleteCommit' }]);
  });

  it('AddPartitionsToTxn and EndTxn error paths', async () => {
    const c = await start();
    await createTopic(c, 'ap');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'ap-1');
    const unknownTxn = await txnApi.addPartitions(c, 'ghost', pid, epoch, 'ap', [0]);
    expect(unknownTxn[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const missing = await c.request(ApiKey.AddPartitionsToTxn, 3, {
      transactions: [],
      v3AndBelowTransactionalId: 'ap-1',
      v3AndBelowProducerId: pid,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: [{ name: 'ap', partitions: [0, 9] }],
    });
    expect(missing.resultsByTopicV3AndBelow[0].resultsByPartition.map((r: { partitionErrorCode: number }) => r.partitionErrorCode)).toEqual([
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(await txnApi.end(c, 'ap-1', pid + 1n, epoch, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await txnApi.end(c, '', pid, epoch, true)).toBe(ErrorCode.INVALID_REQUEST);
    // A second InitProducerId fences the first producer.
    const again = await txnApi.init(c, 'ap-1');
    expect(again.producerEpoch).toBe(epoch + 1);
    expect((await txnApi.addPartitions(c, 'ap-1', pid, epoch, 'ap', [0]))[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await txnApi.addPartitions(c, 'ap-1', pid, epoch, 'ap', [0], 1))[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await txnApi.end(c, 'ap-1', pid, epoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await txnApi.end(c, 'ap-1', pid, epoch, true, 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    // KIP-360 recovery with the current id and epoch bumps; with a stale epoch it is fenced.
    const recovered = await txnApi.init(c, 'ap-1', { producerId: pid, producerEpoch: again.producerEpoch });
    expect(recovered.producerEpoch).toBe(again.producerEpoch + 1);
    const retried = await txnApi.init(c, 'ap-1', { producerId: pid, producerEpoch: again.producerEpoch });
    expect(retried.producerEpoch).toBe(recovered.producerEpoch);
    expect((await txnApi.init(c, 'ap-1', { producerId: pid, producerEpoch: 0 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await txnApi.init(c, 'ap-1', { producerId: pid, producerEpoch: 0, version: 3 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    // Batched v4 verify-only.
    const v4 = await c.request(ApiKey.AddPartitionsToTxn, 4, {
      transactions: [{ transactionalId: 'ap-1', producerId: pid, producerEpoch: recovered.producerEpoch, verifyOnly: true, topics: [{ name: 'ap', partitions: [0] }] }],
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    });
    expect(v4.resultsByTransaction[0].topicResults[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('fencing an open transaction: CONCURRENT_TRANSACTIONS, abort, and the old epoch refused on produce', async () => {
    const c = await start();
    await createTopic(c, 'fence');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'f-1');
    await txnApi.addPartitions(c, 'f-1', pid, epoch, 'fence', [0]);
    await produce(c, 'fence', 0, records({ pid, epoch, seq: 0, txn: true }), 'f-1');
    expect((await txnApi.init(c, 'f-1')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const next = await txnApi.init(c, 'f-1');
    expect(next.errorCode).toBe(0);
    expect(next.producerEpoch).toBe(epoch + 2);
    const r = await produce(c, 'fence', 0, records({ pid, epoch, seq: 1, txn: true }), 'f-1');
    expect(r.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const f = await fetchPartition(c, 'fence', 0, READ_COMMITTED);
    expect(f.p.lastStableOffset).toBe(2n);
    expect(f.p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 0n }]);
  });

  it('aborts a transaction past its timeout and fences its producer', async () => {
    const c = await start({ 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 100 });
    await createTopic(c, 'slow');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 's-1', { timeoutMs: 300 });
    await txnApi.addPartitions(c, 's-1', pid, epoch, 'slow', [0]);
    await produce(c, 'slow', 0, records({ pid, epoch, seq: 0, txn: true }), 's-1');
    await waitFor(async () => (await fetchPartition(c, 'slow', 0, READ_COMMITTED)).p.lastStableOffset === 2n);
    expect(await txnApi.end(c, 's-1', pid, epoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    const desc = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['s-1'] });
    expect(desc.transactionStates[0]).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: epoch + 1 });
  });

  it('a restart reloads an open transaction, aborts it past its timeout, and keeps producer state', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-txn-restart-'));
    dirs.push(dataDir);
    const config = { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 100 };
    let c = await start(config, dataDir);
    await createTopic(c, 'rs');
    const idem = await txnApi.init(c, null);
    expect((await produce(c, 'rs', 0, records({ pid: idem.producerId, epoch: 0, seq: 0, count: 3 }))).baseOffset).toBe(0n);
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'r-1', { timeoutMs: 1500 });
    await txnApi.addPartitions(c, 'r-1', pid, epoch, 'rs', [0]);
    await produce(c, 'rs', 0, records({ pid, epoch, seq: 0, count: 2, txn: true }), 'r-1');
    await c.close();
    await broker!.close();

    c = await start(config, dataDir);
    const desc = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['r-1'] });
    expect(desc.transactionStates[0]).toMatchObject({ transactionState: 'Ongoing', producerId: pid, topics: [{ topic: 'rs', partitions: [0] }] });
    expect((await fetchPartition(c, 'rs', 0, READ_COMMITTED)).p.lastStableOffset).toBe(3n);
    // The idempotent producer's retry is still a duplicate.
    const dup = await produce(c, 'rs', 0, records({ pid: idem.producerId, epoch: 0, seq: 0, count: 3 }));
    expect(dup.baseOffset).toBe(0n);
    await waitFor(async () => (await fetchPartition(c, 'rs', 0, READ_COMMITTED)).p.lastStableOffset === 6n);
    const f = await fetchPartition(c, 'rs', 0, READ_COMMITTED);
    expect(f.p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 3n }]);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('offsets in transactions (transaction side)', () => {
  it('AddOffsetsToTxn puts the group partition in the transaction; EndTxn marks __consumer_offsets; TxnOffsetCommit checks it', async () => {
    const broker = await startBroker({ memory: true });
    const c = await RawClient.connect('127.0.0.1', broker.port);
    try {
      await createTopic(c, 'x');
      const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'o-1');
      const commit = (version: number) =>
        c.request(ApiKey.TxnOffsetCommit, version, {
          transactionalId: 'o-1',
          groupId: 'g',
          producerId: pid,
          producerEpoch: epoch,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: 'x', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
        });
      expect((await commit(3)).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
      const added = await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'o-1', producerId: pid, producerEpoch: epoch, groupId: 'g' });
      expect(added.errorCode).toBe(0);
      const desc = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['o-1'] });
      const offsetsPartition = desc.transactionStates[0].topics[0].partitions[0] as number;
      expect(desc.transactionStates[0].topics[0].topic).toBe('__consumer_offsets');
      // The group coordinator takes part: the offsets are a transactional batch, then the marker.
      expect((await commit(3)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      expect(await txnApi.end(c, 'o-1', pid, epoch, true)).toBe(0);
      const f = await fetchPartition(c, '__consumer_offsets', offsetsPartition, READ_COMMITTED);
      expect(f.control).toBe(1);
      expect(f.values).toHaveLength(1);
      const stale = await c.request(ApiKey.AddOffsetsToTxn, 1, { transactionalId: 'o-1', producerId: pid, producerEpoch: epoch - 1, groupId: 'g' });
      expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    } finally {
      await c.close();
      await broker.close();
    }
  });
});

/** A consumer-protocol subscription (v0) to the given topics, as JoinGroup carries it. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

describe('TxnOffsetCommit and OffsetFetch requireStable (group side)', () => {
  let broker: RunningBroker | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    await client?.close();
    await broker?.close();
    client = broker = undefined;
  });

  type Part = { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null };
  const part = (partitionIndex: number, committedOffset: bigint, committedMetadata: string | null = null): Part => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata });
  type Member = { generationId?: number; memberId?: string; groupInstanceId?: string | null };

  async function txnCommit(c: RawClient, id: string, pid: bigint, epoch: number, groupId: string, topics: Array<{ name: string; partitions: Part[] }>, member: Member = {}, version = 3): Promise<number[][]> {
    const res = await c.request(ApiKey.TxnOffsetCommit, version, {
      transactionalId: id, groupId, producerId: pid, producerEpoch: epoch,
      generationId: member.generationId ?? -1, memberId: member.memberId ?? '', groupInstanceId: member.groupInstanceId ?? null, topics,
    });
    return res.topics.map((t: { partitions: Array<{ errorCode: number }> }) => t.partitions.map((p) => p.errorCode));
  }

  async function fetchOffsets(c: RawClient, groupId: string, topic: string, partitions: number[], requireStable: boolean, version = 7): Promise<Array<[bigint, number]>> {
    const topics = [{ name: topic, partitionIndexes: partitions }];
    if (version >= 8) {
      const res = await c.request(ApiKey.OffsetFetch, version, { ...defaultOffsetFetchRequest(), requireStable, groups: [{ groupId, memberId: null, memberEpoch: -1, topics }] });
      expect(res.groups[0].errorCode).toBe(0);
      return res.groups[0].topics[0].partitions.map((p: { committedOffset: bigint; errorCode: number }) => [p.committedOffset, p.errorCode]);
    }
    const res = await c.request(ApiKey.OffsetFetch, version, { ...defaultOffsetFetchRequest(), groupId, topics, requireStable });
    expect(res.errorCode).toBe(0);
    return res.topics[0].partitions.map((p: { committedOffset: bigint; errorCode: number }) => [p.committedOffset, p.errorCode]);
  }

  it('offsets stay pending (UNSTABLE_OFFSET_COMMIT under requireStable) until the commit marker; an abort drops them', async () => {
    broker = await startBroker({ memory: true });
    const c = (client = await RawClient.connect('127.0.0.1', broker.port));
    await createTopic(c, 'in', 2);
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'pend-1');
    expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'pend-1', producerId: pid, producerEpoch: epoch, groupId: 'g1' })).errorCode).toBe(0);
    expect(await txnCommit(c, 'pend-1', pid, epoch, 'g1', [{ name: 'in', partitions: [part(0, 7n), part(1, 9n)] }])).toEqual([[0, 0]]);

    // Not visible yet; requireStable asks the client to wait (v7 single group, v8 batched).
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], false)).toEqual([[-1n, 0], [-1n, 0]]);
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], true)).toEqual([[-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]]);
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], true, 8)).toEqual([[-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]]);

    expect(await txnApi.end(c, 'pend-1', pid, epoch, true)).toBe(0);
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], true)).toEqual([[7n, 0], [9n, 0]]);

    // The next transaction of the same producer is aborted: its offsets never show.
    expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'pend-1', producerId: pid, producerEpoch: epoch, groupId: 'g1' })).errorCode).toBe(0);
    expect(await txnCommit(c, 'pend-1', pid, epoch, 'g1', [{ name: 'in', partitions: [part(0, 100n)] }])).toEqual([[0]]);
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], true)).toEqual([[-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], [9n, 0]]);
    expect(await fetchOffsets(c, 'g1', 'in', [0], false)).toEqual([[7n, 0]]);
    expect(await txnApi.end(c, 'pend-1', pid, epoch, false)).toBe(0);
    expect(await fetchOffsets(c, 'g1', 'in', [0, 1], true)).toEqual([[7n, 0], [9n, 0]]);
  });

  it('TxnOffsetCommit error paths: topics, group id, producer, metadata size, member and generation', async () => {
    broker = await startBroker({ memory: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    const c = (client = await RawClient.connect('127.0.0.1', broker.port));
    await createTopic(c, 'in', 2);
    const id = 'err-1';
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, id);
    // Not in the transaction yet (no AddOffsetsToTxn).
    expect(await txnCommit(c, id, pid, epoch, 'grp', [{ name: 'in', partitions: [part(0, 1n)] }])).toEqual([[ErrorCode.INVALID_TXN_STATE]]);
    expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, groupId: 'grp' })).errorCode).toBe(0);

    // Unknown topics and partitions answer for themselves; the rest is committed.
    expect(await txnCommit(c, id, pid, epoch, 'grp', [
      { name: 'nope', partitions: [part(0, 1n)] },
      { name: 'in', partitions: [part(0, 3n), part(5, 1n)] },
    ])).toEqual([[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(await txnCommit(c, id, pid, epoch, '', [{ name: 'in', partitions: [part(0, 1n)] }])).toEqual([[ErrorCode.INVALID_GROUP_ID]]);
    // offset.metadata.max.bytes (4096).
    expect(await txnCommit(c, id, pid, epoch, 'grp', [{ name: 'in', partitions: [part(0, 4n, 'm'.repeat(4097)), part(1, 4n, 'ok')] }])).toEqual([[ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]]);
    // A stale epoch is fenced (INVALID_PRODUCER_EPOCH below v3); another producer id is not in the transaction.
    expect(await txnCommit(c, id, pid, epoch - 1, 'grp', [{ name: 'in', partitions: [part(0, 1n)] }])).toEqual([[ErrorCode.PRODUCER_FENCED]]);
    expect(await txnCommit(c, id, pid, epoch - 1, 'grp', [{ name: 'in', partitions: [part(0, 1n)] }], {}, 2)).toEqual([[ErrorCode.INVALID_PRODUCER_EPOCH]]);
    expect(await txnCommit(c, id, pid + 1n, epoch, 'grp', [{ name: 'in', partitions: [part(0, 1n)] }])).toEqual([[ErrorCode.INVALID_TXN_STATE]]);
    // An unknown group accepts generation -1 only (a simple consumer).
    expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, groupId: 'ghost' })).errorCode).toBe(0);
    expect(await txnCommit(c, id, pid, epoch, 'ghost', [{ name: 'in', partitions: [part(0, 1n)] }], { generationId: 3, memberId: 'm' })).toEqual([[ErrorCode.ILLEGAL_GENERATION]]);

    // A static member in a stable group: generation, member id and instance id are checked (v3+).
    const join = (memberId: string) =>
      c.request(ApiKey.JoinGroup, 5, {
        groupId: 'members', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000, memberId, groupInstanceId: 'inst-1', protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription(['in']) }], reason: null,
      });
    const joined = await join('');
    expect(joined.errorCode).toBe(0);
    const synced = await c.request(ApiKey.SyncGroup, 5, {
      groupId: 'members', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'inst-1', protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }],
    });
    expect(synced.errorCode).toBe(0);
    expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, groupId: 'members' })).errorCode).toBe(0);
    const commit = (member: Member) => txnCommit(c, id, pid, epoch, 'members', [{ name: 'in', partitions: [part(1, 11n)] }], member);
    const me = { generationId: joined.generationId as number, memberId: joined.memberId as string, groupInstanceId: 'inst-1' };
    expect(await commit({ ...me, generationId: me.generationId + 1 })).toEqual([[ErrorCode.ILLEGAL_GENERATION]]);
    expect(await commit({ ...me, memberId: 'someone-else' })).toEqual([[ErrorCode.FENCED_INSTANCE_ID]]);
    expect(await commit({ ...me, groupInstanceId: 'inst-2' })).toEqual([[ErrorCode.UNKNOWN_MEMBER_ID]]);
    expect(await commit({ ...me, groupInstanceId: null, memberId: 'ghost' })).toEqual([[ErrorCode.UNKNOWN_MEMBER_ID]]);
    expect(await commit(me)).toEqual([[0]]);
    // v0-v2 carry no member: accepted by a non-empty group, as in Kafka.
    expect(await txnCommit(c, id, pid, epoch, 'members', [{ name: 'in', partitions: [part(0, 12n)] }], {}, 2)).toEqual([[0]]);

    expect(await txnApi.end(c, id, pid, epoch, true)).toBe(0);
    expect(await fetchOffsets(c, 'members', 'in', [0, 1], true)).toEqual([[12n, 0], [11n, 0]]);
    expect(await fetchOffsets(c, 'grp', 'in', [0, 1], true)).toEqual([[3n, 0], [4n, 0]]);
    expect(await fetchOffsets(c, 'ghost', 'in', [0], true)).toEqual([[-1n, 0]]);
  });
});
