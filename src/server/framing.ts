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
 * A frame body at least this much of which is still to come is read from the socket straight
 * into its own buffer (see `endRead`); below it, a read into the scratch buffer takes the
 * rest of the frame and what follows in one system call.
 */
export const DIRECT_READ_MIN_BYTES = 64 * 1024;

/**
 * Collects socket chunks and yields whole frames (without the size prefix) on demand.
 *
 * Pull-based (`next()`), so the connection can stop taking frames when it is saturated and
 * leave the rest buffered. Chunks are kept as a list and every byte is copied at most once,
 * when a frame spans chunks; a frame that sits inside one chunk is a zero-copy view of it.
 *
 * When the socket reads into buffers of the caller's choosing (`readTarget`, `pushRead`,
 * `endRead`), a large frame whose memory is reserved is read straight into a buffer sized once
 * from its size prefix; other reads land in a scratch buffer, out of which each frame is copied
 * once, and whatever is left of it when the read's frames are taken.
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
  /**
   * The frame being read straight from the socket: its received bytes are body[0, #bodyFilled).
   * #chunks is empty until it is complete (bytes arrive in order).
   */
  #body: Buffer | null = null;
  #bodyFilled = 0;
  /** The last chunk when it is a view of the scratch buffer (until `endRead`). */
  #scratchView: Buffer | null = null;

  readonly #directReadMinBytes: number;
  /** Where a frame's own buffer comes from (a pool that takes answered frames back). */
  readonly #allocFrame: (bytes: number) => Buffer;

  constructor(maxFrameBytes: number, directReadMinBytes = DIRECT_READ_MIN_BYTES, allocFrame = (bytes: number): Buffer => Buffer.allocUnsafe(bytes)) {
    this.#maxFrameBytes = Math.min(maxFrameBytes, MAX_FRAME_BYTES);
    this.#directReadMinBytes = directReadMinBytes;
    this.#allocFrame = allocFrame;
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
   * Where the next socket read should land: the rest of the frame being read in place (see
   * `endRead`), or else `scratch`. A complete frame not taken yet (a closing connection reads
   * on) leaves no room, and an empty target would read as an error, so that is `scratch` too.
   */
  readTarget(scratch: Buffer): Buffer {
    return this.#body !== null && this.#bodyFilled < this.#bodySize ? this.#body.subarray(this.#bodyFilled) : scratch;
  }

  /**
   * `n` bytes were read into `target`, the buffer `readTarget` returned last. Bytes read into
   * the scratch buffer stay a view of it until `endRead`: frames taken meanwhile are copied out
   * of it one by one.
   */
  pushRead(target: Buffer, n: number): void {
    if (n <= 0) return;
    if (this.#body !== null && target.buffer === this.#body.buffer) {
      this.#bodyFilled += n;
      this.#buffered += n;
      return;
    }
    this.#scratchView = target.subarray(0, n);
    this.push(this.#scratchView);
  }

  /**
   * Ends a read's turn, before the scratch buffer can be overwritten: the bytes left in it are
   * moved into the buffer of the frame they begin when that frame's memory is reserved
   * (`bodyReserved`) and DIRECT_READ_MIN_BYTES or more of it are still to come, so that the
   * rest is read in place; otherwise copied into a buffer of their own.
   */
  endRead(bodyReserved: boolean): void {
    if (this.#body === null && bodyReserved && this.#bodySize >= 0 && this.#bodySize - this.#buffered >= this.#directReadMinBytes) {
      const body = this.#allocFrame(this.#bodySize);
      const filled = this.#buffered;
      this.#copyOut(body, filled);
      this.#buffered = filled;
      this.#body = body;
      this.#bodyFilled = filled;
    }
    const view = this.#scratchView;
    if (view === null) return;
    this.#scratchView = null;
    // The view is the last chunk; if it is also the head, part of it may be consumed.
    const last = this.#chunks.length - 1;
    const from = last === this.#first ? this.#offset : 0;
    const copy = Buffer.allocUnsafe(view.length - from);
    view.copy(copy, 0, from);
    this.#chunks[last] = copy;
    if (last === this.#first) this.#offset = 0;
  }

  /**
   * The next complete frame, or null when more bytes are needed.
   * Throws FrameSizeError for a bad size prefix; the decoder is unusable afterwards.
   */
  next(): Buffer | null {
    if (this.#body !== null) {
      if (this.#bodyFilled < this.#bodySize) return null;
      const frame = this.#body;
      this.#body = null;
      this.#bodyFilled = 0;
      this.#buffered -= frame.length;
      this.#bodySize = -1;
      return frame;
    }
    if (this.pendingBodySize() < 0 || this.#buffered < this.#bodySize) return null;
    const frame = this.#take(this.#bodySize, true);
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

  #take(n: number, frame = false): Buffer {
    const head = this.#chunks[this.#first];
    if (n === 0 || head === undefined) return Buffer.alloc(0);
    if (head.length - this.#offset >= n && head !== this.#scratchView) {
      const view = head.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
      return view;
    }
    // Allocated only now, when every byte of the frame has arrived and the size was checked;
    // also for a frame inside the scratch buffer, which the next read overwrites.
    const out = frame ? this.#allocFrame(n) : Buffer.allocUnsafe(n);
    this.#copyOut(out, n);
    return out;
  }

  /** Moves the next `n` buffered bytes into `out`. */
  #copyOut(out: Buffer, n: number): void {
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const count = Math.min(n - filled, chunk.length - this.#offset);
      chunk.copy(out, filled, this.#offset, this.#offset + count);
      filled += count;
      this.#advance(count);
    }
  }

  #advance(n: number): void {
    this.#buffered -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[this.#first]!.length) {
      if (this.#chunks[this.#first] === this.#scratchView) this.#scratchView = null;
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
    this.#scratchView = null;
    this.#body = null;
    this.#bodyFilled = 0;
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
