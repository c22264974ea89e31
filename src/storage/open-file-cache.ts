/**
 * The bound on descriptors held by segment files. A file store's files open on first use and
 * stay open while used recently; beyond `maxOpen`, the least recently used ones that nothing
 * is using right now are closed, and open again by path when next needed. So the descriptors
 * a broker holds follow its working set, not its partition count (three files per segment).
 *
 * A file in use (an I/O call in flight, a region being sent) is pinned and never closed under
 * its user. Storage calls that need to open a file wait while every open one is pinned; a
 * region being sent to a client never waits and is not counted, so a slow consumer can hold
 * one descriptor per region it is being sent but cannot stall the other partitions' I/O.
 */
import { Fifo } from './fifo.js';

/** What the cache needs from a file it may close. */
export interface CachedFile {
  /** Open, and nothing is using the descriptor right now. */
  readonly idle: boolean;
  /** Closes the descriptor; the file opens again on its next use. */
  closeDescriptor(): void;
}

export class OpenFileCache {
  /** Files with an open descriptor, least recently used first (a Set keeps insertion order). */
  readonly #open = new Set<CachedFile>();
  /** Opens under way, counted against the bound from the moment they were allowed. */
  #opening = 0;
  /** Regions being sent: their descriptors are outside the bound. */
  #sending = 0;
  readonly #waiters = new Fifo<() => void>();

  constructor(readonly maxOpen: number) {
    if (!(maxOpen >= 1)) throw new RangeError(`maxOpen must be at least 1, got ${maxOpen}`);
  }

  /** Descriptors open now (or being opened). */
  get openCount(): number {
    return this.#open.size + this.#opening;
  }

  /**
   * Makes room for one descriptor about to be opened, closing an idle file if need be; with
   * `wait`, waits while every open file is in use. Every call is followed by one opened().
   */
  async reserve(wait: boolean): Promise<void> {
    while (!this.#freeOne() && wait) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#opening++;
  }

  /** reserve() without waiting, for a synchronous open. */
  reserveSync(): void {
    this.#freeOne();
    this.#opening++;
  }

  /** Ends a reservation: `file` now holds the descriptor, or undefined when the open failed. */
  opened(file: CachedFile | undefined): void {
    this.#opening--;
    if (file !== undefined) this.touch(file);
    // An unused file just opened (a new segment's) is as good as idle to whoever waits.
    this.idle();
  }

  /** Marks `file` as just used. */
  touch(file: CachedFile): void {
    this.#open.delete(file);
    this.#open.add(file);
  }

  /** `file` closed its descriptor itself. */
  forget(file: CachedFile): void {
    if (this.#open.delete(file)) this.#wake();
  }

  /** A file became idle: someone waiting for room may close it; else the bound is restored. */
  idle(): void {
    if (this.#waiters.length > 0) this.#wake();
    else this.#trim();
  }

  sendStarted(): void {
    this.#sending++;
  }

  sendEnded(): void {
    this.#sending--;
    this.#wake();
  }

  #freeOne(): boolean {
    if (this.openCount - this.#sending < this.maxOpen) return true;
    for (const f of this.#open) {
      if (!f.idle) continue;
      this.#open.delete(f);
      f.closeDescriptor();
      return true;
    }
    return false;
  }

  /** Closes least recently used idle files while over the bound (a synchronous open may have gone over). */
  #trim(): void {
    for (const f of this.#open) {
      if (this.openCount - this.#sending <= this.maxOpen) return;
      if (!f.idle) continue;
      this.#open.delete(f);
      f.closeDescriptor();
    }
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }
}
