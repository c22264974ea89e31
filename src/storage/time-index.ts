/**
 * A segment's sparse time index in its on-disk form (12-byte entries: int64 timestamp, int32
 * offset relative to the segment base). Timestamps only grow: an entry is the largest batch
 * maxTimestamp seen so far and the last offset of the batch that first reached it.
 */
export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex {
  #buf: Buffer;
  #entries = 0;
  #written = 0;

  constructor(
    readonly baseOffset: bigint,
    persisted?: Buffer,
  ) {
    const n = persisted === undefined ? 0 : Math.floor(persisted.length / TIME_INDEX_ENTRY_SIZE);
    // Sized to what is there: preallocating (as Kafka's 10 MB index files are) would cost memory per partition.
    this.#buf = Buffer.alloc(n * TIME_INDEX_ENTRY_SIZE);
    if (persisted !== undefined) persisted.copy(this.#buf, 0, 0, n * TIME_INDEX_ENTRY_SIZE);
    this.#entries = n;
    this.#written = n;
  }

  get entries(): number {
    return this.#entries;
  }

  get sizeInBytes(): number {
    return this.#entries * TIME_INDEX_ENTRY_SIZE;
  }

  timestamp(i: number): bigint {
    return this.#buf.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE);
  }

  offset(i: number): bigint {
    return this.baseOffset + BigInt(this.#buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8));
  }

  lastTimestamp(): bigint {
    return this.#entries === 0 ? -1n : this.timestamp(this.#entries - 1);
  }

  lastOffset(): bigint {
    return this.#entries === 0 ? this.baseOffset : this.offset(this.#entries - 1);
  }

  /** Adds an entry unless `timestamp` is not above the last one. */
  maybeAppend(timestamp: bigint, offset: bigint): boolean {
    if (timestamp < 0n || timestamp <= this.lastTimestamp()) return false;
    if (this.#entries * TIME_INDEX_ENTRY_SIZE === this.#buf.length) {
      const bigger = Buffer.alloc(Math.max(8 * TIME_INDEX_ENTRY_SIZE, this.#buf.length * 2));
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    const at = this.#entries * TIME_INDEX_ENTRY_SIZE;
    this.#buf.writeBigInt64BE(timestamp, at);
    this.#buf.writeInt32BE(Number(offset - this.baseOffset), at + 8);
    this.#entries++;
    return true;
  }

  /**
   * The offset to start scanning from for the first batch with maxTimestamp >= `timestamp`:
   * that of the largest entry at or below it (nothing before it reached the target), else the
   * segment base.
   */
  lookup(timestamp: bigint): bigint {
    if (this.#entries === 0 || this.timestamp(0) > timestamp) return this.baseOffset;
    let lo = 0;
    let hi = this.#entries - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.timestamp(mid) <= timestamp) lo = mid;
      else hi = mid - 1;
    }
    return this.offset(lo);
  }

  isSane(nextOffset: bigint): boolean {
    let prevTs = -1n;
    let prevOff = -1n;
    for (let i = 0; i < this.#entries; i++) {
      const ts = this.timestamp(i);
      const off = this.offset(i);
      if (ts <= prevTs || off < prevOff || off < this.baseOffset || off >= nextOffset) return false;
      prevTs = ts;
      prevOff = off;
    }
    return true;
  }

  takeUnwritten(): Buffer | undefined {
    if (this.#written === this.#entries) return undefined;
    const out = Buffer.from(this.#buf.subarray(this.#written * TIME_INDEX_ENTRY_SIZE, this.sizeInBytes));
    this.#written = this.#entries;
    return out;
  }

  bytes(): Buffer {
    this.#written = this.#entries;
    return Buffer.from(this.#buf.subarray(0, this.sizeInBytes));
  }
}
