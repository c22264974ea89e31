/**
 * Record-level work on stored batches for the log cleaner: walking the records of a batch
 * (decompressed when needed) without building objects, and writing a batch back with only the
 * records kept. Kept records are copied byte for byte; only a record whose timestamp delta must
 * change (the batch's base timestamp moved) is re-encoded, so headers and unknown attribute
 * bits pass through untouched.
 */
import { decompress, compress, DEFAULT_MAX_DECOMPRESSED } from '../../protocol/records/compression.js';
import { scan, scanVarint, scanVarlong } from '../../protocol/records/varint-scan.js';
import {
  Attribute,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  Compression,
  Field,
  rewriteCrc,
  type CompressionType,
} from '../../protocol/records/record-batch.js';

/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export class CorruptBatchError extends Error {
  override readonly name = 'CorruptBatchError';
}

/** Where the last varint read here ended. */
let varintEnd = 0;

/** A zigzag varint (int32) at `pos`; sets `varintEnd`. */
function readVarint(buf: Uint8Array, pos: number, end: number): number {
  const v = scanVarint(buf, pos, end);
  if (scan.end < 0) throw corrupt(pos, end, 5, 'varint');
  varintEnd = scan.end;
  return v;
}

/** A zigzag varlong at `pos` as a number (exact within ±2^53); sets `varintEnd`. */
function readVarlong(buf: Uint8Array, pos: number, end: number): number {
  const v = scanVarlong(buf, pos, end);
  if (scan.end < 0) throw corrupt(pos, end, 10, 'varlong');
  varintEnd = scan.end;
  return v;
}

/** A scan fails either on the batch's end or on a value longer than its width. */
function corrupt(pos: number, end: number, width: number, kind: string): CorruptBatchError {
  return new CorruptBatchError(end - pos < width ? 'record runs past its batch' : `${kind} longer than ${width} bytes`);
}

function sizeOfUnsigned(u: number): number {
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function writeUnsigned(out: Buffer, pos: number, u: number): number {
  while (u >= 128) {
    out[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[pos++] = u;
  return pos;
}

/**
 * One record of a batch, as positions in the records buffer; the cursor is reused from record
 * to record, so nothing is allocated per record.
 */
export class RecordCursor {
  /** The records section, decompressed. */
  data: Buffer = Buffer.alloc(0);
  count = 0;
  index = -1;
  /** The whole record, length prefix included: data[start, end). */
  start = 0;
  end = 0;
  attributes = 0;
  timestampDelta = 0;
  /** Where the timestamp delta's varlong starts and ends. */
  tsStart = 0;
  tsEnd = 0;
  offsetDelta = 0;
  /** Key bytes data[keyStart, keyStart + keyLength); keyLength -1 for a null key. */
  keyStart = 0;
  keyLength = -1;
  /** -1 for a null value (a tombstone). */
  valueLength = -1;
  #pos = 0;
  #limit = 0;

  /** Points the cursor before the first record of the batch at `at` (decompressing it). */
  reset(buf: Buffer, at: number, maxDecompressed = DEFAULT_MAX_DECOMPRESSED): void {
    const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
    const section = buf.subarray(at + BATCH_HEADER_SIZE, at + size);
    const compression = (buf.readInt16BE(at + Field.attributes) & Attribute.compressionMask) as CompressionType;
    if (compression > Compression.zstd) throw new CorruptBatchError(`unknown compression ${compression}`);
    this.data = compression === Compression.none ? section : decompress(compression, section, { maxSize: maxDecompressed });
    this.count = buf.readInt32BE(at + Field.recordCount);
    this.index = -1;
    this.#pos = 0;
    this.#limit = this.data.length;
  }

  /** Moves to the next record; false after the last. */
  next(): boolean {
    if (this.index + 1 >= this.count) return false;
    this.index++;
    const d = this.data;
    const limit = this.#limit;
    this.start = this.#pos;
    const length = readVarint(d, this.#pos, limit);
    let p = varintEnd;
    if (length <= 0 || p + length > limit) throw new CorruptBatchError(`record length ${length}`);
    this.end = p + length;
    this.attributes = d[p++]!;
    this.tsStart = p;
    this.timestampDelta = readVarlong(d, p, this.end);
    this.tsEnd = p = varintEnd;
    this.offsetDelta = readVarint(d, p, this.end);
    p = varintEnd;
    this.keyLength = readVarint(d, p, this.end);
    p = varintEnd;
    this.keyStart = p;
    if (this.keyLength > 0) p += this.keyLength;
    if (this.keyLength < -1 || p > this.end) throw new CorruptBatchError('bad key length');
    this.valueLength = readVarint(d, p, this.end);
    if (this.valueLength < -1 || varintEnd + Math.max(0, this.valueLength) > this.end) throw new CorruptBatchError('bad value length');
    this.#pos = this.end;
    return true;
  }
}

/** A kept record: where it is in the decompressed section, and its timestamp. */
export interface KeptRecord {
  start: number;
  end: number;
  tsStart: number;
  tsEnd: number;
  attributes: number;
  /** The stored delta, and the record's timestamp (a LogAppendTime batch's is its maxTimestamp). */
  timestampDelta: number;
  timestamp: number;
}

export interface RebuildOptions {
  /** Set (first time) or keep the delete horizon: the batch's base timestamp becomes it. */
  deleteHorizonMs: number | undefined;
}

/**
 * The batch at `at` rewritten with only `kept` records (data is its decompressed section), as
 * Kafka's filterTo does: same base offset, last offset delta, producer id, epoch, base
 * sequence, leader epoch, codec and flags; the base timestamp is the delete horizon when there
 * is one, else the first kept record's timestamp; maxTimestamp is recomputed (LogAppendTime
 * batches keep theirs).
 */
export function rebuildBatch(buf: Buffer, at: number, data: Buffer, kept: readonly KeptRecord[], opts: RebuildOptions): Buffer {
  const attributes = buf.readInt16BE(at + Field.attributes);
  const logAppendTime = (attributes & Attribute.timestampTypeLogAppend) !== 0;
  const horizon = opts.deleteHorizonMs;
  const newBase = horizon ?? (kept.length > 0 ? kept[0]!.timestamp : NO_TIMESTAMP);
  let maxTs = logAppendTime ? Number(buf.readBigInt64BE(at + Field.maxTimestamp)) : NO_TIMESTAMP;
  let plainSize = 0;
  const newDeltas: number[] = new Array<number>(kept.length);
  for (let i = 0; i < kept.length; i++) {
    const r = kept[i]!;
    if (!logAppendTime && r.timestamp > maxTs) maxTs = r.timestamp;
    const delta = r.timestamp - newBase;
    newDeltas[i] = delta;
    if (delta === r.timestampDelta) {
      plainSize += r.end - r.start;
    } else {
      const body = r.end - r.tsEnd + 1 + sizeOfUnsigned(zigzag(delta));
      plainSize += sizeOfUnsigned(zigzag(body)) + body;
    }
  }
  let plain: Buffer = Buffer.allocUnsafe(plainSize);
  let pos = 0;
  for (let i = 0; i < kept.length; i++) {
    const r = kept[i]!;
    const delta = newDeltas[i]!;
    if (delta === r.timestampDelta) {
      pos += data.copy(plain, pos, r.start, r.end);
    } else {
      const rest = r.end - r.tsEnd;
      const body = rest + 1 + sizeOfUnsigned(zigzag(delta));
      pos = writeUnsigned(plain, pos, zigzag(body));
      plain[pos++] = r.attributes;
      pos = writeUnsigned(plain, pos, zigzag(delta));
      pos += data.copy(plain, pos, r.tsEnd, r.end);
    }
  }
  const compression = (attributes & Attribute.compressionMask) as CompressionType;
  if (compression !== Compression.none) plain = compress(compression, plain);
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + plain.length);
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE);
  plain.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, Field.batchLength);
  const newAttributes = horizon !== undefined ? attributes | Attribute.deleteHorizon : attributes & ~Attribute.deleteHorizon;
  out.writeInt16BE(newAttributes, Field.attributes);
  out.writeBigInt64BE(BigInt(newBase), Field.baseTimestamp);
  out.writeBigInt64BE(BigInt(maxTs), Field.maxTimestamp);
  out.writeInt32BE(kept.length, Field.recordCount);
  rewriteCrc(out, 0);
  return out;
}

/**
 * Kafka's DefaultRecordBatch.writeEmptyHeader: the batch at `at` with no records, kept so a
 * producer's last sequence and epoch (or the last offset of a cleaning) survive. Uncompressed,
 * no delete horizon, base timestamp -1, the original maxTimestamp.
 */
export function emptyBatchHeader(buf: Buffer, at: number): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE);
  out.writeInt32BE(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD, Field.batchLength);
  const attributes = buf.readInt16BE(at + Field.attributes);
  const keep = Attribute.timestampTypeLogAppend | Attribute.transactional | Attribute.control;
  out.writeInt16BE(attributes & keep, Field.attributes);
  out.writeBigInt64BE(BigInt(NO_TIMESTAMP), Field.baseTimestamp);
  out.writeInt32BE(0, Field.recordCount);
  rewriteCrc(out, 0);
  return out;
}

/** Control record types (Kafka's ControlRecordType), read from a control record's key. */
export const ControlRecordType = { abort: 0, commit: 1, unknown: -1 } as const;

/** The type of the control batch at `at` from its first record's key; undefined when it has no record. */
export function controlBatchType(buf: Buffer, at: number, cursor: RecordCursor): number | undefined {
  cursor.reset(buf, at);
  if (!cursor.next()) return undefined;
  if (cursor.keyLength < 4) return ControlRecordType.unknown;
  const d = cursor.data;
  const version = d.readInt16BE(cursor.keyStart);
  if (version < 0) return ControlRecordType.unknown;
  return d.readInt16BE(cursor.keyStart + 2);
}
