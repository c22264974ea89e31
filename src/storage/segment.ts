/**
 * One segment (Kafka's LogSegment): a .log file of batches back to back, plus its offset and
 * time indexes, below the local log. Its state changes only through its own methods: appends
 * are noted batch by batch, recovery and truncation rebuild it from the log file. The indexes
 * live in memory (loaded lazily for old segments) and reach their files on flush, roll and
 * close; after a crash, recovery rebuilds them from the log.
 */
import { BATCH_HEADER_SIZE, Field } from '../protocol/records/record-batch.js';
import { DELETED_FILE_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, joinPath, segmentFileName } from './file-names.js';
import { OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';
import { type BatchProblem, batchSizeAt, checkBatch, lastOffsetAt, walkBatches } from './batch-scan.js';
import type { FileLike, SegmentStore } from './store.js';

/** The largest offset delta a batch may have from its segment's base offset (index entries are 4 bytes). */
export const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export interface SegmentRecovery {
  validBytes: number;
  truncatedBytes: number;
  problem: BatchProblem | 'offset' | undefined;
}

export class Segment {
  #nextOffset: bigint;
  #maxTimestamp = -1n;
  #offsetOfMaxTimestamp: bigint;
  #bytesSinceIndexEntry = 0;
  #rollStartMs: number | undefined;
  #deleted = false;
  #readableSize: number;
  #offsetIndex: OffsetIndex | undefined;
  #timeIndex: TimeIndex | undefined;
  #loading: Promise<void> | undefined;

  private constructor(
    readonly baseOffset: bigint,
    readonly log: FileLike,
    readonly indexFile: FileLike,
    readonly timeIndexFile: FileLike,
    private paths: readonly string[],
  ) {
    this.#nextOffset = baseOffset;
    this.#offsetOfMaxTimestamp = baseOffset;
    this.#readableSize = log.size;
  }

  /**
   * Opens (creating when missing) the segment's three files; reads no index yet. `fileSuffix`
   * (".cleaned", ".swap") names the files of a segment the log cleaner is building.
   */
  static async open(store: SegmentStore, dir: string, baseOffset: bigint, fileSuffix = ''): Promise<Segment> {
    const paths = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].map(
      (s) => joinPath(dir, segmentFileName(baseOffset, s as typeof LOG_SUFFIX)) + fileSuffix,
    );
    const [log, index, timeIndex] = await Promise.all(paths.map((p) => store.open(p)));
    const seg = new Segment(baseOffset, log!, index!, timeIndex!, paths);
    // Old segments only need their largest timestamp (for retention and time lookups), which
    // is the time index's last entry: the roll that closed them wrote it.
    const ti = timeIndex!;
    if (ti.size >= TIME_INDEX_ENTRY_SIZE) {
      const last = await ti.read(ti.size - (ti.size % TIME_INDEX_ENTRY_SIZE) - TIME_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE);
      if (last.length === TIME_INDEX_ENTRY_SIZE) {
        seg.#maxTimestamp = last.readBigInt64BE(0);
        seg.#offsetOfMaxTimestamp = baseOffset + BigInt(last.readInt32BE(8));
      }
    }
    return seg;
  }

  get size(): number {
    return this.log.size;
  }

  /** Offset after the last batch; the base offset while empty. */
  get nextOffset(): bigint {
    return this.#nextOffset;
  }

  /** Largest batch maxTimestamp in the segment, -1 when none. */
  get maxTimestamp(): bigint {
    return this.#maxTimestamp;
  }

  /** Last offset of the first batch that reached maxTimestamp (what the time index records). */
  get offsetOfMaxTimestamp(): bigint {
    return this.#offsetOfMaxTimestamp;
  }

  /** Wall-clock ms that segment.ms counts from: the first append, or the open of an old segment. */
  get rollStartMs(): number | undefined {
    return this.#rollStartMs;
  }

  /** Out of the log: its files are deleted or renamed to ".deleted". */
  get deleted(): boolean {
    return this.#deleted;
  }

  /** Bytes that readers may see: appends in flight are beyond it. */
  get readableSize(): number {
    return this.#readableSize;
  }

  /** What was appended is durable enough to be read (the high watermark may pass it). */
  publish(): void {
    this.#readableSize = this.log.size;
  }

  /** segment.ms starts counting at the first append. */
  noteAppendTime(nowMs: number): void {
    this.#rollStartMs ??= nowMs;
  }

  /** segment.ms of a segment found at start counts from then: files carry no trustworthy creation time. */
  resetRollClock(nowMs: number): void {
    this.#rollStartMs = this.size > 0 ? nowMs : undefined;
  }

  /** An old segment ends where the next one begins: reads bound by it, so the exact end is not needed. */
  assumeEndsAt(nextOffset: bigint): void {
    this.#nextOffset = nextOffset;
  }

  /**
   * A segment the cleaner wrote off the log is complete: it spans up to `nextOffset` (batches
   * removed at its end leave a gap), all of it is readable, and segment.ms counts as for the
   * segments it replaces.
   */
  completeCopy(nextOffset: bigint, rollStartMs: number | undefined): void {
    this.#nextOffset = nextOffset;
    this.#readableSize = this.log.size;
    this.#rollStartMs = rollStartMs;
  }

  get indexesLoaded(): boolean {
    return this.#offsetIndex !== undefined;
  }

  get offsetIndex(): OffsetIndex {
    if (this.#offsetIndex === undefined) throw new Error('offset index not loaded');
    return this.#offsetIndex;
  }

  get timeIndex(): TimeIndex {
    if (this.#timeIndex === undefined) throw new Error('time index not loaded');
    return this.#timeIndex;
  }

  /** Reads both index files into memory once. */
  loadIndexes(): Promise<void> {
    this.#loading ??= (async () => {
      const [oi, ti] = await Promise.all([
        this.indexFile.read(0, this.indexFile.size),
        this.timeIndexFile.read(0, this.timeIndexFile.size),
      ]);
      this.#offsetIndex = new OffsetIndex(this.baseOffset, oi);
      this.#timeIndex = new TimeIndex(this.baseOffset, ti);
    })();
    return this.#loading;
  }

  /** Starts the indexes over, empty, ahead of a rebuild from the log. */
  async resetIndexes(): Promise<void> {
    await Promise.all([this.indexFile.truncate(0), this.timeIndexFile.truncate(0)]);
    this.#offsetIndex = new OffsetIndex(this.baseOffset);
    this.#timeIndex = new TimeIndex(this.baseOffset);
    this.#loading = Promise.resolve();
    this.#nextOffset = this.baseOffset;
    this.#maxTimestamp = -1n;
    this.#offsetOfMaxTimestamp = this.baseOffset;
    this.#bytesSinceIndexEntry = 0;
  }

  /** Empties the segment: no batch, no index entry. */
  async clear(): Promise<void> {
    if (this.log.size > 0) await this.log.truncate(0);
    await this.resetIndexes();
    this.#readableSize = 0;
  }

  /**
   * Kafka's LogSegment.recover: rebuilds the indexes from the log, keeping only the valid
   * prefix (batches that frame, carry magic 2 and a matching CRC, and whose offsets ascend
   * from at least `minOffset`) and cutting the file after it.
   */
  async recover(indexIntervalBytes: number, minOffset: bigint = this.baseOffset): Promise<SegmentRecovery> {
    await this.resetIndexes();
    let problem: SegmentRecovery['problem'];
    let expected = minOffset > this.baseOffset ? minOffset : this.baseOffset;
    const end = this.size;
    const validBytes = await walkBatches(this.log, 0, { whole: true, end }, (buf, at, position, size) => {
      const bad = checkBatch(buf, at, at + size, true);
      if (bad !== undefined) {
        problem = bad;
        return false;
      }
      const base = buf.readBigInt64BE(at + Field.baseOffset);
      const last = lastOffsetAt(buf, at);
      if (base < expected || last - this.baseOffset > MAX_RELATIVE_OFFSET) {
        problem = 'offset';
        return false;
      }
      expected = last + 1n;
      this.noteStoredBatch(buf, at, position, size, indexIntervalBytes);
      return true;
    });
    // walkBatches also stops at a frame running past the end: a torn write.
    if (problem === undefined && validBytes < end) problem = 'torn';
    if (validBytes < end) await this.log.truncate(validBytes);
    this.#readableSize = validBytes;
    // As Kafka's recover does: the last entry carries the segment's largest timestamp, which is
    // what retention and time lookups read back from an old segment.
    this.onBecomeInactive();
    await this.rewriteIndexes();
    return { validBytes, truncatedBytes: end - validBytes, problem };
  }

  /** Kafka's LogSegment.truncateTo: removes every batch from the one holding `offset` on. */
  async truncateTo(offset: bigint, indexIntervalBytes: number, minOffset?: bigint): Promise<void> {
    await this.log.truncate(await this.findBatchPosition(offset));
    await this.recover(indexIntervalBytes, minOffset);
  }

  /**
   * The clean-start path for the active segment: trust the index if it passes Kafka's sanity
   * checks, then scan from its last entry to find the log end. False means: recover instead.
   */
  async loadAsActive(): Promise<boolean> {
    await this.loadIndexes();
    if (!this.offsetIndex.isSane(this.size)) return false;
    const from = this.offsetIndex.lastPosition();
    let ok = true;
    this.#maxTimestamp = this.timeIndex.lastTimestamp();
    this.#offsetOfMaxTimestamp = this.timeIndex.lastOffset();
    this.#bytesSinceIndexEntry = 0;
    // Entries from the tail are already in the index; count bytes only, as Kafka does on load.
    const stop = await walkBatches(this.log, from, { whole: false }, (buf, at, _position, size) => {
      if (checkBatch(buf, at, buf.length, false) === 'magic') {
        ok = false;
        return false;
      }
      const last = lastOffsetAt(buf, at);
      const ts = buf.readBigInt64BE(at + Field.maxTimestamp);
      if (ts > this.#maxTimestamp) {
        this.#maxTimestamp = ts;
        this.#offsetOfMaxTimestamp = last;
      }
      this.#bytesSinceIndexEntry += size;
      this.#nextOffset = last + 1n;
      return true;
    });
    if (!ok || stop !== this.size) return false;
    return this.timeIndex.isSane(this.#nextOffset);
  }

  /**
   * Accounts for a batch now stored at `position`: Kafka's rule of one index entry once more
   * than indexIntervalBytes were appended since the last, checked before counting this batch.
   */
  noteBatch(position: number, size: number, lastOffset: bigint, maxTimestamp: bigint, indexIntervalBytes: number): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = lastOffset;
    }
    if (this.#bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceIndexEntry = 0;
    }
    this.#bytesSinceIndexEntry += size;
    this.#nextOffset = lastOffset + 1n;
  }

  /** Same as noteBatch, reading the fields from a stored batch header. */
  noteStoredBatch(buf: Buffer, at: number, position: number, size: number, indexIntervalBytes: number): void {
    this.noteBatch(position, size, lastOffsetAt(buf, at), buf.readBigInt64BE(at + Field.maxTimestamp), indexIntervalBytes);
  }

  /** Kafka's last time-index entry for a segment that stops taking appends. */
  onBecomeInactive(): void {
    if (this.#timeIndex !== undefined && this.#maxTimestamp >= 0n) {
      this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
    }
  }

  /** Position of the first batch whose last offset is >= `offset`, or the end of the log. */
  async findBatchPosition(offset: bigint, end = this.log.size): Promise<number> {
    await this.loadIndexes();
    let found = end;
    const start = this.offsetIndex.lookup(offset);
    await walkBatches(this.log, start, { whole: false, end, chunkSize: 64 * 1024 }, (buf, at, position) => {
      if (lastOffsetAt(buf, at) >= offset) {
        found = position;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * findBatchPosition without awaiting: hops over batch headers read with `peek` (which fills
   * `scratch`) from the index entry at or below the offset. Undefined while the indexes are
   * not loaded yet.
   */
  findBatchPositionSync(offset: bigint, end: number, scratch: Buffer, peek: (position: number) => number): number | undefined {
    if (this.#offsetIndex === undefined) return undefined;
    for (let at = this.#offsetIndex.lookup(offset); at + BATCH_HEADER_SIZE <= end; ) {
      if (peek(at) < BATCH_HEADER_SIZE) return end;
      const size = batchSizeAt(scratch, 0);
      if (size < BATCH_HEADER_SIZE || at + size > end) return end;
      if (lastOffsetAt(scratch, 0) >= offset) return at;
      at += size;
    }
    return end;
  }

  /** Writes index entries not yet in their files. */
  async writeIndexes(): Promise<void> {
    if (this.#offsetIndex === undefined || this.#timeIndex === undefined) return;
    const oi = this.#offsetIndex.takeUnwritten();
    const ti = this.#timeIndex.takeUnwritten();
    await Promise.all([oi && this.indexFile.append([oi]), ti && this.timeIndexFile.append([ti])]);
  }

  /** Rewrites both index files from memory (after a rebuild). */
  async rewriteIndexes(): Promise<void> {
    await this.resetFilesOnly();
    await Promise.all([this.indexFile.append([this.offsetIndex.bytes()]), this.timeIndexFile.append([this.timeIndex.bytes()])]);
  }

  private async resetFilesOnly(): Promise<void> {
    await Promise.all([this.indexFile.truncate(0), this.timeIndexFile.truncate(0)]);
  }

  async flush(): Promise<void> {
    await this.writeIndexes();
    await Promise.all([this.log.flush(), this.indexFile.flush(), this.timeIndexFile.flush()]);
  }

  async close(): Promise<void> {
    await this.writeIndexes();
    await Promise.all([this.log.close(), this.indexFile.close(), this.timeIndexFile.close()]);
  }

  /**
   * Renames the three files from `oldSuffix` to `newSuffix` (e.g. ".cleaned" to ".swap"), the
   * log file last, so that its new name means the indexes were renamed before it. Open handles
   * keep working.
   */
  async changeFileSuffixes(store: SegmentStore, oldSuffix: string, newSuffix: string): Promise<void> {
    const renamed = this.paths.map((p) => (p.endsWith(oldSuffix) ? p.slice(0, p.length - oldSuffix.length) : p) + newSuffix);
    for (const i of [1, 2, 0]) await store.rename(this.paths[i]!, renamed[i]!);
    this.paths = renamed;
  }

  async delete(store: SegmentStore): Promise<void> {
    this.#deleted = true;
    await this.closeFiles();
    await Promise.all(this.paths.map((p) => store.delete(p)));
  }

  /**
   * Takes the segment out of the log as Kafka does, renaming its files to ".deleted": a fetch
   * already sending from it (a file region) can still open them by their new name until
   * delete() removes them. Recovery removes any left behind by a crash.
   */
  async renameToDeleted(store: SegmentStore): Promise<void> {
    this.#deleted = true;
    await this.changeFileSuffixes(store, '', DELETED_FILE_SUFFIX);
  }

  async closeFiles(): Promise<void> {
    await Promise.all([this.log.close(), this.indexFile.close(), this.timeIndexFile.close()]);
  }
}
