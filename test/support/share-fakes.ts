/** A manual clock for share partitions' acquisition locks, and __share_group_state in memory. */
import type { ShareClock } from '../../src/coordinator/share/share-partition.js';
import type { ShareStateLog } from '../../src/coordinator/share/share-state-topic.js';
import { decodeShareStateRecord } from '../../src/coordinator/share/share-state-records.js';
import { batches, setBaseOffset } from '../../src/protocol/records/record-batch.js';
import { decodeRecords } from '../../src/protocol/records/records.js';

export class ManualClock implements ShareClock {
  #now = 1_000_000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now(): number {
    return this.#now;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Moves time on, firing every timer that comes due, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = until;
  }
  get pending(): number {
    return this.#timers.size;
  }
}

export class MemoryShareStateLog implements ShareStateLog {
  readonly stored: Array<Array<{ offset: bigint; batch: Buffer }>>;
  /** Every batch ever appended, pruned or not. */
  readonly history: Buffer[] = [];
  readonly #next: bigint[];
  constructor(readonly partitions: number) {
    this.stored = Array.from({ length: partitions }, () => []);
    this.#next = Array.from({ length: partitions }, () => 0n);
  }
  async append(partition: number, batch: Buffer): Promise<bigint> {
    const base = this.#next[partition]!;
    const copy = Buffer.from(batch);
    setBaseOffset(copy, 0, base);
    const [{ header }] = [...batches(copy)];
    this.#next[partition] = base + BigInt(header!.lastOffsetDelta) + 1n;
    this.stored[partition]!.push({ offset: base, batch: copy });
    this.history.push(copy);
    return base;
  }
  async *readBatches(partition: number): AsyncIterable<Buffer> {
    for (const s of this.stored[partition]!) yield s.batch;
  }
  async deleteBefore(partition: number, offset: bigint): Promise<void> {
    this.stored[partition] = this.stored[partition]!.filter((s) => s.offset >= offset);
  }
  /** Every record still stored (or ever appended), decoded. */
  records(all = false) {
    const stored = all ? this.history : this.stored.flat().map((s) => s.batch);
    return stored.flatMap((batch) => decodeRecords(batch, 0).map((r) => decodeShareStateRecord(r.key!, r.value)!));
  }
}
