/**
 * Aborted transactions of one partition, kept as Kafka keeps them: one "<base>.txnindex" file
 * per segment, holding the transactions whose abort marker landed in that segment, each entry
 * 34 bytes (int16 version 0, int64 producerId, int64 firstOffset, int64 lastOffset, int64
 * lastStableOffset). All entries are also held in memory: aborts are rare and small.
 *
 * A fetch at read_committed asks for the aborted transactions overlapping [from, upTo): every
 * entry with lastOffset >= from and firstOffset < upTo, whatever segment holds its marker, so
 * the answer is right across segment boundaries.
 */
import { joinPath, txnIndexFileName } from './file-names.js';
import type { SegmentStore } from './store.js';

const ENTRY_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export function encodeTxnIndex(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * ENTRY_SIZE);
  entries.forEach((e, i) => {
    const at = i * ENTRY_SIZE;
    buf.writeInt16BE(VERSION, at);
    buf.writeBigInt64BE(e.producerId, at + 2);
    buf.writeBigInt64BE(e.firstOffset, at + 10);
    buf.writeBigInt64BE(e.lastOffset, at + 18);
    buf.writeBigInt64BE(e.lastStableOffset, at + 26);
  });
  return buf;
}

export function decodeTxnIndex(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + ENTRY_SIZE <= buf.length; at += ENTRY_SIZE) {
    if (buf.readInt16BE(at) !== VERSION) break;
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return out;
}

export class TxnIndex {
  /** Segment base offset → entries, in marker order. */
  readonly #bySegment = new Map<bigint, AbortedTxn[]>();

  private constructor(
    readonly store: SegmentStore,
    readonly dir: string,
  ) {}

  static async load(store: SegmentStore, dir: string, segmentBases: readonly bigint[]): Promise<TxnIndex> {
    const idx = new TxnIndex(store, dir);
    const known = new Set(segmentBases);
    const sorted = [...segmentBases].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const orphans: bigint[] = [];
    for (const name of await store.list(dir)) {
      const m = /^(\d{20})\.txnindex$/.exec(name);
      if (!m) continue;
      const base = BigInt(m[1]!);
      const buf = await store.readWhole(joinPath(dir, name));
      const entries = buf ? decodeTxnIndex(buf) : [];
      if (known.has(base)) {
        if (entries.length > 0) idx.#bySegment.set(base, [...(idx.#bySegment.get(base) ?? []), ...entries]);
        continue;
      }
      // A segment merged away (log cleaner) or deleted: its entries move to the segment now
      // holding their markers; entries below the log are dropped with the file.
      await store.delete(joinPath(dir, name));
      for (const e of entries) {
        const home = sorted.filter((b) => b <= e.lastOffset).at(-1);
        if (home === undefined) continue;
        idx.#bySegment.set(home, [...(idx.#bySegment.get(home) ?? []), e]);
        orphans.push(home);
      }
    }
    for (const base of new Set(orphans)) {
      idx.#bySegment.get(base)!.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
      await idx.#persist(base);
    }
    return idx;
  }

  get size(): number {
    let n = 0;
    for (const e of this.#bySegment.values()) n += e.length;
    return n;
  }

  all(): AbortedTxn[] {
    return [...this.#bySegment.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).flatMap((k) => this.#bySegment.get(k)!);
  }

  /**
   * Adds entries whose markers are in the segment at `segmentBase`. They are visible to
   * `overlapping` as soon as this is called, before the file write: the caller moves the last
   * stable offset past them in the same synchronous step, and a read_committed fetch must
   * never see the one without the other.
   */
  append(segmentBase: bigint, entries: readonly AbortedTxn[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const list = this.#bySegment.get(segmentBase) ?? [];
    list.push(...entries);
    this.#bySegment.set(segmentBase, list);
    return this.#persist(segmentBase);
  }

  /** Whole entries overlapping [from, upTo): a read_committed fetch's and the log cleaner's question. */
  overlapping(from: bigint, upTo: bigint): AbortedTxn[] {
    return this.all().filter((e) => e.lastOffset >= from && e.firstOffset < upTo);
  }

  /** Drops entries whose marker is at or after `offset` (truncation, or before a replay from it). */
  async truncateFrom(offset: bigint): Promise<void> {
    for (const [base, list] of [...this.#bySegment]) {
      const kept = list.filter((e) => e.lastOffset < offset);
      if (kept.length === list.length) continue;
      if (kept.length === 0) this.#bySegment.delete(base);
      else this.#bySegment.set(base, kept);
      await this.#persist(base);
    }
  }

  /** Forgets the index of a deleted segment and removes its file. */
  async dropSegment(base: bigint): Promise<void> {
    this.#bySegment.delete(base);
    await this.store.delete(joinPath(this.dir, txnIndexFileName(base)));
  }

  /** Drops the indexes of segments no longer in the log (truncation). */
  async retainSegments(bases: readonly bigint[]): Promise<void> {
    const keep = new Set(bases);
    for (const base of [...this.#bySegment.keys()]) if (!keep.has(base)) await this.dropSegment(base);
  }

  async #persist(base: bigint): Promise<void> {
    const list = this.#bySegment.get(base);
    const path = joinPath(this.dir, txnIndexFileName(base));
    if (!list || list.length === 0) await this.store.delete(path);
    else await this.store.writeAtomic(path, encodeTxnIndex(list));
  }
}
