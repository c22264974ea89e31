import type { FileLike, SegmentStore } from './store.js';

/**
 * Holds a file as the chunks appended to it, so appends and whole-chunk reads copy nothing.
 * Callers must not change a buffer after appending it (the log never does).
 */
class MemoryFile {
  chunks: Buffer[] = [];
  /** starts[i] is the file position of chunks[i]. */
  starts: number[] = [];
  size = 0;

  append(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      if (c.byteLength === 0) continue;
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      this.starts.push(this.size);
      this.chunks.push(b);
      this.size += b.length;
    }
  }

  #chunkAt(position: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  read(position: number, length: number): Buffer {
    const end = Math.min(this.size, position + length);
    if (end <= position) return Buffer.alloc(0);
    let i = this.#chunkAt(position);
    const first = this.chunks[i]!;
    const from = position - this.starts[i]!;
    if (end - this.starts[i]! <= first.length) return first.subarray(from, end - this.starts[i]!);
    const out = Buffer.allocUnsafe(end - position);
    let at = 0;
    for (; at < out.length; i++) {
      const c = this.chunks[i]!;
      const s = at === 0 ? from : 0;
      const n = Math.min(c.length - s, out.length - at);
      c.copy(out, at, s, s + n);
      at += n;
    }
    return out;
  }

  truncate(size: number): void {
    if (size >= this.size) {
      if (size > this.size) this.append([Buffer.alloc(size - this.size)]);
      return;
    }
    const i = this.#chunkAt(size);
    const keep = size - this.starts[i]!;
    if (keep === 0) {
      this.chunks.length = i;
      this.starts.length = i;
    } else {
      this.chunks[i] = this.chunks[i]!.subarray(0, keep);
      this.chunks.length = i + 1;
      this.starts.length = i + 1;
    }
    this.size = size;
  }
}

class MemoryHandle implements FileLike {
  #closed = false;
  constructor(
    private readonly file: MemoryFile,
    private readonly path: string,
  ) {}
  #check(): void {
    if (this.#closed) throw Object.assign(new Error(`file closed: ${this.path}`), { code: 'EBADF' });
  }
  get size(): number {
    return this.file.size;
  }
  async append(chunks: readonly Uint8Array[]): Promise<void> {
    this.#check();
    this.file.append(chunks);
  }
  async read(position: number, length: number): Promise<Buffer> {
    this.#check();
    return this.file.read(position, length);
  }
  async truncate(size: number): Promise<void> {
    this.#check();
    this.file.truncate(size);
  }
  async flush(): Promise<void> {
    this.#check();
  }
  async close(): Promise<void> {
    this.#closed = true;
  }
}

/**
 * The in-memory twin of FileSegmentStore. Files outlive their handles, so a test can close a
 * log, damage its bytes and open it again exactly as with real files.
 */
export class MemorySegmentStore implements SegmentStore {
  readonly #files = new Map<string, MemoryFile>();

  async open(path: string): Promise<FileLike> {
    let f = this.#files.get(path);
    if (f === undefined) {
      f = new MemoryFile();
      this.#files.set(path, f);
    }
    return new MemoryHandle(f, path);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? '' : dir + '/';
    const names = new Set<string>();
    for (const path of this.#files.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      names.add(slash === -1 ? rest : rest.slice(0, slash));
    }
    return [...names];
  }

  async delete(path: string): Promise<void> {
    this.#files.delete(path);
    const prefix = path + '/';
    for (const p of [...this.#files.keys()]) if (p.startsWith(prefix)) this.#files.delete(p);
  }

  async readWhole(path: string): Promise<Buffer | undefined> {
    const f = this.#files.get(path);
    return f === undefined ? undefined : f.read(0, f.size);
  }

  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const f = new MemoryFile();
    f.append([typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)]);
    this.#files.set(path, f);
  }

  async rename(from: string, to: string): Promise<void> {
    const f = this.#files.get(from);
    if (f === undefined) throw Object.assign(new Error(`no such file: ${from}`), { code: 'ENOENT' });
    this.#files.delete(from);
    this.#files.set(to, f);
  }
}
