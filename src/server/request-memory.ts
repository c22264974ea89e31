/**
 * The broker-wide budget for request bytes (Kafka's queued.max.request.bytes memory pool).
 *
 * A connection reserves a frame's claimed size as soon as the size prefix is read and before it
 * reads the body; until the reservation is granted the socket is paused, so bytes stay in the
 * kernel and the client is slowed by TCP. The reservation is held until the request has been
 * answered. A request that fits is granted even when larger ones wait, so clients holding
 * big partial frames cannot stall every small request (heartbeats, metadata) behind them;
 * waiters are served in arrival order among those that fit. A frame larger than the whole
 * budget is still granted once nothing else holds memory, so every legal frame can be read.
 */
export interface MemoryWaiter {
  readonly bytes: number;
  /** Called once the bytes are reserved for this waiter. */
  readonly granted: () => void;
}

export class RequestMemoryPool {
  /** Bytes that may be reserved at once; Infinity when unbounded. */
  readonly capacity: number;
  #used = 0;
  #peak = 0;
  #waiters: MemoryWaiter[] = [];
  #granting = false;
  #rescan = false;

  /** `capacity` <= 0 means unbounded, as Kafka's -1. */
  constructor(capacity: number) {
    this.capacity = capacity > 0 ? capacity : Infinity;
  }

  get used(): number {
    return this.#used;
  }
  /** The most bytes ever reserved at once. */
  get peak(): number {
    return this.#peak;
  }
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Reserves at once and returns true, or queues the waiter (its `granted` runs later) and
   * returns false.
   */
  reserve(waiter: MemoryWaiter): boolean {
    if (this.#fits(waiter.bytes)) {
      this.#take(waiter.bytes);
      return true;
    }
    this.#waiters.push(waiter);
    return false;
  }

  /** Forgets a queued waiter (its connection closed); no-op when it is not queued. */
  cancel(waiter: MemoryWaiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
  }

  release(bytes: number): void {
    this.#used -= bytes;
    if (this.#used < 0) throw new Error(`request memory released twice (${this.#used} bytes in use)`);
    this.#grantWaiting();
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.capacity;
  }

  #take(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  #grantWaiting(): void {
    // A grant runs the connection on, which may release (and so call here) before returning:
    // the outer call then scans again instead of two scans splicing the same list.
    if (this.#granting) {
      this.#rescan = true;
      return;
    }
    this.#granting = true;
    try {
      do {
        this.#rescan = false;
        for (let i = 0; i < this.#waiters.length; ) {
          const waiter = this.#waiters[i]!;
          if (!this.#fits(waiter.bytes)) {
            i++;
            continue;
          }
          this.#waiters.splice(i, 1);
          this.#take(waiter.bytes);
          waiter.granted();
        }
      } while (this.#rescan);
    } finally {
      this.#granting = false;
    }
  }
}
