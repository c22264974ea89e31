import {
  closeSync,
  constants,
  fstat as fstatCb,
  fsync as fsyncCb,
  ftruncate as ftruncateCb,
  open as openCb,
  openSync,
  read as readCb,
  readSync,
  writev as writevCb,
  writevSync,
} from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { FileRegion, type RegionSource } from '../protocol/codec/file-region.js';
import { OpenFileCache, type CachedFile } from './open-file-cache.js';
import { Semaphore } from './semaphore.js';
import type { FileLike, SegmentStore } from './store.js';
import { TEMP_SUFFIX } from './file-names.js';

/**
 * Appends up to this size are written with a synchronous pwritev on the main thread, as
 * Kafka's request threads write to the page cache (FileChannel.write); larger ones go to the
 * libuv thread pool, so the event loop keeps reading and answering other connections while the
 * kernel copies. Measured with `bench/write-offload-bench.ts` (main-thread busy time per MiB
 * written): for 16 KiB appends the pool's hand-off costs more than the copy (500 against
 * 170-330 µs/MiB), from 64 KiB on it frees most of it (26-49 against 130-150 µs/MiB), at
 * 1.5x the process CPU. A worker thread fed through a SharedArrayBuffer saves the main thread
 * almost nothing: the buffers cannot be transferred (the tail cache and the response keep views
 * of them), and copying them into shared memory is as much work as the write itself.
 */
export const SYNC_WRITE_MAX_BYTES = 64 * 1024;

/**
 * The most bytes one write system call is given; a larger append (a group of appends queued
 * behind a write, or one large batch) is written in calls of this size, one after another.
 * Linux sizes the page-cache folios of a buffered write from the bytes the call has left to
 * write: calls of many MiB get 2 MiB folios, which must come from free blocks of that order,
 * the ones a VM's free page reporting hands back to its host, so that the copy into each one
 * stalls while the host faults it back in. Measured on the bench VM (Linux 6.18, ext4,
 * bench/write-call-size-bench.ts): 96 MiB written from an unaligned position cost 22-48 ms of
 * system time in calls of 64 KiB-1 MiB, 122-140 ms in 4 MiB calls and 206-229 ms in 32 MiB
 * calls (BENCHMARKS.md, Round 7). Kafka writes each batch with its own call (at most
 * max.message.bytes, 1 MiB by default), so it stays below this size.
 */
export const WRITE_CALL_MAX_BYTES = 1024 * 1024;

/** The chunks cut, in order, into groups of at most `max` bytes: one write call each. */
export function splitWriteCalls(chunks: readonly Uint8Array[], max: number): Uint8Array[][] {
  const calls: Uint8Array[][] = [];
  let call: Uint8Array[] = [];
  let room = max;
  for (const chunk of chunks) {
    let rest = chunk;
    while (rest.byteLength > 0) {
      const take = Math.min(room, rest.byteLength);
      call.push(take === rest.byteLength ? rest : rest.subarray(0, take));
      rest = rest.subarray(take);
      room -= take;
      if (room === 0) {
        calls.push(call);
        call = [];
        room = max;
      }
    }
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

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

const openAsync = promisify(openCb);
const readAsync = promisify(readCb);
const writevAsync = promisify(writevCb);
const ftruncateAsync = promisify(ftruncateCb);
const fsyncAsync = promisify(fsyncCb);
const fstatAsync = promisify(fstatCb);

/** The default bound on open segment files (skiff.log.open.files.max). */
export const DEFAULT_MAX_OPEN_FILES = 1000;
/**
 * Folder listings, small-file reads and atomic writes in progress at once. Each holds a
 * descriptor or two for its duration; a produce to thousands of partitions writes as many
 * leader-epoch checkpoints at once, which unbounded would run out of descriptors.
 */
const SMALL_FILE_OPS = 64;

function closedError(path: string): Error {
  return Object.assign(new Error(`file closed: ${path}`), { code: 'EBADF' });
}

/** FsFile's `region`: one function for every file, as a closure each would cost memory per partition. */
function regionOf(this: FsFile, position: number, length: number): FileRegion {
  return new FileRegion(this, position, length);
}

/**
 * A segment, index or other log file whose descriptor comes and goes with the store's
 * OpenFileCache: every call pins it open for its duration (regions until their send is
 * over), and an idle one may be closed and later reopened by path. Reopening never creates
 * the file, so one removed in between fails instead of coming back empty. Its size is kept
 * here: the store is the only writer.
 */
class FsFile implements FileLike, CachedFile, RegionSource {
  #path: string;
  #abs: string;
  #fd: number;
  #pins = 0;
  #opening: Promise<void> | undefined;
  #size: number;
  #closed = false;
  /** Written since the last fsync; a file found with bytes counts as written (the last run may not have synced). */
  #dirty: boolean;
  #syncing: Promise<void> | undefined;
  #failedAppend = false;
  /** Present when the store hands out file regions (see FileSegmentStore). */
  readonly region?: (position: number, length: number) => FileRegion;

  constructor(
    path: string,
    abs: string,
    fd: number,
    size: number,
    private readonly cache: OpenFileCache,
    private readonly live: Map<string, FsFile>,
    regions: boolean,
  ) {
    this.#path = path;
    this.#abs = abs;
    this.#fd = fd;
    this.#size = size;
    this.#dirty = size > 0;
    if (regions) this.region = regionOf;
  }

  get size(): number {
    return this.#size;
  }

  get idle(): boolean {
    return this.#pins === 0 && this.#fd >= 0;
  }

  closeDescriptor(): void {
    const fd = this.#fd;
    this.#fd = -1;
    try {
      closeSync(fd);
    } catch {
      // Nothing was lost: writes reached the kernel, and fsync went through another call.
    }
  }

  /** After the store renamed the file: reopens use the new name. */
  moved(path: string, abs: string): void {
    this.#path = path;
    this.#abs = abs;
  }

  /** For a region being sent: the file stays open until release(), outside the cache's bound. */
  async acquire(): Promise<number> {
    const fd = await this.#use(false);
    this.cache.sendStarted();
    return fd;
  }

  release(): void {
    this.cache.sendEnded();
    this.#unuse();
  }

  /** Pins the file open (reopening it, after waiting for room when `wait`) and returns its descriptor. */
  async #use(wait = true): Promise<number> {
    const fd = this.#tryUse();
    if (fd >= 0) return fd;
    this.#pins++;
    try {
      while (this.#fd < 0) await (this.#opening ??= this.#reopen(wait));
    } catch (e) {
      this.#unuse();
      throw e;
    }
    this.cache.touch(this);
    return this.#fd;
  }

  /** The descriptor, pinned, when it is open now; -1 otherwise. */
  #tryUse(): number {
    if (this.#closed) throw closedError(this.#path);
    if (this.#fd < 0) return -1;
    this.#pins++;
    this.cache.touch(this);
    return this.#fd;
  }

  #useSync(): number {
    const fd = this.#tryUse();
    if (fd >= 0) return fd;
    this.cache.reserveSync();
    try {
      this.#fd = openSync(this.#abs, constants.O_RDWR);
    } catch (e) {
      this.cache.opened(undefined);
      throw e;
    }
    this.#pins++;
    this.cache.opened(this);
    return this.#fd;
  }

  #unuse(): void {
    if (--this.#pins > 0) return;
    if (!this.#closed) this.cache.idle();
    else if (this.#fd >= 0) {
      this.cache.forget(this);
      this.closeDescriptor();
    }
  }

  async #reopen(wait: boolean): Promise<void> {
    try {
      await this.cache.reserve(wait);
      let fd: number;
      try {
        fd = await openAsync(this.#abs, constants.O_RDWR);
      } catch (e) {
        this.cache.opened(undefined);
        throw e;
      }
      // A synchronous use may have opened it meanwhile.
      if (this.#fd >= 0) {
        closeSync(fd);
        this.cache.opened(undefined);
      } else {
        this.#fd = fd;
        this.cache.opened(this);
      }
    } finally {
      this.#opening = undefined;
    }
  }

  peekSync(position: number, into: Buffer): number {
    const fd = this.#useSync();
    try {
      return readSync(fd, into, 0, into.length, position);
    } finally {
      this.#unuse();
    }
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    let length = 0;
    for (const c of chunks) length += c.byteLength;
    if (length === 0) return;
    // Reserve the range before awaiting so two appends in flight never overlap.
    const position = this.#size;
    this.#size += length;
    try {
      // Already open (the usual case for an active segment): the write goes out before any await.
      const open = this.#tryUse();
      const fd = open >= 0 ? open : await this.#use();
      try {
        if (length <= SYNC_WRITE_MAX_BYTES) writeAllSync(fd, chunks, length, position);
        else {
          let at = position;
          for (const call of splitWriteCalls(chunks, WRITE_CALL_MAX_BYTES)) {
            // libuv loops over partial writes and IOV_MAX itself.
            await writevAsync(fd, call, at);
            for (const c of call) at += c.byteLength;
          }
        }
      } finally {
        this.#unuse();
      }
    } catch (e) {
      if (this.#size === position + length) this.#size = position;
      this.#failedAppend = true;
      throw e;
    }
    this.#dirty = true;
  }

  async read(position: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.#size - position));
    const buf = Buffer.allocUnsafe(want);
    if (want === 0) return buf;
    const fd = await this.#use();
    let got = 0;
    try {
      while (got < want) {
        const { bytesRead } = await readAsync(fd, buf, got, want - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } finally {
      this.#unuse();
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  async truncate(size: number): Promise<void> {
    // A new segment's indexes are "reset" to the empty files they are: no reopen, nothing to
    // sync. Not after a failed append, which may have left bytes past the size kept here.
    if (size === this.#size && !this.#failedAppend) return;
    const fd = await this.#use();
    try {
      await ftruncateAsync(fd, size);
    } finally {
      this.#unuse();
    }
    this.#failedAppend = false;
    this.#size = size;
    this.#dirty = true;
  }

  flush(): Promise<void> {
    // Clean pages need no fsync, and reopening an idle file just to sync it would cost a
    // descriptor; an fsync under way covers everything written before it started.
    if (!this.#dirty) return this.#syncing ?? Promise.resolve();
    this.#dirty = false;
    const sync = this.#fsync().finally(() => {
      if (this.#syncing === sync) this.#syncing = undefined;
    });
    this.#syncing = sync;
    return sync;
  }

  async #fsync(): Promise<void> {
    try {
      const fd = await this.#use();
      try {
        await fsyncAsync(fd);
      } finally {
        this.#unuse();
      }
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.live.get(this.#path) === this) this.live.delete(this.#path);
    // A pinned file (a read in flight, a region being sent) closes when its last use ends.
    if (this.#pins === 0 && this.#fd >= 0) {
      this.cache.forget(this);
      this.closeDescriptor();
    }
  }
}

/** Files under a root folder: the store a real broker runs on. */
export class FileSegmentStore implements SegmentStore {
  readonly appendCopies = true;
  readonly #cache: OpenFileCache;
  /** Open files by path, so a rename reaches the file that reopens under the name. */
  readonly #live = new Map<string, FsFile>();
  readonly #smallOps = new Semaphore(SMALL_FILE_OPS);

  /**
   * `regions`: files hand out regions for fetch responses to send with sendfile; only
   * when the connection can send them (server/file-sender.ts). `maxOpenFiles`: the bound on
   * segment-file descriptors (skiff.log.open.files.max, see OpenFileCache).
   */
  constructor(
    readonly root: string,
    private readonly opts: { regions?: boolean; maxOpenFiles?: number } = {},
  ) {
    this.#cache = new OpenFileCache(opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  }

  #abs(path: string): string {
    return join(this.root, path);
  }

  async open(path: string): Promise<FileLike> {
    const abs = this.#abs(path);
    await mkdir(dirname(abs), { recursive: true });
    // Not 'a+': Linux ignores the position of writes to a file opened for append.
    await this.#cache.reserve(true);
    let fd = -1;
    let size: number;
    try {
      fd = await openAsync(abs, constants.O_RDWR | constants.O_CREAT, 0o644);
      ({ size } = await fstatAsync(fd));
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      this.#cache.opened(undefined);
      throw e;
    }
    const file = new FsFile(path, abs, fd, size, this.#cache, this.#live, this.opts.regions === true);
    this.#cache.opened(file);
    this.#live.set(path, file);
    return file;
  }

  list(dir: string): Promise<string[]> {
    return this.#smallOps.run(async () => {
      try {
        return await readdir(this.#abs(dir));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    });
  }

  delete(path: string): Promise<void> {
    return this.#smallOps.run(() => rm(this.#abs(path), { recursive: true, force: true }));
  }

  readWhole(path: string): Promise<Buffer | undefined> {
    return this.#smallOps.run(async () => {
      try {
        return await readFile(this.#abs(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    });
  }

  writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    return this.#smallOps.run(() => this.#writeAtomic(path, data));
  }

  async #writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
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

  rename(from: string, to: string): Promise<void> {
    return this.#smallOps.run(() => this.#rename(from, to));
  }

  async #rename(from: string, to: string): Promise<void> {
    const abs = this.#abs(to);
    await rename(this.#abs(from), abs);
    const file = this.#live.get(from);
    if (file !== undefined) {
      this.#live.delete(from);
      file.moved(to, abs);
      this.#live.set(to, file);
    }
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
