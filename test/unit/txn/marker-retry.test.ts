/**
 * Transaction markers against a partition whose appends fail: the coordinator retries a marker
 * until it is written (Kafka's TransactionMarkerChannelManager), and writes CompleteCommit only
 * after it, so the partition's last stable offset never stays stuck behind a completed
 * transaction. A coordinator that closes first leaves the transaction prepared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicManager } from '../../../src/cluster/topic-manager.js';
import type { ProducerIdManager } from '../../../src/coordinator/producer-ids.js';
import { TransactionCoordinator } from '../../../src/coordinator/txn/transaction-coordinator.js';
import { TxnState } from '../../../src/coordinator/txn/transaction-metadata.js';
import { createLogger } from '../../../src/log.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { StorageError } from '../../../src/errors.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';

const logger = createLogger({ level: 'silent' });

/** Topics in memory; appends to `data-0` fail while `failures` is above zero. */
class FlakyTopics {
  readonly logs = new Map<string, PartitionLog>();
  readonly #topics = new Map<string, number>();
  failures = 0;
  attempts = 0;

  get(name: string) {
    const partitions = this.#topics.get(name);
    return partitions === undefined ? undefined : { name, partitions };
  }

  partition(topic: string, p: number) {
    const log = this.logs.get(`${topic}-${p}`);
    if (log === undefined || topic !== 'data') return log;
    return {
      append: (buf: Buffer, opts: object) => {
        this.attempts++;
        if (this.failures > 0) {
          this.failures--;
          return Promise.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'injected append failure'));
        }
        return log.append(buf, opts);
      },
    };
  }

  async create(spec: { name: string; numPartitions: number }) {
    this.#topics.set(spec.name, spec.numPartitions);
    for (let p = 0; p < spec.numPartitions; p++) {
      this.logs.set(`${spec.name}-${p}`, await PartitionLog.open({ store: new MemorySegmentStore(), topic: spec.name, partition: p, logger }));
    }
    return this.get(spec.name);
  }

  async close(): Promise<void> {
    for (const l of this.logs.values()) await l.close();
  }
}

let topics: FlakyTopics;
let txns: TransactionCoordinator;
afterEach(async () => {
  await txns.close();
  await topics.close();
});

/** A coordinator with one open transaction that wrote a record to data-0. */
async function openTransaction(): Promise<{ data: PartitionLog; producerId: bigint; producerEpoch: number }> {
  topics = new FlakyTopics();
  await topics.create({ name: 'data', numPartitions: 1 });
  let nextId = 1000n;
  txns = new TransactionCoordinator({
    topics: topics as unknown as TopicManager,
    producerIds: { generate: async () => nextId++ } as unknown as ProducerIdManager,
    logger,
    config: { numPartitions: 2, segmentBytes: 1 << 20, maxTimeoutMs: 900_000, transactionalIdExpirationMs: 604_800_000, abortTimedOutIntervalMs: 10_000, removeExpiredIntervalMs: 3_600_000, offsetsTopicPartitions: 2 },
    maxRetryBackoffMs: 1,
  });
  const { errorCode, producerId, producerEpoch } = await txns.initProducerId('t', 60_000);
  expect(errorCode).toBe(ErrorCode.NONE);
  expect(await txns.addPartitions('t', producerId, producerEpoch, [{ topic: 'data', partition: 0 }])).toBe(ErrorCode.NONE);
  const data = topics.logs.get('data-0')!;
  await data.append(buildBatch({ producerId, producerEpoch, baseSequence: 0, isTransactional: true, baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from('x') }] }));
  expect(data.lastStableOffset).toBe(0n);
  return { data, producerId, producerEpoch };
}

describe('transaction markers under append failures', () => {
  it('retries a marker past any fixed number of failures, then completes the transaction', async () => {
    const { data, producerId, producerEpoch } = await openTransaction();
    topics.failures = 40;
    expect((await txns.endTxn('t', producerId, producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
    expect(topics.attempts).toBe(41);
    // The marker is in: the partition is stable up to its end.
    expect(data.logEndOffset).toBe(2n);
    expect(data.lastStableOffset).toBe(2n);
    expect(txns.get('t')!.state).toBe(TxnState.CompleteCommit);
  });

  it('leaves the transaction prepared when the coordinator closes before the marker is written', async () => {
    const { data, producerId, producerEpoch } = await openTransaction();
    topics.failures = Number.POSITIVE_INFINITY;
    const ending = txns.endTxn('t', producerId, producerEpoch, false);
    while (topics.attempts < 3) await new Promise((r) => setTimeout(r, 1));
    await txns.close();
    await ending;
    expect(txns.get('t')!.state).toBe(TxnState.PrepareAbort);
    expect(data.lastStableOffset).toBe(0n);
  });
});
