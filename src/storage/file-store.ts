import { constants, readSync, writevSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileRegion } from '../protocol/codec/file-region.js';
import type { FileLike, SegmentStore } from './store.js';
import { TEMP_SUFFIX } from './file-names.js';

/**
 * Appends up to this size are written with a synchronous pwritev on the main thread, as
 * Kafka's request threads write to the page cache (FileChannel.write). Without fsync such a
 * write is a copy into the page cache: measured 8 µs of CPU for 16 KiB against 20-26 µs for
 * FileHandle.writev, whose cost is the thread-pool round trip and its promise, not the copy
 * (see BENCHMARKS.md). Larger appends, where the copy itself would hold the event loop,
 * still go to the libuv pool.
 */
export const SYNC_WRITE_MAX_BYTES = 2 * 1024 * 1024;

/** pwritev of every byte (libuv already loops over partial writes and IOV_MAX; this is a guard). */
function writeAllSync(fd: number, chunks: readonly Uint8Array[], length: number, position: number): void {
  let rest = chunks as Uint8Array[];
  let written = 0;
  for (;;) {
    const n = writevSync(fd, rest, position + written);
    written += n;
    if (written >= length) return;
    if (n === 0) throw new Error(`short write: ${written} of ${length} bytes`);
    let skip = n;
    let i = 0;
    while (skip >= rest[i]!.byteLength) skip -= rest[i++]!.byteLength;
    rest = rest.slice(i);
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}

class FsFile implements FileLike {
  #size: number;
  #closed = false;
  /** Present when the store hands out file regions (see FileSegmentStore). */
  readonly region?: (position: number, length: number) => FileRegion;

  constructor(
    private readonly handle: FileHandle,
    size: number,
    regions: boolean,
  ) {
    this.#size = size;
    if (regions) this.region = (position, length) => new FileRegion(this, position, length);
  }

  get fd(): number {
    return this.handle.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  peekSync(position: number, into: Buffer): number {
    return readSync(this.handle.fd, into, 0, into.length, position);
  }

  get size(): number {
    return this.#size;
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    let length = 0;
    for (const c of chunks) length += c.byteLength;
    if (length === 0) return;
    // Reserve the range before awaiting so two appends in flight never overlap.
    const position = this.#size;
    this.#size += length;
    try {
      if (length <= SYNC_WRITE_MAX_BYTES) writeAllSync(this.handle.fd, chunks, length, position);
      // libuv loops over partial writes and IOV_MAX itself.
      else await this.handle.writev(chunks as Uint8Array[], position);
    } catch (e) {
      if (this.#size === position + length) this.#size = position;
      throw e;
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.#size - position));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(buf, got, want - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
    this.#size = size;
  }

  async flush(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.handle.close();
  }
}

/** Files under a root folder: the store a real broker runs on. */
export class FileSegmentStore implements SegmentStore {
  /**
   * `regions`: files hand out regions for fetch responses to send with sendfile; only
   * when the connection can send them (server/file-sender.ts).
   */
  constructor(
    readonly root: string,
    private readonly opts: { regions?: boolean } = {},
  ) {}

  #abs(path: string): string {
    return join(this.root, path);
  }

  async open(path: string): Promise<FileLike> {
    const abs = this.#abs(path);
    await mkdir(dirname(abs), { recursive: true });
    // Not 'a+': Linux ignores the position of writes to a file opened for append.
    const handle = await open(abs, constants.O_RDWR | constants.O_CREAT, 0o644);
    const { size } = await handle.stat();
    return new FsFile(handle, size, this.opts.regions === true);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(this.#abs(dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async delete(path: string): Promise<void> {
    await rm(this.#abs(path), { recursive: true, force: true });
  }

  async readWhole(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#abs(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const abs = this.#abs(path);
    const dir = dirname(abs);
    await mkdir(dir, { recursive: true });
    const tmp = abs + TEMP_SUFFIX;
    const h = await open(tmp, 'w');
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, abs);
    await syncDir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    const abs = this.#abs(to);
    await rename(this.#abs(from), abs);
    await syncDir(dirname(abs));
  }
}

/** A rename is only durable once the folder itself is synced. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
