/**
 * PartitionLog: one partition's log, the object the broker's handlers call.
 *
 *   static open(opts: PartitionLogOptions): Promise<PartitionLog>
 *   append(batches: Buffer, opts?: AppendOptions): Promise<AppendResult>
 *       `batches` holds one or more validated RecordBatch v2 batches (a Produce payload).
 *       Offsets and the leader epoch are patched into the buffer in place (the caller can read
 *       each batch's baseOffset from it afterwards); on a LogAppendTime topic maxTimestamp and
 *       the timestamp-type bit are rewritten and the CRC recomputed. The buffer is kept (tail
 *       cache, memory store) and must not be changed after the call. Appends are serialized per
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
 *   endOffsetForEpoch(epoch: number): { epoch, endOffset }   (OffsetForLeaderEpoch)
 *   deleteRecordsBefore(offset: bigint): Promise<bigint>   new log start (DeleteRecords)
 *   applyRetention(nowMs?: number): Promise<number>        segments deleted
 *   roll(nowMs?): Promise<void>, flush(): Promise<void>, maybeFlush(nowMs?): Promise<void>
 *   truncateTo(offset: bigint): Promise<void>
 *   updateConfig(changes: Partial<LogConfig>): void        applies to the next operation
 *   onAppend(listener): () => void                        wakes long-polling fetches
 *   close(): Promise<void>
 *
 * With a single replica the high watermark is the log end, except with flushOnAck, where it
 * waits for the fsync so that a consumer never sees what a crash could take back.
 */
import type { Logger } from 'pino';
import { Attribute, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CRC_START, Field } from '../protocol/records/record-batch.js';
import { crc32c } from '../protocol/codec/crc32c.js';
import { batchSizeAt, frameBatches, lastOffsetAt, walkBatches } from './batch-scan.js';
import { formatLeaderEpochCheckpoint, parseLeaderEpochCheckpoint } from './checkpoint-files.js';
import { StorageError } from './errors.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, joinPath, partitionDirName } from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { resolveLogConfig, type LogConfig } from './log-config.js';
import { OFFSET_INDEX_ENTRY_SIZE } from './offset-index.js';
import { loadSegments, recoverSegment } from './recovery.js';
import { segmentsToDelete } from './retention.js';
import { Segment } from './segment.js';
import type { SegmentStore } from './store.js';
import { TailCache } from './tail-cache.js';
import { TIME_INDEX_ENTRY_SIZE } from './time-index.js';

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
  /** Bytes of recent batches kept in memory for tailing consumers. */
  tailCacheBytes?: number;
  clock?: () => number;
  /** Called after the log start moved (DeleteRecords, retention), to persist it. */
  onLogStartOffsetChange?: (log: PartitionLog) => void;
}

export interface AppendOptions {
  /** Stamped into each batch's partitionLeaderEpoch; defaults to the latest known epoch (or 0). */
  leaderEpoch?: number;
  /** Wall-clock ms used for LogAppendTime and segment.ms; defaults to the log's clock. */
  nowMs?: number;
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
}

export interface ReadResult {
  records: Buffer[];
  sizeInBytes: number;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export type AppendListener = (log: PartitionLog) => void;

interface PendingAppend {
  buf: Buffer;
  starts: number[];
  /** Offsets the payload takes: the sum of (lastOffsetDelta + 1). */
  offsetCount: bigint;
  opts: AppendOptions;
  epoch: number;
  result?: AppendResult;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const MAX_RELATIVE_OFFSET = 0x7fffffffn;
const DEFAULT_TAIL_CACHE_BYTES = 4 * 1024 * 1024;

function outOfRange(offset: bigint, start: bigint, end: bigint): StorageError {
  return new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${start}, ${end}]`);
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  #config: LogConfig;
  readonly #store: SegmentStore;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #onLogStartChange: ((log: PartitionLog) => void) | undefined;
  #segments: Segment[];
  /** Next offset to hand out; runs ahead of #leo only inside a drain. */
  #next: bigint;
  #leo: bigint;
  #hw: bigint;
  #logStart: bigint;
  #recoveryPoint: bigint;
  #unflushedMessages = 0;
  #lastFlushMs: number;
  #queue: PendingAppend[] = [];
  #drainScheduled = false;
  #lock: Promise<unknown> = Promise.resolve();
  /** Flushes of rolled segments, in roll order. */
  #rollFlush: Promise<unknown> = Promise.resolve();
  readonly #tail: TailCache;
  readonly #epochs: LeaderEpochCache;
  readonly #listeners = new Set<AppendListener>();
  #closed = false;

  private constructor(opts: PartitionLogOptions, dir: string, segments: Segment[], epochs: LeaderEpochCache) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = dir;
    this.#config = resolveLogConfig(opts.config);
    this.#store = opts.store;
    this.#logger = opts.logger.child({ topic: opts.topic, partition: opts.partition });
    this.#clock = opts.clock ?? Date.now;
    this.#onLogStartChange = opts.onLogStartOffsetChange;
    this.#segments = segments;
    this.#leo = this.#next = this.#hw = segments.at(-1)!.nextOffset;
    let start = opts.logStartOffset ?? 0n;
    if (start < segments[0]!.baseOffset) start = segments[0]!.baseOffset;
    if (start > this.#leo) start = this.#leo;
    this.#logStart = start;
    this.#recoveryPoint = this.#leo;
    this.#lastFlushMs = this.#clock();
    this.#tail = new TailCache(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES);
    this.#epochs = epochs;
  }

  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const dir = opts.dir ?? partitionDirName(opts.topic, opts.partition);
    const config = resolveLogConfig(opts.config);
    const segments = await loadSegments(opts.store, dir, {
      clean: opts.clean ?? false,
      recoveryPoint: opts.recoveryPoint ?? 0n,
      logStartOffset: opts.logStartOffset ?? 0n,
      indexIntervalBytes: config.indexIntervalBytes,
      logger: opts.logger,
    });
    const text = await opts.store.readWhole(joinPath(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    const epochs = new LeaderEpochCache((text && parseLeaderEpochCheckpoint(text.toString('utf8'))) || []);
    const log = new PartitionLog(opts, dir, segments, epochs);
    // Recovery may have cut the log below epochs the checkpoint still lists.
    if (epochs.truncateFromEnd(log.#leo)) await log.#persistEpochs();
    return log;
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
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
    return this.#recoveryPoint;
  }
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }
  get latestEpoch(): number {
    return this.#epochs.latestEpoch;
  }
  /** The segments, oldest first (for DescribeLogDirs, tools and tests). */
  segmentInfo(): Array<{ baseOffset: bigint; size: number; maxTimestamp: bigint }> {
    return this.#segments.map((s) => ({ baseOffset: s.baseOffset, size: s.size, maxTimestamp: s.maxTimestamp }));
  }

  updateConfig(changes: Partial<LogConfig>): void {
    this.#config = resolveLogConfig(this.#config, changes);
  }

  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new StorageError('KAFKA_STORAGE_ERROR', `log ${this.dir} is closed`));
    let starts: number[];
    try {
      starts = frameBatches(batches);
    } catch (e) {
      return Promise.reject(new StorageError('CORRUPT_MESSAGE', (e as Error).message));
    }
    if (starts.length === 0) return Promise.reject(new StorageError('CORRUPT_MESSAGE', 'no record batch'));
    let offsetCount = 0n;
    for (const at of starts) offsetCount += BigInt(batches.readInt32BE(at + Field.lastOffsetDelta) + 1);
    const epoch = opts.leaderEpoch ?? Math.max(this.#epochs.latestEpoch, 0);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ buf: batches, starts, offsetCount, opts, epoch, resolve, reject });
      if (!this.#drainScheduled) {
        this.#drainScheduled = true;
        void this.#exclusive(() => this.#drain());
      }
    });
  }

  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    const minOneBatch = opts.minOneBatch ?? true;
    for (let attempt = 0; ; attempt++) {
      const hw = this.#hw;
      const logStart = this.#logStart;
      if (offset < logStart || offset > this.#leo) throw outOfRange(offset, logStart, this.#leo);
      const limit = opts.upTo !== undefined && opts.upTo < hw ? opts.upTo : hw;
      let records: Buffer[] = [];
      if (offset < limit) {
        const cached = this.#tail.collect(offset, maxBytes, minOneBatch, limit);
        if (cached !== undefined) records = cached;
        else {
          try {
            records = await this.#readCold(offset, maxBytes, minOneBatch, limit);
          } catch (e) {
            // Retention may delete a segment under a read; the second try sees the new state.
            if (attempt === 0 && this.#logStart !== logStart) continue;
            throw e;
          }
        }
      }
      let sizeInBytes = 0;
      for (const r of records) sizeInBytes += r.length;
      return { records, sizeInBytes, highWatermark: hw, logStartOffset: logStart };
    }
  }

  async offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    for (const seg of [...this.#segments]) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= this.#logStart) continue;
      await seg.loadIndexes();
      const from = seg.offsetIndex.lookup(seg.timeIndex.lookup(timestamp));
      let found: { offset: bigint; timestamp: bigint } | undefined;
      const logStart = this.#logStart;
      await walkBatches(seg.log, from, { whole: false, end: seg.readableSize, chunkSize: 64 * 1024 }, (buf, at) => {
        const ts = buf.readBigInt64BE(at + Field.maxTimestamp);
        if (ts < timestamp || lastOffsetAt(buf, at) < logStart) return true;
        const base = buf.readBigInt64BE(at + Field.baseOffset);
        found = { offset: base < logStart ? logStart : base, timestamp: ts };
        return false;
      });
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async maxTimestampOffset(): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    let best: Segment | undefined;
    for (const s of this.#segments) {
      if (s.maxTimestamp >= 0n && (best === undefined || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    if (best === undefined) return undefined;
    // The segment knows the batch's last offset; a consumer fetching from the batch start sees the record.
    const pos = await best.findBatchPosition(best.offsetOfMaxTimestamp, best.readableSize);
    const header = await best.log.read(pos, BATCH_HEADER_SIZE);
    let offset = header.length === BATCH_HEADER_SIZE ? header.readBigInt64BE(Field.baseOffset) : best.offsetOfMaxTimestamp;
    if (offset < this.#logStart) offset = this.#logStart;
    return { offset, timestamp: best.maxTimestamp };
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
      if (this.#active.size > 0) await this.#rollLocked(nowMs);
    });
  }

  flush(): Promise<void> {
    return this.#exclusive(() => this.#flushLocked());
  }

  /** flush.ms: called by the log manager's scheduler. */
  async maybeFlush(nowMs = this.#clock()): Promise<void> {
    if (this.#unflushedMessages > 0 && nowMs - this.#lastFlushMs >= this.#config.flushMs) await this.flush();
  }

  /** Removes every batch from the one holding `offset` on (a whole batch, as Kafka does). */
  truncateTo(offset: bigint): Promise<void> {
    return this.#exclusive(async () => {
      if (offset >= this.#leo) return;
      if (offset <= this.#segments[0]!.baseOffset) {
        for (const s of this.#segments) await s.delete(this.#store);
        const seg = await Segment.open(this.#store, this.dir, offset < 0n ? 0n : offset);
        await seg.log.truncate(0);
        await seg.resetIndexes();
        seg.readableSize = 0;
        this.#segments = [seg];
        this.#logStart = seg.baseOffset;
      } else {
        while (this.#segments.length > 1 && this.#active.baseOffset >= offset) await this.#segments.pop()!.delete(this.#store);
        const seg = this.#active;
        const pos = await seg.findBatchPosition(offset);
        await seg.log.truncate(pos);
        await recoverSegment(seg, this.#config.indexIntervalBytes, this.#segments.at(-2)?.nextOffset);
      }
      this.#leo = this.#next = this.#hw = this.#active.nextOffset;
      if (this.#logStart > this.#leo) this.#logStart = this.#leo;
      if (this.#recoveryPoint > this.#leo) this.#recoveryPoint = this.#leo;
      this.#tail.truncateFrom(this.#leo);
      if (this.#epochs.truncateFromEnd(this.#leo)) await this.#persistEpochs();
      this.#logger.info({ offset: offset.toString(), logEndOffset: this.#leo.toString() }, 'truncated log');
    });
  }

  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      const active = this.#active;
      await active.loadIndexes();
      active.onBecomeInactive();
      await this.#rollFlush;
      await active.flush();
      this.#recoveryPoint = this.#leo;
      for (const s of this.#segments) await s.close();
      this.#tail.clear();
      this.#listeners.clear();
    });
  }

  get #active(): Segment {
    return this.#segments.at(-1)!;
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
      for (const it of items) it.reject(new StorageError('KAFKA_STORAGE_ERROR', `log ${this.dir} is closed`));
      return;
    }
    await this.#active.loadIndexes();
    let run: PendingAppend[] = [];
    let runBytes = 0;
    let now = 0;
    for (const item of items) {
      now = item.opts.nowMs ?? this.#clock();
      if (this.#shouldRoll(runBytes, item, now)) {
        await this.#writeRun(run, now);
        run = [];
        runBytes = 0;
        await this.#rollLocked(now);
      }
      this.#assignOffsets(item, now);
      run.push(item);
      runBytes += item.buf.length;
    }
    await this.#writeRun(run, now);
  }

  #shouldRoll(pendingBytes: number, item: PendingAppend, now: number): boolean {
    const seg = this.#active;
    const size = seg.size + pendingBytes;
    if (size === 0) return false;
    const c = this.#config;
    return (
      size + item.buf.length > c.segmentBytes ||
      (seg.rollStartMs !== undefined && now - seg.rollStartMs > c.segmentMs) ||
      (seg.offsetIndex.entries + 1) * OFFSET_INDEX_ENTRY_SIZE > c.segmentIndexBytes ||
      (seg.timeIndex.entries + 1) * TIME_INDEX_ENTRY_SIZE > c.segmentIndexBytes ||
      this.#next + item.offsetCount - 1n - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  /** Patches offsets (and LogAppendTime) into the payload's headers; no record is touched. */
  #assignOffsets(item: PendingAppend, now: number): void {
    const buf = item.buf;
    const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime';
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
  async #writeRun(run: PendingAppend[], now: number): Promise<void> {
    if (run.length === 0) return;
    const seg = this.#active;
    const startPos = seg.size;
    try {
      await seg.log.append(run.map((i) => i.buf));
    } catch (e) {
      this.#logger.error({ err: e }, 'append failed');
      await seg.log.truncate(startPos).catch(() => undefined);
      this.#next = this.#leo;
      const err = new StorageError('KAFKA_STORAGE_ERROR', `append to ${this.dir} failed: ${(e as Error).message}`);
      for (const it of run) it.reject(err);
      return;
    }
    const interval = this.#config.indexIntervalBytes;
    let pos = startPos;
    let records = 0;
    let epochsChanged = false;
    for (const item of run) {
      const buf = item.buf;
      for (const at of item.starts) {
        const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
        const base = buf.readBigInt64BE(at + Field.baseOffset);
        const last = base + BigInt(buf.readInt32BE(at + Field.lastOffsetDelta));
        seg.noteBatch(pos, size, last, buf.readBigInt64BE(at + Field.maxTimestamp), interval);
        this.#tail.push({ baseOffset: base, lastOffset: last, bytes: buf.subarray(at, at + size) });
        records += buf.readInt32BE(at + Field.recordCount);
        pos += size;
      }
      if (this.#epochs.assign(item.epoch, item.result!.baseOffset)) epochsChanged = true;
    }
    seg.rollStartMs ??= now;
    this.#leo = this.#next;
    this.#unflushedMessages += records;
    try {
      if (epochsChanged) await this.#persistEpochs();
      if (this.#config.flushOnAck || this.#unflushedMessages >= this.#config.flushMessages) await this.#flushLocked();
    } catch (e) {
      // The bytes are in the log; only their durability is in doubt, which the producer must hear.
      this.#logger.error({ err: e }, 'flush failed');
      const err = new StorageError('KAFKA_STORAGE_ERROR', `flush of ${this.dir} failed: ${(e as Error).message}`);
      for (const it of run) it.reject(err);
      return;
    }
    seg.readableSize = seg.size;
    this.#hw = this.#leo;
    this.#tail.evict();
    for (const it of run) {
      it.result!.logStartOffset = this.#logStart;
      it.resolve(it.result!);
    }
    for (const l of this.#listeners) {
      try {
        l(this);
      } catch (e) {
        this.#logger.error({ err: e }, 'append listener threw');
      }
    }
  }

  async #rollLocked(now: number): Promise<void> {
    const old = this.#active;
    old.onBecomeInactive();
    const seg = await Segment.open(this.#store, this.dir, this.#leo);
    if (seg.size > 0) {
      this.#logger.warn({ baseOffset: seg.baseOffset.toString() }, 'replacing a stale segment file on roll');
      await seg.log.truncate(0);
    }
    await seg.resetIndexes();
    seg.readableSize = 0;
    this.#segments.push(seg);
    this.#logger.debug({ baseOffset: seg.baseOffset.toString(), now }, 'rolled segment');
    // Kafka flushes a rolled segment in the background, so the active one's fsyncs stay small.
    const base = seg.baseOffset;
    this.#rollFlush = this.#rollFlush
      .then(() => (old.deleted ? undefined : old.flush()))
      .then(
        () => {
          if (this.#recoveryPoint < base) this.#recoveryPoint = base;
        },
        (e: unknown) => {
          if (!old.deleted) this.#logger.error({ err: e }, 'flush of rolled segment failed');
        },
      );
  }

  async #flushLocked(): Promise<void> {
    const upTo = this.#leo;
    await this.#rollFlush;
    await this.#active.flush();
    this.#recoveryPoint = upTo;
    this.#unflushedMessages = 0;
    this.#lastFlushMs = this.#clock();
  }

  /** `logStartOnly` for DeleteRecords: the time and size rules wait for the retention check. */
  async #deleteOldSegments(nowMs: number, forced: boolean, logStartOnly = false): Promise<number> {
    const { count, reason } = segmentsToDelete(this.#segments, {
      retentionMs: logStartOnly ? -1 : this.#config.retentionMs,
      retentionBytes: logStartOnly ? -1 : this.#config.retentionBytes,
      logStartOffset: this.#logStart,
      nowMs,
    });
    const doomed = this.#segments.slice(0, count);
    this.#segments = this.#segments.slice(count);
    const first = this.#segments[0]!.baseOffset;
    const moved = forced || first > this.#logStart;
    if (first > this.#logStart) this.#logStart = first;
    this.#tail.dropBelow(this.#logStart);
    if (this.#epochs.truncateFromStart(this.#logStart)) await this.#persistEpochs();
    for (const s of doomed) await s.delete(this.#store);
    if (count > 0) {
      this.#logger.info({ deleted: count, reason, logStartOffset: this.#logStart.toString() }, 'deleted old segments');
    }
    if (moved) this.#onLogStartChange?.(this);
    return count;
  }

  async #readCold(offset: bigint, maxBytes: number, minOneBatch: boolean, limit: bigint): Promise<Buffer[]> {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < segments.length; i++) {
      const seg = segments[i]!;
      const end = seg.readableSize;
      const pos = await seg.findBatchPosition(offset, end);
      if (pos >= end) continue;
      const buf = await seg.log.read(pos, Math.min(Math.max(maxBytes, BATCH_HEADER_SIZE), end - pos));
      let at = 0;
      for (;;) {
        const size = batchSizeAt(buf, at);
        if (size < 0 || at + BATCH_HEADER_SIZE > buf.length) break;
        if (lastOffsetAt(buf, at) >= limit) break;
        if (at + size > buf.length || at + size > maxBytes) {
          if (at === 0 && minOneBatch) return [await seg.log.read(pos, size)];
          break;
        }
        at += size;
      }
      return at === 0 ? [] : [buf.subarray(0, at)];
    }
    return [];
  }

  async #persistEpochs(): Promise<void> {
    await this.#store.writeAtomic(
      joinPath(this.dir, LEADER_EPOCH_CHECKPOINT_FILE),
      formatLeaderEpochCheckpoint(this.#epochs.entries),
    );
  }
}
