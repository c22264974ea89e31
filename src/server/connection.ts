import type { Socket } from 'node:net';
import type { Chunk } from '../protocol/codec/chunk-writer.js';
import { FileRegion } from '../protocol/codec/file-region.js';
import { SendError, sendRegion } from './file-sender.js';
import type { Logger } from '../log.js';
import type { SecurityProtocol } from '../config/security.js';
import { FrameDecoder, FrameSizeError, MAX_FRAME_BYTES, encodeSizePrefix, looksLikeTlsHandshake } from './framing.js';
import { RequestMemoryPool, type MemoryWaiter } from './request-memory.js';
import { FRAMES } from './frame-pool.js';
import { readIntoOwnBuffers } from './socket-read.js';

/** What a handler may know about the connection a request came on. */
export interface ConnectionContext {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True once the connection is closing or gone: a response built now would be thrown away. */
  readonly closed: boolean;
  /**
   * Aborted when the connection closes, the client sends FIN, or the broker starts shutting
   * down. Long polls wait on it so they answer early instead of working for nobody.
   */
  readonly signal: AbortSignal;
  /** The listener the connection came in on (advertised addresses are per listener). */
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /** Who the client is: User:ANONYMOUS until a client certificate or SASL says otherwise. */
  principal: string;
  /** SASL_* listeners: true once the client has authenticated (other listeners: always true). */
  authenticated: boolean;
  /** True when a delegation token authenticated the client (it may not manage tokens then). */
  tokenAuthenticated?: boolean;
}

export const ANONYMOUS = 'User:ANONYMOUS';

export type DispatchResult =
  /**
   * A response body without its size prefix, as slices written back to back. throttleMs: the
   * client went over a quota; reading stops for that long once the response is out (KIP-219).
   * close: the connection closes (with this reason) once the response is written (failed authentication).
   * releaseFrame: nothing refers to the request's frame any more (no view of it is kept, no
   * write or worker reads it), so its memory may serve a later request (frame-pool.ts).
   */
  | { kind: 'response'; chunks: Chunk[]; throttleMs?: number; close?: string; releaseFrame?: boolean }
  /** Nothing to send (acks=0 produce); later responses still wait for this one's turn. */
  | { kind: 'none'; throttleMs?: number; releaseFrame?: boolean }
  /** A protocol error: close once every earlier response has been written. */
  | { kind: 'close'; reason: string };

/**
 * Called by a request's handler before it is answered, once the request's effects have taken
 * their place in order (a Produce: every partition's append is queued): a request that
 * overlaps (Dispatch.overlaps) pipelined behind it may start now.
 */
export type Sequenced = () => void;

export type Dispatch = ((frame: Buffer, conn: ConnectionContext, sequenced?: Sequenced) => Promise<DispatchResult> | DispatchResult) & {
  /**
   * True for a request that may start before the earlier ones on its connection are answered,
   * as long as each of them overlaps too and has called its `sequenced` (Produce behind
   * Produce). Without it, a request starts only once the previous one is answered.
   */
  overlaps?(frame: Buffer): boolean;
};

export interface ConnectionLimits {
  /** socket.request.max.bytes: a larger size prefix closes the connection unread. */
  maxFrameBytes: number;
  /**
   * sasl.server.max.receive.size: the frame limit on a SASL listener until the client has
   * authenticated, so an unauthenticated client cannot make the broker buffer a large frame.
   */
  maxUnauthenticatedFrameBytes: number;
  /**
   * Requests read but not yet answered (only the oldest of them is being processed); at this
   * many, reading stops.
   */
  maxInFlight: number;
  /**
   * Requests started and not yet answered: more than one only while every earlier one overlaps
   * and is sequenced (Dispatch.overlaps: Produce requests behind a Produce).
   */
  maxOverlapping: number;
  /**
   * Bytes of requests read (or being read) but not yet answered; a connection that holds some
   * stops reading before it would go over. One request of any legal size may always be read.
   */
  maxQueuedBytes: number;
  /** Bytes queued in the socket above which reading stops until it drains. */
  writeHighWaterMark: number;
  /** connections.max.idle.ms: close a connection with nothing in flight after this; 0 = never. */
  idleTimeoutMs: number;
  /** How long a closing connection waits for the peer's FIN before it is destroyed. */
  lingerMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxFrameBytes: 104_857_600,
  maxUnauthenticatedFrameBytes: 524_288,
  // Clients send about 5 requests ahead; 100 leaves room for acks=0 producers.
  maxInFlight: 100,
  // Idempotent producers send at most 5 requests ahead, so their whole window overlaps.
  maxOverlapping: 5,
  maxQueuedBytes: 104_857_600,
  writeHighWaterMark: 4 * 1024 * 1024,
  idleTimeoutMs: 600_000,
  lingerMs: 5_000,
};

export interface ConnectionOptions {
  id: number;
  socket: Socket;
  dispatch: Dispatch;
  logger: Logger;
  limits?: Partial<ConnectionLimits>;
  /** The broker-wide budget for request bytes; unbounded when not given. */
  memory?: RequestMemoryPool;
  onClose?: (conn: Connection) => void;
  listenerName?: string;
  securityProtocol?: SecurityProtocol;
}

/**
 * Where reads of every connection land unless a frame is read in place: one buffer is enough
 * because each read's bytes are copied out (FrameDecoder.endRead) before the next read.
 */
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);

/** One request read from the socket, in arrival order. */
class Slot {
  /** Handed to the dispatcher: the oldest request, once every earlier one is answered, or one that overlaps. */
  started = false;
  /** Dispatch.overlaps said so: it may start behind sequenced requests that overlap too. */
  overlaps = false;
  /** Its effects have their place in order (its handler said so, or it settled). */
  sequenced = false;
  settled = false;
  result: DispatchResult | undefined = undefined;
  failure: unknown = undefined;
  next: Slot | null = null;
  /** Request memory held for this request until it is answered. */
  bytes = 0;
  /** The request, until it settles. */
  frame: Buffer | null = null;
}

// Why reading is paused; reading resumes only when no reason is left.
const PAUSE_INFLIGHT = 1;
const PAUSE_WRITE = 2;
const PAUSE_STOPPED = 4;
const PAUSE_MEMORY = 8;
const PAUSE_THROTTLE = 16;

type State = 'open' | 'draining' | 'closing' | 'closed';

class Context implements ConnectionContext {
  readonly #conn: Connection;
  principal = ANONYMOUS;
  authenticated: boolean;
  constructor(
    conn: Connection,
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly signal: AbortSignal,
    readonly listenerName: string,
    readonly securityProtocol: SecurityProtocol,
  ) {
    this.#conn = conn;
    this.authenticated = !securityProtocol.startsWith('SASL_');
  }
  get closed(): boolean {
    const state = this.#conn.state;
    return state === 'closing' || state === 'closed';
  }
}

/**
 * One client connection: frames in, responses out in arrival order through a linked queue of
 * slots. As Kafka (which mutes a channel from reading a request until its response is sent),
 * one request is processed at a time: the next starts once the previous one's response has
 * been handed to the socket, or, for a request with no response (acks=0 produce), once it was
 * processed, so a request sees every effect of those sent before it on the connection. The one
 * exception keeps that guarantee: a Produce behind Produce requests starts once each of them has
 * queued its appends in the partition logs (their order is then fixed there), so that one
 * request's page-cache write overlaps the next one's decoding and checks (maxOverlapping). Frames
 * are still read ahead, bounded: reading pauses while too many requests or bytes are queued or
 * the socket holds too many unsent bytes, so a client that does not read cannot make the
 * broker buffer without bound.
 *
 * Everything on the data path is a plain callback; the only promise per request is the one
 * the dispatcher itself returns.
 */
export class Connection {
  readonly id: number;
  readonly context: ConnectionContext;
  /** Resolves once the socket is fully closed. */
  readonly closed: Promise<void>;

  readonly #socket: Socket;
  readonly #dispatch: Dispatch;
  readonly #log: Logger;
  readonly #limits: ConnectionLimits;
  readonly #onClose: ((conn: Connection) => void) | undefined;
  readonly #decoder: FrameDecoder;
  /** Socket reads land in buffers the decoder picks (see socket-read.ts), not in 'data' chunks. */
  readonly #ownReads: boolean;
  readonly #memory: RequestMemoryPool;
  /** Request bytes this connection holds: answered requests' are given back. */
  #heldBytes = 0;
  /** Memory reserved for the frame being read, or -1 when none is yet. */
  #frameBytes = -1;
  /** Queued in the pool for the frame being read. */
  #memoryWaiter: MemoryWaiter | undefined;
  /** Reading waits for this connection's own requests to be answered (maxQueuedBytes). */
  #waitingOwnMemory = false;
  readonly #abort = new AbortController();
  #resolveClosed!: () => void;

  #state: State = 'open';
  #head: Slot | null = null;
  #tail: Slot | null = null;
  #inFlight = 0;
  #peakInFlight = 0;
  #peakWritableLength = 0;
  #requests = 0;
  #pauseReasons = 0;
  #pumping = false;
  /** #advance is running: a request settling inside it is picked up by its loop. */
  #advancing = false;
  /** A response with file regions is being sent; later responses wait for it. */
  #sending = false;
  /** The client sent FIN: answer what it sent, then close. */
  #peerEnded = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #throttleTimer: NodeJS.Timeout | undefined;
  #throttledUntil = 0;

  constructor(opts: ConnectionOptions) {
    const socket = opts.socket;
    this.id = opts.id;
    this.#socket = socket;
    this.#dispatch = opts.dispatch;
    this.#limits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.limits };
    this.#onClose = opts.onClose;
    this.#decoder = new FrameDecoder(this.#limits.maxFrameBytes, undefined, (bytes) => FRAMES.acquire(bytes));
    this.#memory = opts.memory ?? new RequestMemoryPool(-1);
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    const listenerName = opts.listenerName ?? 'PLAINTEXT';
    const protocol = opts.securityProtocol ?? 'PLAINTEXT';
    this.#log = opts.logger.child({ conn: this.id, remote: `${remoteAddress}:${remotePort}` });
    this.context = new Context(this, this.id, remoteAddress, remotePort, this.#abort.signal, listenerName, protocol);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });

    socket.setNoDelay(true);
    this.#ownReads = readIntoOwnBuffers(socket, {
      target: () => this.#decoder.readTarget(SCRATCH),
      read: this.#onOwnRead,
    });
    // Flowing mode either way, so that 'end' is emitted.
    if (this.#ownReads) socket.resume();
    else socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onSocketClose);
    if (this.#limits.idleTimeoutMs > 0) {
      socket.setTimeout(this.#limits.idleTimeoutMs);
      socket.on('timeout', this.#onIdle);
    }
    this.#log.debug('connection opened');
  }

  get state(): State {
    return this.#state;
  }
  /** Requests read whose response has not been written yet (at most one of them is being processed). */
  get inFlight(): number {
    return this.#inFlight;
  }
  get peakInFlight(): number {
    return this.#peakInFlight;
  }
  /** The most bytes ever queued in the socket right after a write. */
  get peakWritableLength(): number {
    return this.#peakWritableLength;
  }
  get requestCount(): number {
    return this.#requests;
  }
  get readsIntoOwnBuffers(): boolean {
    return this.#ownReads;
  }
  get readPaused(): boolean {
    return this.#pauseReasons !== 0;
  }
  /** Bytes received and not yet taken as whole frames. */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes;
  }
  /** Request bytes reserved by this connection and not yet given back. */
  get heldRequestBytes(): number {
    return this.#heldBytes;
  }
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /**
   * Graceful stop for broker shutdown: take no new requests, let in-flight ones finish and be
   * written, then close. Long polls see `signal` abort so they answer early.
   */
  shutdown(): void {
    if (this.#state !== 'open') return;
    this.#state = 'draining';
    this.#setPaused(PAUSE_STOPPED, true);
    this.#abort.abort('shutdown');
    if (this.#head === null && !this.#sending) this.#endGracefully('broker shutting down');
  }

  /** Closes at once, dropping anything unsent. */
  destroy(reason: string): void {
    if (this.#state === 'closed') return;
    this.#log.debug({ reason }, 'connection destroyed');
    this.#socket.destroy();
  }

  #onData = (chunk: Buffer): void => {
    // A closing connection keeps reading only to see the peer's FIN; bytes are discarded.
    if (this.#state !== 'open') return;
    this.#decoder.push(chunk);
    this.#pump();
  };

  #onOwnRead = (bytes: number, into: Buffer): void => {
    if (this.#state !== 'open') return;
    this.#decoder.pushRead(into, bytes);
    try {
      this.#pump();
    } finally {
      this.#decoder.endRead(this.#frameBytes >= 0);
    }
  };

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#pauseReasons === 0 && this.#state === 'open') {
        let frame: Buffer | null = null;
        try {
          this.#decoder.maxFrameBytes = this.context.authenticated ? this.#limits.maxFrameBytes : Math.min(this.#limits.maxFrameBytes, this.#limits.maxUnauthenticatedFrameBytes);
          const size = this.#decoder.pendingBodySize();
          if (size >= 0) {
            // The body is read only into memory reserved for it; otherwise reading pauses.
            if (this.#frameBytes < 0 && !this.#reserveFrame(size)) return;
            frame = this.#decoder.next();
          }
        } catch (err) {
          if (!(err instanceof FrameSizeError)) throw err;
          if (looksLikeTlsHandshake(err.size)) {
            const { listenerName, securityProtocol } = this.context;
            this.#log.warn(
              { listener: listenerName, hint: `listener ${listenerName} is not TLS: set security.protocol=${securityProtocol} (kafkajs: ssl: false) in the client` },
              'closing connection: a TLS client connected to the plaintext listener',
            );
          } else {
            this.#log.warn({ size: err.size, max: err.maxBytes }, 'closing connection: %s', err.message);
          }
          this.destroy('bad frame size');
          return;
        }
        if (frame === null) {
          if (this.#peerEnded && this.#head === null) this.#endGracefully('client closed its side');
          return;
        }
        this.#queueRequest(frame);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** True when memory for a body of `size` bytes is reserved now; false when reading paused for it. */
  #reserveFrame(size: number): boolean {
    if (this.#heldBytes > 0 && this.#heldBytes + size > this.#limits.maxQueuedBytes) {
      this.#waitingOwnMemory = true;
      this.#setPaused(PAUSE_MEMORY, true);
      return false;
    }
    const waiter: MemoryWaiter = {
      bytes: size,
      granted: () => {
        this.#memoryWaiter = undefined;
        this.#holdFrame(size);
        this.#setPaused(PAUSE_MEMORY, false);
      },
    };
    if (this.#memory.reserve(waiter)) {
      this.#holdFrame(size);
      return true;
    }
    this.#memoryWaiter = waiter;
    this.#setPaused(PAUSE_MEMORY, true);
    return false;
  }

  #holdFrame(size: number): void {
    this.#frameBytes = size;
    this.#heldBytes += size;
  }

  /** Gives back the memory of the frame being read, or stops waiting for it (on close). */
  #dropFrameMemory(): void {
    if (this.#memoryWaiter !== undefined) {
      this.#memory.cancel(this.#memoryWaiter);
      this.#memoryWaiter = undefined;
    }
    if (this.#frameBytes >= 0) {
      this.#heldBytes -= this.#frameBytes;
      this.#memory.release(this.#frameBytes);
      this.#frameBytes = -1;
    }
  }

  /** An answered request's memory goes back to the pool; a read waiting on it may go on. */
  #releaseRequest(slot: Slot): void {
    if (slot.bytes === 0) return;
    const bytes = slot.bytes;
    slot.bytes = 0;
    this.#heldBytes -= bytes;
    this.#memory.release(bytes);
    if (this.#waitingOwnMemory && this.#state === 'open') {
      this.#waitingOwnMemory = false;
      this.#setPaused(PAUSE_MEMORY, false);
    }
  }

  #queueRequest(frame: Buffer): void {
    const slot = new Slot();
    slot.bytes = this.#frameBytes;
    slot.frame = frame;
    slot.overlaps = this.#dispatch.overlaps?.(frame) === true;
    this.#frameBytes = -1;
    if (this.#tail === null) this.#head = slot;
    else this.#tail.next = slot;
    this.#tail = slot;
    this.#requests++;
    if (++this.#inFlight > this.#peakInFlight) this.#peakInFlight = this.#inFlight;
    if (this.#inFlight >= this.#limits.maxInFlight) this.#setPaused(PAUSE_INFLIGHT, true);
    if (slot === this.#head || slot.overlaps) this.#advance();
  }

  #start(slot: Slot): void {
    slot.started = true;
    let result: Promise<DispatchResult> | DispatchResult;
    try {
      result = this.#dispatch(slot.frame!, this.context, slot.overlaps ? () => this.#sequenced(slot) : undefined);
    } catch (err) {
      this.#fail(slot, err);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => this.#settle(slot, value),
        (err: unknown) => this.#fail(slot, err),
      );
    } else {
      this.#settle(slot, result);
    }
  }

  #settle(slot: Slot, result: DispatchResult): void {
    if (result !== undefined && result.kind !== 'close' && result.releaseFrame === true) FRAMES.release(slot.frame!);
    slot.frame = null;
    this.#releaseRequest(slot);
    slot.settled = true;
    slot.sequenced = true;
    slot.result = result;
    this.#advance();
  }

  #sequenced(slot: Slot): void {
    if (slot.sequenced) return;
    slot.sequenced = true;
    this.#advance();
  }

  #fail(slot: Slot, err: unknown): void {
    slot.frame = null;
    this.#releaseRequest(slot);
    slot.settled = true;
    slot.failure = err ?? new Error('dispatch failed without an error');
    this.#advance();
  }

  /**
   * Moves the queue on: writes the oldest request's response once it is settled, then starts
   * the next one, until a request is still being processed, a response is still being sent,
   * or the connection is muted for a throttle (as Kafka, no request starts until it ends);
   * then starts what may overlap the request being processed. Responses of requests answered
   * at once go out together in one writev.
   */
  #advance(): void {
    if (this.#advancing || this.#state === 'closing' || this.#state === 'closed') return;
    this.#advancing = true;
    const socket = this.#socket;
    socket.cork();
    try {
      let slot = this.#head;
      while (slot !== null && !this.#sending) {
        if (!slot.started) {
          if (this.#throttleTimer !== undefined) break;
          this.#start(slot);
        }
        if (!slot.settled) break;
        this.#head = slot.next;
        if (this.#head === null) this.#tail = null;
        this.#inFlight--;
        if (!this.#answer(slot)) return;
        slot = this.#head;
      }
      if (slot !== null && !this.#sending && this.#throttleTimer === undefined) this.#startOverlapping(slot);
    } finally {
      this.#advancing = false;
      socket.uncork();
    }
    const queued = socket.writableLength;
    if (queued > this.#peakWritableLength) this.#peakWritableLength = queued;
    // writableNeedDrain guarantees a 'drain' event will come to lift the pause.
    if (queued > this.#limits.writeHighWaterMark && socket.writableNeedDrain) {
      this.#setPaused(PAUSE_WRITE, true);
    }
    if (this.#inFlight < this.#limits.maxInFlight) this.#setPaused(PAUSE_INFLIGHT, false);
    if (this.#head === null && !this.#sending) {
      if (this.#state === 'draining') this.#endGracefully('broker shutting down');
      else if (this.#peerEnded) this.#pump();
    }
  }

  /**
   * Starts the requests behind the unanswered head that may overlap it: each one overlaps and
   * every request before it overlaps, is sequenced, and, if settled already, neither closes the
   * connection nor throttles it (a throttle starts once its response is written, and nothing
   * may start after it until it ends). At most maxOverlapping requests are unanswered and started.
   */
  #startOverlapping(head: Slot): void {
    let started = 0;
    for (let slot: Slot | null = head; slot !== null; slot = slot.next) {
      if (!slot.started) {
        if (!slot.overlaps || started >= this.#limits.maxOverlapping) return;
        this.#start(slot);
      }
      started++;
      if (!slot.overlaps || !slot.sequenced || (slot.settled && !continues(slot))) return;
    }
  }

  /** Acts on one request's outcome; false when the connection is now closing. */
  #answer(slot: Slot): boolean {
    if (slot.failure !== undefined) {
      this.#log.error({ err: slot.failure }, 'closing connection: request dispatch failed');
      this.#endGracefully('dispatch error');
      return false;
    }
    const result = slot.result;
    if ((result?.kind === 'response' || result?.kind === 'none') && result.throttleMs) this.#throttle(result.throttleMs);
    switch (result?.kind) {
      case 'response':
        if (result.close === undefined) return this.#writeResponse(result.chunks);
        this.#writeResponse(result.chunks);
        this.#log.info({ reason: result.close }, 'closing connection: %s', result.close);
        this.#endGracefully(result.close);
        return false;
      case 'none':
        return true;
      case 'close':
        this.#log.info({ reason: result.reason }, 'closing connection: %s', result.reason);
        this.#endGracefully(result.reason);
        return false;
      default:
        this.#log.error({ result }, 'closing connection: dispatcher returned an invalid result');
        this.#endGracefully('invalid dispatch result');
        return false;
    }
  }

  #writeResponse(chunks: readonly Chunk[]): boolean {
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    if (size > MAX_FRAME_BYTES) {
      this.#log.error({ size }, 'closing connection: response larger than an int32 frame');
      this.#endGracefully('response too large');
      return false;
    }
    const socket = this.#socket;
    socket.write(encodeSizePrefix(size));
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (chunk instanceof FileRegion) {
        this.#sending = true;
        void this.#sendRest(chunks, i);
        return true;
      }
      if (chunk.length > 0) socket.write(chunk);
    }
    return true;
  }

  /** Sends a response from its first file region on, then lets the queue move again. */
  async #sendRest(chunks: readonly Chunk[], from: number): Promise<void> {
    const socket = this.#socket;
    try {
      for (let i = from; i < chunks.length; i++) {
        if (this.#state === 'closing' || this.#state === 'closed') return;
        const chunk = chunks[i]!;
        if (chunk instanceof FileRegion) await sendRegion(socket, chunk);
        else if (chunk.length > 0) socket.write(chunk);
      }
    } catch (err) {
      // Part of the frame is out: the stream cannot be resynchronised, so the connection goes.
      const routine = this.#state === 'closed' || (err instanceof SendError && err.peerGone);
      this.#log[routine ? 'debug' : 'warn']({ err }, 'closing connection: fetch response cut short');
      this.destroy('file region not sent');
      return;
    } finally {
      this.#sending = false;
    }
    this.#advance();
  }

  /** Kafka mutes a throttled client's channel: no request is read or started until the throttle ends. */
  #throttle(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.#throttledUntil) return;
    this.#throttledUntil = until;
    clearTimeout(this.#throttleTimer);
    this.#setPaused(PAUSE_THROTTLE, true);
    this.#throttleTimer = setTimeout(() => {
      this.#throttleTimer = undefined;
      if (this.#state === 'open' || this.#state === 'draining') {
        this.#setPaused(PAUSE_THROTTLE, false);
        this.#advance();
      }
    }, ms);
    this.#throttleTimer.unref();
  }

  #setPaused(reason: number, on: boolean): void {
    const before = this.#pauseReasons;
    this.#pauseReasons = on ? before | reason : before & ~reason;
    if (before === 0 && this.#pauseReasons !== 0) {
      this.#socket.pause();
    } else if (before !== 0 && this.#pauseReasons === 0) {
      this.#socket.resume();
      // Frames may already be buffered; they will not arrive as new 'data'.
      this.#pump();
    }
  }

  #endGracefully(reason: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.#abort.abort(reason);
    this.#dropQueue();
    this.#dropFrameMemory();
    this.#pauseReasons = 0;
    // Keep reading (and discarding) so the peer's FIN is seen and the close is clean, not a reset.
    this.#socket.resume();
    this.#socket.end();
    this.#lingerTimer = setTimeout(() => this.destroy('linger timeout'), this.#limits.lingerMs);
    this.#lingerTimer.unref();
  }

  #dropQueue(): void {
    // A started slot left here still settles later (giving its memory back); #settle ignores
    // it because it is unreachable. Requests never started give theirs back now.
    for (let slot = this.#head; slot !== null; slot = slot.next) {
      if (slot.started) continue;
      slot.frame = null;
      this.#releaseRequest(slot);
    }
    this.#head = null;
    this.#tail = null;
    this.#inFlight = 0;
  }

  #onDrain = (): void => {
    this.#setPaused(PAUSE_WRITE, false);
  };

  #onEnd = (): void => {
    this.#peerEnded = true;
    // Kafka clients never half-close, so a FIN means the client is gone: long polls stop waiting.
    if (!this.#abort.signal.aborted) this.#abort.abort('client closed its side');
    if (this.#state === 'open') this.#pump();
  };

  #onIdle = (): void => {
    if (this.#inFlight === 0 && this.#state === 'open') {
      this.#log.debug('closing idle connection');
      this.#endGracefully('idle');
    }
  };

  #onError = (err: Error): void => {
    // Resets and broken pipes are a client's business; 'close' follows and cleans up.
    this.#log.debug({ err }, 'socket error');
  };

  #onSocketClose = (): void => {
    this.#state = 'closed';
    if (!this.#abort.signal.aborted) this.#abort.abort('connection closed');
    this.#dropQueue();
    this.#dropFrameMemory();
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    clearTimeout(this.#throttleTimer);
    this.#log.debug({ requests: this.#requests }, 'connection closed');
    this.#onClose?.(this);
    this.#resolveClosed();
  };
}

/** A settled request after which the connection goes on at once: answered, neither closing it nor throttled. */
function continues(slot: Slot): boolean {
  const result = slot.result;
  if (slot.failure !== undefined || result === undefined || result.kind === 'close' || result.throttleMs) return false;
  return result.kind === 'none' || result.close === undefined;
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
