/**
 * The coordinator runtime (Kafka's CoordinatorRuntime for one node): what every group type
 * and the offsets manager share, and nothing about groups themselves.
 *
 * - Operations on one __consumer_offsets partition run one at a time: an operation's records
 *   are appended and replayed before the next operation on that partition starts.
 * - An operation yields records and an answer; the records are appended as one batch, then
 *   replayed (replay is the only way persisted state changes). When the append fails, the
 *   snapshots the operation took are restored, newest first, so the state is the one from
 *   before the operation, then its `failed` reactions run.
 * - Timers fire as operations on their partition, so they are serialized like requests.
 * - Loading replays a partition's batches through the same `replay`, with transaction
 *   markers, so restart, load and tests share one code path.
 */
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { batches } from '../../protocol/records/record-batch.js';
import { ControlType, buildBatch, decodeControlRecord, decodeRecords } from '../../protocol/records/records.js';
import { KafkaError, ProducerStateError, StorageError } from '../../errors.js';

/** Where the coordinator's records live: the partitions of __consumer_offsets. */
export interface OffsetsTopicLog {
  readonly partitions: number;
  /** Creates the topic when it does not exist yet (Kafka: on the first FindCoordinator for a group). */
  ensure?(): Promise<void>;
  /** True while the topic is being created or the partition's log is not open yet. */
  opening?(partition: number): boolean;
  append(partition: number, batch: Buffer): Promise<void>;
  /** Every stored batch of the partition, from its start to its high watermark. */
  readBatches(partition: number): AsyncIterable<Buffer>;
}

/** The records an operation yields, and what to do once they are (or fail to be) appended. */
export interface Tx<R> {
  records: R[];
  /** Run after the records are appended and replayed. */
  after: Array<() => void>;
  /** Run after a failed append, once the snapshots are restored. */
  failed: Array<(errorCode: number) => void>;
  /** Restorers of state the operation changed before its records were appended. */
  snapshots: Array<() => void>;
  /** Set by TxnOffsetCommit: the records go out as a transactional batch of this producer. */
  producer?: { producerId: bigint; producerEpoch: number };
}

/** An operation answers with a value, a promise (long polls), or a function of the append's error code. */
export type Operation<R, T> = (tx: Tx<R>) => T | Promise<T> | ((appendError: number) => T);

export interface RecordCodec<R> {
  key(rec: R): Buffer;
  value(rec: R): Buffer | null;
  /** null: a record type nobody here owns (skipped by replay). */
  decode(key: Buffer, value: Buffer | null): R | null;
}

/** The state the runtime drives: Kafka's CoordinatorShard. */
export interface CoordinatorShard<R> {
  /** `producerId` is the batch's (-1 outside transactions). */
  replay(rec: R, producerId: bigint, loading: boolean): void;
  /**
   * Called with each stored key before a load decodes it: a promise when the record's type is
   * handled by a part not loaded yet (share and streams groups), which the load waits for, so
   * records are still replayed in their order.
   */
  beforeReplay?(key: Buffer): Promise<unknown> | undefined;
  replayEndTransactionMarker(producerId: bigint, commit: boolean): void;
  /** The partition's records are all replayed. */
  loaded(partition: number): void;
}

interface TimerEntry {
  handle: NodeJS.Timeout;
  token: object;
}

export const MAX_TIMER_MS = 2 ** 31 - 1;
/** An append to __consumer_offsets taking this long is logged (every later operation on the partition waits for it). */
const SLOW_APPEND_MS = 1000;

/** Kafka's mapping of a failed coordinator append to the error a client sees. */
function appendErrorCode(err: unknown): number {
  if (err instanceof StorageError) {
    return err.code === ErrorCode.KAFKA_STORAGE_ERROR ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  // A transactional batch refused by the partition's producer state (a fenced epoch).
  if (err instanceof ProducerStateError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export class CoordinatorRuntime<R> {
  readonly #log: OffsetsTopicLog;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #codec: RecordCodec<R>;
  readonly #shard: CoordinatorShard<R>;
  readonly #timers = new Map<string, TimerEntry>();
  readonly #chains = new Map<number, Promise<void>>();
  readonly #loading = new Set<number>();
  /** Markers reported while their partition was still loading: applied once it is. */
  readonly #markersWhileLoading = new Map<number, Array<{ producerId: bigint; commit: boolean }>>();
  #closed = false;

  constructor(opts: { log: OffsetsTopicLog; logger: Logger; now: () => number; codec: RecordCodec<R>; shard: CoordinatorShard<R> }) {
    this.#log = opts.log;
    this.#logger = opts.logger;
    this.#now = opts.now;
    this.#codec = opts.codec;
    this.#shard = opts.shard;
    for (let p = 0; p < this.#log.partitions; p++) this.#loading.add(p);
  }

  get partitions(): number {
    return this.#log.partitions;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get isReady(): boolean {
    return this.#loading.size === 0 && !this.#closed;
  }

  ensureTopic(): Promise<void> {
    return this.#log.ensure?.() ?? Promise.resolve();
  }

  /** True while the partition is being replayed, or its log opened. */
  isLoading(partition: number): boolean {
    return this.#loading.has(partition) || this.#log.opening?.(partition) === true;
  }

  async loadPartition(partition: number): Promise<number> {
    let count = 0;
    for await (const buf of this.#log.readBatches(partition)) {
      for (const { header, at } of batches(buf)) {
        if (header.isControl) {
          // A transaction marker: the producer's pending offsets become committed, or go.
          for (const rec of decodeRecords(buf, at)) {
            let type: number;
            try {
              type = decodeControlRecord(rec).type;
            } catch {
              continue;
            }
            if (type === ControlType.commit || type === ControlType.abort) this.#shard.replayEndTransactionMarker(header.producerId, type === ControlType.commit);
          }
          continue;
        }
        for (const rec of decodeRecords(buf, at)) {
          if (rec.key === null) continue;
          const key = Buffer.from(rec.key);
          const loadingPart = this.#shard.beforeReplay?.(key);
          if (loadingPart !== undefined) await loadingPart;
          const decoded = this.#codec.decode(key, rec.value === null ? null : Buffer.from(rec.value));
          if (decoded) {
            this.#shard.replay(decoded, header.producerId, true);
            count++;
          }
        }
      }
    }
    this.#loading.delete(partition);
    // Markers reported during the load may or may not have been read: applying one again
    // finds nothing pending (no operation can add offsets before the load ends).
    for (const m of this.#markersWhileLoading.get(partition) ?? []) this.#shard.replayEndTransactionMarker(m.producerId, m.commit);
    this.#markersWhileLoading.delete(partition);
    this.#shard.loaded(partition);
    return count;
  }

  /**
   * A transaction's marker was written to the partition (by the transaction coordinator):
   * replay it after whatever the partition is doing, as Kafka's replayEndTransactionMarker.
   */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (this.#loading.has(partition)) {
      const list = this.#markersWhileLoading.get(partition) ?? [];
      list.push({ producerId, commit });
      this.#markersWhileLoading.set(partition, list);
      return Promise.resolve();
    }
    return this.#serialize(partition, async () => this.#shard.replayEndTransactionMarker(producerId, commit));
  }

  /**
   * Runs `op` once earlier operations on the partition are appended and replayed, appends
   * the records it yields, replays them, then answers.
   */
  execute<T>(partition: number, op: Operation<R, T>): Promise<T> {
    if (this.#closed) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (this.isLoading(partition)) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    // The answer travels boxed: a long-poll promise must not hold up the partition's queue.
    return this.#serialize(partition, async () => {
      const tx: Tx<R> = { records: [], after: [], failed: [], snapshots: [] };
      const answer = op(tx);
      const appendError = await this.#commit(partition, tx);
      return { answer: typeof answer === 'function' ? (answer as (e: number) => T)(appendError) : answer };
    }).then((boxed) => boxed.answer);
  }

  #serialize<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(partition) ?? Promise.resolve();
    const next = prev.then(fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#chains.set(partition, tail);
    void tail.then(() => {
      if (this.#chains.get(partition) === tail) this.#chains.delete(partition);
    });
    return next;
  }

  async #commit(partition: number, tx: Tx<R>): Promise<number> {
    if (tx.records.length > 0) {
      try {
        const batch = buildBatch({
          baseTimestamp: BigInt(this.#now()),
          records: tx.records.map((r) => ({ key: this.#codec.key(r), value: this.#codec.value(r) })),
          // A transactional commit: the producer's batch, no sequence (as Kafka's coordinator runtime writes it).
          ...(tx.producer && { producerId: tx.producer.producerId, producerEpoch: tx.producer.producerEpoch, baseSequence: -1, isTransactional: true }),
        });
        const started = this.#now();
        await this.#log.append(partition, batch);
        const ms = this.#now() - started;
        // Every later operation on the partition (JoinGroup, SyncGroup, Heartbeat answers) waits
        // behind this append, so a slow one shows up to clients as a stuck rebalance.
        if (ms >= SLOW_APPEND_MS) this.#logger.warn({ partition, ms, records: tx.records.length }, 'slow __consumer_offsets append');
      } catch (err) {
        const code = appendErrorCode(err);
        this.#logger.warn({ err, partition }, 'could not append to __consumer_offsets');
        for (const restore of tx.snapshots.reverse()) restore();
        for (const f of tx.failed) f(code);
        return code;
      }
      for (const r of tx.records) this.#shard.replay(r, tx.producer?.producerId ?? -1n, false);
    }
    for (const a of tx.after) a();
    return ErrorCode.NONE;
  }

  /** (Re)arms the timer `key`; when it fires, `fn` runs as an operation on the partition. */
  schedule(key: string, delayMs: number, partition: number, fn: (tx: Tx<R>) => void): void {
    if (this.#closed) return;
    this.cancel(key);
    const token = {};
    const handle = setTimeout(() => {
      if (this.#timers.get(key)?.token !== token) return;
      void this.execute(partition, (tx) => {
        // Rescheduled or cancelled while waiting for its turn: skip.
        if (this.#timers.get(key)?.token !== token) return;
        this.#timers.delete(key);
        fn(tx);
      }).catch((err: unknown) => {
        if (!(err instanceof KafkaError)) this.#logger.error({ err, key }, 'coordinator timer failed');
      });
    }, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    handle.unref();
    this.#timers.set(key, { handle, token });
  }

  cancel(key: string): void {
    const t = this.#timers.get(key);
    if (t) {
      clearTimeout(t.handle);
      this.#timers.delete(key);
    }
  }

  isScheduled(key: string): boolean {
    return this.#timers.has(key);
  }

  /** Number of armed timers (tests check nothing leaks). */
  get timerCount(): number {
    return this.#timers.size;
  }

  /** Stops timers and new operations, then waits for the ones in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t.handle);
    this.#timers.clear();
    await Promise.all([...this.#chains.values()]);
  }
}

