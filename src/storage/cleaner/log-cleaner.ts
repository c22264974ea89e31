/**
 * LogCleaner: picks compacted logs worth cleaning and cleans them in the background, after
 * Kafka's LogCleaner and LogCleanerManager.
 *
 *   static open(opts): Promise<LogCleaner>       reads cleaner-offset-checkpoint
 *   start(): void                                 the background loop (backoffMs when idle)
 *   runOnce(nowMs?): Promise<CleanStats | undefined>   cleans the filthiest log, if any qualifies
 *   cleanLog(log, { nowMs?, force? }): Promise<CleanStats | undefined>
 *   cleanableOffsets(log, nowMs): { firstDirty, firstUncleanable }
 *   abortAndWait(log): Promise<void>              before a partition is deleted
 *   close(): Promise<void>
 *
 * A log qualifies when cleanup.policy has "compact", and either its dirty ratio (bytes after
 * the last cleaned offset / all bytes, counting closed segments only) is above
 * min.cleanable.dirty.ratio or a dirty segment's first batch is older than max.compaction.lag.ms.
 * The dirty range stops at the active segment, the last stable offset, and the first segment
 * whose newest record is younger than min.compaction.lag.ms. Where a log was cleaned up to is
 * kept in Kafka's cleaner-offset-checkpoint file, so a restart does not clean everything again.
 */
import type { Logger } from 'pino';
import { BATCH_HEADER_SIZE, Field } from '../../protocol/records/record-batch.js';
import { formatOffsetCheckpoint, parseOffsetCheckpoint } from '../checkpoint-files.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from '../file-names.js';
import type { PartitionLog } from '../partition-log.js';
import type { Segment } from '../segment.js';
import type { SegmentStore } from '../store.js';
import type { Cleaner, CleanerConfig, CleanStats } from './cleaner.js';
import { CleaningAbortedError } from './cleaning-aborted.js';


export interface LogCleanerOptions extends Partial<CleanerConfig> {
  store: SegmentStore;
  logger: Logger;
  /** The logs to consider (the log manager's, read on every round). */
  logs: () => PartitionLog[];
  clock?: () => number;
  /** Sleep when nothing qualifies (log.cleaner.backoff.ms). */
  backoffMs?: number;
  /** log.cleaner.enable; off, start() does nothing (runOnce and cleanLog still work). */
  enabled?: boolean;
}

export interface LogToClean {
  log: PartitionLog;
  firstDirty: bigint;
  firstUncleanable: bigint;
  cleanBytes: number;
  cleanableBytes: number;
  totalBytes: number;
  cleanableRatio: number;
  needCompactionNow: boolean;
}

interface InProgress {
  log: PartitionLog;
  aborted: boolean;
  done: Promise<unknown>;
}

export class LogCleaner {
  /**
   * What cleans, loaded with the first log that has something to clean: most brokers never
   * clean anything, and the cleaner's code need not be parsed at every start. Choosing the
   * logs (and so the schedule) does not need it.
   */
  cleaner: Cleaner | undefined;
  readonly #opts: LogCleanerOptions;
  readonly #logger: Logger;
  readonly #clock: () => number;
  /** Partition folder -> first dirty offset, as in cleaner-offset-checkpoint. */
  readonly #checkpoints: Map<string, bigint>;
  readonly #uncleanable = new Set<string>();
  readonly #firstBatchTimestamps = new WeakMap<Segment, bigint>();
  #current: InProgress | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #checkpointChain: Promise<unknown> = Promise.resolve();
  /** Totals since start, for metrics and the benchmark. */
  readonly totals = { cleanings: 0, bytesRead: 0, bytesWritten: 0, durationMs: 0 };
  lastStats: CleanStats | undefined;

  private constructor(opts: LogCleanerOptions, checkpoints: Map<string, bigint>) {
    this.#opts = opts;
    this.#logger = opts.logger.child({ component: 'log-cleaner' });
    this.#clock = opts.clock ?? Date.now;
    this.#checkpoints = checkpoints;
  }

  /** Only #clean calls it, one cleaning at a time. */
  async #loadCleaner(): Promise<Cleaner> {
    this.cleaner ??= new (await import('./cleaner.js')).Cleaner(this.#opts, this.#logger);
    return this.cleaner;
  }

  static async open(opts: LogCleanerOptions): Promise<LogCleaner> {
    const text = await opts.store.readWhole(CLEANER_OFFSET_CHECKPOINT_FILE);
    const checkpoints = (text && parseOffsetCheckpoint(text.toString('utf8'))) || new Map<string, bigint>();
    return new LogCleaner(opts, checkpoints);
  }

  /** Where the next cleaning of `log` starts reading keys (undefined: the log start). */
  checkpointOf(log: PartitionLog): bigint | undefined {
    return this.#checkpoints.get(log.dir);
  }

  start(): void {
    if (this.#loop !== undefined || this.#opts.enabled === false || this.#closed) return;
    const backoff = this.#opts.backoffMs ?? 15_000;
    this.#loop = (async () => {
      while (!this.#closed) {
        let cleaned = false;
        try {
          // A round that read nothing made no progress: back off rather than spin.
          cleaned = ((await this.runOnce())?.bytesRead ?? 0) > 0;
        } catch (e) {
          this.#logger.error({ err: e }, 'log cleaner round failed');
        }
        if (!cleaned && !this.#closed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoff);
            timer.unref();
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = undefined;
        }
      }
    })();
  }

  /** Cleans the filthiest qualifying log; undefined when none qualifies. */
  async runOnce(nowMs = this.#clock()): Promise<CleanStats | undefined> {
    if (this.#closed || this.#current !== undefined) return undefined;
    const filthiest = await this.grabFilthiestLog(nowMs);
    if (filthiest === undefined) return undefined;
    return this.#clean(filthiest.log, filthiest.firstDirty, filthiest.firstUncleanable, nowMs);
  }

  /** Cleans `log` now if it has a cleanable range (with `force`, even below the dirty ratio). */
  async cleanLog(log: PartitionLog, opts: { nowMs?: number; force?: boolean } = {}): Promise<CleanStats | undefined> {
    const nowMs = opts.nowMs ?? this.#clock();
    if (this.#closed || this.#current !== undefined) return undefined;
    const ltc = await this.logToClean(log, nowMs);
    if (ltc === undefined) return undefined;
    if (!opts.force && !qualifies(ltc)) return undefined;
    if (ltc.firstUncleanable <= ltc.firstDirty && !opts.force) return undefined;
    return this.#clean(log, ltc.firstDirty, ltc.firstUncleanable, nowMs);
  }

  /** Kafka's grabFilthiestCompactedLog, without marking anything. */
  async grabFilthiestLog(nowMs: number): Promise<LogToClean | undefined> {
    let best: LogToClean | undefined;
    for (const log of this.#opts.logs()) {
      if (!log.config.compact || this.#uncleanable.has(log.dir)) continue;
      const ltc = await this.logToClean(log, nowMs);
      if (ltc === undefined || ltc.totalBytes === 0 || !qualifies(ltc)) continue;
      if (best === undefined || ltc.cleanableRatio > best.cleanableRatio) best = ltc;
    }
    return best;
  }

  async logToClean(log: PartitionLog, nowMs: number): Promise<LogToClean | undefined> {
    const segments = log.segmentsForCleaner();
    const { firstDirty, firstUncleanable } = this.cleanableOffsets(log, nowMs, segments);
    // Kafka's calculateCleanableBytes: cleaning stops at a segment boundary.
    const closed = segments.slice(0, -1);
    const uncleanableBase = floorBase(segments, firstUncleanable);
    let cleanBytes = 0;
    let cleanableBytes = 0;
    for (let i = 0; i < closed.length; i++) {
      const s = closed[i]!;
      if (s.baseOffset >= uncleanableBase) break;
      const next = segments[i + 1]!.baseOffset;
      if (next <= firstDirty) cleanBytes += s.size;
      else cleanableBytes += s.size;
    }
    const totalBytes = cleanBytes + cleanableBytes;
    return {
      log,
      firstDirty,
      firstUncleanable: uncleanableBase > firstDirty ? uncleanableBase : firstDirty,
      cleanBytes,
      cleanableBytes,
      totalBytes,
      cleanableRatio: totalBytes === 0 ? 0 : cleanableBytes / totalBytes,
      needCompactionNow: (await this.#maxCompactionDelay(log, segments, firstDirty, nowMs)) > 0,
    };
  }

  /** Kafka's cleanableOffsets: [first dirty offset, first offset that may not be cleaned yet). */
  cleanableOffsets(log: PartitionLog, nowMs: number, segments = log.segmentsForCleaner()): { firstDirty: bigint; firstUncleanable: bigint } {
    const logStart = log.logStartOffset;
    let firstDirty = this.#checkpoints.get(log.dir) ?? logStart;
    // Below the log start (retention, DeleteRecords) or past the end (a truncation): start over.
    if (firstDirty < logStart || firstDirty > log.logEndOffset) firstDirty = logStart;
    const source = log.txnSourceForCleaner;
    let firstUncleanable = source?.lastStableOffset?.() ?? log.highWatermark;
    const activeBase = segments.at(-1)!.baseOffset;
    if (activeBase < firstUncleanable) firstUncleanable = activeBase;
    const lag = log.config.minCompactionLagMs;
    if (lag > 0) {
      for (let i = 0; i < segments.length - 1; i++) {
        const s = segments[i]!;
        if (segments[i + 1]!.baseOffset <= firstDirty) continue;
        if (s.maxTimestamp > BigInt(nowMs - lag)) {
          if (s.baseOffset < firstUncleanable) firstUncleanable = s.baseOffset;
          break;
        }
      }
    }
    return { firstDirty, firstUncleanable: firstUncleanable > firstDirty ? firstUncleanable : firstDirty };
  }

  /** Stops the cleaning of `log` if it is running and waits for it to end. */
  async abortAndWait(log: PartitionLog): Promise<void> {
    const current = this.#current;
    if (current === undefined || current.log !== log) return;
    current.aborted = true;
    await current.done.catch(() => undefined);
  }

  /** Forgets a deleted partition's checkpoint. */
  forget(log: PartitionLog): void {
    this.#checkpoints.delete(log.dir);
    this.#uncleanable.delete(log.dir);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#current !== undefined) this.#current.aborted = true;
    this.#wake?.();
    await this.#current?.done.catch(() => undefined);
    await this.#loop;
    await this.#checkpointChain;
    await this.cleaner?.close();
  }

  async #clean(log: PartitionLog, firstDirty: bigint, firstUncleanable: bigint, nowMs: number): Promise<CleanStats | undefined> {
    const current: InProgress = { log, aborted: false, done: Promise.resolve() };
    const checkDone = (): void => {
      if (current.aborted || this.#closed) throw new CleaningAbortedError(`cleaning of ${log.dir} stopped`);
    };
    const run = this.#loadCleaner().then((cleaner) => {
      checkDone();
      return cleaner.clean(log, firstDirty, firstUncleanable, nowMs, checkDone);
    });
    current.done = run;
    this.#current = current;
    try {
      const stats = await run;
      this.lastStats = stats;
      this.totals.cleanings++;
      this.totals.bytesRead += stats.bytesRead;
      this.totals.bytesWritten += stats.bytesWritten;
      this.totals.durationMs += stats.durationMs;
      if (stats.endOffset > firstDirty || !this.#checkpoints.has(log.dir)) await this.#checkpoint(log, stats.endOffset);
      this.#logger.info(
        {
          dir: log.dir,
          firstDirty: firstDirty.toString(),
          endOffset: stats.endOffset.toString(),
          read: stats.bytesRead,
          written: stats.bytesWritten,
          segments: `${stats.segmentsIn} -> ${stats.segmentsOut}`,
          keys: stats.mapKeys,
          mapFull: stats.mapFull,
          ms: stats.durationMs,
        },
        'cleaned log',
      );
      return stats;
    } catch (e) {
      if (e instanceof CleaningAbortedError) {
        this.#logger.debug({ dir: log.dir, reason: e.message }, 'cleaning aborted');
        return undefined;
      }
      // Kafka marks such a partition uncleanable until restart rather than retrying forever.
      this.#uncleanable.add(log.dir);
      this.#logger.error({ err: e, dir: log.dir }, 'cleaning failed; partition marked uncleanable');
      throw e;
    } finally {
      this.#current = undefined;
    }
  }

  #checkpoint(log: PartitionLog, offset: bigint): Promise<void> {
    this.#checkpoints.set(log.dir, offset);
    const run = this.#checkpointChain.then(async () => {
      const live = new Set(this.#opts.logs().map((l) => l.dir));
      const entries: Array<{ topic: string; partition: number; offset: bigint }> = [];
      for (const l of this.#opts.logs()) {
        const o = this.#checkpoints.get(l.dir);
        if (o !== undefined && live.has(l.dir)) entries.push({ topic: l.topic, partition: l.partition, offset: o });
      }
      await this.#opts.store.writeAtomic(CLEANER_OFFSET_CHECKPOINT_FILE, formatOffsetCheckpoint(entries));
    });
    this.#checkpointChain = run.catch((e: unknown) => this.#logger.error({ err: e }, 'cleaner checkpoint failed'));
    return run;
  }

  /** Kafka's maxCompactionDelay: how far past max.compaction.lag.ms the oldest dirty segment is. */
  async #maxCompactionDelay(log: PartitionLog, segments: readonly Segment[], firstDirty: bigint, nowMs: number): Promise<number> {
    const lag = log.config.maxCompactionLagMs;
    if (lag >= Number.MAX_SAFE_INTEGER || nowMs - lag < 0) return 0;
    let earliest: bigint | undefined;
    for (let i = 0; i < segments.length - 1; i++) {
      if (segments[i + 1]!.baseOffset <= firstDirty) continue;
      const ts = await this.#firstBatchTimestamp(segments[i]!);
      if (ts > 0n && (earliest === undefined || ts < earliest)) earliest = ts;
    }
    const cleanUntil = nowMs - Math.max(lag, 0);
    return earliest !== undefined && earliest < BigInt(cleanUntil) ? cleanUntil - Number(earliest) : 0;
  }

  /** The first batch's maxTimestamp (Kafka's getFirstBatchTimestamp), -1 when empty. */
  async #firstBatchTimestamp(seg: Segment): Promise<bigint> {
    let ts = this.#firstBatchTimestamps.get(seg);
    if (ts === undefined) {
      const header = seg.readableSize >= BATCH_HEADER_SIZE ? await seg.log.read(0, BATCH_HEADER_SIZE) : Buffer.alloc(0);
      ts = header.length === BATCH_HEADER_SIZE ? header.readBigInt64BE(Field.maxTimestamp) : -1n;
      this.#firstBatchTimestamps.set(seg, ts);
    }
    return ts;
  }
}

function qualifies(ltc: LogToClean): boolean {
  return (ltc.needCompactionNow && ltc.cleanableBytes > 0) || ltc.cleanableRatio > ltc.log.config.minCleanableDirtyRatio;
}

/** Base offset of the segment holding `offset` (the active one's when it is at or past it). */
function floorBase(segments: readonly Segment[], offset: bigint): bigint {
  let base = segments[0]!.baseOffset;
  for (const s of segments) {
    if (s.baseOffset <= offset) base = s.baseOffset;
    else break;
  }
  return base;
}
