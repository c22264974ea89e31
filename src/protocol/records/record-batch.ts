import { crc32c } from '../codec/crc32c.js';

/**
 * A view over the 61-byte RecordBatch v2 header. The broker reads and patches these
 * fields in place; the records after the header are never decoded on the hot path.
 */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const BATCH_LOG_OVERHEAD = 12;

export const Field = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/** The CRC covers everything from the attributes to the end of the batch. */
export const CRC_START = Field.attributes;

export const Attribute = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export const Compression = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;
export type CompressionType = (typeof Compression)[keyof typeof Compression];

/** Reads the fields of the batch header that starts at `at` in `buf`. */
export class BatchHeader {
  constructor(
    readonly buf: Buffer,
    readonly at = 0,
  ) {}

  get baseOffset(): bigint {
    return this.buf.readBigInt64BE(this.at + Field.baseOffset);
  }
  set baseOffset(v: bigint) {
    this.buf.writeBigInt64BE(v, this.at + Field.baseOffset);
  }
  get batchLength(): number {
    return this.buf.readInt32BE(this.at + Field.batchLength);
  }
  /** Bytes the whole batch takes, header included. */
  get totalSize(): number {
    return this.batchLength + BATCH_LOG_OVERHEAD;
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.at + Field.partitionLeaderEpoch);
  }
  set partitionLeaderEpoch(v: number) {
    this.buf.writeInt32BE(v, this.at + Field.partitionLeaderEpoch);
  }
  get magic(): number {
    return this.buf.readInt8(this.at + Field.magic);
  }
  get crc(): number {
    return this.buf.readUInt32BE(this.at + Field.crc);
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.at + Field.attributes);
  }
  get compression(): CompressionType {
    return (this.attributes & Attribute.compressionMask) as CompressionType;
  }
  get isTransactional(): boolean {
    return (this.attributes & Attribute.transactional) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & Attribute.control) !== 0;
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & Attribute.timestampTypeLogAppend) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.at + Field.lastOffsetDelta);
  }
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta);
  }
  get baseTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.at + Field.baseTimestamp);
  }
  get maxTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.at + Field.maxTimestamp);
  }
  get producerId(): bigint {
    return this.buf.readBigInt64BE(this.at + Field.producerId);
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.at + Field.producerEpoch);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.at + Field.baseSequence);
  }
  get recordCount(): number {
    return this.buf.readInt32BE(this.at + Field.recordCount);
  }
}

// ---- Whole-batch checks and in-place patches: none of them decodes the records. ----

/** The bytes of one batch that its CRC covers, from the attributes to its end. */
function crcRange(buf: Buffer, at: number): Buffer {
  return buf.subarray(at + CRC_START, at + BATCH_LOG_OVERHEAD + buf.readInt32BE(at + Field.batchLength));
}

/** The CRC-32C the batch at `at` should carry; the batch must be whole. */
export function computeCrc(buf: Buffer, at = 0): number {
  return crc32c(crcRange(buf, at));
}

/** Recomputes and stores the CRC of the batch at `at`, after a patch to a covered field. */
export function rewriteCrc(buf: Buffer, at = 0): void {
  buf.writeUInt32BE(computeCrc(buf, at), at + Field.crc);
}

/** Outside the CRC, so a patch needs no new CRC. */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, at + Field.baseOffset);
}

/** Outside the CRC, so a patch needs no new CRC. */
export function setPartitionLeaderEpoch(buf: Buffer, at: number, epoch: number): void {
  buf.writeInt32BE(epoch, at + Field.partitionLeaderEpoch);
}

/**
 * What a topic with message.timestamp.type=LogAppendTime does to an appended batch: the
 * broker's clock becomes maxTimestamp, the timestamp-type bit is set, and since both are
 * covered by the CRC, the CRC is recomputed.
 */
export function setLogAppendTime(buf: Buffer, at: number, timestamp: bigint): void {
  buf.writeBigInt64BE(timestamp, at + Field.maxTimestamp);
  const attributes = buf.readInt16BE(at + Field.attributes);
  buf.writeInt16BE(attributes | Attribute.timestampTypeLogAppend, at + Field.attributes);
  rewriteCrc(buf, at);
}

export type BatchError =
  | 'truncated'
  | 'bad_magic'
  | 'bad_batch_length'
  | 'crc_mismatch'
  | 'bad_record_count';

export interface ValidateOptions {
  /**
   * Require lastOffsetDelta = recordCount - 1, as a producer's batch must have. Stored
   * batches may have fewer records than offsets after compaction, so it is off by default.
   */
  contiguousOffsets?: boolean;
}

/** The smallest batchLength a v2 batch can declare: the header after batchLength. */
const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD;

/**
 * Checks the v2 batch at `at` as far as it can be checked without decompressing: whole,
 * magic 2, a batchLength that fits, the CRC, and that the record count agrees with
 * lastOffsetDelta and, when uncompressed, with the records' own length prefixes.
 * Returns null when the batch is sound. Never throws.
 */
export function validateBatch(buf: Buffer, at = 0, opts: ValidateOptions = {}): BatchError | null {
  if (at < 0 || buf.length - at < Field.magic + 1) return 'truncated';
  const batchLength = buf.readInt32BE(at + Field.batchLength);
  if (buf.readInt8(at + Field.magic) !== 2) return 'bad_magic';
  if (batchLength < MIN_BATCH_LENGTH) return 'bad_batch_length';
  const end = at + BATCH_LOG_OVERHEAD + batchLength;
  if (end > buf.length) return 'truncated';
  if (computeCrc(buf, at) !== buf.readUInt32BE(at + Field.crc)) return 'crc_mismatch';

  const recordCount = buf.readInt32BE(at + Field.recordCount);
  const lastOffsetDelta = buf.readInt32BE(at + Field.lastOffsetDelta);
  if (recordCount < 0 || lastOffsetDelta < recordCount - 1) return 'bad_record_count';
  if (opts.contiguousOffsets && lastOffsetDelta !== recordCount - 1) return 'bad_record_count';
  const compression = buf.readInt16BE(at + Field.attributes) & Attribute.compressionMask;
  if (compression === Compression.none) {
    // Each record is at least 2 bytes (its length and a body), so a count larger
    // than that fails before the walk.
    if (recordCount > (end - at - BATCH_HEADER_SIZE) / 2) return 'bad_record_count';
    // One hop per record over its length prefix: no allocation, the record itself is not read.
    if (skipRecords(buf, at + BATCH_HEADER_SIZE, end, recordCount) !== end) return 'bad_record_count';
  }
  return null;
}

/**
 * Steps over `count` length-prefixed records from `pos`: the position after the last, or -1
 * when a length is not a positive zigzag varint of at most 5 bytes or a record runs past `end`.
 */
function skipRecords(buf: Buffer, pos: number, end: number, count: number): number {
  for (let i = 0; i < count; i++) {
    let u = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= end || shift > 28) return -1;
      b = buf[pos++]!;
      u |= (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) !== 0);
    const len = (u >>> 1) ^ -(u & 1);
    if (len <= 0) return -1;
    pos += len;
    if (pos > end) return -1;
  }
  return pos;
}

/** The smallest entry of a v0/v1 message set: crc, magic, attributes, key and value lengths. */
const MIN_LEGACY_MESSAGE_SIZE = 14;

export interface BatchScan {
  /** Whole batches seen (all of them, unless the callback stopped early). */
  count: number;
  /** Bytes from the start of `buf` that hold whole batches; a fetch can serve exactly these. */
  wholeBytes: number;
  /**
   * What followed the whole batches: nothing, a batch cut short (normal at the end of a
   * fetch response or a crashed write), or a length that cannot be a batch.
   */
  tail: 'none' | 'truncated' | 'corrupt';
}

/**
 * Calls `fn` for each whole batch in `buf`, concatenated as in a log segment or a fetch
 * response, until `fn` returns false. Works on framing only (offset and length), so it
 * also walks v0/v1 message sets, whose magic sits at the same position; `fn` must check
 * the magic before using v2 fields.
 */
export function forEachBatch(
  buf: Buffer,
  fn: (header: BatchHeader, at: number, size: number) => boolean | void,
): BatchScan {
  let at = 0;
  let count = 0;
  for (;;) {
    const size = wholeBatchAt(buf, at);
    if (typeof size === 'string') return { count, wholeBytes: at, tail: size };
    count++;
    const more = fn(new BatchHeader(buf, at), at, size);
    at += size;
    if (more === false) return { count, wholeBytes: at, tail: 'none' };
  }
}

/** The whole batches of `buf` as (header, at, size); a truncated or corrupt tail ends it. */
export function* batches(buf: Buffer): Generator<{ header: BatchHeader; at: number; size: number }> {
  let at = 0;
  for (;;) {
    const size = wholeBatchAt(buf, at);
    if (typeof size === 'string') return;
    yield { header: new BatchHeader(buf, at), at, size };
    at += size;
  }
}

/** The size of the whole batch at `at`, or why there is none. */
function wholeBatchAt(buf: Buffer, at: number): number | BatchScan['tail'] {
  if (at >= buf.length) return 'none';
  if (buf.length - at < Field.magic + 1) return 'truncated';
  const length = buf.readInt32BE(at + Field.batchLength);
  const magic = buf.readInt8(at + Field.magic);
  if (length < (magic === 2 ? MIN_BATCH_LENGTH : MIN_LEGACY_MESSAGE_SIZE)) return 'corrupt';
  const size = BATCH_LOG_OVERHEAD + length;
  return size > buf.length - at ? 'truncated' : size;
}
