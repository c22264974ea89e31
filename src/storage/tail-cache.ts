/**
 * The most recent batches of a partition, as slices of the buffers they were appended from,
 * so consumers keeping up with the tail are served from memory without copying. It covers a
 * contiguous range that ends at the log end; older batches are dropped past a byte budget.
 * A batch whose buffer the appender reuses afterwards (`borrowed`) is copied in.
 */
export interface CachedBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly bytes: Buffer;
}

/**
 * A cached slice that is much smaller than the buffer behind it (one partition's batch in a
 * large produce request) would keep all of that buffer alive; such slices are copied out.
 */
const MAX_BACKING_RATIO = 4;

function ownBytes(bytes: Buffer, borrowed: boolean): Buffer {
  if (!borrowed && bytes.buffer.byteLength <= MAX_BACKING_RATIO * bytes.length) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

export class TailCache {
  /** Dropped slots hold undefined until the next compaction, so their buffers can be freed. */
  #items: Array<CachedBatch | undefined> = [];
  #head = 0;
  #bytes = 0;

  constructor(public capacityBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(batch: CachedBatch, borrowed = false): void {
    const bytes = ownBytes(batch.bytes, borrowed);
    this.#items.push(bytes === batch.bytes ? batch : { ...batch, bytes });
    this.#bytes += bytes.length;
  }

  /** Changes the byte budget (the log manager shares one budget among all partitions). */
  resize(capacityBytes: number): void {
    this.capacityBytes = capacityBytes;
    this.evict();
  }

  /** Drops the oldest batches until within budget. */
  evict(): void {
    while (this.#bytes > this.capacityBytes && this.#head < this.#items.length) this.#dropHead();
    this.#compact();
  }

  /** Drops batches wholly below `offset` (the log start moved). */
  dropBelow(offset: bigint): void {
    while (this.#head < this.#items.length && this.#items[this.#head]!.lastOffset < offset) this.#dropHead();
    this.#compact();
  }

  /** Drops batches that reach `offset` or beyond (the log was truncated there). */
  truncateFrom(offset: bigint): void {
    while (this.#items.length > this.#head && this.#items.at(-1)!.lastOffset >= offset) {
      this.#bytes -= this.#items.pop()!.bytes.length;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * The batches from the one holding `offset`, whole, within `maxBytes` (the first one regardless
   * when `minOneBatch`), ending before any batch reaching `upTo`. Undefined when `offset` is
   * older than the cache.
   */
  collect(offset: bigint, maxBytes: number, minOneBatch: boolean, upTo: bigint): Buffer[] | undefined {
    if (this.#head === this.#items.length || this.#items[this.#head]!.baseOffset > offset) return undefined;
    let lo = this.#head;
    let hi = this.#items.length - 1;
    if (this.#items[hi]!.lastOffset < offset) return [];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.lastOffset >= offset) hi = mid;
      else lo = mid + 1;
    }
    const out: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.#items.length; i++) {
      const b = this.#items[i]!;
      if (b.lastOffset >= upTo) break;
      if (size + b.bytes.length > maxBytes && !(minOneBatch && out.length === 0)) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return out;
  }

  #dropHead(): void {
    this.#bytes -= this.#items[this.#head]!.bytes.length;
    this.#items[this.#head] = undefined;
    this.#head++;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
