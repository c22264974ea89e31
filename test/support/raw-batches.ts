/**
 * Record batches built byte by byte, for tests that need batches no client would write:
 * records that do not parse, counts that disagree, codec data that is not. The CRC is always
 * right, so only the rule under test is broken.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, Field, rewriteCrc } from '../../src/protocol/records/record-batch.js';

/** A zigzag varint (or varlong up to 2^53). */
export function varint(n: number): Buffer {
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u % 0x80) | 0x80);
    u = Math.floor(u / 0x80);
  }
  out.push(u);
  return Buffer.from(out);
}

/** Varint-length-prefixed bytes; null is length -1. */
export function lengthPrefixed(s: string | Buffer | null): Buffer {
  if (s === null) return varint(-1);
  const b = Buffer.from(s);
  return Buffer.concat([varint(b.length), b]);
}

/**
 * One record's bytes, length prefix included. `body` replaces everything after the attributes
 * byte (timestamp delta, offset delta, key, value, headers) to build a malformed record.
 */
export function rawRecord(offsetDelta: number, key: string | null, value: string | null, body?: Buffer, timestampDelta = 0): Buffer {
  const inner = body ?? Buffer.concat([varint(timestampDelta), varint(offsetDelta), lengthPrefixed(key), lengthPrefixed(value), varint(0)]);
  const rec = Buffer.concat([Buffer.from([0]), inner]);
  return Buffer.concat([varint(rec.length), rec]);
}

/** `n` well-formed records k0=v0, k1=v1, ... */
export function plainRecords(n: number): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => rawRecord(i, `k${i}`, `v${i}`)));
}

export interface RawBatchOptions {
  /** Attribute bits: compression codec, transactional (0x10), control (0x20) ... */
  attributes?: number;
  recordCount: number;
  lastOffsetDelta: number;
  baseOffset?: bigint;
  baseTimestamp?: bigint;
  maxTimestamp?: bigint;
  /** With a producer id, epoch and base sequence are 0 unless given. */
  producerId?: bigint;
  baseSequence?: number;
}

/** A batch around an arbitrary records section (compressed or not, as the attributes say), with a valid CRC. */
export function rawBatch(section: Buffer, o: RawBatchOptions): Buffer {
  const out = Buffer.alloc(BATCH_HEADER_SIZE + section.length);
  section.copy(out, BATCH_HEADER_SIZE);
  out.writeBigInt64BE(o.baseOffset ?? 0n, Field.baseOffset);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, Field.batchLength);
  out.writeInt32BE(-1, Field.partitionLeaderEpoch);
  out.writeInt8(2, Field.magic);
  out.writeInt16BE(o.attributes ?? 0, Field.attributes);
  out.writeInt32BE(o.lastOffsetDelta, Field.lastOffsetDelta);
  out.writeBigInt64BE(o.baseTimestamp ?? 1_700_000_000_000n, Field.baseTimestamp);
  out.writeBigInt64BE(o.maxTimestamp ?? o.baseTimestamp ?? 1_700_000_000_000n, Field.maxTimestamp);
  out.writeBigInt64BE(o.producerId ?? -1n, Field.producerId);
  out.writeInt16BE(o.producerId === undefined ? -1 : 0, Field.producerEpoch);
  out.writeInt32BE(o.baseSequence ?? (o.producerId === undefined ? -1 : 0), Field.baseSequence);
  out.writeInt32BE(o.recordCount, Field.recordCount);
  rewriteCrc(out);
  return out;
}
