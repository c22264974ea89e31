/**
 * Producer state of one partition, as Kafka's ProducerStateManager and ProducerAppendInfo keep
 * it: per producer id its epoch, the sequence and offset ranges of its last five batches (for
 * duplicate detection), the coordinator epoch of its last marker and the first offset of its
 * open transaction. The open transactions give the first unstable offset, hence the LSO.
 *
 * An append is checked and staged in an AppendSession (in offset order, inside the log's
 * drain), and the staged entries replace the live ones only once the bytes are in the log,
 * so a failed write leaves the state as it was.
 *
 * Snapshots use Kafka's "<offset>.snapshot" format: int16 version 1, uint32 CRC-32C of what
 * follows, then the entries (ProducerSnapshot.json), one per producer with its last batch.
 */
import { Reader } from '../protocol/codec/reader.js';
import { Writer } from '../protocol/codec/writer.js';
import { crc32c } from '../protocol/codec/crc32c.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import {
  type ProducerEntry as SnapshotEntry,
  readProducerSnapshot,
  sizeProducerSnapshot,
  writeProducerSnapshot,
} from '../protocol/generated/storage/producer-snapshot.js';
import { Attribute, Field } from '../protocol/records/record-batch.js';
import { ProducerStateError } from '../errors.js';
import { joinPath, snapshotFileName } from './file-names.js';
import type { SegmentStore } from './store.js';

export const NUM_BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
const SNAPSHOT_VERSION = 1;
const INT_MAX = 0x7fffffff;
const CONTROL_ABORT = 0;
const CONTROL_COMMIT = 1;

/** Zigzag varint at `pos` (the record framing), or undefined past `end`. */
function varintAt(buf: Buffer, pos: number, end: number): { value: number; next: number } | undefined {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) return undefined;
    const b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value: (u >>> 1) ^ -(u & 1), next: pos };
  }
  return undefined;
}

/**
 * Type and coordinator epoch of the first record of a control batch, read straight from the
 * (always uncompressed) batch: key int16 version, int16 type; value int16 version, int32 epoch.
 */
export function readControlMarker(buf: Buffer, at: number): { type: number; coordinatorEpoch: number } | undefined {
  if (buf.readInt32BE(at + Field.recordCount) <= 0 || (buf.readInt16BE(at + Field.attributes) & Attribute.compressionMask) !== 0) return undefined;
  const end = at + buf.readInt32BE(at + Field.batchLength) + 12;
  let p = at + Field.records;
  const len = varintAt(buf, p, end);
  if (!len) return undefined;
  p = len.next + 1; // attributes
  while (p < end && (buf[p]! & 0x80) !== 0) p++; // timestampDelta, a varlong
  const offDelta = varintAt(buf, p + 1, end);
  if (!offDelta) return undefined;
  const keyLen = varintAt(buf, offDelta.next, end);
  if (!keyLen || keyLen.value < 4 || keyLen.next + keyLen.value > end) return undefined;
  const type = buf.readInt16BE(keyLen.next + 2);
  const valueLen = varintAt(buf, keyLen.next + keyLen.value, end);
  let coordinatorEpoch = 0;
  if (valueLen && valueLen.value >= 6 && valueLen.next + valueLen.value <= end) coordinatorEpoch = buf.readInt32BE(valueLen.next + 2);
  return { type, coordinatorEpoch };
}

/** Who appends: clients get every check, the coordinator's markers skip the sequence checks. */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

export interface ProducerStateEntry {
  producerId: bigint;
  producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** -1 when no transaction is open. */
  currentTxnFirstOffset: bigint;
  lastTimestamp: bigint;
}

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The marker's offset. */
  lastOffset: bigint;
  aborted: boolean;
}

export interface DuplicateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

function cloneEntry(e: ProducerStateEntry): ProducerStateEntry {
  return { ...e, batches: e.batches.slice() };
}

function emptyEntry(producerId: bigint): ProducerStateEntry {
  return { producerId, producerEpoch: NO_PRODUCER_EPOCH, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1n, lastTimestamp: -1n };
}

/** Kafka's sequence arithmetic wraps at Integer.MAX_VALUE back to 0. */
export function incrementSequence(seq: number, by: number): number {
  return seq > INT_MAX - by ? by - (INT_MAX - seq) - 1 : seq + by;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT_MAX);
}

function lastSeqOf(e: ProducerStateEntry): number {
  return e.batches.at(-1)?.lastSeq ?? NO_SEQUENCE;
}

function lastDataOffsetOf(e: ProducerStateEntry): bigint {
  return e.batches.at(-1)?.lastOffset ?? -1n;
}

function addBatch(e: ProducerStateEntry, epoch: number, b: BatchMetadata): void {
  if (epoch !== e.producerEpoch) {
    e.batches = [];
    e.producerEpoch = epoch;
  }
  e.batches.push(b);
  if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
  e.lastTimestamp = b.timestamp;
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const producerEntries: SnapshotEntry[] = [];
  for (const e of entries) {
    const last = e.batches.at(-1);
    producerEntries.push({
      producerId: e.producerId,
      epoch: e.producerEpoch,
      lastSequence: last?.lastSeq ?? NO_SEQUENCE,
      lastOffset: last?.lastOffset ?? -1n,
      offsetDelta: last ? Number(last.lastOffset - last.firstOffset) : 0,
      timestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnFirstOffset: e.currentTxnFirstOffset,
    });
  }
  const body = { crc: 0, producerEntries };
  const w = Writer.alloc(2 + sizeProducerSnapshot(body, SNAPSHOT_VERSION));
  w.int16(SNAPSHOT_VERSION);
  writeProducerSnapshot(w, body, SNAPSHOT_VERSION);
  const buf = w.finish();
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < 6) throw new Error('producer snapshot is truncated');
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new Error(`producer snapshot version ${version}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('producer snapshot CRC mismatch');
  const r = new Reader(buf.subarray(2));
  const snap = readProducerSnapshot(r, SNAPSHOT_VERSION);
  return snap.producerEntries.map((p) => {
    const batches: BatchMetadata[] = [];
    if (p.lastOffset >= 0n) {
      batches.push({
        firstSeq: p.lastSequence < 0 ? NO_SEQUENCE : Math.max(0, p.lastSequence - p.offsetDelta),
        lastSeq: p.lastSequence,
        firstOffset: p.lastOffset - BigInt(p.offsetDelta),
        lastOffset: p.lastOffset,
        timestamp: p.timestamp,
      });
    }
    return {
      producerId: p.producerId,
      producerEpoch: p.epoch,
      batches,
      coordinatorEpoch: p.coordinatorEpoch,
      currentTxnFirstOffset: p.currentTxnFirstOffset,
      lastTimestamp: p.timestamp,
    };
  });
}

export interface ProducerStateOptions {
  /** producer.id.expiration.ms */
  producerIdExpirationMs?: number;
}

export class ProducerStateManager {
  readonly #entries = new Map<bigint, ProducerStateEntry>();
  /** Open transactions: producer id → first offset. */
  readonly #ongoing = new Map<bigint, bigint>();
  #firstUnstable: bigint | undefined | null = null;
  readonly expirationMs: number;

  constructor(opts: ProducerStateOptions = {}) {
    this.expirationMs = opts.producerIdExpirationMs ?? 86_400_000;
  }

  get(producerId: bigint): ProducerStateEntry | undefined {
    return this.#entries.get(producerId);
  }

  entries(): ProducerStateEntry[] {
    return [...this.#entries.values()];
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The first offset of the oldest open transaction, or undefined when none is open. */
  firstUnstableOffset(): bigint | undefined {
    if (this.#firstUnstable === null) {
      let min: bigint | undefined;
      for (const o of this.#ongoing.values()) if (min === undefined || o < min) min = o;
      this.#firstUnstable = min;
    }
    return this.#firstUnstable;
  }

  ongoingTransactions(): Array<{ producerId: bigint; firstOffset: bigint }> {
    return [...this.#ongoing].map(([producerId, firstOffset]) => ({ producerId, firstOffset })).sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  }

  /** Kafka's lastStableOffset(completedTxn): the next open transaction of another producer, or the marker + 1. */
  lastStableOffsetAfter(txn: CompletedTxn): bigint {
    let min: bigint | undefined;
    for (const [pid, o] of this.#ongoing) if (pid !== txn.producerId && (min === undefined || o < min)) min = o;
    return min ?? txn.lastOffset + 1n;
  }

  /** A staging layer for one write. */
  session(): AppendSession {
    return new AppendSession(this);
  }

  /** Installs what a session staged (called once the bytes are in the log). */
  apply(staged: ReadonlyMap<bigint, ProducerStateEntry>): void {
    for (const [pid, e] of staged) {
      this.#entries.set(pid, e);
      if (e.currentTxnFirstOffset >= 0n) this.#ongoing.set(pid, e.currentTxnFirstOffset);
      else this.#ongoing.delete(pid);
    }
    this.#firstUnstable = null;
  }

  /** Replaces the whole state (snapshot load, truncation). */
  reset(entries: Iterable<ProducerStateEntry>): void {
    this.#entries.clear();
    this.#ongoing.clear();
    this.apply(new Map([...entries].map((e) => [e.producerId, e])));
  }

  /** Producers idle past producer.id.expiration.ms with no open transaction are forgotten. */
  removeExpired(nowMs: number): number {
    let n = 0;
    for (const [pid, e] of this.#entries) {
      if (e.currentTxnFirstOffset < 0n && BigInt(nowMs) - e.lastTimestamp >= BigInt(this.expirationMs)) {
        this.#entries.delete(pid);
        n++;
      }
    }
    return n;
  }

  /**
   * Replays one stored batch (recovery): no checks, as Kafka replays with the replication
   * origin. Returns the transaction a marker completed.
   */
  replayBatch(buf: Buffer, at: number): CompletedTxn | undefined {
    const s = this.session();
    const done = s.append(buf, at, buf.readBigInt64BE(at + Field.baseOffset), 'replication');
    this.apply(s.staged);
    return done;
  }

  async writeSnapshot(store: SegmentStore, dir: string, offset: bigint): Promise<void> {
    await store.writeAtomic(joinPath(dir, snapshotFileName(offset)), encodeSnapshot(this.#entries.values()));
  }
}

/**
 * Kafka's ProducerAppendInfo for a run of appends: lookups see what earlier appends of the
 * same run staged. `check` validates a whole payload without staging anything; `append`
 * stages one batch.
 */
export class AppendSession {
  readonly staged = new Map<bigint, ProducerStateEntry>();
  readonly completed: CompletedTxn[] = [];

  constructor(readonly manager: ProducerStateManager) {}

  current(producerId: bigint): ProducerStateEntry | undefined {
    return this.staged.get(producerId) ?? this.manager.get(producerId);
  }

  /** The stored batch a retried one repeats (same epoch and sequence range), if any. */
  findDuplicate(buf: Buffer, at: number): DuplicateBatch | undefined {
    const pid = buf.readBigInt64BE(at + Field.producerId);
    if (pid < 0n) return undefined;
    const e = this.current(pid);
    if (!e || e.producerEpoch !== buf.readInt16BE(at + Field.producerEpoch)) return undefined;
    const firstSeq = buf.readInt32BE(at + Field.baseSequence);
    const lastSeq = incrementSequence(firstSeq, buf.readInt32BE(at + Field.lastOffsetDelta));
    const m = e.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    return m && { firstOffset: m.firstOffset, lastOffset: m.lastOffset, timestamp: m.timestamp };
  }

  /**
   * Checks and stages the batch at `at`, which will take offsets from `baseOffset`. Throws
   * ProducerStateError with Kafka's code; a batch without producer id is left alone.
   */
  append(buf: Buffer, at: number, baseOffset: bigint, origin: AppendOrigin): CompletedTxn | undefined {
    const pid = buf.readBigInt64BE(at + Field.producerId);
    if (pid < 0n) return undefined;
    const epoch = buf.readInt16BE(at + Field.producerEpoch);
    const attributes = buf.readInt16BE(at + Field.attributes);
    const lastOffset = baseOffset + BigInt(buf.readInt32BE(at + Field.lastOffsetDelta));
    const timestamp = buf.readBigInt64BE(at + Field.maxTimestamp);
    const prior = this.current(pid);
    const e = prior ? cloneEntry(prior) : emptyEntry(pid);
    const check = origin !== 'replication';
    if ((attributes & Attribute.control) !== 0) {
      const marker = readControlMarker(buf, at);
      if (marker === undefined || (marker.type !== CONTROL_ABORT && marker.type !== CONTROL_COMMIT)) return undefined;
      const coordinatorEpoch = marker.coordinatorEpoch;
      if (check && epoch < e.producerEpoch) {
        throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Epoch of producer ${pid} at offset ${baseOffset} is ${epoch}, which is smaller than the last seen epoch ${e.producerEpoch}`);
      }
      if (check && e.coordinatorEpoch > coordinatorEpoch) {
        throw new ProducerStateError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, `Invalid coordinator epoch for producerId ${pid} at offset ${baseOffset}: ${coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)`);
      }
      const firstOffset = e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : baseOffset;
      if (epoch !== e.producerEpoch) {
        e.batches = [];
        e.producerEpoch = epoch;
      }
      e.coordinatorEpoch = coordinatorEpoch;
      e.currentTxnFirstOffset = -1n;
      e.lastTimestamp = timestamp;
      this.staged.set(pid, e);
      const done: CompletedTxn = { producerId: pid, firstOffset, lastOffset: baseOffset, aborted: marker.type === CONTROL_ABORT };
      this.completed.push(done);
      return done;
    }
    const firstSeq = buf.readInt32BE(at + Field.baseSequence);
    const lastSeq = incrementSequence(firstSeq, buf.readInt32BE(at + Field.lastOffsetDelta));
    if (check) {
      if (epoch < e.producerEpoch) {
        throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Epoch of producer ${pid} at offset ${baseOffset} is ${epoch}, which is smaller than the last seen epoch ${e.producerEpoch}`);
      }
      if (origin === 'client') {
        if (epoch !== e.producerEpoch) {
          if (firstSeq !== 0 && e.producerEpoch !== NO_PRODUCER_EPOCH) {
            throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Invalid sequence number for new epoch of producer ${pid} at offset ${baseOffset}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${e.producerEpoch} (current producer epoch)`);
          }
        } else {
          const currentLastSeq = lastSeqOf(e);
          // With no known epoch (state lost to retention or expiry) any sequence is accepted, as in Kafka.
          if (!(prior === undefined || prior.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, firstSeq))) {
            throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Out of order sequence number for producer ${pid} at offset ${baseOffset}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`);
          }
        }
      }
    }
    addBatch(e, epoch, { firstSeq, lastSeq, firstOffset: baseOffset, lastOffset, timestamp });
    const transactional = (attributes & Attribute.transactional) !== 0;
    if (e.currentTxnFirstOffset >= 0n && !transactional) {
      if (check) throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `Expected transactional write from producer ${pid} at offset ${baseOffset}`);
    } else if (e.currentTxnFirstOffset < 0n && transactional) {
      e.currentTxnFirstOffset = baseOffset;
    }
    this.staged.set(pid, e);
    return undefined;
  }
}

/** Last data offset of a producer (DescribeProducers and expiry by log start). */
export function lastDataOffset(e: ProducerStateEntry): bigint {
  return lastDataOffsetOf(e);
}
