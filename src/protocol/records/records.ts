import { DecodeError, EncodeError } from '../codec/errors.js';
import { Reader } from '../codec/reader.js';
import {
  Writer,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
} from '../codec/writer.js';
import { compress, decompress, type DecompressOptions } from './compression.js';
import {
  Attribute,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchHeader,
  Compression,
  Field,
  rewriteCrc,
  type CompressionType,
} from './record-batch.js';

// The decoded form of a batch's records. The broker's data path never needs it; the
// coordinators (internal topics), transaction markers and tests do.

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The records of the v2 batch at `at`, decompressed when needed. Key, value and header
 * values are slices of `buf` (or of the decompressed buffer), not copies.
 */
export function decodeRecords(buf: Buffer, at = 0, opts: DecompressOptions = {}): KafkaRecord[] {
  return [...iterateRecords(buf, at, opts)];
}

/** Like decodeRecords, one record at a time, so a caller can stop early. */
export function* iterateRecords(buf: Buffer, at = 0, opts: DecompressOptions = {}): Generator<KafkaRecord> {
  if (at < 0 || buf.length - at < BATCH_HEADER_SIZE) throw new DecodeError('truncated batch header');
  const header = new BatchHeader(buf, at);
  if (header.magic !== 2) throw new DecodeError(`batch magic ${header.magic} is not 2`);
  const batchLength = header.batchLength;
  if (batchLength < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
    throw new DecodeError(`batch length ${batchLength} is shorter than a header`);
  }
  const end = at + BATCH_LOG_OVERHEAD + batchLength;
  if (end > buf.length) throw new DecodeError(`batch of ${batchLength} bytes is truncated`);
  const count = header.recordCount;
  if (count < 0) throw new DecodeError(`negative record count ${count}`);

  const section = buf.subarray(at + BATCH_HEADER_SIZE, end);
  const compression = header.compression;
  if (compression > Compression.zstd) throw new DecodeError(`unknown compression ${compression}`);
  const data = compression === Compression.none ? section : decompress(compression, section, opts);
  const r = new Reader(data);
  // Each record takes at least 7 bytes (length, attributes, three varints, header count).
  if (count > r.remaining / 7) throw new DecodeError(`${count} records cannot fit in ${r.remaining} bytes`);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length <= 0) throw new DecodeError(`record length ${length}`);
    yield readRecord(r.sub(length));
  }
  r.expectEnd('the last record of the batch');
}

function readRecord(r: Reader): KafkaRecord {
  const attributes = r.int8();
  const timestampDelta = r.varlongAsNumber();
  const offsetDelta = r.varint();
  const key = varintBytes(r);
  const value = varintBytes(r);
  const headerCount = r.varint();
  // A header is at least two bytes (key length and value length).
  if (headerCount < 0 || headerCount * 2 > r.remaining) {
    throw new DecodeError(`header count ${headerCount} with ${r.remaining} bytes left`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyBytes = varintBytes(r);
    if (keyBytes === null) throw new DecodeError('null header key');
    let hkey: string;
    try {
      hkey = utf8.decode(keyBytes);
    } catch {
      throw new DecodeError('header key is not UTF-8');
    }
    headers.push({ key: hkey, value: varintBytes(r) });
  }
  r.expectEnd('a record');
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function varintBytes(r: Reader): Buffer | null {
  const len = r.varint();
  if (len === -1) return null;
  if (len < 0) throw new DecodeError(`bytes length ${len}`);
  return r.rawBytes(len);
}

// ---- building ----

export interface RecordInput {
  attributes?: number;
  /** Default 0: the record's timestamp is the batch's baseTimestamp. */
  timestampDelta?: number;
  /** Default: the record's index in the batch. */
  offsetDelta?: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Array<{ key: string; value: Uint8Array | null }>;
}

export interface BuildBatchOptions {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  /** Extra attribute bits (timestamp type, delete horizon); compression and flags are set from the options. */
  attributes?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  baseTimestamp?: bigint;
  /** Default: baseTimestamp plus the largest timestampDelta. */
  maxTimestamp?: bigint;
  /** Default: the largest offsetDelta (records.length - 1 for default deltas). */
  lastOffsetDelta?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  records: RecordInput[];
}

function recordBodySize(rec: RecordInput, offsetDelta: number): number {
  let size = 1 + sizeOfVarlong(BigInt(rec.timestampDelta ?? 0)) + sizeOfVarint(offsetDelta);
  size += rec.key === null ? 1 : sizeOfVarint(rec.key.length) + rec.key.length;
  size += rec.value === null ? 1 : sizeOfVarint(rec.value.length) + rec.value.length;
  const headers = rec.headers ?? [];
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    const klen = Buffer.byteLength(h.key);
    size += sizeOfVarint(klen) + klen;
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return size;
}

function writeNullableVarintBytes(w: Writer, v: Uint8Array | null): void {
  if (v === null) {
    w.varint(-1);
  } else {
    w.varint(v.length);
    w.rawBytes(v);
  }
}

function encodeRecords(records: RecordInput[]): Buffer {
  const bodies = records.map((rec, i) => recordBodySize(rec, rec.offsetDelta ?? i));
  let total = 0;
  for (const b of bodies) total += sizeOfVarint(b) + b;
  const w = Writer.alloc(total);
  records.forEach((rec, i) => {
    w.varint(bodies[i]!);
    w.int8(rec.attributes ?? 0);
    w.varlong(BigInt(rec.timestampDelta ?? 0));
    w.varint(rec.offsetDelta ?? i);
    writeNullableVarintBytes(w, rec.key);
    writeNullableVarintBytes(w, rec.value);
    const headers = rec.headers ?? [];
    w.varint(headers.length);
    for (const h of headers) {
      const k = Buffer.from(h.key, 'utf8');
      w.varint(k.length);
      w.rawBytes(k);
      writeNullableVarintBytes(w, h.value);
    }
  });
  return w.finish();
}

/** A complete v2 batch with its CRC, ready to append or serve. */
export function buildBatch(opts: BuildBatchOptions): Buffer {
  const { records } = opts;
  const compression = opts.compression ?? Compression.none;
  let attributes = (opts.attributes ?? 0) & ~Attribute.compressionMask & ~Attribute.transactional & ~Attribute.control;
  attributes |= compression;
  if (opts.isTransactional) attributes |= Attribute.transactional;
  if (opts.isControl) attributes |= Attribute.control;

  let maxDelta = 0;
  let maxOffsetDelta = -1;
  records.forEach((r, i) => {
    maxDelta = Math.max(maxDelta, r.timestampDelta ?? 0);
    maxOffsetDelta = Math.max(maxOffsetDelta, r.offsetDelta ?? i);
  });
  const baseTimestamp = opts.baseTimestamp ?? 0n;
  const maxTimestamp = opts.maxTimestamp ?? baseTimestamp + BigInt(maxDelta);
  const lastOffsetDelta = opts.lastOffsetDelta ?? maxOffsetDelta;

  const plain = encodeRecords(records);
  const section = compression === Compression.none ? plain : compress(compression, plain);
  if (section.length > 0x7fffffff - BATCH_HEADER_SIZE) throw new EncodeError('batch too large');
  const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + section.length);
  buf.writeBigInt64BE(opts.baseOffset ?? 0n, Field.baseOffset);
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, Field.batchLength);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, Field.partitionLeaderEpoch);
  buf.writeInt8(2, Field.magic);
  buf.writeInt16BE(attributes, Field.attributes);
  buf.writeInt32BE(lastOffsetDelta, Field.lastOffsetDelta);
  buf.writeBigInt64BE(baseTimestamp, Field.baseTimestamp);
  buf.writeBigInt64BE(maxTimestamp, Field.maxTimestamp);
  buf.writeBigInt64BE(opts.producerId ?? -1n, Field.producerId);
  buf.writeInt16BE(opts.producerEpoch ?? -1, Field.producerEpoch);
  buf.writeInt32BE(opts.baseSequence ?? -1, Field.baseSequence);
  buf.writeInt32BE(records.length, Field.recordCount);
  section.copy(buf, BATCH_HEADER_SIZE);
  rewriteCrc(buf, 0);
  return buf;
}

// ---- control records (transaction markers) ----

export const ControlType = {
  abort: 0,
  commit: 1,
} as const;

/** Key of a control record: int16 version 0, int16 type. */
export function controlRecordKey(type: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt16BE(0, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** Value of a transaction marker: int16 version 0, int32 coordinator epoch. */
export function transactionMarkerValue(coordinatorEpoch: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeInt16BE(0, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export interface TransactionMarkerOptions {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: bigint;
}

/** The one-record control batch that ends a transaction on a partition. */
export function buildTransactionMarker(opts: TransactionMarkerOptions): Buffer {
  return buildBatch({
    baseOffset: opts.baseOffset ?? 0n,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    baseTimestamp: opts.timestamp,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: controlRecordKey(opts.commit ? ControlType.commit : ControlType.abort),
        value: transactionMarkerValue(opts.coordinatorEpoch),
      },
    ],
  });
}

export interface ControlRecord {
  /** 0 abort, 1 commit; Kafka defines more (leader change, snapshots) that we pass through. */
  type: number;
  /** Set for abort and commit markers. */
  coordinatorEpoch?: number;
}

/** Reads the key (and, for markers, the value) of a record from a control batch. */
export function decodeControlRecord(record: Pick<KafkaRecord, 'key' | 'value'>): ControlRecord {
  const { key, value } = record;
  // Later key versions may append fields; version and type stay first.
  if (key === null || key.length < 4) throw new DecodeError('control record key is too short');
  const version = key.readInt16BE(0);
  if (version < 0) throw new DecodeError(`control record key version ${version}`);
  const type = key.readInt16BE(2);
  if (type !== ControlType.abort && type !== ControlType.commit) return { type };
  if (value === null || value.length < 6) throw new DecodeError('transaction marker value is too short');
  const valueVersion = value.readInt16BE(0);
  if (valueVersion < 0) throw new DecodeError(`transaction marker version ${valueVersion}`);
  return { type, coordinatorEpoch: value.readInt32BE(2) };
}
