/**
 * The transaction coordinator (Kafka's TransactionCoordinator, TransactionStateManager and
 * marker channel in one, for a single node). Each transactional id's state lives in the
 * __transaction_state partition its id hashes to (Kafka's key/value records). An operation
 * checks the current state and yields the next one (a transit); the transit is written as a
 * record and, once it is in the log, installed. At start the topic is replayed into memory
 * and transactions left in PrepareCommit/PrepareAbort are completed.
 *
 * EndTxn writes PrepareCommit/PrepareAbort, then a marker to every partition of the
 * transaction (and to __consumer_offsets when offsets were part of it, telling the group
 * coordinator through TxnOffsetsParticipant), then CompleteCommit/CompleteAbort. Unlike Kafka,
 * which answers the client after the prepare record, Skiff answers once the markers are
 * written: a client that commits can read its own output at once, and a retry during the
 * marker phase still gets CONCURRENT_TRANSACTIONS as in Kafka.
 *
 * Open transactions past their timeout are fenced (epoch bump) and aborted on a timer
 * (transaction.abort.timed.out.transaction.cleanup.interval.ms); idle ids are removed after
 * transactional.id.expiration.ms with a tombstone.
 */
import type { Logger } from '../../log.js';
import type { BrokerConfig } from '../../config.js';
import type { PartitionLog } from '../../storage/index.js';
import type { TopicManager } from '../../cluster/topic-manager.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../cluster/topic-names.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { BatchHeader, batches } from '../../protocol/records/record-batch.js';
import { buildBatch, buildTransactionMarker, decodeRecords } from '../../protocol/records/records.js';
import { KafkaError, ProducerStateError } from '../../errors.js';
import { partitionForKey } from '../partitioner.js';
import type { ProducerIdManager } from '../producer-ids.js';
import {
  NO_PRODUCER_EPOCH,
  TXN_STATE_NAMES,
  TxnState,
  type TopicPartitionKey,
  type TxnMetadata,
  type TxnRecordState,
  type TxnTransit,
  decodeTxnRecord,
  encodeTxnKey,
  encodeTxnValue,
  isEpochExhausted,
  isValidTransition,
  MAX_EPOCH,
  NO_PRODUCER_ID,
  supportsEpochBump,
  newTxnMetadata,
  partitionsByTopic,
  toTransit,
  tpKey,
  parseTpKey,
} from './transaction-metadata.js';

export interface TxnCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  numPartitions: number;
  /** transaction.state.log.segment.bytes */
  segmentBytes: number;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredIntervalMs: number;
  /** offsets.topic.num.partitions: where AddOffsetsToTxn finds a group's partition. */
  offsetsTopicPartitions: number;
}

export function txnCoordinatorConfig(config: BrokerConfig): TxnCoordinatorConfig {
  const v = config.values;
  return {
    numPartitions: v['transaction.state.log.num.partitions'],
    segmentBytes: v['transaction.state.log.segment.bytes'],
    maxTimeoutMs: v['transaction.max.timeout.ms'],
    transactionalIdExpirationMs: v['transactional.id.expiration.ms'],
    abortTimedOutIntervalMs: v['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
    removeExpiredIntervalMs: v['transaction.remove.expired.transaction.cleanup.interval.ms'],
    offsetsTopicPartitions: v['offsets.topic.num.partitions'],
  };
}

/**
 * What the group coordinator offers transactions: offsets committed with TxnOffsetCommit stay
 * pending until the transaction's marker reaches the group's __consumer_offsets partition.
 */
export interface TxnOffsetsParticipant {
  /**
   * TxnOffsetCommit: validates the group and member as Kafka does and stages the offsets for
   * (producerId, producerEpoch), invisible to OffsetFetch until committed. Error codes in the
   * request's topic and partition order, or a single code for the whole request.
   */
  commitTransactionalOffsets(p: {
    transactionalId: string;
    groupId: string;
    producerId: bigint;
    producerEpoch: number;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
    apiVersion: number;
    topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }> }>;
    /**
     * Re-checks, synchronously and right before the offsets are appended, that the group's
     * partition is still in the producer's ongoing transaction (NONE, or the error to answer):
     * an EndTxn begun meanwhile must not see its marker land before these offsets.
     */
    verify?: () => number;
  }): Promise<number | number[][]>;
  /** The marker is on __consumer_offsets-`partition`: make the producer's pending offsets visible (commit) or drop them. */
  completeTransaction(partition: number, producerId: bigint, producerEpoch: number, commit: boolean): Promise<void> | void;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

/** EndTxn's answer: from v5 the producer id and epoch the client goes on with. */
export type EndTxnResult = InitProducerIdResult;

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

const READ_BYTES = 1 << 20;
const COORDINATOR_EPOCH = 0;

function initError(errorCode: number): InitProducerIdResult {
  return { errorCode, producerId: -1n, producerEpoch: NO_PRODUCER_EPOCH };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TxnClusterView {
  leaderOf(topic: string, partition: number): { log: PartitionLog | undefined; participant: TxnOffsetsParticipant | undefined } | null;
  leads(topic: string, partition: number): boolean;
}

export class TransactionCoordinator {
  readonly #txns = new Map<string, TxnMetadata>();
  readonly #topics: TopicManager;
  readonly #producerIds: ProducerIdManager;
  readonly #config: TxnCoordinatorConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  #participant: TxnOffsetsParticipant | undefined;
  readonly #cluster: TxnClusterView | undefined;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #topicCreation: Promise<void> | undefined;
  /** Retries of a marker or completion wait 50 ms doubling up to this. */
  readonly #maxBackoffMs: number;
  /** Marker and completion work in flight (awaited at close). */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(opts: {
    topics: TopicManager;
    producerIds: ProducerIdManager;
    config: TxnCoordinatorConfig;
    logger: Logger;
    now?: () => number;
    maxRetryBackoffMs?: number;
    /**
     * A virtual cluster's partition leaders: where a marker goes (the leader's log, and its
     * group coordinator for __consumer_offsets), or null while the partition has no leader.
     * Also tells whether this broker leads a __transaction_state partition.
     */
    cluster?: TxnClusterView;
  }) {
    this.#cluster = opts.cluster;
    this.#maxBackoffMs = opts.maxRetryBackoffMs ?? 1000;
    this.#topics = opts.topics;
    this.#producerIds = opts.producerIds;
    this.#config = opts.config;
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
  }

  get config(): Readonly<TxnCoordinatorConfig> {
    return this.#config;
  }

  setOffsetsParticipant(p: TxnOffsetsParticipant | undefined): void {
    this.#participant = p;
  }

  get offsetsParticipant(): TxnOffsetsParticipant | undefined {
    return this.#participant;
  }

  /** The __transaction_state partition of a transactional id (Kafka's partitionFor). */
  partitionFor(transactionalId: string): number {
    const info = this.#topics.get(TRANSACTION_STATE_TOPIC);
    return partitionForKey(transactionalId, info?.partitions ?? this.#config.numPartitions);
  }

  /** The __consumer_offsets partition of a group. */
  offsetsPartitionFor(groupId: string): number {
    const info = this.#topics.get(CONSUMER_OFFSETS_TOPIC);
    return partitionForKey(groupId, info?.partitions ?? this.#config.offsetsTopicPartitions);
  }

  /** Creates __transaction_state when missing (Kafka does it on the first FindCoordinator for a transactional id). */
  ensureTopic(): Promise<void> {
    // The topic is listed before its partitions are open: wait for a creation in flight.
    if (this.#topicCreation) return this.#topicCreation;
    if (this.#topics.get(TRANSACTION_STATE_TOPIC)) return Promise.resolve();
    this.#topicCreation ??= (async () => {
      try {
        if (this.#topics.get(TRANSACTION_STATE_TOPIC)) return;
        await this.#topics.create({
          name: TRANSACTION_STATE_TOPIC,
          numPartitions: this.#config.numPartitions,
          replicationFactor: 1,
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.#config.segmentBytes) },
        });
      } finally {
        this.#topicCreation = undefined;
      }
    })();
    return this.#topicCreation;
  }

  /** Replays __transaction_state, then finishes transactions caught between prepare and complete. */
  async load(): Promise<void> {
    const info = this.#topics.get(TRANSACTION_STATE_TOPIC);
    if (!info) return;
    for (let p = 0; p < info.partitions; p++) await this.#replayPartition(p);
    const pending = [...this.#txns.values()].filter((m) => m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort);
    for (const m of pending) await this.#complete(m, m.state === TxnState.PrepareCommit);
    this.#log.debug({ transactions: this.#txns.size, completed: pending.length }, 'transaction coordinator loaded');
  }

  /**
   * A virtual cluster's broker now leads the partition: its transactional ids are replayed from
   * the replicated log, and transactions caught between prepare and complete are finished.
   */
  async becomeCoordinator(partition: number): Promise<void> {
    this.resignCoordinator(partition);
    await this.#replayPartition(partition);
    const pending = [...this.#txns.values()].filter((m) => this.partitionFor(m.transactionalId) === partition && (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort));
    for (const m of pending) await this.#complete(m, m.state === TxnState.PrepareCommit);
  }

  /** Leadership of the partition moved away: its transactional ids are another broker's now. */
  resignCoordinator(partition: number): void {
    for (const id of [...this.#txns.keys()]) if (this.partitionFor(id) === partition) this.#txns.delete(id);
  }

  async #replayPartition(p: number): Promise<void> {
    const log = this.#topics.partition(TRANSACTION_STATE_TOPIC, p);
    if (!log) return;
    let offset = log.logStartOffset;
    // To the log end: a new leader's high watermark catches up only as its followers fetch.
    while (offset < log.logEndOffset) {
      const res = await log.read(offset, READ_BYTES, { toLogEnd: true });
      if (res.records.length === 0) break;
      for (const buf of res.records) {
        for (const { header, at } of batches(buf)) {
          offset = header.lastOffset + 1n;
          if (header.isControl) continue;
          for (const r of decodeRecords(buf, at)) {
            if (r.key === null) continue;
            const rec = decodeTxnRecord(r.key, r.value);
            if ('unknown' in rec) continue;
            this.replay(rec.transactionalId, rec.value);
          }
        }
      }
    }
  }

  /** Applies one record of __transaction_state (loading); null removes the id. */
  replay(transactionalId: string, value: TxnRecordState | null): void {
    if (value === null) {
      this.#txns.delete(transactionalId);
      return;
    }
    const m = this.#txns.get(transactionalId) ?? newTxnMetadata(transactionalId, value.producerId, value.txnTimeoutMs, value.txnLastUpdateTimestamp);
    Object.assign(m, value, { lastProducerEpoch: NO_PRODUCER_EPOCH, pendingState: undefined });
    this.#txns.set(transactionalId, m);
  }

  start(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      let running = false;
      const t = setInterval(() => {
        if (running || this.#closed) return;
        running = true;
        fn()
          .catch((err: unknown) => this.#log.error({ err }, 'transaction coordinator task failed'))
          .finally(() => (running = false));
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.#config.abortTimedOutIntervalMs, () => this.abortTimedOutTransactions());
    every(this.#config.removeExpiredIntervalMs, () => this.removeExpiredTransactionalIds());
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await Promise.allSettled([...this.#inFlight]);
  }

  get(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.#txns.get(transactionalId);
  }

  // ---- InitProducerId ----

  async initProducerId(transactionalId: string | null, transactionTimeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<InitProducerIdResult> {
    if (transactionalId === null) {
      // Idempotent producers: always a fresh id, epoch 0, whatever they sent.
      return { errorCode: ErrorCode.NONE, producerId: await this.#producerIds.generate(), producerEpoch: 0 };
    }
    if (transactionalId === '') return initError(ErrorCode.INVALID_REQUEST);
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.#config.maxTimeoutMs) return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    await this.ensureTopic();
    let m = this.#txns.get(transactionalId);
    if (!m) {
      const pid = await this.#producerIds.generate();
      m = this.#txns.get(transactionalId);
      if (!m) {
        m = newTxnMetadata(transactionalId, pid, transactionTimeoutMs, this.#now());
        this.#txns.set(transactionalId, m);
      }
    }
    if (m.pendingState !== undefined) return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && !this.#isValidProducerId(m, expected)) return initError(ErrorCode.PRODUCER_FENCED);
    const now = this.#now();
    switch (m.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Empty:
      case TxnState.CompleteAbort:
      case TxnState.CompleteCommit: {
        let transit: TxnTransit;
        if (isEpochExhausted(m.producerEpoch) && (!expected || expected.producerEpoch === m.producerEpoch)) {
          const newPid = await this.#producerIds.generate();
          transit = toTransit(m, {
            state: TxnState.Empty,
            producerId: newPid,
            prevProducerId: m.producerId,
            producerEpoch: 0,
            lastProducerEpoch: expected ? m.producerEpoch : NO_PRODUCER_EPOCH,
            txnTimeoutMs: transactionTimeoutMs,
            partitions: new Set(),
            txnStartTimestamp: -1,
            txnLastUpdateTimestamp: now,
          });
        } else {
          const bumped = this.#incrementEpoch(m, expected?.producerEpoch);
          if (typeof bumped === 'number') return initError(bumped);
          transit = toTransit(m, {
            state: TxnState.Empty,
            producerEpoch: bumped.epoch,
            lastProducerEpoch: bumped.last,
            txnTimeoutMs: transactionTimeoutMs,
            partitions: new Set(),
            txnStartTimestamp: -1,
            txnLastUpdateTimestamp: now,
          });
        }
        if (m.pendingState !== undefined) return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
        const err = await this.#append(m, transit);
        if (err !== ErrorCode.NONE) return initError(err);
        return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      case TxnState.Ongoing: {
        // Fence the current producer and abort its transaction; the caller retries (CONCURRENT_TRANSACTIONS).
        const err = await this.#fenceAndAbort(m);
        return initError(err === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : err);
      }
      default:
        return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  #isValidProducerId(m: TxnMetadata, expected: { producerId: bigint; producerEpoch: number }): boolean {
    return (
      m.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === m.producerId ||
      (expected.producerId === m.prevProducerId && isEpochExhausted(expected.producerEpoch))
    );
  }

  /** Kafka's prepareIncrementProducerEpoch: the next epoch and the one to remember, or PRODUCER_FENCED. */
  #incrementEpoch(m: TxnMetadata, expectedEpoch: number | undefined): { epoch: number; last: number } | number {
    const bumped = m.producerEpoch + 1;
    if (expectedEpoch === undefined) return { epoch: bumped, last: NO_PRODUCER_EPOCH };
    if (m.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === m.producerEpoch) return { epoch: bumped, last: m.producerEpoch };
    // A retry of an InitProducerId that already bumped: answer the current epoch again.
    if (expectedEpoch === m.lastProducerEpoch) return { epoch: m.producerEpoch, last: m.lastProducerEpoch };
    return ErrorCode.PRODUCER_FENCED;
  }

  /** Kafka's prepareFenceProducerEpoch followed by an abort that is not from the client. */
  async #fenceAndAbort(m: TxnMetadata): Promise<number> {
    if (!m.hasFailedEpochFence && m.producerEpoch < 32767) m.producerEpoch += 1;
    m.lastProducerEpoch = NO_PRODUCER_EPOCH;
    const err = await this.#endOngoing(m, false, m.clientTransactionVersion, false);
    m.hasFailedEpochFence = err !== ErrorCode.NONE;
    return err;
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----

  /**
   * Adds partitions to the producer's transaction, starting one when none is open; a client
   * on transactions v2 (Produce v12+, TxnOffsetCommit v5) gets here without AddPartitionsToTxn.
   */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionKey[], clientTransactionVersion = 0): Promise<number> {
    if (!transactionalId) return ErrorCode.INVALID_REQUEST;
    const m = this.#txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingState !== undefined) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const keys = partitions.map((p) => tpKey(p.topic, p.partition));
    if (m.state === TxnState.Ongoing && keys.every((k) => m.partitions.has(k))) return ErrorCode.NONE;
    if (!isValidTransition(m.state, TxnState.Ongoing)) return ErrorCode.INVALID_TXN_STATE;
    const now = this.#now();
    const starting = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
    const transit = toTransit(m, {
      state: TxnState.Ongoing,
      partitions: new Set([...m.partitions, ...keys]),
      txnStartTimestamp: starting ? now : m.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion,
    });
    return this.#append(m, transit);
  }

  /** AddPartitionsToTxn v4+ verifyOnly: is each partition already part of the transaction? */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionKey[]): number[] {
    const all = (code: number) => partitions.map(() => code);
    if (!transactionalId) return all(ErrorCode.INVALID_REQUEST);
    const m = this.#txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (m.pendingState !== undefined || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((p) => (m.state === TxnState.Ongoing && m.partitions.has(tpKey(p.topic, p.partition)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE));
  }

  // ---- EndTxn ----

  /**
   * Ends the producer's transaction. On transactions v2 (EndTxn v5) every end bumps the
   * epoch, so the answer carries the producer id and epoch to go on with; an abort needs no
   * open transaction then, and a retry is told apart from the next transaction by its epoch
   * (one below the current), as in Kafka's TransactionCoordinator.endTransaction.
   */
  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean, clientTransactionVersion = 0): Promise<EndTxnResult> {
    if (!transactionalId) return initError(ErrorCode.INVALID_REQUEST);
    const m = this.#txns.get(transactionalId);
    if (!m) return initError(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const decided = supportsEpochBump(clientTransactionVersion) ? this.#endTxnV2(m, producerId, producerEpoch, commit) : this.#endTxnV1(m, producerId, producerEpoch, commit);
    if (decided === 'end') {
      const err = await this.#endOngoing(m, commit, clientTransactionVersion);
      return err === ErrorCode.NONE ? { errorCode: err, producerId: m.producerId, producerEpoch: m.producerEpoch } : initError(err);
    }
    return decided === ErrorCode.NONE ? { errorCode: decided, producerId: m.producerId, producerEpoch: m.producerEpoch } : initError(decided);
  }

  /** The v1 protocol's checks: an error, NONE for a retry already done, or 'end'. */
  #endTxnV1(m: TxnMetadata, producerId: bigint, producerEpoch: number, commit: boolean): number | 'end' {
    if (m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingState !== undefined) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case TxnState.Ongoing:
        return 'end';
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /** Transactions v2: the same decision, where the epoch tells a retry from a new end. */
  #endTxnV2(m: TxnMetadata, producerId: bigint, producerEpoch: number, commit: boolean): number | 'end' {
    // A retry of the end that moved the producer to a new id when its epoch ran out.
    const retryOnOverflow = m.prevProducerId === producerId && producerEpoch === MAX_EPOCH - 1 && m.producerEpoch === 0;
    const retryOnEpochBump = m.producerId === producerId && m.producerEpoch === producerEpoch + 1;
    const isRetry = retryOnEpochBump || retryOnOverflow;
    if (m.pendingState !== undefined) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.producerId !== producerId && !retryOnOverflow) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const sameEpoch = producerEpoch === m.producerEpoch;
    switch (m.state) {
      case TxnState.Ongoing:
        return sameEpoch ? 'end' : ErrorCode.PRODUCER_FENCED;
      case TxnState.Empty:
        if (!sameEpoch) return ErrorCode.PRODUCER_FENCED;
        return commit ? ErrorCode.INVALID_TXN_STATE : 'end';
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        if (!retryOnEpochBump) return ErrorCode.PRODUCER_FENCED;
        return commit === (m.state === TxnState.PrepareCommit) ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort: {
        if (!isRetry && !sameEpoch) return ErrorCode.PRODUCER_FENCED;
        const committed = m.state === TxnState.CompleteCommit;
        if (isRetry) return commit === committed ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        // A new end with nothing open: an abort is allowed (and bumps the epoch), a commit is not.
        return commit ? ErrorCode.INVALID_TXN_STATE : 'end';
      }
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /**
   * Ongoing → Prepare{Commit,Abort} → markers → Complete{Commit,Abort}. On transactions v2
   * the prepare record carries the bumped epoch (markers are written with it) and, when the
   * epoch would run out, the next producer id, which the Complete record switches to at epoch 0.
   */
  async #endOngoing(m: TxnMetadata, commit: boolean, clientTransactionVersion = m.clientTransactionVersion, bumpEpoch = supportsEpochBump(clientTransactionVersion)): Promise<number> {
    const now = this.#now();
    const changes: Partial<TxnTransit> = { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, txnLastUpdateTimestamp: now, clientTransactionVersion };
    if (bumpEpoch) {
      if (isEpochExhausted(m.producerEpoch)) changes.nextProducerId = await this.#producerIds.generate();
      changes.producerEpoch = m.producerEpoch + 1;
      changes.lastProducerEpoch = m.producerEpoch;
      // An abort with nothing open starts (and ends) a transaction now, as Kafka records it.
      if (m.state !== TxnState.Ongoing) changes.txnStartTimestamp = now;
    }
    if (m.pendingState !== undefined) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const err = await this.#append(m, toTransit(m, changes));
    if (err !== ErrorCode.NONE) return err;
    await this.#complete(m, commit);
    return ErrorCode.NONE;
  }

  /**
   * Writes the markers of a prepared transaction, then its Complete state. As Kafka's
   * TransactionMarkerChannelManager, a marker is retried until it is written or the
   * transaction moved on (another epoch or state); the Complete state is written only after
   * every marker, so a partition is never left with its last stable offset stuck. When the
   * coordinator closes first, the Prepare state stays and the next start completes it.
   */
  #complete(m: TxnMetadata, commit: boolean): Promise<void> {
    const work = (async () => {
      const producerId = m.producerId;
      const producerEpoch = m.producerEpoch;
      const prepared = m.state;
      const current = () => !this.#closed && m.producerId === producerId && m.producerEpoch === producerEpoch && m.state === prepared;
      const written = await Promise.all([...m.partitions].map((k) => this.#writeMarker(parseTpKey(k), producerId, producerEpoch, commit, current)));
      if (!written.every(Boolean)) {
        this.#log.warn({ transactionalId: m.transactionalId, producerId: producerId.toString(), producerEpoch }, 'transaction markers not all written; completion left to the transaction\'s next owner');
        return;
      }
      const done = toTransit(m, { state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Set(), txnLastUpdateTimestamp: this.#now() });
      if (m.nextProducerId !== NO_PRODUCER_ID) Object.assign(done, { producerId: m.nextProducerId, prevProducerId: m.producerId, nextProducerId: NO_PRODUCER_ID, producerEpoch: 0 });
      for (let attempt = 0; ; attempt++) {
        const err = await this.#append(m, done);
        if (err === ErrorCode.NONE || !current()) {
          if (err !== ErrorCode.NONE) this.#log.warn({ transactionalId: m.transactionalId, err }, 'transaction completion not written');
          return;
        }
        if (attempt === 10) this.#log.error({ transactionalId: m.transactionalId, err }, 'transaction completion still failing; retrying');
        await sleep(this.#backoffMs(attempt));
      }
    })();
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  /**
   * Appends one marker, retrying while `current()` holds; false when it gave up because the
   * transaction moved on or the coordinator closed. A partition that no longer exists, or
   * refuses the marker's epoch, needs no marker (Kafka drops those, too).
   */
  async #writeMarker(tp: TopicPartitionKey, producerId: bigint, producerEpoch: number, commit: boolean, current: () => boolean): Promise<boolean> {
    let participant = this.#participant;
    for (let attempt = 0; ; attempt++) {
      const leader = this.#cluster ? this.#cluster.leaderOf(tp.topic, tp.partition) : { log: this.#topics.partition(tp.topic, tp.partition), participant };
      if (leader === null) {
        // No leader at the moment (a virtual cluster's election under way): wait for one.
        if (!current()) return false;
        await sleep(this.#backoffMs(attempt));
        continue;
      }
      const log = leader.log;
      participant = leader.participant;
      if (!log) return true;
      try {
        const marker = buildTransactionMarker({ producerId, producerEpoch, commit, coordinatorEpoch: COORDINATOR_EPOCH, timestamp: BigInt(this.#now()) });
        await log.append(marker, { origin: 'coordinator' });
        break;
      } catch (err) {
        if (err instanceof ProducerStateError) {
          this.#log.warn({ err, topic: tp.topic, partition: tp.partition }, 'transaction marker refused');
          return true;
        }
        if (!current()) return false;
        // Logged once when it keeps failing, not on every retry.
        if (attempt === 10) this.#log.error({ err, topic: tp.topic, partition: tp.partition }, 'transaction marker still failing; retrying');
        await sleep(this.#backoffMs(attempt));
      }
    }
    if (tp.topic === CONSUMER_OFFSETS_TOPIC && participant) {
      try {
        await participant.completeTransaction(tp.partition, producerId, producerEpoch, commit);
      } catch (err) {
        this.#log.error({ err, partition: tp.partition }, 'group coordinator failed to complete transactional offsets');
      }
    }
    return true;
  }

  /**
   * WriteTxnMarkers (Kafka's admin abortTransaction and the inter-broker marker path): one
   * marker for `producerId` on one partition, written once. NONE, or the partition's error:
   * UNKNOWN_TOPIC_OR_PARTITION, or the producer state's refusal (INVALID_PRODUCER_EPOCH for
   * an older epoch, TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch).
   */
  async writeMarker(tp: TopicPartitionKey, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<number> {
    const log = this.#topics.partition(tp.topic, tp.partition);
    if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      await log.append(buildTransactionMarker({ producerId, producerEpoch, commit, coordinatorEpoch, timestamp: BigInt(this.#now()) }), { origin: 'coordinator' });
    } catch (err) {
      if (err instanceof KafkaError) return err.code;
      throw err;
    }
    if (tp.topic === CONSUMER_OFFSETS_TOPIC) await this.#participant?.completeTransaction(tp.partition, producerId, producerEpoch, commit);
    return ErrorCode.NONE;
  }

  #backoffMs(attempt: number): number {
    return Math.min(this.#maxBackoffMs, 50 * 2 ** Math.min(attempt, 10));
  }

  // ---- timers ----

  /** Fences and aborts every open transaction past its timeout; returns how many. */
  async abortTimedOutTransactions(now = this.#now()): Promise<number> {
    const due = [...this.#txns.values()].filter((m) => m.state === TxnState.Ongoing && m.pendingState === undefined && m.txnStartTimestamp + m.txnTimeoutMs < now);
    for (const m of due) {
      if (m.state !== TxnState.Ongoing || m.pendingState !== undefined) continue;
      this.#log.info({ transactionalId: m.transactionalId, producerId: m.producerId.toString() }, 'aborting timed-out transaction');
      await this.#fenceAndAbort(m);
    }
    return due.length;
  }

  /** Removes ids idle past transactional.id.expiration.ms (a tombstone in __transaction_state). */
  async removeExpiredTransactionalIds(now = this.#now()): Promise<number> {
    let n = 0;
    for (const m of [...this.#txns.values()]) {
      const idle = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
      if (!idle || m.pendingState !== undefined || m.txnLastUpdateTimestamp + this.#config.transactionalIdExpirationMs > now) continue;
      m.pendingState = TxnState.Dead;
      try {
        await this.#write(m.transactionalId, null);
        this.#txns.delete(m.transactionalId);
        n++;
      } catch (err) {
        this.#log.warn({ err, transactionalId: m.transactionalId }, 'could not expire transactional id');
      } finally {
        m.pendingState = undefined;
      }
    }
    return n;
  }

  // ---- describe ----

  describe(transactionalId: string): DescribedTransaction {
    const m = this.#txns.get(transactionalId);
    if (!m) {
      return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: TXN_STATE_NAMES[m.state],
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStartTimeMs: BigInt(m.txnStartTimestamp),
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: partitionsByTopic(m.partitions),
    };
  }

  list(): Array<{ transactionalId: string; producerId: bigint; state: TxnState; txnStartTimestamp: number }> {
    return [...this.#txns.values()].map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, state: m.state, txnStartTimestamp: m.txnStartTimestamp }));
  }

  // ---- the log ----

  /** Writes a transit and installs it; the error code a client should see on failure. */
  async #append(m: TxnMetadata, transit: TxnTransit): Promise<number> {
    m.pendingState = transit.state;
    try {
      await this.#write(m.transactionalId, transit);
    } catch (err) {
      m.pendingState = undefined;
      this.#log.warn({ err, transactionalId: m.transactionalId }, 'transaction state write failed');
      return err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    m.pendingState = undefined;
    Object.assign(m, transit);
    return ErrorCode.NONE;
  }

  async #write(transactionalId: string, state: TxnRecordState | null): Promise<void> {
    await this.ensureTopic();
    const partition = this.partitionFor(transactionalId);
    if (this.#cluster && !this.#cluster.leads(TRANSACTION_STATE_TOPIC, partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR);
    const log = this.#topics.partition(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${TRANSACTION_STATE_TOPIC}-${partition} is not open`);
    const batch = buildBatch({
      baseTimestamp: BigInt(this.#now()),
      records: [{ key: encodeTxnKey(transactionalId), value: state === null ? null : encodeTxnValue(state) }],
    });
    await log.append(batch, { origin: 'coordinator' });
  }
}

/** For tests and tools: the transactional state records of a __transaction_state batch. */
export function decodeTxnBatch(buf: Buffer): Array<{ transactionalId: string; value: TxnRecordState | null }> {
  const out: Array<{ transactionalId: string; value: TxnRecordState | null }> = [];
  if (new BatchHeader(buf).isControl) return out;
  for (const r of decodeRecords(buf, 0)) {
    if (r.key === null) continue;
    const rec = decodeTxnRecord(r.key, r.value);
    if (!('unknown' in rec)) out.push(rec);
  }
  return out;
}
