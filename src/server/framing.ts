/**
 * Request framing: an int32 size, then that many bytes. The size is checked the moment its
 * four bytes arrive, so an oversized or negative frame is refused before its body is read or
 * any buffer is sized from it.
 */

export const SIZE_PREFIX_BYTES = 4;
/** Responses are framed with an int32 too, so a body can never exceed this. */
export const MAX_FRAME_BYTES = 0x7fffffff;

export class FrameSizeError extends Error {
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      size < 0
        ? `invalid frame size ${size}: negative`
        : `invalid frame size ${size}: larger than socket.request.max.bytes (${maxBytes})`,
    );
    this.name = 'FrameSizeError';
  }
}

/**
 * Whether a size prefix is really the start of a TLS record carrying a handshake (content
 * type 0x16, version 3.x): a client configured for SSL talking to the plaintext listener.
 */
export function looksLikeTlsHandshake(size: number): boolean {
  return size >>> 16 === 0x1603;
}

/**
 * Collects socket chunks and yields whole frames (without the size prefix) on demand.
 *
 * Pull-based (`next()`), so the connection can stop taking frames when it is saturated and
 * leave the rest buffered. Chunks are kept as a list and every byte is copied at most once,
 * when a frame spans chunks; a frame that sits inside one chunk is a zero-copy view of it.
 */
export class FrameDecoder {
  #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  /** Index of the first live chunk; consumed chunks before it are dropped in batches. */
  #first = 0;
  /** Bytes of #chunks[#first] already consumed. */
  #offset = 0;
  #buffered = 0;
  /** Body size of the frame being read, or -1 while waiting for a size prefix. */
  #bodySize = -1;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = Math.min(maxFrameBytes, MAX_FRAME_BYTES);
  }

  /** The limit for frames whose size prefix has not been read yet (lower while unauthenticated). */
  set maxFrameBytes(bytes: number) {
    this.#maxFrameBytes = Math.min(bytes, MAX_FRAME_BYTES);
  }

  /** Bytes received but not yet returned as frames (size prefixes included). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next complete frame, or null when more bytes are needed.
   * Throws FrameSizeError for a bad size prefix; the decoder is unusable afterwards.
   */
  next(): Buffer | null {
    if (this.pendingBodySize() < 0 || this.#buffered < this.#bodySize) return null;
    const frame = this.#take(this.#bodySize);
    this.#bodySize = -1;
    return frame;
  }

  /**
   * The body size of the next frame once its size prefix has arrived (checked, and consumed
   * from the buffer), or -1 while the prefix is incomplete. Lets the connection reserve memory
   * for a body before reading it. Throws FrameSizeError like `next()`.
   */
  pendingBodySize(): number {
    if (this.#bodySize < 0 && this.#buffered >= SIZE_PREFIX_BYTES) {
      const size = this.#readSize();
      if (size < 0 || size > this.#maxFrameBytes) {
        this.#clear();
        throw new FrameSizeError(size, this.#maxFrameBytes);
      }
      this.#bodySize = size;
    }
    return this.#bodySize;
  }

  #readSize(): number {
    const head = this.#chunks[this.#first]!;
    if (head.length - this.#offset >= SIZE_PREFIX_BYTES) {
      const size = head.readInt32BE(this.#offset);
      this.#advance(SIZE_PREFIX_BYTES);
      return size;
    }
    return this.#take(SIZE_PREFIX_BYTES).readInt32BE(0);
  }

  #take(n: number): Buffer {
    const head = this.#chunks[this.#first];
    if (n === 0 || head === undefined) return Buffer.alloc(0);
    if (head.length - this.#offset >= n) {
      const view = head.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
      return view;
    }
    // Allocated only now, when every byte of the frame has arrived and the size was checked.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const count = Math.min(n - filled, chunk.length - this.#offset);
      chunk.copy(out, filled, this.#offset, this.#offset + count);
      filled += count;
      this.#advance(count);
    }
    return out;
  }

  #advance(n: number): void {
    this.#buffered -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[this.#first]!.length) {
      this.#chunks[this.#first] = EMPTY;
      this.#first++;
      this.#offset = 0;
      if (this.#first === this.#chunks.length) {
        this.#chunks = [];
        this.#first = 0;
      } else if (this.#first >= 64 && this.#first * 2 >= this.#chunks.length) {
        // Compacting only once half the list is dead keeps removal amortised O(1).
        this.#chunks = this.#chunks.slice(this.#first);
        this.#first = 0;
      }
    }
  }

  #clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#offset = 0;
    this.#buffered = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/** The int32 size prefix written in front of a response body. */
export function encodeSizePrefix(bodyBytes: number): Buffer {
  const prefix = Buffer.allocUnsafe(SIZE_PREFIX_BYTES);
  prefix.writeInt32BE(bodyBytes, 0);
  return prefix;
}
