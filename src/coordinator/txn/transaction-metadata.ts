/**
 * A transactional id's state as Kafka's TransactionMetadata keeps it, the states with their
 * ids in __transaction_state, which transitions are legal, and the records: key = int16 0 +
 * TransactionLogKey, value = int16 version + TransactionLogValue, null = tombstone. Values
 * are written in version 1, the flexible format Kafka writes once transaction.version is 1
 * or more (previous and next producer id and the client's transaction version in tagged
 * fields); both versions are read, so logs written before transactions v2 replay as well.
 */
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { readTransactionLogKey, sizeTransactionLogKey, writeTransactionLogKey } from '../../protocol/generated/transaction-coordinator/transaction-log-key.js';
import {
  type TransactionLogValue,
  readTransactionLogValue,
  sizeTransactionLogValue,
  writeTransactionLogValue,
} from '../../protocol/generated/transaction-coordinator/transaction-log-value.js';

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

export const TXN_STATE_NAMES: Record<TxnState, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export function txnStateByName(name: string): TxnState | undefined {
  for (const [id, n] of Object.entries(TXN_STATE_NAMES)) if (n === name) return Number(id) as TxnState;
  return undefined;
}

/** Kafka's TransactionState.validPreviousStates. */
const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  0: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  1: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  2: [TxnState.Ongoing],
  3: [TxnState.Ongoing, TxnState.PrepareEpochFence, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  4: [TxnState.PrepareCommit],
  5: [TxnState.PrepareAbort],
  6: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  7: [TxnState.Ongoing],
};

export function isValidTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/**
 * The transaction version a client speaks (Kafka's TransactionVersion): 0 for the v1 protocol
 * (AddPartitionsToTxn, one epoch for the producer's life), 2 for transactions v2 (KIP-890:
 * partitions added by Produce v12+ and TxnOffsetCommit v5, an epoch bump with every EndTxn v5).
 */
export const TRANSACTION_VERSION_2 = 2;

export function supportsEpochBump(clientTransactionVersion: number): boolean {
  return clientTransactionVersion >= TRANSACTION_VERSION_2;
}

/** The TransactionLogValue version written (Kafka's TransactionVersion.transactionLogValueVersion at level 2). */
const TXN_VALUE_VERSION = 1;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const MAX_EPOCH = 32767;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

export interface TopicPartitionKey {
  topic: string;
  partition: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function parseTpKey(key: string): TopicPartitionKey {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** The durable fields (what a record carries). */
export interface TxnRecordState {
  producerId: bigint;
  prevProducerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  /** tpKey()s. */
  partitions: Set<string>;
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The transaction version of the client that last changed the transaction. */
  clientTransactionVersion: number;
}

export interface TxnMetadata extends TxnRecordState {
  readonly transactionalId: string;
  /** Not persisted: Kafka reloads it as -1. */
  lastProducerEpoch: number;
  /** A transition being written; other operations get CONCURRENT_TRANSACTIONS meanwhile. */
  pendingState: TxnState | undefined;
  /** Kafka's hasFailedEpochFence. */
  hasFailedEpochFence: boolean;
}

export interface TxnTransit extends TxnRecordState {
  lastProducerEpoch: number;
}

export function newTxnMetadata(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TxnMetadata {
  return {
    transactionalId,
    producerId,
    prevProducerId: NO_PRODUCER_ID,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: TxnState.Empty,
    partitions: new Set(),
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
    clientTransactionVersion: 0,
    pendingState: undefined,
    hasFailedEpochFence: false,
  };
}

export function toTransit(m: TxnMetadata, changes: Partial<TxnTransit>): TxnTransit {
  return {
    producerId: m.producerId,
    prevProducerId: m.prevProducerId,
    nextProducerId: m.nextProducerId,
    producerEpoch: m.producerEpoch,
    lastProducerEpoch: m.lastProducerEpoch,
    txnTimeoutMs: m.txnTimeoutMs,
    state: m.state,
    partitions: new Set(m.partitions),
    txnStartTimestamp: m.txnStartTimestamp,
    txnLastUpdateTimestamp: m.txnLastUpdateTimestamp,
    clientTransactionVersion: m.clientTransactionVersion,
    ...changes,
  };
}

/** Partitions grouped by topic, as the record and the Describe APIs list them. */
export function partitionsByTopic(partitions: Iterable<string>): Array<{ topic: string; partitions: number[] }> {
  const by = new Map<string, number[]>();
  for (const k of partitions) {
    const { topic, partition } = parseTpKey(k);
    (by.get(topic) ?? by.set(topic, []).get(topic)!).push(partition);
  }
  return [...by].map(([topic, ps]) => ({ topic, partitions: ps.sort((a, b) => a - b) }));
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const v = { transactionalId };
  const w = Writer.alloc(2 + sizeTransactionLogKey(v, 0));
  w.int16(0);
  writeTransactionLogKey(w, v, 0);
  return w.finish();
}

export function encodeTxnValue(t: TxnRecordState): Buffer {
  const value: TransactionLogValue = {
    producerId: t.producerId,
    previousProducerId: t.prevProducerId,
    nextProducerId: t.nextProducerId,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.txnTimeoutMs,
    transactionStatus: t.state,
    transactionPartitions: t.state === TxnState.Empty ? null : partitionsByTopic(t.partitions).map((p) => ({ topic: p.topic, partitionIds: p.partitions })),
    transactionLastUpdateTimestampMs: BigInt(t.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(t.txnStartTimestamp),
    clientTransactionVersion: t.clientTransactionVersion,
    nextProducerEpoch: -1,
  };
  const w = Writer.alloc(2 + sizeTransactionLogValue(value, TXN_VALUE_VERSION));
  w.int16(TXN_VALUE_VERSION);
  writeTransactionLogValue(w, value, TXN_VALUE_VERSION);
  return w.finish();
}

export type TxnLogRecord = { transactionalId: string; value: TxnRecordState | null } | { unknown: true };

/** Decodes a __transaction_state record; keys or values of versions Skiff does not know are skipped, as Kafka does. */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): TxnLogRecord {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== 0) return { unknown: true };
  const { transactionalId } = readTransactionLogKey(kr, 0);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  if (version < 0 || version > 1) return { unknown: true };
  const v = readTransactionLogValue(vr, version);
  const state = v.transactionStatus as TxnState;
  const partitions = new Set<string>();
  if (state !== TxnState.Empty) for (const p of v.transactionPartitions ?? []) for (const id of p.partitionIds) partitions.add(tpKey(p.topic, id));
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      prevProducerId: v.previousProducerId,
      nextProducerId: v.nextProducerId,
      producerEpoch: v.producerEpoch,
      txnTimeoutMs: v.transactionTimeoutMs,
      state,
      partitions,
      txnStartTimestamp: Number(v.transactionStartTimestampMs),
      txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}
