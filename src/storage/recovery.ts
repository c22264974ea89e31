/**
 * Bringing a partition's segments back after a start. After a clean shutdown the files are
 * trusted (only the last segment's index is sanity-checked and its tail scanned for the log
 * end); after a crash every segment from the recovery point on is read batch by batch,
 * checking size, magic, CRC and offset order, and cut at the first bad byte. Indexes of
 * recovered segments are rebuilt from the log, so a torn index never survives.
 */
import type { Logger } from 'pino';
import { Field } from '../protocol/records/record-batch.js';
import { checkBatch, lastOffsetAt, walkBatches, type BatchProblem } from './batch-scan.js';
import {
  DELETED_FILE_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TEMP_SUFFIX,
  TIME_INDEX_SUFFIX,
  joinPath,
  parseSegmentFileName,
} from './file-names.js';
import { mapBounded } from './bounded-map.js';
import { Segment } from './segment.js';
import type { SegmentStore } from './store.js';

const MAX_RELATIVE_OFFSET = 0x7fffffffn;
/** Segments of one partition opened at once: a partition may have thousands, each three files. */
const SEGMENT_OPEN_CONCURRENCY = 8;

export interface SegmentRecovery {
  validBytes: number;
  truncatedBytes: number;
  problem: BatchProblem | 'offset' | undefined;
}

/**
 * Rebuilds `seg`'s indexes from its log, keeping only the valid prefix: batches that frame,
 * carry magic 2 and a matching CRC, and whose offsets ascend from at least `minOffset`.
 */
export async function recoverSegment(
  seg: Segment,
  indexIntervalBytes: number,
  minOffset: bigint = seg.baseOffset,
): Promise<SegmentRecovery> {
  await seg.resetIndexes();
  let problem: SegmentRecovery['problem'];
  let expected = minOffset > seg.baseOffset ? minOffset : seg.baseOffset;
  const end = seg.size;
  const validBytes = await walkBatches(seg.log, 0, { whole: true, end }, (buf, at, position, size) => {
    const bad = checkBatch(buf, at, at + size, true);
    if (bad !== undefined) {
      problem = bad;
      return false;
    }
    const base = buf.readBigInt64BE(at + Field.baseOffset);
    const last = lastOffsetAt(buf, at);
    if (base < expected || last - seg.baseOffset > MAX_RELATIVE_OFFSET) {
      problem = 'offset';
      return false;
    }
    expected = last + 1n;
    seg.noteStoredBatch(buf, at, position, size, indexIntervalBytes);
    return true;
  });
  // walkBatches also stops at a frame running past the end: a torn write.
  if (problem === undefined && validBytes < end) problem = 'torn';
  if (validBytes < end) await seg.log.truncate(validBytes);
  seg.readableSize = validBytes;
  // As Kafka's recover does: the last entry carries the segment's largest timestamp, which is
  // what retention and time lookups read back from an old segment.
  seg.onBecomeInactive();
  await seg.rewriteIndexes();
  return { validBytes, truncatedBytes: end - validBytes, problem };
}

/**
 * The clean-start path for the active segment: trust the index if it passes Kafka's sanity
 * checks, then scan from its last entry to find the log end. False means: recover instead.
 */
export async function loadActiveSegment(seg: Segment, indexIntervalBytes: number): Promise<boolean> {
  await seg.loadIndexes();
  if (!seg.offsetIndex.isSane(seg.size)) return false;
  const from = seg.offsetIndex.lastPosition();
  let ok = true;
  const timeIndexMax = seg.timeIndex.lastTimestamp();
  seg.maxTimestamp = timeIndexMax;
  seg.offsetOfMaxTimestamp = seg.timeIndex.lastOffset();
  seg.bytesSinceIndexEntry = 0;
  // Entries from the tail are already in the index; count bytes only, as Kafka does on load.
  const stop = await walkBatches(seg.log, from, { whole: false }, (buf, at, _position, size) => {
    if (checkBatch(buf, at, buf.length, false) === 'magic') {
      ok = false;
      return false;
    }
    const last = lastOffsetAt(buf, at);
    const ts = buf.readBigInt64BE(at + Field.maxTimestamp);
    if (ts > seg.maxTimestamp) {
      seg.maxTimestamp = ts;
      seg.offsetOfMaxTimestamp = last;
    }
    seg.bytesSinceIndexEntry += size;
    seg.nextOffset = last + 1n;
    return true;
  });
  if (!ok || stop !== seg.size) return false;
  return seg.timeIndex.isSane(seg.nextOffset);
}

export interface LoadOptions {
  clean: boolean;
  /** Offsets below this were flushed before the crash; their segments are not re-read. */
  recoveryPoint: bigint;
  logStartOffset: bigint;
  indexIntervalBytes: number;
  logger: Logger;
}

/** Suffixes of the log cleaner's files (Kafka's names): see src/storage/cleaner/swap.ts. */
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
export { DELETED_FILE_SUFFIX };

/**
 * Kafka's first passes over a partition folder: drop `.deleted` and `.cleaned` left-overs, then
 * finish each interrupted swap. A `.swap` log file is a whole cleaned segment (its indexes were
 * renamed before it); it replaces every segment whose base offset lies in its offset range,
 * unless a `.cleaned` file at or below its base shows the rename to `.swap` never completed.
 * Returns the base offsets of the swapped-in segments, whose indexes are then rebuilt.
 */
export async function completeInterruptedSwaps(store: SegmentStore, dir: string, opts: Pick<LoadOptions, 'indexIntervalBytes' | 'logger'>): Promise<Set<bigint>> {
  const swapped = new Set<bigint>();
  let minCleaned: bigint | undefined;
  const swaps: Array<{ name: string; base: bigint; suffix: string }> = [];
  for (const name of await store.list(dir)) {
    if (name.endsWith(DELETED_FILE_SUFFIX)) {
      await store.delete(joinPath(dir, name));
    } else if (name.endsWith(CLEANED_FILE_SUFFIX)) {
      const parsed = parseSegmentFileName(name.slice(0, -CLEANED_FILE_SUFFIX.length));
      if (parsed !== undefined && (minCleaned === undefined || parsed.baseOffset < minCleaned)) minCleaned = parsed.baseOffset;
      await store.delete(joinPath(dir, name));
    } else if (name.endsWith(SWAP_FILE_SUFFIX)) {
      const parsed = parseSegmentFileName(name.slice(0, -SWAP_FILE_SUFFIX.length));
      if (parsed === undefined) await store.delete(joinPath(dir, name));
      else swaps.push({ name, base: parsed.baseOffset, suffix: parsed.suffix });
    }
  }
  const complete: typeof swaps = [];
  for (const sw of swaps) {
    if (minCleaned !== undefined && sw.base >= minCleaned) await store.delete(joinPath(dir, sw.name));
    else complete.push(sw);
  }
  const logs = complete.filter((sw) => sw.suffix === LOG_SUFFIX);
  // Index files whose log never reached .swap are not a swap.
  for (const sw of complete) {
    if (sw.suffix !== LOG_SUFFIX && !logs.some((l) => l.base === sw.base)) await store.delete(joinPath(dir, sw.name));
  }
  if (logs.length === 0) return swapped;
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const sw of logs) {
    const seg = await Segment.open(store, dir, sw.base, SWAP_FILE_SUFFIX);
    await recoverSegment(seg, opts.indexIntervalBytes);
    if (min === undefined || seg.baseOffset < min) min = seg.baseOffset;
    if (max === undefined || seg.nextOffset > max) max = seg.nextOffset;
    await seg.close();
  }
  // The segments the swap replaces: cleaned or split, but not yet renamed to .deleted.
  for (const name of await store.list(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== undefined && parsed.baseOffset >= min! && parsed.baseOffset < max!) await store.delete(joinPath(dir, name));
  }
  for (const sw of logs) {
    const seg = await Segment.open(store, dir, sw.base, SWAP_FILE_SUFFIX);
    await seg.changeFileSuffixes(store, SWAP_FILE_SUFFIX, '');
    await seg.close();
    swapped.add(sw.base);
  }
  opts.logger.info({ dir, segments: logs.map((l) => l.base.toString()) }, 'completed an interrupted segment swap');
  return swapped;
}

/** Opens every segment of a partition folder, recovering as `opts` requires. Never empty. */
export async function loadSegments(store: SegmentStore, dir: string, opts: LoadOptions): Promise<Segment[]> {
  const swapped = await completeInterruptedSwaps(store, dir, opts);
  const names = await store.list(dir);
  const files = new Map<bigint, Set<string>>();
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) {
      await store.delete(joinPath(dir, name));
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed === undefined) continue;
    let set = files.get(parsed.baseOffset);
    if (set === undefined) files.set(parsed.baseOffset, (set = new Set()));
    set.add(parsed.suffix);
  }
  const bases: bigint[] = [];
  for (const [base, set] of files) {
    if (set.has(LOG_SUFFIX)) bases.push(base);
    else for (const s of set) await store.delete(joinPath(dir, `${base.toString().padStart(20, '0')}${s}`));
  }
  bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  let segments = await mapBounded(bases, SEGMENT_OPEN_CONCURRENCY, (b) => Segment.open(store, dir, b));
  if (segments.length === 0) {
    const start = opts.logStartOffset > 0n ? opts.logStartOffset : 0n;
    const seg = await Segment.open(store, dir, start);
    await seg.resetIndexes();
    return [seg];
  }

  let recoverFrom = segments.length;
  if (!opts.clean) {
    recoverFrom = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= opts.recoveryPoint) recoverFrom = i;
  }
  const recovered = new Set<Segment>();
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const set = files.get(seg.baseOffset)!;
    const missingIndex = !set.has(INDEX_SUFFIX) || !set.has(TIME_INDEX_SUFFIX) || swapped.has(seg.baseOffset);
    if (i < recoverFrom && !missingIndex) continue;
    const prev = segments[i - 1];
    const result = await recoverSegment(seg, opts.indexIntervalBytes, prev?.nextOffset);
    recovered.add(seg);
    if (result.truncatedBytes > 0 || missingIndex) {
      opts.logger.warn(
        { dir, baseOffset: seg.baseOffset.toString(), ...result, missingIndex },
        result.truncatedBytes > 0 ? 'truncated invalid bytes at the end of a segment' : 'rebuilt missing index',
      );
    }
    if (result.truncatedBytes > 0 && i < segments.length - 1) {
      // Kafka's rule: whatever follows a damaged segment cannot be trusted to follow on.
      for (const later of segments.slice(i + 1)) await later.delete(store);
      opts.logger.warn({ dir, deleted: segments.length - i - 1 }, 'deleted segments after a damaged one');
      segments = segments.slice(0, i + 1);
      break;
    }
  }

  const last = segments.at(-1)!;
  if (!recovered.has(last) && !(await loadActiveSegment(last, opts.indexIntervalBytes))) {
    opts.logger.warn({ dir, baseOffset: last.baseOffset.toString() }, 'active segment failed its sanity check; recovering');
    await recoverSegment(last, opts.indexIntervalBytes, segments.at(-2)?.nextOffset);
  }
  // Old segments end where the next begins; reads bound by it, so the exact end is not needed.
  for (let i = 0; i < segments.length - 1; i++) {
    if (!recovered.has(segments[i]!)) segments[i]!.nextOffset = segments[i + 1]!.baseOffset;
  }
  // segment.ms counts from the start for old data: files carry no trustworthy creation time.
  const now = Date.now();
  for (const s of segments) s.rollStartMs = s.size > 0 ? now : undefined;
  return segments;
}
