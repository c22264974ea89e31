/**
 * Builds real RecordBatch v2 bytes for storage tests (uncompressed, valid CRC, records encoded
 * as Kafka does), independent of the records module being written alongside.
 */
import { crc32c } from '../../../src/protocol/codec/crc32c.js';

function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : (-n << 1n) - 1n;
}

function varint(out: number[], n: number | bigint): void {
  let v = zigzag(BigInt(n));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

export interface BatchSpec {
  records?: number;
  /** Timestamp of the first record; each next record is 1 ms later. */
  timestamp?: bigint;
  valueSize?: number;
  /** Marks values so tests can tell batches apart. */
  tag?: number;
}

export function makeBatch(spec: BatchSpec = {}): Buffer {
  const count = spec.records ?? 1;
  const ts = spec.timestamp ?? 1_700_000_000_000n;
  const valueSize = spec.valueSize ?? 10;
  const body: number[] = [];
  for (let i = 0; i < count; i++) {
    const rec: number[] = [0];
    varint(rec, BigInt(i));
    varint(rec, i);
    varint(rec, -1);
    varint(rec, valueSize);
    for (let j = 0; j < valueSize; j++) rec.push(((spec.tag ?? 0) + i + j) & 0xff);
    varint(rec, 0);
    varint(body, rec.length);
    body.push(...rec);
  }
  const buf = Buffer.alloc(61 + body.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(count - 1, 23);
  buf.writeBigInt64BE(ts, 27);
  buf.writeBigInt64BE(ts + BigInt(count - 1), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  Buffer.from(body).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

/** Splits concatenated stored bytes back into (baseOffset, lastOffset, maxTimestamp) triples. */
export function describeBatches(chunks: readonly Buffer[]): Array<{ base: bigint; last: bigint; maxTs: bigint; size: number }> {
  const out: Array<{ base: bigint; last: bigint; maxTs: bigint; size: number }> = [];
  for (const buf of chunks) {
    let at = 0;
    while (at + 12 <= buf.length) {
      const size = buf.readInt32BE(at + 8) + 12;
      if (at + size > buf.length) break;
      const base = buf.readBigInt64BE(at);
      out.push({ base, last: base + BigInt(buf.readInt32BE(at + 23)), maxTs: buf.readBigInt64BE(at + 35), size });
      at += size;
    }
  }
  return out;
}

export function crcOk(batch: Buffer): boolean {
  return crc32c(batch.subarray(21)) === batch.readUInt32BE(17);
}
