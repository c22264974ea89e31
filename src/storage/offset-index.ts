/**
 * A segment's sparse offset index, kept in memory in its on-disk form (8-byte entries: int32
 * offset relative to the segment base, int32 byte position) so that persisting it is a slice.
 * Each entry names the last offset of a batch and where that batch starts, as Kafka's do, so a
 * lookup lands on a batch boundary.
 */
export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class OffsetIndex {
  #buf: Buffer;
  #entries = 0;
  #written = 0;

  /** `persisted` is the index file's content; a torn trailing entry is ignored. */
  constructor(
    readonly baseOffset: bigint,
    persisted?: Buffer,
  ) {
    const n = persisted === undefined ? 0 : Math.floor(persisted.length / OFFSET_INDEX_ENTRY_SIZE);
    // Sized to what is there: preallocating (as Kafka's 10 MB index files are) would cost memory per partition.
    this.#buf = Buffer.alloc(n * OFFSET_INDEX_ENTRY_SIZE);
    if (persisted !== undefined) persisted.copy(this.#buf, 0, 0, n * OFFSET_INDEX_ENTRY_SIZE);
    this.#entries = n;
    this.#written = n;
  }

  get entries(): number {
    return this.#entries;
  }

  get sizeInBytes(): number {
    return this.#entries * OFFSET_INDEX_ENTRY_SIZE;
  }

  relativeOffset(i: number): number {
    return this.#buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
  }

  position(i: number): number {
    return this.#buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  append(offset: bigint, position: number): void {
    if (this.#entries * OFFSET_INDEX_ENTRY_SIZE === this.#buf.length) {
      const bigger = Buffer.alloc(Math.max(8 * OFFSET_INDEX_ENTRY_SIZE, this.#buf.length * 2));
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    const at = this.#entries * OFFSET_INDEX_ENTRY_SIZE;
    this.#buf.writeInt32BE(Number(offset - this.baseOffset), at);
    this.#buf.writeInt32BE(position, at + 4);
    this.#entries++;
  }

  /** Where to start scanning for `offset`: the batch of the largest entry at or below it, else 0. */
  lookup(offset: bigint): number {
    const rel = offset - this.baseOffset;
    if (this.#entries === 0 || rel < BigInt(this.relativeOffset(0))) return 0;
    const target = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    let lo = 0;
    let hi = this.#entries - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.relativeOffset(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return this.position(lo);
  }

  lastPosition(): number {
    return this.#entries === 0 ? 0 : this.position(this.#entries - 1);
  }

  /**
   * The checks Kafka makes before trusting an index after a clean shutdown: entries ascend and
   * point inside the log.
   */
  isSane(logSize: number): boolean {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.#entries; i++) {
      const rel = this.relativeOffset(i);
      const pos = this.position(i);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) return false;
      prevRel = rel;
      prevPos = pos;
    }
    return true;
  }

  /** Entries added since the last call, in file form, to append to the index file. */
  takeUnwritten(): Buffer | undefined {
    if (this.#written === this.#entries) return undefined;
    const out = Buffer.from(this.#buf.subarray(this.#written * OFFSET_INDEX_ENTRY_SIZE, this.sizeInBytes));
    this.#written = this.#entries;
    return out;
  }

  /** All entries in file form (for rewriting the file after a rebuild). */
  bytes(): Buffer {
    this.#written = this.#entries;
    return Buffer.from(this.#buf.subarray(0, this.sizeInBytes));
  }
}
