/**
 * Transactions v2 (KIP-890 part 2) over the raw protocol: Produce v12+ adds partitions to the
 * transaction itself, EndTxn v5 bumps the epoch at every end and answers it, TxnOffsetCommit
 * v5 adds the group's partition; the v1 path keeps working beside it. Also WriteTxnMarkers
 * as the admin client sends it, and ListTransactions v2's id pattern.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { RawClient } from '../../support/raw-client.js';
import { createTopic, fetchPartition, produce, records, txnApi } from './raw-client-helpers.js';

const READ_COMMITTED = 1;

let broker: RunningBroker | undefined;
let client: RawClient | undefined;
afterEach(async () => {
  await client?.close();
  await broker?.close();
  client = broker = undefined;
});

async function start(): Promise<RawClient> {
  broker = await startBroker({ memory: true });
  client = await RawClient.connect('127.0.0.1', broker.port);
  return client;
}

async function endV5(c: RawClient, id: string, producerId: bigint, producerEpoch: number, committed: boolean) {
  return c.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(ApiKey.EndTxn, 5, { transactionalId: id, producerId, producerEpoch, committed });
}

async function describe1(c: RawClient, id: string) {
  return (await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0];
}

describe('transactions v2', () => {
  it('Produce v12 adds the partition; EndTxn v5 bumps the epoch, writes markers with it and answers it', async () => {
    const c = await start();
    await createTopic(c, 'v2', 2);
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'tv2');
    // v11 still verifies only: without AddPartitionsToTxn the batch is refused (abortable from v11).
    expect((await produce(c, 'v2', 0, records({ pid, epoch, seq: 0, txn: true }), 'tv2', 11)).errorCode).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect((await produce(c, 'v2', 0, records({ pid, epoch, seq: 0, txn: true }), 'tv2', 10)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const first = await produce(c, 'v2', 0, records({ pid, epoch, seq: 0, count: 2, txn: true, prefix: 'a' }), 'tv2', 12);
    expect(first.errorCode).toBe(ErrorCode.NONE);
    expect(await describe1(c, 'tv2')).toMatchObject({ transactionState: 'Ongoing', producerEpoch: epoch, topics: [{ topic: 'v2', partitions: [0] }] });

    const committed = await endV5(c, 'tv2', pid, epoch, true);
    expect(committed).toMatchObject({ errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: epoch + 1 });
    expect(await describe1(c, 'tv2')).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: epoch + 1 });
    const producers = await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: 'v2', partitionIndexes: [0] }] });
    expect(producers.topics[0].partitions[0].activeProducers[0]).toMatchObject({ producerId: pid, producerEpoch: epoch + 1, currentTxnStartOffset: -1n });

    // A retry of that EndTxn (the old epoch) is answered as done, with the epoch to go on with.
    expect(await endV5(c, 'tv2', pid, epoch, true)).toMatchObject({ errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: epoch + 1 });
    expect((await endV5(c, 'tv2', pid, epoch, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    // The next transaction runs at the new epoch from sequence 0; it is aborted.
    const next = epoch + 1;
    expect((await produce(c, 'v2', 0, records({ pid, epoch: next, seq: 0, txn: true, prefix: 'b' }), 'tv2', 12)).errorCode).toBe(ErrorCode.NONE);
    expect(await endV5(c, 'tv2', pid, next, false)).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: next + 1 });
    // The epoch before is fenced now: not the current one, not a retry of the last end.
    expect(await endV5(c, 'tv2', pid, epoch, true)).toMatchObject({ errorCode: ErrorCode.PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 });
    expect((await produce(c, 'v2', 0, records({ pid, epoch: next, seq: 1, txn: true }), 'tv2', 12)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    const read = await fetchPartition(c, 'v2', 0, READ_COMMITTED);
    expect(read.values).toEqual(['a0', 'a1', 'b0']);
    expect(read.control).toBe(2);
    expect(read.p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 3n }]);
    expect(read.p.lastStableOffset).toBe(5n);
  });

  it('Produce v12 adds every partition of one request in one go', async () => {
    const c = await start();
    await createTopic(c, 'multi', 3);
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'multi');
    const res = await c.request(ApiKey.Produce, 12, {
      transactionalId: 'multi',
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'multi', topicId: '', partitionData: [0, 2].map((index) => ({ index, records: records({ pid, epoch, seq: 0, txn: true }) })) }],
    });
    expect(res.responses[0].partitionResponses.map((p: { errorCode: number }) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(await describe1(c, 'multi')).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic: 'multi', partitions: [0, 2] }] });
  });

  it('EndTxn v5 aborts with nothing open (and bumps the epoch), refuses such a commit, and v4 keeps v1 semantics', async () => {
    const c = await start();
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'empty');
    expect((await endV5(c, 'empty', pid, epoch, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await endV5(c, 'empty', pid, epoch, false)).toMatchObject({ errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: epoch + 1 });
    expect(await describe1(c, 'empty')).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: epoch + 1, topics: [] });
    // The v1 path: no bump, and an end with nothing open is INVALID_TXN_STATE.
    const { producerId: pid1, producerEpoch: epoch1 } = await txnApi.init(c, 'v1');
    expect(await txnApi.end(c, 'v1', pid1, epoch1, false, 4)).toBe(ErrorCode.INVALID_TXN_STATE);
    await createTopic(c, 'v1t');
    await txnApi.addPartitions(c, 'v1', pid1, epoch1, 'v1t', [0]);
    expect((await produce(c, 'v1t', 0, records({ pid: pid1, epoch: epoch1, seq: 0, txn: true }), 'v1', 11)).errorCode).toBe(ErrorCode.NONE);
    const v4 = await c.request(ApiKey.EndTxn, 4, { transactionalId: 'v1', producerId: pid1, producerEpoch: epoch1, committed: true });
    expect(v4.errorCode).toBe(ErrorCode.NONE);
    expect(await describe1(c, 'v1')).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: epoch1 });
  });

  it('Produce v12 answers the coordinator: unknown producer id mapping, and a stale epoch as INVALID_PRODUCER_EPOCH', async () => {
    const c = await start();
    await createTopic(c, 'err');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'e');
    expect((await produce(c, 'err', 0, records({ pid: pid + 1n, epoch, seq: 0, txn: true }), 'e', 12)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    await txnApi.init(c, 'e');
    expect((await produce(c, 'err', 0, records({ pid, epoch, seq: 0, txn: true }), 'e', 12)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await describe1(c, 'e')).toMatchObject({ transactionState: 'Empty', topics: [] });
  });

  it('TxnOffsetCommit v5 adds the group partition itself; v3 and v4 still need AddOffsetsToTxn', async () => {
    const c = await start();
    await createTopic(c, 'src');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'off');
    const commit = (version: number, producerEpoch = epoch) =>
      c.request(ApiKey.TxnOffsetCommit, version, {
        transactionalId: 'off',
        groupId: 'g5',
        producerId: pid,
        producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'src', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commit(3)).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await commit(4)).topics[0].partitions[0].errorCode).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect((await commit(5)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const desc = await describe1(c, 'off');
    expect(desc).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic: '__consumer_offsets' }] });
    expect((await endV5(c, 'off', pid, epoch, true)).errorCode).toBe(ErrorCode.NONE);
    const fetched = await c.request(ApiKey.OffsetFetch, 9, {
      groupId: '',
      topics: [],
      requireStable: true,
      groups: [{ groupId: 'g5', memberId: null, memberEpoch: -1, topics: [{ name: 'src', topicId: '', partitionIndexes: [0] }] }],
    });
    expect(fetched.groups[0].topics[0].partitions[0]).toMatchObject({ committedOffset: 7n, errorCode: ErrorCode.NONE });
    // The old epoch is refused after the bump, as Kafka's verification reports it.
    expect((await commit(5)).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

describe('WriteTxnMarkers from a client (admin abortTransaction)', () => {
  it('aborts a hanging transaction on a partition, with Kafka error codes for the rest', async () => {
    const c = await start();
    await createTopic(c, 'hang');
    const { producerId: pid, producerEpoch: epoch } = await txnApi.init(c, 'h');
    await produce(c, 'hang', 0, records({ pid, epoch, seq: 0, count: 2, txn: true }), 'h', 12);
    expect((await fetchPartition(c, 'hang', 0, READ_COMMITTED)).p.lastStableOffset).toBe(0n);
    const write = (producerEpoch: number, coordinatorEpoch: number, topic = 'hang', partitions = [0]) =>
      c.request(ApiKey.WriteTxnMarkers, 2, {
        markers: [{ producerId: pid, producerEpoch, transactionResult: false, topics: [{ name: topic, partitionIndexes: partitions }], coordinatorEpoch, transactionVersion: 0 }],
      });
    const res = await write(epoch, 5, 'hang', [0, 3]);
    expect(res.markers[0]).toEqual({ producerId: pid, topics: [{ name: 'hang', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }] });
    const after = await fetchPartition(c, 'hang', 0, READ_COMMITTED);
    expect(after.p.lastStableOffset).toBe(3n);
    expect(after.p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 0n }]);
    // An older coordinator epoch is a zombie coordinator; an older producer epoch is refused.
    expect((await write(epoch, 4)).markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect((await write(epoch + 1, 5)).markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await write(epoch, 5)).markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await write(epoch, 5, 'nope')).markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('ListTransactions v2', () => {
  it('filters by a pattern the whole id must match; a pattern that does not compile is INVALID_REGULAR_EXPRESSION', async () => {
    const c = await start();
    for (const id of ['pay-1', 'pay-2', 'xpay-3']) await txnApi.init(c, id);
    const list = async (transactionalIdPattern: string | null, version = 2) =>
      c.request(ApiKey.ListTransactions, version, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern });
    const ids = (res: { transactionStates: Array<{ transactionalId: string }> }) => res.transactionStates.map((t) => t.transactionalId).sort();
    expect(ids(await list('pay-.*'))).toEqual(['pay-1', 'pay-2']);
    expect(ids(await list('pay'))).toEqual([]);
    expect(ids(await list(''))).toEqual(['pay-1', 'pay-2', 'xpay-3']);
    expect(ids(await list(null))).toEqual(['pay-1', 'pay-2', 'xpay-3']);
    const bad = await list('pay-[');
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    expect(bad.transactionStates).toEqual([]);
  });
});
