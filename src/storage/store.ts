import type { FileRegion } from '../protocol/codec/file-region.js';

/**
 * The byte level under the log: everything above it (indexes, roll, retention, lookup,
 * recovery) is shared by the file-backed store and the in-memory one used by `--memory`
 * mode and tests. Paths are relative to the store's root and use '/'.
 */
export interface FileLike {
  /** Bytes in the file, counting appends still in flight. */
  readonly size: number;
  /** Appends the chunks in one write; concurrent appends land one after the other. */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** Up to `length` bytes from `position`; shorter at the end of the file. */
  read(position: number, length: number): Promise<Buffer>;
  truncate(size: number): Promise<void>;
  /**
   * A region of the file that a fetch response sends with sendfile instead of reading it.
   * Only stores that can (the file store, with the native addon loaded) have this.
   */
  region?(position: number, length: number): FileRegion;
  /** Small synchronous read into `into` (batch headers while planning a region); bytes read. */
  peekSync?(position: number, into: Buffer): number;
  /** Makes the written bytes durable (fsync). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface SegmentStore {
  /**
   * True when a file's append has copied its chunks out (into the file) by the time it settles
   * and keeps no reference to them; otherwise (the memory store) the chunks themselves are kept.
   */
  readonly appendCopies?: boolean;
  /** Opens a file for append and read, creating it (and its folders) when missing. */
  open(path: string): Promise<FileLike>;
  /** Names in a folder; empty when the folder does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a whole folder; missing is fine. */
  delete(path: string): Promise<void>;
  /** A small file's whole content, or undefined when missing. */
  readWhole(path: string): Promise<Buffer | undefined>;
  /** Replaces a small file so a crash leaves either the old or the new content. */
  writeAtomic(path: string, data: string | Uint8Array): Promise<void>;
  /**
   * Renames a file, replacing `to` when it exists, so that a crash leaves it under one name
   * or the other (durable once it returns). Open handles keep reading the same bytes.
   */
  rename(from: string, to: string): Promise<void>;
}
