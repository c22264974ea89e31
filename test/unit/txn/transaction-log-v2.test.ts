/**
 * __transaction_state under transactions v2: values in version 1 with the previous and next
 * producer id and the client's transaction version (version 0 still read), and the epoch
 * running out at the end of a transaction, where the coordinator moves the producer to a new id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicManager } from '../../../src/cluster/topic-manager.js';
import type { ProducerIdManager } from '../../../src/coordinator/producer-ids.js';
import { TransactionCoordinator, type TxnCoordinatorConfig, decodeTxnBatch } from '../../../src/coordinator/txn/transaction-coordinator.js';
import { type TxnRecordState, TxnState, decodeTxnRecord, encodeTxnKey, encodeTxnValue, tpKey } from '../../../src/coordinator/txn/transaction-metadata.js';
import { createLogger } from '../../../src/log.js';
import { Writer } from '../../../src/protocol/codec/writer.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { sizeTransactionLogValue, writeTransactionLogValue } from '../../../src/protocol/generated/transaction-coordinator/transaction-log-value.js';
import { forEachBatch } from '../../../src/protocol/records/record-batch.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';

const logger = createLogger({ level: 'silent' });
const CONFIG: TxnCoordinatorConfig = { numPartitions: 1, segmentBytes: 1 << 20, maxTimeoutMs: 900_000, transactionalIdExpirationMs: 604_800_000, abortTimedOutIntervalMs: 10_000, removeExpiredIntervalMs: 3_600_000, offsetsTopicPartitions: 1 };

const state = (changes: Partial<TxnRecordState>): TxnRecordState => ({
  producerId: 1000n,
  prevProducerId: -1n,
  nextProducerId: -1n,
  producerEpoch: 3,
  txnTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: new Set([tpKey('out', 0), tpKey('out', 1)]),
  txnStartTimestamp: 1_700_000_000_000,
  txnLastUpdateTimestamp: 1_700_000_000_500,
  clientTransactionVersion: 0,
  ...changes,
});

describe('TransactionLogValue versions', () => {
  it('writes version 1 with the producer ids and client transaction version, and reads it back', () => {
    const v = state({ prevProducerId: 900n, nextProducerId: 1100n, clientTransactionVersion: 2 });
    const bytes = encodeTxnValue(v);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeTxnRecord(encodeTxnKey('t'), bytes)).toEqual({ transactionalId: 't', value: v });
  });

  it('reads version 0, which has none of the tagged fields', () => {
    const value = {
      producerId: 77n,
      previousProducerId: -1n,
      nextProducerId: -1n,
      producerEpoch: 4,
      transactionTimeoutMs: 30_000,
      transactionStatus: TxnState.CompleteCommit,
      transactionPartitions: [],
      transactionLastUpdateTimestampMs: 5n,
      transactionStartTimestampMs: 2n,
      clientTransactionVersion: 0,
      nextProducerEpoch: -1,
    };
    const w = Writer.alloc(2 + sizeTransactionLogValue(value, 0));
    w.int16(0);
    writeTransactionLogValue(w, value, 0);
    const rec = decodeTxnRecord(encodeTxnKey('old'), w.finish());
    expect(rec).toEqual({
      transactionalId: 'old',
      value: state({ producerId: 77n, producerEpoch: 4, txnTimeoutMs: 30_000, state: TxnState.CompleteCommit, partitions: new Set(), txnStartTimestamp: 2, txnLastUpdateTimestamp: 5 }),
    });
  });
});

/** Topics in memory, enough for the coordinator. */
class MemoryTopics {
  readonly logs = new Map<string, PartitionLog>();
  readonly #topics = new Map<string, number>();
  get(name: string) {
    const partitions = this.#topics.get(name);
    return partitions === undefined ? undefined : { name, partitions };
  }
  partition(topic: string, p: number) {
    return this.logs.get(`${topic}-${p}`);
  }
  async create(spec: { name: string; numPartitions: number }) {
    this.#topics.set(spec.name, spec.numPartitions);
    for (let p = 0; p < spec.numPartitions; p++) this.logs.set(`${spec.name}-${p}`, await PartitionLog.open({ store: new MemorySegmentStore(), topic: spec.name, partition: p, logger }));
    return this.get(spec.name);
  }
  async close() {
    for (const l of this.logs.values()) await l.close();
  }
}

let topics: MemoryTopics | undefined;
const coordinators: TransactionCoordinator[] = [];
afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close();
  await topics?.close();
  topics = undefined;
});

function coordinator(): TransactionCoordinator {
  let nextId = 2000n;
  const c = new TransactionCoordinator({ topics: topics! as unknown as TopicManager, producerIds: { generate: async () => nextId++ } as unknown as ProducerIdManager, logger, config: CONFIG });
  coordinators.push(c);
  return c;
}

async function records(): Promise<Array<{ transactionalId: string; value: TxnRecordState | null }>> {
  const log = topics!.logs.get('__transaction_state-0')!;
  const out: Array<{ transactionalId: string; value: TxnRecordState | null }> = [];
  const res = await log.read(0n, 1 << 20);
  for (const buf of res.records) {
    forEachBatch(buf, (_h, at) => {
      out.push(...decodeTxnBatch(buf.subarray(at)));
    });
  }
  return out;
}

describe('epoch exhaustion on transactions v2', () => {
  it('the end that runs the epoch out moves the producer to the next id at epoch 0, and a retry is answered with it', async () => {
    topics = new MemoryTopics();
    await topics.create({ name: 'out', numPartitions: 1 });
    const txns = coordinator();
    await txns.ensureTopic();
    txns.replay('t', state({ producerEpoch: 32766, state: TxnState.Empty, partitions: new Set(), clientTransactionVersion: 2 }));
    expect(await txns.addPartitions('t', 1000n, 32766, [{ topic: 'out', partition: 0 }], 2)).toBe(ErrorCode.NONE);
    expect(await txns.endTxn('t', 1000n, 32766, true, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 2000n, producerEpoch: 0 });
    expect(txns.get('t')).toMatchObject({ state: TxnState.CompleteCommit, producerId: 2000n, prevProducerId: 1000n, nextProducerId: -1n, producerEpoch: 0 });
    // The retry comes with the old id and its last epoch.
    expect(await txns.endTxn('t', 1000n, 32766, true, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 2000n, producerEpoch: 0 });
    expect((await txns.endTxn('t', 1000n, 32765, true, 2)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);

    // The marker went out with the bumped epoch of the old id.
    const out = await topics.logs.get('out-0')!.read(0n, 1 << 20);
    const markers: Array<{ producerId: bigint; producerEpoch: number }> = [];
    for (const buf of out.records) {
      forEachBatch(buf, (h) => {
        if (h.isControl) markers.push({ producerId: h.producerId, producerEpoch: h.producerEpoch });
      });
    }
    expect(markers).toEqual([{ producerId: 1000n, producerEpoch: 32767 }]);

    const written = (await records()).map((r) => r.value);
    expect(written.map((v) => v && [v.state, v.producerId, v.producerEpoch, v.prevProducerId, v.nextProducerId, v.clientTransactionVersion])).toEqual([
      [TxnState.Ongoing, 1000n, 32766, -1n, -1n, 2],
      [TxnState.PrepareCommit, 1000n, 32767, -1n, 2000n, 2],
      [TxnState.CompleteCommit, 2000n, 0, 1000n, -1n, 2],
    ]);

    // Replayed by a new coordinator: the same producer, and the next transaction runs on it.
    await txns.close();
    const again = coordinator();
    await again.load();
    expect(again.get('t')).toMatchObject({ state: TxnState.CompleteCommit, producerId: 2000n, prevProducerId: 1000n, producerEpoch: 0, clientTransactionVersion: 2 });
    expect(await again.addPartitions('t', 2000n, 0, [{ topic: 'out', partition: 0 }], 2)).toBe(ErrorCode.NONE);
    expect(await again.endTxn('t', 2000n, 0, false, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 2000n, producerEpoch: 1 });
  });
});
