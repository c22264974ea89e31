/**
 * One cleaning of one log, after Kafka's Cleaner:
 *
 *  1. Build the key map over the dirty range [firstDirty, firstUncleanable): the latest offset
 *     of every key (aborted transactional batches skipped). A full map ends the round early;
 *     the next round goes on from where it stopped.
 *  2. Group the closed segments from the log start to the map's end so each group fits one
 *     segment (segment.bytes, segment.index.bytes, 2^31 relative offsets), and rewrite each
 *     group into a "<base>.log.cleaned" segment, keeping for every key only its latest record
 *     and every kept record's offset. Tombstones and transaction markers get a delete horizon
 *     (now + delete.retention.ms) the first time they are cleaned and go in a cleaning after
 *     it; aborted transactional records go; a producer's last batch stays (emptied if need be).
 *  3. Swap the group under the partition lock: .cleaned -> .swap (the commit point), old
 *     segments -> .deleted, .swap -> final name; recovery finishes or discards a swap cut
 *     short. Old files stay readable for fileDeleteDelayMs, so a fetch racing the swap still
 *     reads whole batches.
 *
 * All of it runs on the event loop in chunks of ioBufferSize bytes, yielding between chunks
 * and within a chunk every stepBudgetMs, so produce and fetch go on while a log is cleaned.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Attribute, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, Field } from '../../protocol/records/record-batch.js';
import { OFFSET_INDEX_ENTRY_SIZE } from '../offset-index.js';
import type { PartitionLog } from '../partition-log.js';
import { CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from '../file-names.js';
import { Segment } from '../segment.js';
import type { FileLike, SegmentStore } from '../store.js';
import { TIME_INDEX_ENTRY_SIZE } from '../time-index.js';
import { BYTES_PER_ENTRY, KeyOffsetMap } from './offset-map.js';
import { CleaningAbortedError } from './cleaning-aborted.js';
import { CorruptBatchError, RecordCursor, controlBatchType, emptyBatchHeader, rebuildBatch, type KeptRecord } from './records.js';
import { CleanedTxnMetadata } from './txn-metadata.js';
import type { LastProducerRecord } from './types.js';

export interface CleanerConfig {
  /** Most memory the key map may take (Kafka's log.cleaner.dedupe.buffer.size); it is sized to the dirty range below that. */
  dedupeBufferSize: number;
  /** Fill the key map to at most this fraction (log.cleaner.io.buffer.load.factor). */
  loadFactor: number;
  /** Bytes read (and written) at a time; the event loop gets a turn between chunks. */
  ioBufferSize: number;
  /** Read plus write rate limit (log.cleaner.io.max.bytes.per.second); Infinity for none. */
  maxIoBytesPerSecond: number;
  /** How long replaced segment files stay readable before they are deleted (file.delete.delay.ms). */
  fileDeleteDelayMs: number;
  /**
   * The most the cleaner runs without giving the event loop a turn, within a chunk too: a 1 MiB
   * chunk of gzip batches is several MiB to inflate and deflate again, which held the loop for
   * 0.4-0.8 s (bench/cleaner-loop-delay.ts, BENCHMARKS.md round 6).
   */
  stepBudgetMs: number;
}

export const DEFAULT_CLEANER_CONFIG: Readonly<CleanerConfig> = Object.freeze({
  dedupeBufferSize: 128 * 1024 * 1024,
  loadFactor: 0.9,
  ioBufferSize: 1024 * 1024,
  maxIoBytesPerSecond: Infinity,
  fileDeleteDelayMs: 60_000,
  stepBudgetMs: 10,
});

export interface CleanStats {
  /** First offset not cleaned: the next round's first dirty offset. */
  endOffset: bigint;
  bytesRead: number;
  bytesWritten: number;
  batchesRead: number;
  recordsRead: number;
  recordsKept: number;
  /** Segments replaced, and the cleaned segments that replaced them. */
  segmentsIn: number;
  segmentsOut: number;
  mapKeys: number;
  mapBytes: number;
  mapFull: boolean;
  durationMs: number;
}

/** Which batch of each producer must stay, per segment (closed segments never change). */
type ProducerSummary = Map<bigint, LastProducerRecord>;

interface ChunkVisitor {
  (buf: Buffer, at: number, size: number, position: number): boolean | void;
}

const BATCH_RETAIN_EMPTY = 1;
const BATCH_DELETE = 2;
const BATCH_DELETE_EMPTY = 3;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Cleaner {
  readonly config: CleanerConfig;
  readonly #logger: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #summaries = new WeakMap<Segment, ProducerSummary>();
  readonly #cursor = new RecordCursor();
  #map: KeyOffsetMap | undefined;
  #throttleStart = 0;
  #throttleBytes = 0;
  /** Replaced segments waiting for fileDeleteDelayMs. */
  readonly #doomed = new Map<Segment, { store: SegmentStore; timer: NodeJS.Timeout }>();
  /** Peak bytes of the key map allocated so far (for the benchmark). */
  peakMapBytes = 0;

  constructor(config: Partial<CleanerConfig>, logger: Logger, sleep?: (ms: number) => Promise<void>) {
    this.config = { ...DEFAULT_CLEANER_CONFIG, ...config };
    this.#logger = logger;
    this.#sleep = sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Cleans `log` from its start up to at most `firstUncleanable`, with keys taken from
   * [firstDirty, firstUncleanable). `nowMs` decides delete horizons; `checkDone` throws
   * CleaningAbortedError to stop.
   */
  async clean(log: PartitionLog, firstDirty: bigint, firstUncleanable: bigint, nowMs: number, checkDone: () => void): Promise<CleanStats> {
    const replaced = new Set<Segment>();
    const before = log.segmentsForCleaner();
    try {
      return await this.#clean(log, firstDirty, firstUncleanable, nowMs, checkDone, replaced);
    } catch (e) {
      if (e instanceof CleaningAbortedError) throw e;
      // Retention, DeleteRecords or a truncation removed a segment being read: not a failure.
      const now = new Set(log.segmentsForCleaner());
      if (before.some((s) => !replaced.has(s) && (s.deleted || !now.has(s)))) {
        throw new CleaningAbortedError(`${log.dir} changed during cleaning (${(e as Error).message})`);
      }
      throw e;
    }
  }

  async #clean(
    log: PartitionLog,
    firstDirty: bigint,
    firstUncleanable: bigint,
    nowMs: number,
    checkDone: () => void,
    replaced: Set<Segment>,
  ): Promise<CleanStats> {
    const started = Date.now();
    const stats: CleanStats = {
      endOffset: firstDirty,
      bytesRead: 0,
      bytesWritten: 0,
      batchesRead: 0,
      recordsRead: 0,
      recordsKept: 0,
      segmentsIn: 0,
      segmentsOut: 0,
      mapKeys: 0,
      mapBytes: 0,
      mapFull: false,
      durationMs: 0,
    };
    this.#throttleStart = Date.now();
    this.#throttleBytes = 0;
    const all = log.segmentsForCleaner();
    const closed = all.slice(0, -1);
    const source = log.txnSourceForCleaner;

    // 1. The key map over the dirty range.
    const map = this.#mapFor(Number(firstUncleanable - firstDirty));
    stats.mapBytes = map.memoryBytes;
    const maxEntries = Math.max(1, Math.floor(map.slots * this.config.loadFactor));
    const mapTxn = new CleanedTxnMetadata();
    if (source !== undefined) mapTxn.addAbortedTransactions(await source.abortedTransactions(firstDirty, firstUncleanable));
    const dirty = closed.filter((s, i) => s.baseOffset < firstUncleanable && nextBase(closed, i, all) > firstDirty);
    const needSummaries = source?.lastRecordsOfActiveProducers === undefined;
    for (let i = 0; i < dirty.length && !stats.mapFull; i++) {
      const seg = dirty[i]!;
      await seg.loadIndexes();
      const from = seg.offsetIndex.lookup(firstDirty);
      const summary: ProducerSummary | undefined = needSummaries && from === 0 && !this.#summaries.has(seg) ? new Map() : undefined;
      const dirtyStart = Number(firstDirty);
      await this.#walk(seg.log, from, seg.readableSize, stats, checkDone, undefined, (buf, at) => {
        const base = Number(buf.readBigInt64BE(at + Field.baseOffset));
        const last = base + buf.readInt32BE(at + Field.lastOffsetDelta);
        const attributes = buf.readInt16BE(at + Field.attributes);
        const pid = buf.readBigInt64BE(at + Field.producerId);
        if (summary !== undefined) noteProducer(summary, buf, at, pid, attributes, last);
        if ((attributes & Attribute.control) !== 0) {
          mapTxn.onControlBatchRead(BigInt(last), pid, controlBatchType(buf, at, this.#cursor));
        } else if (!mapTxn.onBatchRead(BigInt(last), pid, (attributes & Attribute.transactional) !== 0)) {
          const c = this.#cursor;
          c.reset(buf, at);
          while (c.next()) {
            const offset = base + c.offsetDelta;
            if (c.keyLength >= 0 && offset >= dirtyStart) {
              if (map.size >= maxEntries) {
                stats.mapFull = true;
                return false;
              }
              map.put(c.data, c.keyStart, c.keyStart + c.keyLength, offset);
            }
          }
        }
        if (last >= dirtyStart) map.updateLatestOffset(last);
        return true;
      });
      if (stats.mapFull) break;
      if (summary !== undefined) this.#summaries.set(seg, summary);
      // Offsets missing at the end of a segment (cleaned before) are covered too.
      const next = Number(nextBase(closed, closed.indexOf(seg), all));
      map.updateLatestOffset(Math.min(next, Number(firstUncleanable)) - 1);
    }
    stats.mapKeys = map.size;
    if (map.latestOffset < Number(firstDirty)) {
      stats.endOffset = firstDirty;
      stats.durationMs = Date.now() - started;
      return stats;
    }
    const endOffset = BigInt(map.latestOffset) + 1n;
    stats.endOffset = endOffset;

    // Producers whose last batch must stay.
    let lastRecords: ReadonlyMap<bigint, LastProducerRecord>;
    if (source?.lastRecordsOfActiveProducers !== undefined) {
      lastRecords = source.lastRecordsOfActiveProducers();
    } else {
      const merged: ProducerSummary = new Map();
      for (const seg of closed) {
        if (seg.baseOffset >= endOffset) break;
        let summary = this.#summaries.get(seg);
        if (summary === undefined) {
          const fresh: ProducerSummary = new Map();
          await this.#walkHeaders(seg.log, seg.readableSize, checkDone, (buf, at) => {
            noteProducer(fresh, buf, at, buf.readBigInt64BE(at + Field.producerId), buf.readInt16BE(at + Field.attributes), Number(lastOffsetOf(buf, at)));
          });
          this.#summaries.set(seg, (summary = fresh));
        }
        for (const [pid, r] of summary) mergeProducer(merged, pid, r);
      }
      lastRecords = merged;
    }

    // 2 and 3. Clean and swap group by group.
    const cfg = log.config;
    const toClean = closed.filter((s) => s.baseOffset < endOffset);
    const groups = groupSegmentsBySize(toClean, cfg.segmentBytes, cfg.segmentIndexBytes, firstUncleanable);
    const txn = new CleanedTxnMetadata();
    for (const group of groups) {
      const after = all[all.indexOf(group.at(-1)!) + 1]!;
      await this.#cleanGroup(log, group, after.baseOffset, map, txn, lastRecords, firstUncleanable, nowMs, stats, checkDone);
      for (const s of group) replaced.add(s);
    }
    stats.durationMs = Date.now() - started;
    return stats;
  }

  /** Deletes every replaced segment still waiting (at shutdown). */
  async close(): Promise<void> {
    const doomed = [...this.#doomed];
    this.#doomed.clear();
    for (const [seg, { store, timer }] of doomed) {
      clearTimeout(timer);
      await seg.delete(store).catch(() => undefined);
    }
    this.#map = undefined;
  }

  /** A key map for up to `offsets` keys, within the configured memory. */
  #mapFor(offsets: number): KeyOffsetMap {
    const cap = this.config.dedupeBufferSize;
    const wanted = Math.min(cap, Math.max(64 * BYTES_PER_ENTRY, Math.ceil((offsets + 1) / this.config.loadFactor + 2) * BYTES_PER_ENTRY));
    let map = this.#map;
    // Reuse a map that is big enough but not wastefully so; otherwise allocate what is needed.
    if (map === undefined || map.memoryBytes < wanted * 0.95 || map.memoryBytes > wanted * 4) {
      this.#map = undefined;
      map = new KeyOffsetMap(wanted);
      this.#map = map;
    } else {
      map.clear();
    }
    if (map.memoryBytes > this.peakMapBytes) this.peakMapBytes = map.memoryBytes;
    return map;
  }

  async #cleanGroup(
    log: PartitionLog,
    group: readonly Segment[],
    groupEnd: bigint,
    map: KeyOffsetMap,
    txn: CleanedTxnMetadata,
    lastRecords: ReadonlyMap<bigint, LastProducerRecord>,
    roundEnd: bigint,
    nowMs: number,
    stats: CleanStats,
    checkDone: () => void,
  ): Promise<void> {
    const store = log.storeForCleaner;
    const cfg = log.config;
    const source = log.txnSourceForCleaner;
    const cleaned = await Segment.open(store, log.dir, group[0]!.baseOffset, CLEANED_FILE_SUFFIX);
    let swapped = false;
    let committed = false;
    try {
      if (cleaned.size > 0) await cleaned.log.truncate(0);
      await cleaned.resetIndexes();
      const summary: ProducerSummary = new Map();
      const out = new OutputBuffer(cleaned.log, this.config.ioBufferSize);
      const drain = (): Promise<void> => out.drain();
      const latest = map.latestOffset;
      const roundEndNum = Number(roundEnd);
      const deleteRetentionMs = cfg.deleteRetentionMs;
      const kept: KeptRecord[] = [];
      const emit = (batch: Buffer, from: number, size: number): void => {
        const position = out.total;
        const last = lastOffsetOf(batch, from);
        cleaned.noteBatch(position, size, last, batch.readBigInt64BE(from + Field.maxTimestamp), cfg.indexIntervalBytes);
        noteProducer(summary, batch, from, batch.readBigInt64BE(from + Field.producerId), batch.readInt16BE(from + Field.attributes), Number(last));
        out.push(batch, from, size);
        stats.bytesWritten += size;
      };
      for (let i = 0; i < group.length; i++) {
        const seg = group[i]!;
        const segEnd = i + 1 < group.length ? group[i + 1]!.baseOffset : groupEnd;
        if (source !== undefined) txn.addAbortedTransactions(await source.abortedTransactions(seg.baseOffset, segEnd));
        const lastSegment = i === group.length - 1;
        const readable = seg.readableSize;
        await this.#walk(seg.log, 0, readable, stats, checkDone, drain, (buf, at, size, position) => {
          stats.batchesRead++;
          const base = Number(buf.readBigInt64BE(at + Field.baseOffset));
          const lastNum = base + buf.readInt32BE(at + Field.lastOffsetDelta);
          const last = BigInt(lastNum);
          const attributes = buf.readInt16BE(at + Field.attributes);
          const isControl = (attributes & Attribute.control) !== 0;
          const pid = buf.readBigInt64BE(at + Field.producerId);
          const hasHorizon = (attributes & Attribute.deleteHorizon) !== 0;
          const horizon = hasHorizon ? Number(buf.readBigInt64BE(at + Field.baseTimestamp)) : undefined;

          // Kafka's checkBatchRetention.
          const canDiscardBatch = isControl
            ? txn.onControlBatchRead(last, pid, controlBatchType(buf, at, this.#cursor))
            : txn.onBatchRead(last, pid, (attributes & Attribute.transactional) !== 0);
          const discardRecords = isControl ? canDiscardBatch && horizon !== undefined && horizon <= nowMs : canDiscardBatch;
          let lastOfProducer = false;
          if (pid >= 0n) {
            const lr = lastRecords.get(pid);
            if (lr !== undefined) {
              lastOfProducer =
                lr.lastDataOffset !== undefined
                  ? last === lr.lastDataOffset
                  : isControl && buf.readInt16BE(at + Field.producerEpoch) === lr.producerEpoch;
            }
          }
          // Beyond Kafka: the group's last batch stays too, so a swap's offset range always
          // reaches the next segment and recovery replaces exactly the segments it cleaned.
          const lastOfGroup = lastSegment && position + size === readable;
          let retention: number;
          if (lastOfProducer || lastNum + 1 === roundEndNum || lastOfGroup) retention = BATCH_RETAIN_EMPTY;
          else if (discardRecords) retention = BATCH_DELETE;
          else retention = BATCH_DELETE_EMPTY;
          const containsMarkerForEmptyTxn = canDiscardBatch && isControl;
          if (retention === BATCH_DELETE) return true;

          // Kafka's shouldRetainRecord, record by record.
          const c = this.#cursor;
          c.reset(buf, at);
          kept.length = 0;
          let writeOriginal = true;
          let containsTombstones = false;
          const logAppendTime = (attributes & Attribute.timestampTypeLogAppend) !== 0;
          const baseTs = Number(buf.readBigInt64BE(at + Field.baseTimestamp));
          const maxTs = logAppendTime ? Number(buf.readBigInt64BE(at + Field.maxTimestamp)) : 0;
          const retainDeletes = horizon === undefined || nowMs < horizon;
          while (c.next()) {
            stats.recordsRead++;
            let retain: boolean;
            if (discardRecords) retain = false;
            else if (isControl) retain = true;
            else {
              const offset = base + c.offsetDelta;
              if (offset > latest) retain = true;
              else if (c.keyLength >= 0) {
                const found = map.get(c.data, c.keyStart, c.keyStart + c.keyLength);
                retain = offset >= found && (c.valueLength >= 0 || retainDeletes);
              } else retain = false;
            }
            if (retain) {
              kept.push({
                start: c.start,
                end: c.end,
                tsStart: c.tsStart,
                tsEnd: c.tsEnd,
                attributes: c.attributes,
                timestampDelta: c.timestampDelta,
                timestamp: logAppendTime ? maxTs : baseTs + c.timestampDelta,
              });
              if (c.valueLength < 0) containsTombstones = true;
            } else {
              writeOriginal = false;
            }
          }
          if (kept.length > 0) {
            stats.recordsKept += kept.length;
            const needHorizon = (containsTombstones || containsMarkerForEmptyTxn) && !hasHorizon;
            if (writeOriginal && !needHorizon) {
              emit(buf, at, size);
            } else {
              const rebuilt = rebuildBatch(buf, at, c.data, kept, {
                deleteHorizonMs: needHorizon ? nowMs + deleteRetentionMs : horizon,
              });
              emit(rebuilt, 0, rebuilt.length);
            }
          } else if (retention === BATCH_RETAIN_EMPTY) {
            const empty = emptyBatchHeader(buf, at);
            emit(empty, 0, empty.length);
          }
          return true;
        });
      }
      await out.drain(true);
      cleaned.onBecomeInactive();
      await cleaned.flush();
      checkDone();

      // The swap, under the partition's lock.
      swapped = await log.replaceSegments(async (current) => {
        const first = current.indexOf(group[0]!);
        // Still there, in order, and not the active segment.
        if (first < 0 || first + group.length >= current.length) return undefined;
        for (let i = 0; i < group.length; i++) if (current[first + i] !== group[i]) return undefined;
        await cleaned.changeFileSuffixes(store, CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX);
        // From here a crash or an error leaves the swap for recovery to finish.
        committed = true;
        for (const old of group) await old.changeFileSuffixes(store, '', DELETED_FILE_SUFFIX);
        await cleaned.changeFileSuffixes(store, SWAP_FILE_SUFFIX, '');
        cleaned.completeCopy(groupEnd, group.at(-1)!.rollStartMs);
        return [...current.slice(0, first), cleaned, ...current.slice(first + group.length)];
      }, groupEnd);
      if (!swapped) throw new CleaningAbortedError(`${log.dir} changed during cleaning`);
      this.#summaries.set(cleaned, summary);
      for (const old of group) this.#scheduleDelete(old, store);
      stats.segmentsIn += group.length;
      stats.segmentsOut++;
      this.#logger.debug(
        { dir: log.dir, baseOffset: cleaned.baseOffset.toString(), segments: group.length, size: cleaned.size },
        'swapped in a cleaned segment',
      );
    } finally {
      if (!swapped && !committed) await cleaned.delete(store).catch(() => undefined);
    }
  }

  #scheduleDelete(seg: Segment, store: SegmentStore): void {
    const timer = setTimeout(() => {
      this.#doomed.delete(seg);
      seg.delete(store).catch((e: unknown) => this.#logger.warn({ err: e }, 'could not delete a replaced segment'));
    }, this.config.fileDeleteDelayMs);
    timer.unref();
    this.#doomed.set(seg, { store, timer });
  }

  async #throttle(bytes: number): Promise<void> {
    const rate = this.config.maxIoBytesPerSecond;
    this.#throttleBytes += bytes;
    if (!Number.isFinite(rate) || rate <= 0) return;
    const elapsed = Date.now() - this.#throttleStart;
    const due = (this.#throttleBytes / rate) * 1000;
    if (due > elapsed + 5) await this.#sleep(due - elapsed);
  }

  /**
   * Visits the whole batches of file[from, end) chunk by chunk (a chunk grows to hold one batch
   * bigger than it), yielding to the event loop and throttling between chunks.
   */
  async #walk(
    file: FileLike,
    from: number,
    end: number,
    stats: CleanStats,
    checkDone: () => void,
    afterChunk: (() => Promise<void>) | undefined,
    visit: ChunkVisitor,
  ): Promise<void> {
    let pos = from;
    const chunkSize = this.config.ioBufferSize;
    while (pos < end) {
      checkDone();
      let buf = await file.read(pos, Math.min(chunkSize, end - pos));
      let at = 0;
      while (at + BATCH_LOG_OVERHEAD <= buf.length) {
        const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE) throw new CorruptBatchError(`bad batch length at ${pos + at}`);
        if (at + size > buf.length) break;
        at += size;
      }
      if (at === 0) {
        // One batch larger than a chunk.
        if (buf.length < BATCH_LOG_OVERHEAD) throw new CorruptBatchError(`torn batch at ${pos}`);
        const size = buf.readInt32BE(Field.batchLength) + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE || pos + size > end) throw new CorruptBatchError(`torn batch at ${pos}`);
        buf = await file.read(pos, size);
        if (buf.length < size) throw new CorruptBatchError(`torn batch at ${pos}`);
        at = size;
      }
      stats.bytesRead += at;
      let p = 0;
      let stop = false;
      let stepStart = performance.now();
      while (p < at) {
        const size = buf.readInt32BE(p + Field.batchLength) + BATCH_LOG_OVERHEAD;
        if (visit(buf, p, size, pos + p) === false) {
          stop = true;
          break;
        }
        p += size;
        if (p < at && performance.now() - stepStart > this.config.stepBudgetMs) {
          await yieldToLoop();
          stepStart = performance.now();
        }
      }
      pos += at;
      if (afterChunk !== undefined) await afterChunk();
      if (stop) return;
      await this.#throttle(at);
      await yieldToLoop();
    }
  }

  /** Header-only walk (for producer summaries). */
  async #walkHeaders(file: FileLike, end: number, checkDone: () => void, visit: (buf: Buffer, at: number) => void): Promise<void> {
    let pos = 0;
    const chunkSize = this.config.ioBufferSize;
    while (pos + BATCH_HEADER_SIZE <= end) {
      checkDone();
      const buf = await file.read(pos, Math.min(chunkSize, end - pos));
      let at = 0;
      while (at + BATCH_HEADER_SIZE <= buf.length) {
        const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE) throw new CorruptBatchError(`bad batch length at ${pos + at}`);
        visit(buf, at);
        at += size;
      }
      if (at === 0) break;
      // `at` may run past the chunk: the next read starts at the next batch.
      pos += at;
      await yieldToLoop();
    }
  }
}

function lastOffsetOf(buf: Buffer, at: number): bigint {
  return buf.readBigInt64BE(at + Field.baseOffset) + BigInt(buf.readInt32BE(at + Field.lastOffsetDelta));
}

/** Base offset of the segment after closed[i] (the active one's for the last closed segment). */
function nextBase(closed: readonly Segment[], i: number, all: readonly Segment[]): bigint {
  return (closed[i + 1] ?? all[closed.length]!).baseOffset;
}

/** What a producer state rebuilt from the log would hold: last data offset and latest epoch. */
function noteProducer(summary: ProducerSummary, buf: Buffer, at: number, pid: bigint, attributes: number, last: number): void {
  if (pid < 0n) return;
  const epoch = buf.readInt16BE(at + Field.producerEpoch);
  const isControl = (attributes & Attribute.control) !== 0;
  const prev = summary.get(pid);
  summary.set(pid, { lastDataOffset: isControl ? prev?.lastDataOffset : BigInt(last), producerEpoch: epoch });
}

function mergeProducer(into: ProducerSummary, pid: bigint, r: LastProducerRecord): void {
  const prev = into.get(pid);
  into.set(pid, { lastDataOffset: r.lastDataOffset ?? prev?.lastDataOffset, producerEpoch: r.producerEpoch });
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose logs total at most maxSize, whose
 * indexes total at most maxIndexSize, and whose offsets stay within 2^31 of the group's base.
 */
export function groupSegmentsBySize(
  segments: readonly Segment[],
  maxSize: number,
  maxIndexSize: number,
  firstUncleanableOffset: bigint,
): Segment[][] {
  const groups: Segment[][] = [];
  let i = 0;
  const indexSize = (s: Segment): number => (s.indexesLoaded ? s.offsetIndex.entries * OFFSET_INDEX_ENTRY_SIZE : s.indexFile.size);
  const timeIndexSize = (s: Segment): number => (s.indexesLoaded ? s.timeIndex.entries * TIME_INDEX_ENTRY_SIZE : s.timeIndexFile.size);
  while (i < segments.length) {
    const group = [segments[i]!];
    let logSize = segments[i]!.size;
    let idx = indexSize(segments[i]!);
    let tidx = timeIndexSize(segments[i]!);
    i++;
    while (i < segments.length) {
      const s = segments[i]!;
      const lastOffset = (segments[i + 1]?.baseOffset ?? firstUncleanableOffset) - 1n;
      if (
        logSize + s.size > maxSize ||
        idx + indexSize(s) > maxIndexSize ||
        tidx + timeIndexSize(s) > maxIndexSize ||
        (s.size !== 0 && lastOffset - group[0]!.baseOffset > 0x7fffffffn)
      ) {
        break;
      }
      group.push(s);
      logSize += s.size;
      idx += indexSize(s);
      tidx += timeIndexSize(s);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** Kept batches collected into ioBufferSize chunks, written between source chunks. */
class OutputBuffer {
  #buf: Buffer;
  #length = 0;
  #pending: Buffer[] = [];
  /** Bytes pushed so far: the file position of the next batch. */
  total = 0;

  constructor(
    private readonly file: FileLike,
    private readonly size: number,
  ) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  push(src: Buffer, from: number, size: number): void {
    this.total += size;
    if (this.#length + size > this.#buf.length) {
      this.#take();
      if (size > this.#buf.length) {
        this.#pending.push(Buffer.from(src.subarray(from, from + size)));
        return;
      }
    }
    this.#length += src.copy(this.#buf, this.#length, from, from + size);
  }

  #take(): void {
    if (this.#length === 0) return;
    this.#pending.push(this.#buf.subarray(0, this.#length));
    this.#buf = Buffer.allocUnsafe(this.size);
    this.#length = 0;
  }

  /** Writes the full chunks (and, with `all`, the partial one). */
  async drain(all = false): Promise<void> {
    if (all) this.#take();
    const chunks = this.#pending;
    this.#pending = [];
    if (chunks.length > 0) await this.file.append(chunks);
  }
}
