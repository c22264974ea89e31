/**
 * Bringing a partition's segments back after a start. After a clean shutdown the files are
 * trusted (only the last segment's index is sanity-checked and its tail scanned for the log
 * end); after a crash every segment from the recovery point on is read batch by batch,
 * checking size, magic, CRC and offset order, and cut at the first bad byte. Indexes of
 * recovered segments are rebuilt from the log, so a torn index never survives.
 */
import type { Logger } from 'pino';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_FILE_SUFFIX,
  TEMP_SUFFIX,
  TIME_INDEX_SUFFIX,
  joinPath,
  parseSegmentFileName,
  segmentFileName,
  type SegmentSuffix,
} from './file-names.js';
import { mapBounded } from './bounded-map.js';
import { Segment } from './segment.js';
import type { SegmentStore } from './store.js';

/** Segments of one partition opened at once: a partition may have thousands, each three files. */
const SEGMENT_OPEN_CONCURRENCY = 8;

export interface LoadOptions {
  clean: boolean;
  /** Offsets below this were flushed before the crash; their segments are not re-read. */
  recoveryPoint: bigint;
  logStartOffset: bigint;
  indexIntervalBytes: number;
  logger: Logger;
}

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
    await seg.recover(opts.indexIntervalBytes);
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
  const files = new Map<bigint, Set<SegmentSuffix>>();
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
    else for (const s of set) await store.delete(joinPath(dir, segmentFileName(base, s)));
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
    const result = await seg.recover(opts.indexIntervalBytes, prev?.nextOffset);
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
  if (!recovered.has(last) && !(await last.loadAsActive())) {
    opts.logger.warn({ dir, baseOffset: last.baseOffset.toString() }, 'active segment failed its sanity check; recovering');
    await last.recover(opts.indexIntervalBytes, segments.at(-2)?.nextOffset);
  }
  for (let i = 0; i < segments.length - 1; i++) {
    if (!recovered.has(segments[i]!)) segments[i]!.assumeEndsAt(segments[i + 1]!.baseOffset);
  }
  const now = Date.now();
  for (const s of segments) s.resetRollClock(now);
  return segments;
}
