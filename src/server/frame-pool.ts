/**
 * Request frame buffers that are used again once a request is answered, so that a produce
 * does not allocate a new buffer per request: V8 starts a full collection after every few
 * megabytes of new buffer memory, however little of the JavaScript heap is garbage.
 *
 * A frame goes back only when its handler says nothing of the request outlives the answer
 * (`Handler.releasesFrame`: Produce, whose appends are written, and copied where the log keeps
 * them, before it answers). Frames of other requests are never given back and are collected
 * as before: their handlers may keep views of them (group metadata, SASL tokens, ...).
 *
 * Buffers are sized in classes (four per power of two), so frames of nearly the same size
 * share buffers and a frame wastes less than a quarter of its buffer.
 */

/** Frames below this come from Node's own small-buffer pool or a buffer of their own. */
export const POOLED_FRAME_MIN_BYTES = 8 * 1024;
/** Frames above this get a buffer of their own, freed by the collector. */
export const POOLED_FRAME_MAX_BYTES = 8 * 1024 * 1024;
/** Idle buffers kept for later frames, all sizes together; past it, released frames are dropped. */
export const POOLED_FRAME_IDLE_BYTES = 16 * 1024 * 1024;
/**
 * How often idle buffers are looked at: those no frame needed since the last look are dropped,
 * so the memory of a burst goes back to the collector once the load is over.
 */
export const POOLED_FRAME_TRIM_MS = 30_000;

/** The buffer size that holds `n` bytes: `n` rounded up to a quarter of its power of two. */
export function frameClassBytes(n: number): number {
  const step = Math.max(1, 2 ** (31 - Math.clz32(n) - 2));
  return Math.ceil(n / step) * step;
}

export class FramePool {
  readonly #free = new Map<number, ArrayBuffer[]>();
  /** Every buffer this pool made: only those are taken back. */
  readonly #own = new WeakSet<ArrayBuffer>();
  /** Buffers in #free, so a frame released twice is not handed out twice. */
  readonly #idle = new WeakSet<ArrayBuffer>();
  #idleBytes = 0;
  #hits = 0;
  #misses = 0;
  /** Per size class: the fewest idle buffers since the last trim (those not needed since). */
  readonly #lowWater = new Map<number, number>();
  #trimTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly maxIdleBytes = POOLED_FRAME_IDLE_BYTES,
    readonly minBytes = POOLED_FRAME_MIN_BYTES,
    readonly maxBytes = POOLED_FRAME_MAX_BYTES,
  ) {}

  /** A buffer of exactly `n` bytes; unless given back with `release`, it is an ordinary buffer. */
  acquire(n: number): Buffer {
    if (n < this.minBytes || n > this.maxBytes) return Buffer.allocUnsafe(n);
    const size = frameClassBytes(n);
    const list = this.#free.get(size);
    const ab = list?.pop();
    if (ab !== undefined) {
      if (list!.length < (this.#lowWater.get(size) ?? 0)) this.#lowWater.set(size, list!.length);
      this.#idle.delete(ab);
      this.#idleBytes -= size;
      this.#hits++;
      return Buffer.from(ab, 0, n);
    }
    this.#misses++;
    const buf = Buffer.allocUnsafeSlow(size);
    this.#own.add(buf.buffer);
    return buf.subarray(0, n);
  }

  /**
   * Takes a frame from `acquire` back for later frames. The caller promises that nothing reads
   * or writes it any more, views of it included; other buffers are ignored.
   */
  release(frame: Buffer): void {
    const ab = frame.buffer as ArrayBuffer;
    if (frame.byteOffset !== 0 || !this.#own.has(ab) || this.#idle.has(ab)) return;
    const size = ab.byteLength;
    if (this.#idleBytes + size > this.maxIdleBytes) return;
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    list.push(ab);
    this.#idle.add(ab);
    this.#idleBytes += size;
    if (this.#trimTimer === undefined) {
      this.#trimTimer = setInterval(() => this.trimIdle(), POOLED_FRAME_TRIM_MS);
      this.#trimTimer.unref();
    }
  }

  /**
   * Drops the idle buffers that stayed idle since the last call (the oldest of each class:
   * frames take the newest). Runs every POOLED_FRAME_TRIM_MS while buffers are idle.
   */
  trimIdle(): void {
    for (const [size, list] of this.#free) {
      const unused = Math.min(this.#lowWater.get(size) ?? 0, list.length);
      for (const ab of list.splice(0, unused)) this.#idle.delete(ab);
      this.#idleBytes -= unused * size;
      this.#lowWater.set(size, list.length);
    }
    if (this.#idleBytes === 0 && this.#trimTimer !== undefined) {
      clearInterval(this.#trimTimer);
      this.#trimTimer = undefined;
    }
  }

  /** True for a buffer (or a view of one) that this pool may hand out again. */
  owns(buf: Buffer): boolean {
    return this.#own.has(buf.buffer as ArrayBuffer);
  }

  get stats(): { idleBytes: number; hits: number; misses: number } {
    return { idleBytes: this.#idleBytes, hits: this.#hits, misses: this.#misses };
  }
}

/** The broker's frames: one pool for every connection, as memory is one budget. */
export const FRAMES = new FramePool();
