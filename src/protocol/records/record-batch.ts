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
