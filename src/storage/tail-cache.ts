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

/**
 * The bound on every partition's tail cache together (skiff.tail.cache.bytes). Each partition
 * also has a share of it, but the shares have a floor so that a cache stays useful, and with
 * many partitions read at once the floors add up past the total: past it, the caches filled
 * least recently are emptied first.
 */
export class TailBudget {
  #used = 0;
  /** Caches holding bytes, least recently filled first (a Set keeps insertion order). */
  readonly #holders = new Set<TailCache>();

  constructor(public capacityBytes: number) {}

  /** `cache` now holds `delta` bytes more (or fewer). */
  charge(cache: TailCache, delta: number): void {
    this.#used += delta;
    if (delta > 0) {
      this.#holders.delete(cache);
      this.#holders.add(cache);
    } else if (cache.bytes === 0) this.#holders.delete(cache);
  }

  /** While over the bound, empties other caches, least recently filled first. */
  reclaim(keep: TailCache): void {
    for (const cache of this.#holders) {
      if (this.#used <= this.capacityBytes) return;
      if (cache !== keep) cache.clear();
    }
  }

  get over(): boolean {
    return this.#used > this.capacityBytes;
  }
}

export class TailCache {
  /** Dropped slots hold undefined until the next compaction, so their buffers can be freed. */
  #items: Array<CachedBatch | undefined> = [];
  #head = 0;
  #bytes = 0;

  constructor(
    public capacityBytes: number,
    private readonly budget?: TailBudget,
  ) {}

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(batch: CachedBatch, borrowed = false): void {
    const bytes = ownBytes(batch.bytes, borrowed);
    this.#items.push(bytes === batch.bytes ? batch : { ...batch, bytes });
    this.#add(bytes.length);
  }

  /** Changes the byte budget (the log manager shares one budget among all partitions). */
  resize(capacityBytes: number): void {
    this.capacityBytes = capacityBytes;
    this.evict();
  }

  /** Drops the oldest batches until within its share, and the caches together within theirs. */
  evict(): void {
    while (this.#bytes > this.capacityBytes && this.#head < this.#items.length) this.#dropHead();
    const budget = this.budget;
    if (budget?.over) {
      budget.reclaim(this);
      while (budget.over && this.#head < this.#items.length) this.#dropHead();
    }
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
      this.#add(-this.#items.pop()!.bytes.length);
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#add(-this.#bytes);
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

  #add(delta: number): void {
    this.#bytes += delta;
    if (delta !== 0) this.budget?.charge(this, delta);
  }

  #dropHead(): void {
    this.#add(-this.#items[this.#head]!.bytes.length);
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
