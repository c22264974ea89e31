import { Fifo } from './fifo.js';

/** At most `permits` calls of run() in progress at once; the others wait their turn in order. */
export class Semaphore {
  #free: number;
  readonly #waiters = new Fifo<() => void>();

  constructor(permits: number) {
    this.#free = permits;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    try {
      return await fn();
    } finally {
      // The permit passes straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}
