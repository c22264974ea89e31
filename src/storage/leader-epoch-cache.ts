/**
 * Which leader epoch started at which offset (Kafka's leader-epoch-checkpoint). Followers and
 * OffsetForLeaderEpoch use it to find where a former leader's log diverged.
 */
import type { EpochEntry } from './checkpoint-files.js';

export class LeaderEpochCache {
  #entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.#entries = [...entries];
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? -1;
  }

  /** Records that `epoch` starts at `startOffset`; true when that changed anything. */
  assign(epoch: number, startOffset: bigint): boolean {
    if (epoch < 0 || epoch <= this.latestEpoch) return false;
    this.#entries.push({ epoch, startOffset });
    return true;
  }

  /** Drops epochs that start at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: bigint): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.startOffset < endOffset);
    return this.#entries.length !== before;
  }

  /** Forgets epochs wholly below the new log start; the one covering it now starts there. */
  truncateFromStart(startOffset: bigint): boolean {
    let i = 0;
    while (i + 1 < this.#entries.length && this.#entries[i + 1]!.startOffset <= startOffset) i++;
    const first = this.#entries[i];
    const changed = i > 0 || (first !== undefined && first.startOffset < startOffset);
    this.#entries = this.#entries.slice(i);
    if (first !== undefined && first.startOffset < startOffset) this.#entries[0] = { epoch: first.epoch, startOffset };
    return changed;
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `epoch` and the offset where the next epoch
   * begins (the log end for the latest), or epoch -1 when `epoch` predates everything.
   */
  endOffsetFor(epoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i]!;
      if (e.epoch <= epoch) {
        const next = this.#entries[i + 1];
        return { epoch: e.epoch, endOffset: next === undefined ? logEndOffset : next.startOffset };
      }
    }
    return { epoch: -1, endOffset: -1n };
  }
}
