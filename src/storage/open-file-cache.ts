/**
 * The bound on descriptors held by segment files. A file store's files open on first use and
 * stay open while used recently; beyond `maxOpen`, the least recently used ones that nothing
 * is using right now are closed, and open again by path when next needed. So the descriptors
 * a broker holds follow its working set, not its partition count (three files per segment).
 * A file in use (an I/O call in flight, a region being sent) is pinned and never closed
 * under its user: the bound is exceeded only while more than `maxOpen` files are in use at once.
 */

/** What the cache needs from a file it may close. */
export interface CachedFile {
  /** Nothing is using the descriptor right now. */
  readonly idle: boolean;
  /** Closes the descriptor; the file opens again on its next use. */
  closeDescriptor(): void;
}

export class OpenFileCache {
  /** Files with an open descriptor, least recently used first (a Set keeps insertion order). */
  readonly #open = new Set<CachedFile>();

  constructor(readonly maxOpen: number) {
    if (!(maxOpen >= 1)) throw new RangeError(`maxOpen must be at least 1, got ${maxOpen}`);
  }

  /** Descriptors open now. */
  get openCount(): number {
    return this.#open.size;
  }

  /** Marks `file` as just used (opened or accessed), then closes idle ones over the bound. */
  touch(file: CachedFile): void {
    this.#open.delete(file);
    this.#open.add(file);
    this.trim();
  }

  /** `file` closed its descriptor itself. */
  forget(file: CachedFile): void {
    this.#open.delete(file);
  }

  /** Closes least recently used idle files until the bound holds (or only pinned ones are left). */
  trim(): void {
    if (this.#open.size <= this.maxOpen) return;
    for (const f of this.#open) {
      if (this.#open.size <= this.maxOpen) return;
      if (!f.idle) continue;
      this.#open.delete(f);
      f.closeDescriptor();
    }
  }
}
