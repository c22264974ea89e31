/**
 * The most recent batches of a partition, as slices of the buffers they were appended from,
 * so consumers keeping up with the tail are served from memory without copying. It covers a
 * contiguous range that ends at the log end; older batches are dropped past a byte budget.
 */
export interface CachedBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly bytes: Buffer;
}

export class TailCache {
  #items: CachedBatch[] = [];
  #head = 0;
  #bytes = 0;

  constructor(public capacityBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(batch: CachedBatch): void {
    this.#items.push(batch);
    this.#bytes += batch.bytes.length;
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
    this.#head++;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
