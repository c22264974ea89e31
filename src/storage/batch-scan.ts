/**
 * Header-level walks over stored RecordBatch v2 bytes: framing, the checks recovery needs,
 * and chunked reads through a file. Records are never decoded here.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CRC_START, Field } from '../protocol/records/record-batch.js';
import { crc32c } from '../protocol/codec/crc32c.js';
import type { FileLike } from './store.js';

export const MAGIC_V2 = 2;

export type BatchProblem = 'torn' | 'size' | 'magic' | 'crc';

/** Bytes the batch at `at` takes (header included), or -1 when its length field is not there. */
export function batchSizeAt(buf: Buffer, at: number): number {
  if (at + BATCH_LOG_OVERHEAD > buf.length) return -1;
  return buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
}

export function lastOffsetAt(buf: Buffer, at: number): bigint {
  return buf.readBigInt64BE(at + Field.baseOffset) + BigInt(buf.readInt32BE(at + Field.lastOffsetDelta));
}

/** What is wrong with the batch at `at` whose bytes end at or before `end`, if anything. */
export function checkBatch(buf: Buffer, at: number, end: number, verifyCrc: boolean): BatchProblem | undefined {
  if (at + BATCH_LOG_OVERHEAD > end) return 'torn';
  const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE) return 'size';
  if (at + BATCH_HEADER_SIZE > end) return 'torn';
  if (buf.readInt8(at + Field.magic) !== MAGIC_V2) return 'magic';
  if (buf.readInt32BE(at + Field.lastOffsetDelta) < 0) return 'size';
  if (at + size > end) return 'torn';
  if (verifyCrc && crc32c(buf.subarray(at + CRC_START, at + size)) !== buf.readUInt32BE(at + Field.crc)) return 'crc';
  return undefined;
}

/** Splits a Produce payload into batch start positions; throws on anything that does not frame. */
export function frameBatches(buf: Buffer): number[] {
  const starts: number[] = [];
  let at = 0;
  while (at < buf.length) {
    const size = batchSizeAt(buf, at);
    if (
      size < BATCH_HEADER_SIZE ||
      at + size > buf.length ||
      buf.readInt8(at + Field.magic) !== MAGIC_V2 ||
      buf.readInt32BE(at + Field.lastOffsetDelta) < 0
    ) {
      throw new RangeError(`bad batch frame at byte ${at}`);
    }
    starts.push(at);
    at += size;
  }
  return starts;
}

export interface WalkOptions {
  /** Visit only batches whose bytes are all in memory (needed for CRC checks). */
  whole: boolean;
  /** Stop before this file position (defaults to the file's size). */
  end?: number;
  chunkSize?: number;
}

/**
 * Calls `visit` for each batch from `from` on, reading the file in chunks. `visit` gets the
 * chunk, the batch's index in it, its file position and size, and returns false to stop.
 * Returns where the walk stopped: the position after the last batch visited, or of the
 * batch `visit` refused. A batch that does not fit before the end stops the walk.
 */
export async function walkBatches(
  file: FileLike,
  from: number,
  opts: WalkOptions,
  visit: (buf: Buffer, at: number, position: number, size: number) => boolean | void,
): Promise<number> {
  const end = Math.min(opts.end ?? file.size, file.size);
  const chunkSize = opts.chunkSize ?? 1 << 20;
  let pos = from;
  let buf: Buffer = Buffer.alloc(0);
  let bufPos = pos;
  while (pos + BATCH_HEADER_SIZE <= end) {
    let at = pos - bufPos;
    if (at + BATCH_HEADER_SIZE > buf.length) {
      buf = await file.read(pos, Math.min(chunkSize, end - pos));
      bufPos = pos;
      at = 0;
      if (buf.length < BATCH_HEADER_SIZE) break;
    }
    const size = buf.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || pos + size > end) break;
    if (opts.whole && at + size > buf.length) {
      buf = await file.read(pos, Math.max(chunkSize, size));
      bufPos = pos;
      at = 0;
      if (buf.length < size) break;
    }
    if (visit(buf, at, pos, size) === false) break;
    pos += size;
  }
  return pos;
}
