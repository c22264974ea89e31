/**
 * PartitionLog: one partition's log, the object the broker's handlers call.
 *
 *   static open(opts: PartitionLogOptions): Promise<PartitionLog>
 *   append(batches: Buffer, opts?: AppendOptions): Promise<AppendResult>
 *       `batches` holds one or more validated RecordBatch v2 batches (a Produce payload).
 *       Offsets and the leader epoch are patched into the buffer in place (the caller can read
 *       each batch's baseOffset from it afterwards); on a LogAppendTime topic maxTimestamp and
 *       the timestamp-type bit are rewritten and the CRC recomputed. The buffer is kept (tail
 *       cache, memory store) and must not be changed after the call, unless `borrowed` (then
 *       what is kept is a copy). Appends are serialized per
 *       partition; those that arrive while a write is in flight are written together in one
 *       writev and share one fsync.
 *   read(offset: bigint, maxBytes: number, opts?: ReadOptions): Promise<ReadResult>
 *       Whole stored batches from the one holding `offset`, at most maxBytes unless the first
 *       batch alone is bigger (minOneBatch, on by default), ending before `upTo` (default and at
 *       most the high watermark). Recent batches come from memory as zero-copy slices; older ones
 *       with one file read from one segment. Throws StorageError OFFSET_OUT_OF_RANGE when
 *       offset < logStartOffset or > logEndOffset.
 *   highWatermark, logStartOffset, logEndOffset, recoveryPoint, sizeInBytes, latestEpoch: getters.
 *   segmentInfo(): { baseOffset, size, maxTimestamp }[]
 *   offsetForTimestamp(ts: bigint): Promise<{ offset, timestamp } | undefined>
 *   maxTimestampOffset(): Promise<{ offset, timestamp } | undefined>
 *       Both answer at batch granularity: the base offset of the batch found.
 *   findRecordByTimestamp(ts), findRecordWithMaxTimestamp(): Promise<TimestampAndOffset | undefined>
 *       The same at record granularity, with the record's leader epoch (ListOffsets).
 *   epochForOffset(offset: bigint): number                 the leader epoch that wrote `offset`
 *   endOffsetForEpoch(epoch: number): { epoch, endOffset }   (OffsetForLeaderEpoch)
 *   deleteRecordsBefore(offset: bigint): Promise<bigint>   new log start (DeleteRecords)
 *   applyRetention(nowMs?: number): Promise<number>        segments deleted
 *   roll(nowMs?): Promise<void>, flush(): Promise<void>, maybeFlush(nowMs?): Promise<void>
 *   truncateTo(offset: bigint): Promise<void>, truncateFullyAndStartAt(offset: bigint): Promise<void>
 *   crash(): Promise<void>   (a virtual cluster's crash-stop: the unflushed tail is lost)
 *   updateConfig(changes: Partial<LogConfig>): void        applies to the next operation
 *   onAppend(listener): () => void                        wakes long-polling fetches
 *   Replication (a virtual cluster): setReplicated() hands the high watermark to
 *   advanceHighWatermark(offset); becomeLeader(epoch) / becomeFollower(); append with origin
 *   'replication' keeps the leader's offsets and epochs; read with toLogEnd reads past the HW.
 *   lastStableOffset, producers: getters (producer state, open transactions)
 *   abortedTransactions(from, upTo): aborted transactions overlapping [from, upTo) (read_committed)
 *   removeExpiredProducers(nowMs?): number                producer.id.expiration.ms
 *   close(): Promise<void>
 *   Log cleaner hooks (src/storage/cleaner): segmentsForCleaner(), replaceSegments(...),
 *   txnSourceForCleaner (aborted transactions, active producers, last stable offset).
 *
 * The partition log is Kafka's UnifiedLog: the high watermark, log start and last stable
 * offsets, producer state, leader epochs and the transaction index, over a LocalLog
 * (local-log.ts: the segment list, roll, flush, read planning, segment deletion, truncation).
 *
 * Producer state (producer-state.ts) is checked and staged for each append in offset order
 * and installed once the bytes are written: a retried batch is answered with its first
 * offsets and not written again. It is snapshotted at roll and close and rebuilt on open
 * from the latest snapshot plus the log after it; aborted transactions go to .txnindex files.
 *
 * With a single replica the high watermark is the log end, except with flushOnAck, where it
 * waits for the fsync so that a consumer never sees what a crash could take back.
 */
import type { Logger } from 'pino';
import { Attribute, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, BatchHeader, CRC_START, Field } from '../protocol/records/record-batch.js';
import { iterateRecords } from '../protocol/records/records.js';
import { crc32c } from '../protocol/codec/crc32c.js';
import { batchSizeAt, frameBatches, lastOffsetAt } from './batch-scan.js';
import { formatLeaderEpochCheckpoint, parseLeaderEpochCheckpoint } from './checkpoint-files.js';
import { ErrorCode, StorageError } from '../errors.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, joinPath, parseSnapshotFileName, partitionDirName, snapshotFileName } from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { type AppendOrigin, type AppendSession, ProducerStateManager, type ProducerStateEntry, decodeSnapshot } from './producer-state.js';
import { type AbortedTxn, TxnIndex } from './txn-index.js';
import type { LogConfig } from './log-config.js';
import { LocalLog } from './local-log.js';
import { segmentsToDelete } from './retention.js';
import type { Segment } from './segment.js';
import type { SegmentStore } from './store.js';
import type { RecordSlice } from '../protocol/codec/writer.js';
import { TailBudget, TailCache } from './tail-cache.js';
import type { CleanerTxnSource } from './cleaner/types.js';

export interface PartitionLogOptions {
  store: SegmentStore;
  topic: string;
  partition: number;
  config?: Partial<LogConfig>;
  logger: Logger;
  /** Folder inside the store; defaults to "<topic>-<partition>". */
  dir?: string;
  /** The files were closed cleanly: skip the recovery scan. */
  clean?: boolean;
  recoveryPoint?: bigint;
  logStartOffset?: bigint;
  /** The high watermark last checkpointed (replication-offset-checkpoint): a replicated log starts from it. */
  highWatermark?: bigint;
  /** Bytes of recent batches kept in memory for tailing consumers. */
  tailCacheBytes?: number;
  /** The bound of all partitions' tail caches together, when the log is one of many. */
  tailBudget?: TailBudget;
  clock?: () => number;
  /** Called after the log start moved (DeleteRecords, retention), to persist it. */
  onLogStartOffsetChange?: (log: PartitionLog) => void;
  /** producer.id.expiration.ms (default one day). */
  producerIdExpirationMs?: number;
}

export interface AppendOptions {
  /** Stamped into each batch's partitionLeaderEpoch; defaults to the latest known epoch (or 0). */
  leaderEpoch?: number;
  /** Wall-clock ms used for LogAppendTime and segment.ms; defaults to the log's clock. */
  nowMs?: number;
  /** 'client' (default): full producer checks and duplicate detection; 'coordinator': markers, epoch checks only. */
  origin?: AppendOrigin;
  /**
   * Work still running on the payload (validation off the event loop). The append keeps its
   * place in the queue and waits for it there, so later appends cannot overtake it; if it
   * rejects, the append rejects with the same reason and takes no offsets.
   */
  ready?: Promise<unknown>;
  /**
   * The caller reuses the payload's memory once the append settles (a pooled request frame):
   * whatever the log keeps of it past that (the tail cache, a store holding its chunks) is copied.
   */
  borrowed?: boolean;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface ReadOptions {
  /** Return the first batch even when it is larger than maxBytes (Kafka's rule); default true. */
  minOneBatch?: boolean;
  /** Stop before any batch reaching this offset (e.g. the last stable offset). */
  upTo?: bigint;
  /** Read past the high watermark up to the log end (a follower's fetch). */
  toLogEnd?: boolean;
  /**
   * Segment-file bytes may come back as file regions (sent with sendfile, never read) when
   * the store can produce them; only for a caller that writes them to a socket (Fetch).
   */
  regions?: boolean;
}

/** A record found by its timestamp: its own offset and timestamp, and the leader epoch that wrote it. */
export interface TimestampAndOffset {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export interface ReadResult<T extends RecordSlice = Buffer> {
  records: T[];
  sizeInBytes: number;
  /** The offset after the last batch returned; -1 when nothing was. */
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
}

/** The offset after the last batch in whole-batch buffers; -1 when there is none. */
function nextOffsetOf(records: readonly Buffer[]): bigint {
  let next = -1n;
  for (const buf of records) {
    for (let at = 0; at + BATCH_HEADER_SIZE <= buf.length; at += batchSizeAt(buf, at)) next = lastOffsetAt(buf, at) + 1n;
  }
  return next;
}

export type AppendListener = (log: PartitionLog) => void;

interface PendingAppend {
  buf: Buffer;
  starts: number[];
  /** Offsets the payload takes: the sum of (lastOffsetDelta + 1). */
  offsetCount: bigint;
  opts: AppendOptions;
  /** See AppendOptions.borrowed; false once `buf` is a copy for a store that keeps its chunks. */
  borrowed: boolean;
  epoch: number;
  result?: AppendResult;
  /** A retry of a stored batch: answered with the stored offsets, not written. */
  duplicate?: AppendResult;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const DEFAULT_TAIL_CACHE_BYTES = 4 * 1024 * 1024;
/**
 * Appends are kept in the tail cache only while the partition is read, at the latest this
 * long after its last read: a partition nobody consumes keeps no request buffers alive, so a
 * produce frame's memory can be reused once it is written.
 */
export const TAIL_CACHE_IDLE_MS = 10_000;

function outOfRange(offset: bigint, start: bigint, end: bigint): StorageError {
  return new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${start}, ${end}]`);
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly #local: LocalLog;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #onLogStartChange: ((log: PartitionLog) => void) | undefined;
  /** Next offset to hand out; runs ahead of #leo only inside a drain. */
  #next: bigint;
  #leo: bigint;
  #hw: bigint;
  #logStart: bigint;
  #unflushedMessages = 0;
  #lastFlushMs: number;
  #queue: PendingAppend[] = [];
  #drainScheduled = false;
  #lock: Promise<unknown> = Promise.resolve();
  readonly #tail: TailCache;
  /** The clock at the last read; the tail cache fills only while reads are recent. */
  #lastReadMs = -Infinity;
  readonly #epochs: LeaderEpochCache;
  readonly #listeners = new Set<AppendListener>();
  #closed = false;
  /** Set in place of the log's own answers (tests); null: the log's own. */
  #txnSource: CleanerTxnSource | undefined | null = null;
  readonly #producers: ProducerStateManager;
  readonly #txnIndex: TxnIndex;
  /** Producer state staged by the appends of the run being drained. */
  #session: AppendSession | undefined;
  /**
   * Set on a replicated partition: the high watermark then moves only by
   * advanceHighWatermark (the leader's min log end of the in-sync replicas), not on append.
   */
  #replicated = false;
  readonly #checkpointedHw: bigint | undefined;
  /** The epoch a leader stamps into appended batches (becomeLeader); the latest known one otherwise. */
  #leaderEpoch: number | undefined;

  private constructor(opts: PartitionLogOptions, local: LocalLog, epochs: LeaderEpochCache, txnIndex: TxnIndex) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = local.dir;
    this.#local = local;
    this.#logger = local.logger;
    this.#clock = opts.clock ?? Date.now;
    this.#onLogStartChange = opts.onLogStartOffsetChange;
    this.#leo = this.#next = this.#hw = local.active.nextOffset;
    let start = opts.logStartOffset ?? 0n;
    if (start < local.segments[0]!.baseOffset) start = local.segments[0]!.baseOffset;
    if (start > this.#leo) start = this.#leo;
    this.#logStart = start;
    this.#checkpointedHw = opts.highWatermark;
    this.#lastFlushMs = this.#clock();
    this.#tail = new TailCache(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES, opts.tailBudget);
    this.#epochs = epochs;
    this.#txnIndex = txnIndex;
    this.#producers = new ProducerStateManager({ producerIdExpirationMs: opts.producerIdExpirationMs });
  }

  /**
   * What the log cleaner asks about transactions (aborted ranges, active producers, last
   * stable offset). Unset: nothing is aborted and the cleaner works out producers itself.
   * Made on demand: only compacted logs are asked, and closures kept per partition add up.
   */
  get txnSourceForCleaner(): CleanerTxnSource | undefined {
    if (this.#txnSource !== null) return this.#txnSource;
    return {
      abortedTransactions: (from, to) => this.#txnIndex.overlapping(from, to),
      lastRecordsOfActiveProducers: () =>
        new Map(
          this.#producers.entries().map((e) => {
            const last = e.batches.at(-1)?.lastOffset;
            return [e.producerId, { lastDataOffset: last, producerEpoch: e.producerEpoch }];
          }),
        ),
      lastStableOffset: () => this.lastStableOffset,
    };
  }

  set txnSourceForCleaner(source: CleanerTxnSource | undefined) {
    this.#txnSource = source;
  }

  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const dir = opts.dir ?? partitionDirName(opts.topic, opts.partition);
    const local = await LocalLog.open(opts.store, dir, {
      clean: opts.clean ?? false,
      recoveryPoint: opts.recoveryPoint ?? 0n,
      logStartOffset: opts.logStartOffset ?? 0n,
      config: opts.config,
      logger: opts.logger.child({ topic: opts.topic, partition: opts.partition }),
    });
    const text = await opts.store.readWhole(joinPath(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    const epochs = new LeaderEpochCache((text && parseLeaderEpochCheckpoint(text.toString('utf8'))) || []);
    const txnIndex = await TxnIndex.load(opts.store, dir, local.segments.map((s) => s.baseOffset));
    const log = new PartitionLog(opts, local, epochs, txnIndex);
    // Recovery may have cut the log below epochs the checkpoint still lists.
    if (epochs.truncateFromEnd(log.#leo)) await log.#persistEpochs();
    await log.#loadProducerState();
    return log;
  }

  get config(): Readonly<LogConfig> {
    return this.#local.config;
  }
  get highWatermark(): bigint {
    return this.#hw;
  }
  get logStartOffset(): bigint {
    return this.#logStart;
  }
  get logEndOffset(): bigint {
    return this.#leo;
  }
  /** Offsets below this are known to be fsynced. */
  get recoveryPoint(): bigint {
    return this.#local.recoveryPoint;
  }
  get sizeInBytes(): number {
    return this.#local.sizeInBytes;
  }
  get latestEpoch(): number {
    return this.#epochs.latestEpoch;
  }
  /** The first offset of the oldest open transaction, or the high watermark. */
  get lastStableOffset(): bigint {
    const first = this.#producers.firstUnstableOffset();
    return first !== undefined && first < this.#hw ? first : this.#hw;
  }
  get producers(): ProducerStateManager {
    return this.#producers;
  }
  /** Aborted transactions overlapping [from, upTo), for a read_committed fetch; lastOffset is the marker's. */
  abortedTransactions(from: bigint, upTo: bigint): AbortedTxn[] {
    return this.#txnIndex.overlapping(from, upTo);
  }
  removeExpiredProducers(nowMs = this.#clock()): number {
    return this.#producers.removeExpired(nowMs);
  }
  /** The segments, oldest first (for DescribeLogDirs, tools and tests). */
  segmentInfo(): Array<{ baseOffset: bigint; size: number; maxTimestamp: bigint }> {
    return this.#local.segments.map((s) => ({ baseOffset: s.baseOffset, size: s.size, maxTimestamp: s.maxTimestamp }));
  }

  /** The byte budget of the in-memory tail, which the log manager shares among partitions. */
  setTailCacheBytes(bytes: number): void {
    this.#tail.resize(bytes);
  }

  get tailCacheBytes(): { capacity: number; used: number } {
    return { capacity: this.#tail.capacityBytes, used: this.#tail.bytes };
  }

  updateConfig(changes: Partial<LogConfig>): void {
    this.#local.updateConfig(changes);
  }

  get replicated(): boolean {
    return this.#replicated;
  }

  /** Hands the high watermark to replication (see #replicated); it stays where it is until advanced. */
  setReplicated(): void {
    // A restarted replica does not know how far the ISR got: it starts from its checkpoint, as Kafka's.
    if (!this.#replicated && this.#checkpointedHw !== undefined) {
      const hw = this.#checkpointedHw < this.#leo ? this.#checkpointedHw : this.#leo;
      this.#hw = hw > this.#logStart ? hw : this.#logStart;
    }
    this.#replicated = true;
  }

  /**
   * Moves the high watermark forward (never past the log end, never back), waking long polls.
   * A follower takes min(leader's, own log end); the leader min log end of its ISR.
   */
  advanceHighWatermark(offset: bigint): boolean {
    const to = offset < this.#leo ? offset : this.#leo;
    if (to <= this.#hw) return false;
    this.#hw = to;
    this.#notify();
    return true;
  }

  /** Starts a leader epoch at the log end (the leader epoch checkpoint gets it); later appends carry it. */
  becomeLeader(epoch: number): Promise<void> {
    return this.#exclusive(async () => {
      this.#leaderEpoch = epoch;
      if (this.#epochs.assign(epoch, this.#leo)) await this.#persistEpochs();
    });
  }

  /** A follower stamps nothing: the epochs come with the leader's batches. */
  becomeFollower(): void {
    this.#leaderEpoch = undefined;
  }

  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    // Handled here so that a failure settling before the drain reaches the item (or for an
    // append refused below) is not an unhandled rejection; the drain awaits the original.
    opts.ready?.catch(() => undefined);
    if (this.#closed) return Promise.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`));
    let starts: number[];
    try {
      starts = frameBatches(batches);
    } catch (e) {
      return Promise.reject(new StorageError(ErrorCode.CORRUPT_MESSAGE, (e as Error).message));
    }
    if (starts.length === 0) return Promise.reject(new StorageError(ErrorCode.CORRUPT_MESSAGE, 'no record batch'));
    let offsetCount = 0n;
    for (const at of starts) offsetCount += BigInt(batches.readInt32BE(at + Field.lastOffsetDelta) + 1);
    const epoch = opts.leaderEpoch ?? this.#leaderEpoch ?? Math.max(this.#epochs.latestEpoch, 0);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ buf: batches, starts, offsetCount, opts, borrowed: opts.borrowed === true, epoch, resolve, reject });
      if (!this.#drainScheduled) {
        this.#drainScheduled = true;
        void this.#exclusive(() => this.#drain());
      }
    });
  }

  read(offset: bigint, maxBytes: number, opts?: ReadOptions & { regions?: false }): Promise<ReadResult>;
  read(offset: bigint, maxBytes: number, opts: ReadOptions & { regions: true }): Promise<ReadResult<RecordSlice>>;
  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult<RecordSlice>> {
    const minOneBatch = opts.minOneBatch ?? true;
    this.#lastReadMs = this.#clock();
    for (let attempt = 0; ; attempt++) {
      const hw = this.#hw;
      const logStart = this.#logStart;
      const generation = this.#local.generation;
      if (offset < logStart || offset > this.#leo) throw outOfRange(offset, logStart, this.#leo);
      const readable = opts.toLogEnd ? this.#leo : hw;
      const limit = opts.upTo !== undefined && opts.upTo < readable ? opts.upTo : readable;
      let records: RecordSlice[] = [];
      // Left undefined for cached reads: only read_committed fetches ask, and then it is a header walk.
      let nextOffset: bigint | undefined = -1n;
      if (offset < limit) {
        const cached = this.#tail.collect(offset, maxBytes, minOneBatch, limit);
        if (cached !== undefined) {
          records = cached;
          nextOffset = undefined;
        } else {
          try {
            [records, nextOffset] = (opts.regions ? this.#local.planRegion(offset, maxBytes, minOneBatch, limit) : undefined) ?? (await this.#local.readCold(offset, maxBytes, minOneBatch, limit));
          } catch (e) {
            // Retention or the cleaner may replace a segment under a read; the second try sees the new state.
            if (attempt === 0 && (this.#logStart !== logStart || this.#local.generation !== generation)) continue;
            throw e;
          }
        }
      }
      let sizeInBytes = 0;
      for (const r of records) sizeInBytes += r.length;
      const known = nextOffset;
      const cached = records as Buffer[];
      return {
        records,
        sizeInBytes,
        get nextOffset() {
          return known ?? nextOffsetOf(cached);
        },
        highWatermark: hw,
        logStartOffset: logStart,
      };
    }
  }

  /** The first batch whose max timestamp reaches `timestamp`: its base offset and that timestamp. */
  offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    return this.#local.offsetForTimestamp(timestamp, this.#logStart);
  }

  /** The batch holding the largest timestamp: its base offset and that timestamp. */
  maxTimestampOffset(): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    return this.#local.maxTimestampOffset(this.#logStart);
  }

  /** Kafka's fetchOffsetByTimestamp for a time: the first record whose timestamp is >= `timestamp`. */
  async findRecordByTimestamp(timestamp: bigint): Promise<TimestampAndOffset | undefined> {
    const batch = await this.offsetForTimestamp(timestamp);
    return batch && this.#recordInBatch(batch.offset, timestamp, false);
  }

  /** Kafka's fetchOffsetByTimestamp for MAX_TIMESTAMP: the first record holding the largest timestamp. */
  async findRecordWithMaxTimestamp(): Promise<TimestampAndOffset | undefined> {
    const batch = await this.maxTimestampOffset();
    return batch && this.#recordInBatch(batch.offset, batch.timestamp, true);
  }

  /**
   * The first record of the batch at `batchOffset` whose timestamp reaches `target` (equals it,
   * when `exact`): the time index finds batches, so that one batch is decoded, as Kafka does.
   * LogAppendTime batches stamp every record with the batch's max timestamp.
   */
  async #recordInBatch(batchOffset: bigint, target: bigint, exact: boolean): Promise<TimestampAndOffset | undefined> {
    const { records } = await this.read(batchOffset, 1, { minOneBatch: true });
    const buf = records[0];
    if (!buf || buf.length < BATCH_HEADER_SIZE) return undefined;
    const header = new BatchHeader(buf);
    for (const r of iterateRecords(buf)) {
      const timestamp = header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp + BigInt(r.timestampDelta);
      if (exact ? timestamp === target : timestamp >= target) {
        const offset = header.baseOffset + BigInt(r.offsetDelta);
        return { offset, timestamp, leaderEpoch: this.epochForOffset(offset) };
      }
    }
    return undefined;
  }

  /**
   * The leader epoch that `offset` was written in. An empty epoch cache stands for epoch 0 from
   * offset 0: Kafka records the leader epoch when the partition gets its leader, before any write.
   */
  epochForOffset(offset: bigint): number {
    let epoch = this.latestEpoch;
    if (epoch < 0) return 0;
    for (;;) {
      const previous = this.endOffsetForEpoch(epoch - 1);
      if (previous.epoch < 0 || offset >= previous.endOffset) return epoch;
      epoch = previous.epoch;
    }
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.#epochs.endOffsetFor(epoch, this.#leo);
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.#exclusive(async () => {
      if (offset < 0n || offset > this.#hw) throw outOfRange(offset, this.#logStart, this.#hw);
      if (offset > this.#logStart) {
        this.#logStart = offset;
        await this.#deleteOldSegments(this.#clock(), true, true);
      }
      return this.#logStart;
    });
  }

  applyRetention(nowMs = this.#clock()): Promise<number> {
    return this.#exclusive(() => this.#deleteOldSegments(nowMs, false));
  }

  roll(nowMs = this.#clock()): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#local.active.size > 0) await this.#rollLocked(nowMs);
    });
  }

  flush(): Promise<void> {
    return this.#exclusive(() => this.#flushLocked());
  }

  /** flush.ms: called by the log manager's scheduler. */
  async maybeFlush(nowMs = this.#clock()): Promise<void> {
    if (this.#unflushedMessages > 0 && nowMs - this.#lastFlushMs >= this.config.flushMs) await this.flush();
  }

  /** Removes every batch from the one holding `offset` on (a whole batch, as Kafka does). */
  truncateTo(offset: bigint): Promise<void> {
    return this.#exclusive(async () => {
      if (offset >= this.#leo) return;
      const wholeLog = offset <= this.#local.segments[0]!.baseOffset;
      this.#leo = this.#next = await this.#local.truncateTo(offset);
      if (this.#hw > this.#leo || !this.#replicated) this.#hw = this.#leo;
      if (wholeLog) this.#logStart = this.#local.segments[0]!.baseOffset;
      if (this.#logStart > this.#leo) this.#logStart = this.#leo;
      this.#tail.truncateFrom(this.#leo);
      if (this.#epochs.truncateFromEnd(this.#leo)) await this.#persistEpochs();
      await this.#txnIndex.retainSegments(this.#local.segments.map((s) => s.baseOffset));
      await this.#loadProducerState();
      this.#logger.info({ offset: offset.toString(), logEndOffset: this.#leo.toString() }, 'truncated log');
    });
  }

  /**
   * A follower whose log end is below the leader's log start: everything goes and the log
   * starts empty at `offset`, as Kafka's truncateFullyAndStartAt.
   */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.#exclusive(async () => {
      await this.#local.truncateFullyAndStartAt(offset);
      this.#leo = this.#next = this.#hw = this.#logStart = offset;
      this.#tail.clear();
      if (this.#epochs.truncateFromEnd(0n)) await this.#persistEpochs();
      await this.#txnIndex.retainSegments(this.#local.segments.map((s) => s.baseOffset));
      await this.#loadProducerState();
      this.#logger.info({ offset: offset.toString() }, 'truncated the whole log to start at the leader\'s log start');
      this.#onLogStartChange?.(this);
    });
  }

  /** The process dies: the unflushed tail is lost (see LocalLog.crash); nothing is written on the way out. */
  crash(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await this.#local.crash();
      this.#tail.clear();
      this.#listeners.clear();
    });
  }

  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await this.#producers.writeSnapshot(this.#local.store, this.dir, this.#leo).catch((e: unknown) => this.#logger.error({ err: e }, 'producer snapshot failed'));
      await this.#local.close(this.#leo);
      this.#tail.clear();
      this.#listeners.clear();
    });
  }

  /** For the log cleaner: the segments now, oldest first; the last is the active one. */
  segmentsForCleaner(): readonly Segment[] {
    return this.#local.segments.slice();
  }

  get storeForCleaner(): SegmentStore {
    return this.#local.store;
  }

  /**
   * For the log cleaner: runs `swap` under the partition's lock with the current segments; it
   * returns the new list, or undefined when the log changed under the cleaning (nothing is
   * swapped). Cached batches below `cleanedUpTo` are dropped, so reads see the cleaned bytes.
   */
  replaceSegments(swap: (current: readonly Segment[]) => Promise<Segment[] | undefined>, cleanedUpTo: bigint): Promise<boolean> {
    return this.#exclusive(async () => {
      if (this.#closed) return false;
      if (!(await this.#local.replaceSegments(swap))) return false;
      this.#tail.dropBelow(cleanedUpTo);
      return true;
    });
  }

  /** Runs `fn` after every earlier exclusive operation; one at a time per partition. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #drain(): Promise<void> {
    this.#drainScheduled = false;
    const items = this.#queue;
    this.#queue = [];
    if (this.#closed) {
      for (const it of items) it.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`));
      return;
    }
    await this.#local.active.loadIndexes();
    let run: PendingAppend[] = [];
    let runBytes = 0;
    let now = 0;
    for (const item of items) {
      if (item.opts.ready !== undefined) {
        // What is ready before it is written first, not held back for this item's work.
        await this.#writeRun(run, now);
        run = [];
        runBytes = 0;
        try {
          await item.opts.ready;
        } catch (e) {
          item.reject(e);
          continue;
        }
      }
      now = item.opts.nowMs ?? this.#clock();
      if (this.#local.shouldRoll(runBytes, item.buf.length, this.#next + item.offsetCount - 1n, now)) {
        await this.#writeRun(run, now);
        run = [];
        runBytes = 0;
        await this.#rollLocked(now);
      }
      if (this.#checkProducers(item)) {
        if (item.duplicate) run.push(item);
        continue;
      }
      if (item.opts.origin === 'replication') this.#keepOffsets(item);
      else this.#assignOffsets(item, now);
      run.push(item);
      runBytes += item.buf.length;
    }
    await this.#writeRun(run, now);
  }

  /**
   * Producer checks for one append (Kafka's analyzeAndValidateProducerState): true when the
   * item is settled without being written, a duplicate (kept for the run to answer) or a
   * rejected one. Otherwise its producer state is staged in the run's session.
   */
  #checkProducers(item: PendingAppend): boolean {
    const buf = item.buf;
    if (item.starts.every((at) => buf.readBigInt64BE(at + Field.producerId) < 0n)) return false;
    const session = (this.#session ??= this.#producers.session());
    const origin = item.opts.origin ?? 'client';
    if (origin === 'client') {
      const dup = session.findDuplicate(buf, item.starts[0]!);
      if (dup !== undefined) {
        item.duplicate = { baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTime: -1n, logStartOffset: 0n };
        return true;
      }
    }
    const saved = item.starts.length > 1 ? new Map(session.staged) : undefined;
    const completed = session.completed.length;
    let offset = this.#next;
    try {
      for (const at of item.starts) {
        if (origin === 'replication') offset = buf.readBigInt64BE(at + Field.baseOffset);
        session.append(buf, at, offset, origin);
        offset += BigInt(buf.readInt32BE(at + Field.lastOffsetDelta) + 1);
      }
    } catch (e) {
      if (saved !== undefined) {
        session.staged.clear();
        for (const [k, v] of saved) session.staged.set(k, v);
      }
      session.completed.length = completed;
      item.reject(e);
      return true;
    }
    return false;
  }

  /** A follower's append: the leader's offsets stay, the log end moves past them. */
  #keepOffsets(item: PendingAppend): void {
    const buf = item.buf;
    const first = item.starts[0]!;
    const last = item.starts.at(-1)!;
    const baseOffset = buf.readBigInt64BE(first + Field.baseOffset);
    this.#next = buf.readBigInt64BE(last + Field.baseOffset) + BigInt(buf.readInt32BE(last + Field.lastOffsetDelta)) + 1n;
    item.result = { baseOffset, lastOffset: this.#next - 1n, logAppendTime: -1n, logStartOffset: 0n };
  }

  /** Patches offsets (and LogAppendTime) into the payload's headers; no record is touched. */
  #assignOffsets(item: PendingAppend, now: number): void {
    const buf = item.buf;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const baseOffset = this.#next;
    let next = baseOffset;
    for (const at of item.starts) {
      buf.writeBigInt64BE(next, at + Field.baseOffset);
      buf.writeInt32BE(item.epoch, at + Field.partitionLeaderEpoch);
      if (logAppendTime) {
        buf.writeBigInt64BE(BigInt(now), at + Field.maxTimestamp);
        buf.writeInt16BE(buf.readInt16BE(at + Field.attributes) | Attribute.timestampTypeLogAppend, at + Field.attributes);
        const end = at + buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
        buf.writeUInt32BE(crc32c(buf.subarray(at + CRC_START, end)), at + Field.crc);
      }
      next += BigInt(buf.readInt32BE(at + Field.lastOffsetDelta) + 1);
    }
    this.#next = next;
    item.result = {
      baseOffset,
      lastOffset: next - 1n,
      logAppendTime: logAppendTime ? BigInt(now) : -1n,
      logStartOffset: 0n,
    };
  }

  /** Writes the run to the active segment in one append, then publishes it. */
  async #writeRun(all: PendingAppend[], now: number): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (all.length === 0) return;
    const run = all.filter((i) => i.duplicate === undefined);
    if (!this.#local.store.appendCopies) {
      // The store keeps the very chunks (patched already): a borrowed payload is copied once.
      for (const item of run) {
        if (!item.borrowed) continue;
        item.buf = Buffer.from(item.buf);
        item.borrowed = false;
      }
    }
    const seg = this.#local.active;
    // Stopping clears the cache, so that what it holds always ends at the log end.
    const cached = this.#clock() - this.#lastReadMs <= TAIL_CACHE_IDLE_MS;
    if (!cached && this.#tail.length > 0) this.#tail.clear();
    let records = 0;
    try {
      await this.#local.append(run, now, (bytes, baseOffset, lastOffset, i) => {
        if (cached) this.#tail.push({ baseOffset, lastOffset, bytes }, run[i]!.borrowed);
        records += bytes.readInt32BE(Field.recordCount);
      });
    } catch (e) {
      this.#logger.error({ err: e }, 'append failed');
      this.#next = this.#leo;
      const err = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `append to ${this.dir} failed: ${(e as Error).message}`);
      for (const it of all) it.reject(err);
      return;
    }
    let epochsChanged = false;
    for (const item of run) {
      if (item.opts.origin !== 'replication') {
        if (this.#epochs.assign(item.epoch, item.result!.baseOffset)) epochsChanged = true;
        continue;
      }
      // A follower's batches carry the epochs the leader stamped.
      for (const at of item.starts) {
        if (this.#epochs.assign(item.buf.readInt32BE(at + Field.partitionLeaderEpoch), item.buf.readBigInt64BE(at + Field.baseOffset))) epochsChanged = true;
      }
    }
    this.#leo = this.#next;
    this.#unflushedMessages += records;
    try {
      if (epochsChanged) await this.#persistEpochs();
      if (this.config.flushOnAck || this.#unflushedMessages >= this.config.flushMessages) await this.#flushLocked();
    } catch (e) {
      // The bytes are in the log; only their durability is in doubt, which the producer must hear.
      this.#logger.error({ err: e }, 'flush failed');
      const err = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `flush of ${this.dir} failed: ${(e as Error).message}`);
      // The bytes stay in the log, so their producer state must too.
      if (session !== undefined) await this.#installProducerState(session, seg.baseOffset);
      for (const it of all) it.reject(err);
      return;
    }
    seg.publish();
    if (session !== undefined) await this.#installProducerState(session, seg.baseOffset);
    if (!this.#replicated) this.#hw = this.#leo;
    this.#tail.evict();
    for (const it of all) {
      const result = it.duplicate ?? it.result!;
      result.logStartOffset = this.#logStart;
      it.resolve(result);
    }
    this.#notify();
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l(this);
      } catch (e) {
        this.#logger.error({ err: e }, 'append listener threw');
      }
    }
  }

  async #rollLocked(now: number): Promise<void> {
    await this.#local.roll(this.#leo, now);
    await this.#producers.writeSnapshot(this.#local.store, this.dir, this.#leo).catch((e: unknown) => this.#logger.error({ err: e }, 'producer snapshot failed'));
  }

  async #flushLocked(): Promise<void> {
    await this.#local.flush(this.#leo);
    this.#unflushedMessages = 0;
    this.#lastFlushMs = this.#clock();
  }

  /** `logStartOnly` for DeleteRecords: the time and size rules wait for the retention check. */
  async #deleteOldSegments(nowMs: number, forced: boolean, logStartOnly = false): Promise<number> {
    // A compacted topic without "delete" in cleanup.policy keeps segments past retention.
    const config = this.config;
    const timeAndSize = !logStartOnly && config.delete;
    const { count, reason } = segmentsToDelete(this.#local.segments, {
      retentionMs: timeAndSize ? config.retentionMs : -1,
      retentionBytes: timeAndSize ? config.retentionBytes : -1,
      logStartOffset: this.#logStart,
      nowMs,
    });
    const doomed = this.#local.removeOldest(count);
    const first = this.#local.segments[0]!.baseOffset;
    const moved = forced || first > this.#logStart;
    if (first > this.#logStart) this.#logStart = first;
    this.#tail.dropBelow(this.#logStart);
    if (this.#epochs.truncateFromStart(this.#logStart)) await this.#persistEpochs();
    for (const s of doomed) {
      await this.#local.retire(s);
      await this.#txnIndex.dropSegment(s.baseOffset);
    }
    if (count > 0) await this.#deleteSnapshotsBefore(first);
    if (count > 0) {
      this.#logger.info({ deleted: count, reason, logStartOffset: this.#logStart.toString() }, 'deleted old segments');
    }
    if (moved) this.#onLogStartChange?.(this);
    return count;
  }

  /** Installs a written run's producer state and records its aborted transactions. */
  async #installProducerState(session: AppendSession, segmentBase: bigint): Promise<void> {
    // No await until every aborted transaction of the run is in the index: applying the state
    // moves the last stable offset, and a fetch in between would miss aborted ranges below it.
    this.#producers.apply(session.staged);
    const aborted = session.completed
      .filter((txn) => txn.aborted)
      .map((txn) => ({ producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset: this.#producers.lastStableOffsetAfter(txn) }));
    await this.#txnIndex.append(segmentBase, aborted).catch((e: unknown) => this.#logger.error({ err: e }, 'transaction index write failed'));
  }

  async #deleteSnapshotsBefore(offset: bigint): Promise<void> {
    const store = this.#local.store;
    for (const name of await store.list(this.dir)) {
      const at = parseSnapshotFileName(name);
      if (at !== undefined && at < offset) await store.delete(joinPath(this.dir, name));
    }
  }

  /**
   * Kafka's loadProducerState: the latest readable snapshot at or below the log end, then the
   * log after it replayed without checks. Snapshots past the log end are removed. With no
   * snapshot, the replay starts at the second-to-last segment, as Kafka does.
   */
  async #loadProducerState(): Promise<void> {
    const store = this.#local.store;
    const snapshots: bigint[] = [];
    for (const name of await store.list(this.dir)) {
      const at = parseSnapshotFileName(name);
      if (at === undefined) continue;
      if (at > this.#leo) await store.delete(joinPath(this.dir, name));
      else snapshots.push(at);
    }
    snapshots.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    let from: bigint | undefined;
    let entries: ProducerStateEntry[] = [];
    for (const at of snapshots) {
      const buf = await store.readWhole(joinPath(this.dir, snapshotFileName(at)));
      try {
        if (buf === undefined) throw new Error('missing');
        entries = decodeSnapshot(buf);
        from = at;
        break;
      } catch (e) {
        this.#logger.warn({ err: e, offset: at.toString() }, 'dropping unreadable producer snapshot');
        await store.delete(joinPath(this.dir, snapshotFileName(at)));
      }
    }
    const now = BigInt(this.#clock());
    const expiration = BigInt(this.#producers.expirationMs);
    this.#producers.reset(entries.filter((e) => e.currentTxnFirstOffset >= 0n || now - e.lastTimestamp < expiration));
    const segments = this.#local.segments;
    from ??= segments.length >= 2 ? segments.at(-2)!.baseOffset : segments[0]!.baseOffset;
    if (from < this.#logStart) from = this.#logStart;
    await this.#txnIndex.truncateFrom(from);
    let offset = from;
    while (offset < this.#leo) {
      const r = await this.read(offset, 1024 * 1024);
      if (r.records.length === 0) break;
      for (const chunk of r.records) {
        for (let at = 0; at + BATCH_HEADER_SIZE <= chunk.length; ) {
          const size = chunk.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
          if (at + size > chunk.length) break;
          if (chunk.readBigInt64BE(at + Field.producerId) >= 0n) {
            const done = this.#producers.replayBatch(chunk, at);
            if (done?.aborted) {
              const entry = { producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: this.#producers.lastStableOffsetAfter(done) };
              await this.#txnIndex.append(this.#local.segmentBaseOf(done.lastOffset), [entry]);
            }
          }
          offset = chunk.readBigInt64BE(at + Field.baseOffset) + BigInt(chunk.readInt32BE(at + Field.lastOffsetDelta)) + 1n;
          at += size;
        }
      }
    }
  }

  async #persistEpochs(): Promise<void> {
    await this.#local.store.writeAtomic(
      joinPath(this.dir, LEADER_EPOCH_CHECKPOINT_FILE),
      formatLeaderEpochCheckpoint(this.#epochs.entries),
    );
  }
}
