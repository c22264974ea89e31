/**
 * A first-in first-out queue whose shift() costs the same however long it is. Array#shift
 * moves every element once the array is large (V8 trims arrays in place only while they are
 * small), so a queue of 100,000 waiters (one append per partition, each waiting for a file
 * descriptor) spent its time moving memory.
 */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Drop the consumed front once it is half of the array: amortised O(1) per item.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
