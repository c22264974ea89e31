/**
 * LocalLog: a partition's segments on local storage (Kafka's LocalLog and LogSegments), below
 * the partition log. It keeps the segment list and the recovery point; it appends whole batches
 * to the active segment, rolls, flushes, plans reads over the segments, deletes old segments
 * and truncates. It knows nothing of high watermarks, producers, transactions or epochs: the
 * partition log above decides what to write, where the log starts and what readers may see,
 * and serializes every call that changes the segments.
 */
import type { Logger } from 'pino';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, Field } from '../protocol/records/record-batch.js';
import type { FileRegion } from '../protocol/codec/file-region.js';
import { batchSizeAt, lastOffsetAt, walkBatches } from './batch-scan.js';
import { resolveLogConfig, type LogConfig } from './log-config.js';
import { OFFSET_INDEX_ENTRY_SIZE } from './offset-index.js';
import { loadSegments } from './recovery.js';
import { MAX_RELATIVE_OFFSET, Segment } from './segment.js';
import type { SegmentStore } from './store.js';
import { TIME_INDEX_ENTRY_SIZE } from './time-index.js';

export interface LocalLogOptions {
  /** The files were closed cleanly: skip the recovery scan. */
  clean: boolean;
  recoveryPoint: bigint;
  logStartOffset: bigint;
  config?: Partial<LogConfig>;
  logger: Logger;
}

/** Whole batches held in one buffer, starting at `starts` (a Produce payload, offsets assigned). */
export interface BatchRun {
  buf: Buffer;
  starts: readonly number[];
}

/** Batch headers peeked while planning a file region; reads are synchronous, so one buffer serves all logs. */
const HEADER_SCRATCH = Buffer.alloc(BATCH_HEADER_SIZE);

/** Index of the last segment whose base offset is at or below `offset` (0 when none is). */
function segmentIndexOf(segments: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Which batches a read from file position `pos` returns: whole batches below `limit`, within
 * `maxBytes` and the segment's readable `end`, the first one whole even when larger when
 * `minOneBatch` (Kafka's rule). `header(at)` gives a buffer holding the batch header at file
 * position `at` and the header's index in it, or undefined where none can be read. Returns
 * the position after the last batch chosen and the offset after it (-1 when none is).
 */
function chooseBatches(
  header: (at: number) => readonly [Buffer, number] | undefined,
  pos: number,
  end: number,
  maxBytes: number,
  minOneBatch: boolean,
  limit: bigint,
): { to: number; next: bigint } {
  let at = pos;
  let next = -1n;
  while (at + BATCH_HEADER_SIZE <= end) {
    const h = header(at);
    if (h === undefined) break;
    const size = batchSizeAt(h[0], h[1]);
    const last = lastOffsetAt(h[0], h[1]);
    if (size < BATCH_HEADER_SIZE || last >= limit) break;
    if (at + size > end || at - pos + size > maxBytes) {
      if (at === pos && minOneBatch) return { to: at + size, next: last + 1n };
      break;
    }
    at += size;
    next = last + 1n;
  }
  return { to: at, next };
}

export class LocalLog {
  #config: LogConfig;
  #segments: Segment[];
  #recoveryPoint: bigint;
  /** Flushes of rolled segments, in roll order. */
  #rollFlush: Promise<unknown> = Promise.resolve();
  /** Segments out of the log, their files kept as ".deleted" for file.delete.delay.ms, as in Kafka. */
  readonly #retired = new Map<Segment, NodeJS.Timeout>();
  /** Bumped when the log cleaner swaps segments, so a read that raced the swap retries. */
  #generation = 0;

  private constructor(
    readonly store: SegmentStore,
    readonly dir: string,
    config: LogConfig,
    segments: Segment[],
    readonly logger: Logger,
  ) {
    this.#config = config;
    this.#segments = segments;
    this.#recoveryPoint = segments.at(-1)!.nextOffset;
  }

  static async open(store: SegmentStore, dir: string, opts: LocalLogOptions): Promise<LocalLog> {
    const config = resolveLogConfig(opts.config);
    const segments = await loadSegments(store, dir, {
      clean: opts.clean,
      recoveryPoint: opts.recoveryPoint,
      logStartOffset: opts.logStartOffset,
      indexIntervalBytes: config.indexIntervalBytes,
      logger: opts.logger,
    });
    return new LocalLog(store, dir, config, segments, opts.logger);
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
  }

  updateConfig(changes: Partial<LogConfig>): void {
    this.#config = resolveLogConfig(this.#config, changes);
  }

  /** The segments now, oldest first; the last is the active one. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get active(): Segment {
    return this.#segments.at(-1)!;
  }

  /** Offsets below this are known to be fsynced. */
  get recoveryPoint(): bigint {
    return this.#recoveryPoint;
  }

  get generation(): number {
    return this.#generation;
  }

  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }

  /** Base offset of the segment holding `offset`. */
  segmentBaseOf(offset: bigint): bigint {
    return this.#segments[segmentIndexOf(this.#segments, offset)]!.baseOffset;
  }

  /**
   * Kafka's roll conditions, for `bytes` more bytes taking offsets up to `lastOffset` after
   * `pendingBytes` not yet written: segment.bytes, segment.ms, a full index, an offset too far
   * from the base for the index to hold.
   */
  shouldRoll(pendingBytes: number, bytes: number, lastOffset: bigint, nowMs: number): boolean {
    const seg = this.active;
    const size = seg.size + pendingBytes;
    if (size === 0) return false;
    const c = this.#config;
    return (
      size + bytes > c.segmentBytes ||
      (seg.rollStartMs !== undefined && nowMs - seg.rollStartMs > c.segmentMs) ||
      (seg.offsetIndex.entries + 1) * OFFSET_INDEX_ENTRY_SIZE > c.segmentIndexBytes ||
      (seg.timeIndex.entries + 1) * TIME_INDEX_ENTRY_SIZE > c.segmentIndexBytes ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  /**
   * Writes the runs to the active segment in one append and indexes their batches, calling
   * `onBatch` for each; a failed write is cut back out of the file and thrown.
   */
  async append(runs: readonly BatchRun[], nowMs: number, onBatch: (bytes: Buffer, baseOffset: bigint, lastOffset: bigint, run: number) => void): Promise<void> {
    const seg = this.active;
    const startPos = seg.size;
    try {
      if (runs.length > 0) await seg.log.append(runs.map((r) => r.buf));
    } catch (e) {
      await seg.log.truncate(startPos).catch(() => undefined);
      throw e;
    }
    const interval = this.#config.indexIntervalBytes;
    let pos = startPos;
    for (let i = 0; i < runs.length; i++) {
      const { buf, starts } = runs[i]!;
      for (const at of starts) {
        const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
        const base = buf.readBigInt64BE(at + Field.baseOffset);
        const last = base + BigInt(buf.readInt32BE(at + Field.lastOffsetDelta));
        seg.noteBatch(pos, size, last, buf.readBigInt64BE(at + Field.maxTimestamp), interval);
        onBatch(buf.subarray(at, at + size), base, last, i);
        pos += size;
      }
    }
    seg.noteAppendTime(nowMs);
  }

  /** Starts a new active segment at `nextOffset`; the old one is flushed in the background, as Kafka does. */
  async roll(nextOffset: bigint, nowMs: number): Promise<void> {
    const old = this.active;
    old.onBecomeInactive();
    const seg = await Segment.open(this.store, this.dir, nextOffset);
    if (seg.size > 0) this.logger.warn({ baseOffset: seg.baseOffset.toString() }, 'replacing a stale segment file on roll');
    await seg.clear();
    this.#segments.push(seg);
    this.logger.debug({ baseOffset: seg.baseOffset.toString(), now: nowMs }, 'rolled segment');
    // The active segment's fsyncs stay small.
    this.#rollFlush = this.#rollFlush
      .then(() => (old.deleted ? undefined : old.flush()))
      .then(
        () => {
          if (this.#recoveryPoint < nextOffset) this.#recoveryPoint = nextOffset;
        },
        (e: unknown) => {
          if (!old.deleted) this.logger.error({ err: e }, 'flush of rolled segment failed');
        },
      );
  }

  /** Flushes every segment; offsets below `upTo` become the recovery point. */
  async flush(upTo: bigint): Promise<void> {
    await this.#rollFlush;
    await this.active.flush();
    this.#recoveryPoint = upTo;
  }

  /**
   * Takes the `count` oldest segments out of the list at once (no await: a read sees either
   * list, never a half-changed one); retire() then deals with their files.
   */
  removeOldest(count: number): Segment[] {
    const doomed = this.#segments.slice(0, count);
    this.#segments = this.#segments.slice(count);
    return doomed;
  }

  /**
   * Renames a removed segment's files to ".deleted" and removes them once fetches sending from
   * them had time to finish (file.delete.delay.ms).
   */
  async retire(seg: Segment): Promise<void> {
    await seg.renameToDeleted(this.store);
    const timer = setTimeout(() => {
      this.#retired.delete(seg);
      seg.delete(this.store).catch((e: unknown) => this.logger.warn({ err: e }, 'removing a deleted segment failed'));
    }, this.#config.fileDeleteDelayMs);
    timer.unref();
    this.#retired.set(seg, timer);
  }

  /** Deletes every segment and starts an empty one at `offset`, which may lie past the old log end. */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    for (const s of this.#segments) await s.delete(this.store);
    const seg = await Segment.open(this.store, this.dir, offset);
    await seg.clear();
    this.#segments = [seg];
    this.#recoveryPoint = offset;
  }

  /**
   * The process dies (a virtual cluster's crash-stop): the batches from the recovery point on
   * were never fsynced and are lost, the first of them torn in half as a write cut short
   * leaves it, for recovery to find; the files close without a flush.
   */
  async crash(): Promise<void> {
    const from = this.#recoveryPoint;
    if (from < this.active.nextOffset) {
      const [first] = (await this.readCold(from, 1, true, this.active.nextOffset))[0];
      await this.truncateTo(from);
      if (first !== undefined && first.length > 1) await this.active.log.append([first.subarray(0, first.length >> 1)]);
    }
    for (const s of this.#segments) await s.closeFiles();
  }

  /** Removes every batch from the one holding `offset` on (a whole batch, as Kafka does); returns the new log end. */
  async truncateTo(offset: bigint): Promise<bigint> {
    if (offset <= this.#segments[0]!.baseOffset) {
      await this.truncateFullyAndStartAt(offset < 0n ? 0n : offset);
    } else {
      while (this.#segments.length > 1 && this.active.baseOffset >= offset) await this.#segments.pop()!.delete(this.store);
      await this.active.truncateTo(offset, this.#config.indexIntervalBytes, this.#segments.at(-2)?.nextOffset);
    }
    const end = this.active.nextOffset;
    if (this.#recoveryPoint > end) this.#recoveryPoint = end;
    return end;
  }

  /**
   * The log cleaner's swap: `swap` gets the current segments and returns the new list, or
   * undefined when the log changed under the cleaning (nothing is swapped).
   */
  async replaceSegments(swap: (current: readonly Segment[]) => Promise<Segment[] | undefined>): Promise<boolean> {
    const next = await swap(this.#segments.slice());
    if (next === undefined) return false;
    this.#segments = next;
    this.#generation++;
    return true;
  }

  /** The first batch (from `logStartOffset` on) whose max timestamp reaches `timestamp`: its base offset and that timestamp. */
  async offsetForTimestamp(timestamp: bigint, logStartOffset: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    for (const seg of [...this.#segments]) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= logStartOffset) continue;
      await seg.loadIndexes();
      const from = seg.offsetIndex.lookup(seg.timeIndex.lookup(timestamp));
      let found: { offset: bigint; timestamp: bigint } | undefined;
      await walkBatches(seg.log, from, { whole: false, end: seg.readableSize, chunkSize: 64 * 1024 }, (buf, at) => {
        const ts = buf.readBigInt64BE(at + Field.maxTimestamp);
        if (ts < timestamp || lastOffsetAt(buf, at) < logStartOffset) return true;
        const base = buf.readBigInt64BE(at + Field.baseOffset);
        found = { offset: base < logStartOffset ? logStartOffset : base, timestamp: ts };
        return false;
      });
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The batch holding the largest timestamp: its base offset (at least `logStartOffset`) and that timestamp. */
  async maxTimestampOffset(logStartOffset: bigint): Promise<{ offset: bigint; timestamp: bigint } | undefined> {
    let best: Segment | undefined;
    for (const s of this.#segments) {
      if (s.maxTimestamp >= 0n && (best === undefined || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    if (best === undefined) return undefined;
    // The segment knows the batch's last offset; a consumer fetching from the batch start sees the record.
    const pos = await best.findBatchPosition(best.offsetOfMaxTimestamp, best.readableSize);
    const header = await best.log.read(pos, BATCH_HEADER_SIZE);
    let offset = header.length === BATCH_HEADER_SIZE ? header.readBigInt64BE(Field.baseOffset) : best.offsetOfMaxTimestamp;
    if (offset < logStartOffset) offset = logStartOffset;
    return { offset, timestamp: best.maxTimestamp };
  }

  /**
   * readCold's choice of batches, as one file region found from the batch headers alone,
   * so the bytes are never read into memory. Undefined when the segment's store has no
   * regions, or the start position needs an asynchronous index load (then readCold runs).
   */
  planRegion(offset: bigint, maxBytes: number, minOneBatch: boolean, limit: bigint): [FileRegion[], bigint] | undefined {
    const segments = this.#segments;
    let i = segmentIndexOf(segments, offset);
    for (; i < segments.length; i++) {
      const seg = segments[i]!;
      const file = seg.log;
      if (file.region === undefined || file.peekSync === undefined) return undefined;
      const end = seg.readableSize;
      const pos = seg.findBatchPositionSync(offset, end, HEADER_SCRATCH, (at) => file.peekSync!(at, HEADER_SCRATCH));
      if (pos === undefined) return undefined;
      if (pos >= end) continue;
      const { to, next } = chooseBatches((at) => (file.peekSync!(at, HEADER_SCRATCH) === BATCH_HEADER_SIZE ? [HEADER_SCRATCH, 0] : undefined), pos, end, maxBytes, minOneBatch, limit);
      return to === pos ? [[], -1n] : [[file.region(pos, to - pos)], next];
    }
    return [[], -1n];
  }

  /** Whole batches from the one holding `offset`, read from one segment file; and the offset after them (-1 when none). */
  async readCold(offset: bigint, maxBytes: number, minOneBatch: boolean, limit: bigint): Promise<[Buffer[], bigint]> {
    const segments = this.#segments;
    for (let i = segmentIndexOf(segments, offset); i < segments.length; i++) {
      const seg = segments[i]!;
      const end = seg.readableSize;
      const pos = await seg.findBatchPosition(offset, end);
      if (pos >= end) continue;
      const buf = await seg.log.read(pos, Math.min(Math.max(maxBytes, BATCH_HEADER_SIZE), end - pos));
      const { to, next } = chooseBatches((at) => (at - pos + BATCH_HEADER_SIZE <= buf.length ? [buf, at - pos] : undefined), pos, end, maxBytes, minOneBatch, limit);
      if (to === pos) return [[], -1n];
      // Only a first batch larger than maxBytes reaches past what was read.
      return [[to - pos <= buf.length ? buf.subarray(0, to - pos) : await seg.log.read(pos, to - pos)], next];
    }
    return [[], -1n];
  }

  /** Flushes and closes every segment (the last time index entry written); removes retired segments' files now. */
  async close(logEndOffset: bigint): Promise<void> {
    const active = this.active;
    await active.loadIndexes();
    active.onBecomeInactive();
    await this.#rollFlush;
    await active.flush();
    this.#recoveryPoint = logEndOffset;
    for (const s of this.#segments) await s.close();
    for (const [s, timer] of this.#retired) {
      clearTimeout(timer);
      await s.delete(this.store).catch(() => undefined);
    }
    this.#retired.clear();
  }
}
