/**
 * One share group's view of one topic partition (Kafka's SharePartition): the share-partition
 * start offset (every record below it is done), the end offset (the next record never
 * fetched), and between them the in-flight records, each AVAILABLE, ACQUIRED by a member
 * until its lock runs out, ACKNOWLEDGED or ARCHIVED, with its delivery count.
 *
 * - Acquiring hands out AVAILABLE records and new ones from the log, counting a delivery;
 *   a record already delivered `maxDeliveryCount` times is archived instead.
 * - New records are acquired only while fewer than `maxInFlightRecords` offsets are in
 *   flight (group.share.partition.max.record.locks), up to the room left rounded up to a
 *   log batch; released ones always can be.
 * - Accept acknowledges, reject archives, release (and a lock running out, and the member
 *   leaving) makes a record available again, or archives it at the delivery limit.
 * - The start offset moves over acknowledged and archived records at the front, and to the
 *   log start offset when retention or DeleteRecords removed records below it.
 * - Every change that matters after a restart is persisted (acks, releases, the start
 *   offset) before an acknowledgement is answered; acquisitions are not (after a restart an
 *   acquired record is available again, as in Kafka).
 *
 * The clock and timers are injected, so tests drive lock expiry without waiting.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import { RecordState, type StateRange } from './state-batches.js';

/** Kafka's AcknowledgeType ids (GAP marks an offset with no record, as the client sends it). */
export const AcknowledgeType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

export interface ShareClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const SYSTEM_CLOCK: ShareClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the share coordinator is told after a change: the start offset and the ranges that changed. */
export interface ShareStateWrite {
  startOffset: bigint;
  stateBatches: StateRange[];
}

export interface SharePartitionLimits {
  maxDeliveryCount: number;
  maxInFlightRecords: number;
  /** Read at each acquisition: the group's share.record.lock.duration.ms may change. */
  lockDurationMs: () => number;
}

/** A batch of the log as acquisition sees it. */
export interface LogBatchInfo {
  baseOffset: bigint;
  lastOffset: bigint;
  /** Control batches and, for read_committed, batches of aborted transactions are never delivered. */
  skip: boolean;
}

export interface AcquiredRange {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryCount: number;
}

export interface AcknowledgementBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: readonly number[];
}

interface InFlight {
  state: number;
  deliveryCount: number;
  memberId: string;
  /** When the acquisition lock runs out (ACQUIRED only). */
  expiresAt: number;
}

export class SharePartition {
  #startOffset: bigint;
  #endOffset: bigint;
  readonly #records = new Map<bigint, InFlight>();
  readonly #limits: SharePartitionLimits;
  readonly #clock: ShareClock;
  readonly #persist: (w: ShareStateWrite) => Promise<void>;
  readonly #listeners = new Set<() => void>();
  #timer: unknown;
  #timerAt = Infinity;
  #closed = false;

  /**
   * Starts from the persisted state: offsets inside [startOffset, end of the last range] that
   * no range names were never acknowledged or released, so they are available again.
   */
  constructor(opts: { startOffset: bigint; stateBatches: readonly StateRange[]; limits: SharePartitionLimits; clock: ShareClock; persist: (w: ShareStateWrite) => Promise<void> }) {
    this.#startOffset = opts.startOffset;
    this.#endOffset = opts.startOffset;
    this.#limits = opts.limits;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    for (const b of opts.stateBatches) {
      for (let o = b.firstOffset < opts.startOffset ? opts.startOffset : b.firstOffset; o <= b.lastOffset; o++) {
        const state = b.deliveryState === RecordState.ACKNOWLEDGED || b.deliveryState === RecordState.ARCHIVED ? b.deliveryState : RecordState.AVAILABLE;
        this.#records.set(o, { state, deliveryCount: b.deliveryCount, memberId: '', expiresAt: 0 });
      }
      if (b.lastOffset + 1n > this.#endOffset) this.#endOffset = b.lastOffset + 1n;
    }
    for (let o = this.#startOffset; o < this.#endOffset; o++) {
      if (!this.#records.has(o)) this.#records.set(o, { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: '', expiresAt: 0 });
    }
    this.#advanceStart();
  }

  get startOffset(): bigint {
    return this.#startOffset;
  }

  get endOffset(): bigint {
    return this.#endOffset;
  }

  /** Offsets between the start and end offsets: what group.share.partition.max.record.locks bounds. */
  get inFlightCount(): number {
    return Number(this.#endOffset - this.#startOffset);
  }

  /** The state and delivery count of an offset, for tests and the console; undefined outside the window or in a gap. */
  stateOf(offset: bigint): { state: number; deliveryCount: number; memberId: string } | undefined {
    const r = this.#records.get(offset);
    return r && { state: r.state, deliveryCount: r.deliveryCount, memberId: r.memberId };
  }

  /** Where the next read of the log starts: the first available in-flight record, else the end offset. */
  nextFetchOffset(): bigint {
    for (let o = this.#startOffset; o < this.#endOffset; o++) {
      if (this.#records.get(o)?.state === RecordState.AVAILABLE) return o;
    }
    return this.#endOffset;
  }

  /** True when an acquisition could hand something out (ignoring whether the log has new records). */
  canAcquire(): boolean {
    return this.nextFetchOffset() < this.#endOffset || this.inFlightCount < this.#limits.maxInFlightRecords;
  }

  /** Called when records become available or locks free up (long polls wait on it). */
  onAvailable(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Acquires for `memberId` what is available in `batches` (read from the log at `readFrom`,
   * in offset order), as Kafka's SharePartition does: no more than `maxRecords`, and no more
   * than the room left under `maxInFlightRecords`. In batch-optimized mode that bound is soft:
   * acquisition stops at the end of the log batch holding the last record within it (so the
   * in-flight records may exceed the bound by the rest of that batch). In record-limit mode
   * exactly that many are acquired, but the rest of that log batch still comes in flight as
   * available (Kafka keeps whole log batches in flight). With no room left, only records
   * already in flight (released ones) can be acquired.
   */
  acquire(memberId: string, readFrom: bigint, batches: readonly LogBatchInfo[], maxRecords: number, recordLimit: boolean): AcquiredRange[] {
    if (this.#closed || batches.length === 0 || maxRecords <= 0) return [];
    const room = this.#limits.maxInFlightRecords - this.inFlightCount;
    const newAllowed = room > 0;
    const limit = newAllowed ? Math.min(maxRecords, room) : Math.min(maxRecords, Number(this.#endOffset - readFrom));
    if (limit <= 0) return [];
    const now = this.#clock.now();
    const expiresAt = now + this.#limits.lockDurationMs();
    const changed: bigint[] = [];
    const acquired: Array<{ offset: bigint; count: number }> = [];
    let cursor = readFrom;
    for (const b of batches) {
      if (b.lastOffset < this.#startOffset) continue;
      // Offsets between batches hold no record (compacted away, or never written): not in flight.
      this.#dropGaps(cursor, b.baseOffset);
      cursor = b.lastOffset + 1n;
      if (acquired.length >= limit) break;
      const from = b.baseOffset < this.#startOffset ? this.#startOffset : b.baseOffset;
      for (let o = from; o <= b.lastOffset; o++) {
        let r = this.#records.get(o);
        if (o >= this.#endOffset) {
          if (!newAllowed) break;
          r = { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: '', expiresAt: 0 };
          this.#records.set(o, r);
          this.#endOffset = o + 1n;
        }
        if (r === undefined || r.state !== RecordState.AVAILABLE) continue;
        if (b.skip || r.deliveryCount >= this.#limits.maxDeliveryCount) {
          r.state = RecordState.ARCHIVED;
          changed.push(o);
          continue;
        }
        if (recordLimit && acquired.length >= limit) continue;
        r.state = RecordState.ACQUIRED;
        r.deliveryCount++;
        r.memberId = memberId;
        r.expiresAt = expiresAt;
        acquired.push({ offset: o, count: r.deliveryCount });
      }
    }
    if (acquired.length > 0) this.#armTimer(expiresAt);
    if (changed.length > 0 || this.#advanceStart()) void this.#write(changed).catch(() => undefined);
    return toRanges(acquired);
  }

  /**
   * Applies one member's acknowledgements, all or nothing: INVALID_REQUEST for malformed
   * batches, INVALID_RECORD_STATE when an offset is not acquired by this member. Resolves
   * once the change is persisted, with the error code of the persist if it failed.
   */
  async acknowledge(memberId: string, batches: readonly AcknowledgementBatch[], allowRenew: boolean): Promise<number> {
    const invalid = this.#validate(memberId, batches, allowRenew);
    if (invalid !== ErrorCode.NONE) return invalid;
    const changed: bigint[] = [];
    let released = false;
    const now = this.#clock.now();
    for (const b of batches) {
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const r = this.#records.get(o);
        if (r === undefined || r.state !== RecordState.ACQUIRED) continue;
        const type = b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[Number(o - b.firstOffset)]!;
        if (type === AcknowledgeType.RENEW) {
          r.expiresAt = now + this.#limits.lockDurationMs();
          this.#armTimer(r.expiresAt);
          continue;
        }
        if (type === AcknowledgeType.ACCEPT) this.#settle(r, RecordState.ACKNOWLEDGED);
        else if (type === AcknowledgeType.RELEASE) released = this.#release(r) || released;
        else this.#settle(r, RecordState.ARCHIVED);
        changed.push(o);
      }
    }
    const moved = this.#advanceStart();
    if (released || moved) this.#wake();
    if (changed.length === 0 && !moved) return ErrorCode.NONE;
    return this.#write(changed).then(
      () => ErrorCode.NONE,
      (err: unknown) => errorCodeOf(err),
    );
  }

  /** A member left or its session ended: what it holds becomes available (or archived at the delivery limit). */
  releaseMember(memberId: string): Promise<void> {
    const changed: bigint[] = [];
    for (const [o, r] of this.#records) {
      if (r.state === RecordState.ACQUIRED && r.memberId === memberId) {
        this.#release(r);
        changed.push(o);
      }
    }
    return this.#afterRelease(changed);
  }

  /**
   * Records below the log start offset are gone from the log (retention, DeleteRecords): they
   * are archived and the start offset moves to it.
   */
  updateLogStartOffset(logStartOffset: bigint): Promise<void> {
    if (logStartOffset <= this.#startOffset) return Promise.resolve();
    for (let o = this.#startOffset; o < logStartOffset && o < this.#endOffset; o++) this.#records.delete(o);
    this.#startOffset = logStartOffset;
    if (this.#endOffset < logStartOffset) this.#endOffset = logStartOffset;
    this.#advanceStart();
    this.#wake();
    return this.#write([]);
  }

  /** Stops the lock timer; nothing is persisted after this. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #validate(memberId: string, batches: readonly AcknowledgementBatch[], allowRenew: boolean): number {
    let prevLast = -1n;
    const maxType = allowRenew ? AcknowledgeType.RENEW : AcknowledgeType.REJECT;
    for (const b of batches) {
      if (b.firstOffset > b.lastOffset || b.firstOffset <= prevLast) return ErrorCode.INVALID_REQUEST;
      const span = b.lastOffset - b.firstOffset + 1n;
      if (b.acknowledgeTypes.length === 0 || (b.acknowledgeTypes.length > 1 && BigInt(b.acknowledgeTypes.length) !== span)) return ErrorCode.INVALID_REQUEST;
      if (b.acknowledgeTypes.some((t) => t < AcknowledgeType.GAP || t > maxType)) return ErrorCode.INVALID_REQUEST;
      prevLast = b.lastOffset;
    }
    if (this.#closed) return ErrorCode.INVALID_RECORD_STATE;
    for (const b of batches) {
      if (b.firstOffset < this.#startOffset || b.lastOffset >= this.#endOffset) return ErrorCode.INVALID_RECORD_STATE;
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const r = this.#records.get(o);
        const type = b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[Number(o - b.firstOffset)]!;
        // A gap the client names holds no record: nothing to change.
        if (r === undefined && type === AcknowledgeType.GAP) continue;
        if (r === undefined || r.state !== RecordState.ACQUIRED || r.memberId !== memberId) return ErrorCode.INVALID_RECORD_STATE;
      }
    }
    return ErrorCode.NONE;
  }

  #settle(r: InFlight, state: number): void {
    r.state = state;
    r.memberId = '';
    r.expiresAt = 0;
  }

  /** Back to AVAILABLE, or ARCHIVED at the delivery limit; true when it became available. */
  #release(r: InFlight): boolean {
    const available = r.deliveryCount < this.#limits.maxDeliveryCount;
    this.#settle(r, available ? RecordState.AVAILABLE : RecordState.ARCHIVED);
    return available;
  }

  #afterRelease(changed: bigint[]): Promise<void> {
    if (changed.length === 0) return Promise.resolve();
    this.#advanceStart();
    this.#wake();
    return this.#write(changed);
  }

  /** Drops in-flight entries restored from persisted state that turn out to hold no record. */
  #dropGaps(from: bigint, to: bigint): void {
    for (let o = from > this.#startOffset ? from : this.#startOffset; o < to && o < this.#endOffset; o++) {
      const r = this.#records.get(o);
      if (r?.state === RecordState.AVAILABLE && r.deliveryCount === 0) this.#records.delete(o);
    }
  }

  /** Moves the start offset over acknowledged, archived and empty offsets at the front; true when it moved. */
  #advanceStart(): boolean {
    const before = this.#startOffset;
    while (this.#startOffset < this.#endOffset) {
      const r = this.#records.get(this.#startOffset);
      if (r !== undefined && (r.state === RecordState.AVAILABLE || r.state === RecordState.ACQUIRED)) break;
      this.#records.delete(this.#startOffset);
      this.#startOffset++;
    }
    return this.#startOffset !== before;
  }

  #write(changed: readonly bigint[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const sorted = [...changed].filter((o) => o >= this.#startOffset).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const stateBatches: StateRange[] = [];
    for (const o of sorted) {
      const r = this.#records.get(o);
      if (r === undefined) continue;
      const state = r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state;
      const last = stateBatches[stateBatches.length - 1];
      if (last && last.lastOffset + 1n === o && last.deliveryState === state && last.deliveryCount === r.deliveryCount) last.lastOffset = o;
      else stateBatches.push({ firstOffset: o, lastOffset: o, deliveryState: state, deliveryCount: r.deliveryCount });
    }
    return this.#persist({ startOffset: this.#startOffset, stateBatches });
  }

  #wake(): void {
    for (const fn of [...this.#listeners]) fn();
  }

  #armTimer(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => this.#expireLocks(), Math.max(0, at - this.#clock.now()));
  }

  /** The acquisition locks that ran out: their records are released as if the member had said so. */
  #expireLocks(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = this.#clock.now();
    const changed: bigint[] = [];
    let next = Infinity;
    for (const [o, r] of this.#records) {
      if (r.state !== RecordState.ACQUIRED) continue;
      if (r.expiresAt <= now) {
        this.#release(r);
        changed.push(o);
      } else if (r.expiresAt < next) next = r.expiresAt;
    }
    if (next !== Infinity) this.#armTimer(next);
    void this.#afterRelease(changed).catch(() => undefined);
  }
}

/** Contiguous offsets with one delivery count form one range. */
function toRanges(acquired: ReadonlyArray<{ offset: bigint; count: number }>): AcquiredRange[] {
  const out: AcquiredRange[] = [];
  for (const { offset, count } of acquired) {
    const last = out[out.length - 1];
    if (last && last.lastOffset + 1n === offset && last.deliveryCount === count) last.lastOffset = offset;
    else out.push({ firstOffset: offset, lastOffset: offset, deliveryCount: count });
  }
  return out;
}

function errorCodeOf(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
}
