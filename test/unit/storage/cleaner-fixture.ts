/** Helpers for the log cleaner tests: keyed batches, reading a log back as records. */
import { buildBatch, decodeRecords, type RecordInput } from '../../../src/protocol/records/records.js';
import { Attribute, BatchHeader, Compression, validateBatch, type CompressionType } from '../../../src/protocol/records/record-batch.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';

export interface KV {
  key: string | null;
  /** null: a tombstone. */
  value: string | null;
}

export interface BatchOptions {
  compression?: CompressionType;
  timestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

export function keyedBatch(records: KV[], opts: BatchOptions = {}): Buffer {
  const inputs: RecordInput[] = records.map((r, i) => ({
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    timestampDelta: i,
    headers: [{ key: 'h', value: Buffer.from(`hdr-${i}`) }],
  }));
  return buildBatch({
    compression: opts.compression ?? Compression.none,
    baseTimestamp: BigInt(opts.timestamp ?? 1_700_000_000_000),
    producerId: opts.producerId ?? -1n,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    isTransactional: opts.transactional ?? false,
    records: inputs,
  });
}

export interface ReadBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  attributes: number;
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  isControl: boolean;
  records: Array<{ offset: bigint; key: string | null; value: string | null; timestamp: bigint; headers: string[] }>;
  bytes: Buffer;
}

/** Every stored batch from the log start to the high watermark, decoded; checks CRCs and order. */
export async function readAll(log: PartitionLog, maxBytes = 1 << 20): Promise<ReadBatch[]> {
  const out: ReadBatch[] = [];
  let offset = log.logStartOffset;
  let last = -1n;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, maxBytes);
    const flat = Buffer.concat(r.records);
    if (flat.length === 0) break;
    let at = 0;
    while (at < flat.length) {
      const h = new BatchHeader(flat, at);
      const size = h.totalSize;
      const bytes = Buffer.from(flat.subarray(at, at + size));
      const problem = validateBatch(bytes);
      if (problem !== null) throw new Error(`batch at ${h.baseOffset}: ${problem}`);
      if (h.baseOffset <= last) throw new Error(`offsets go back: ${h.baseOffset} after ${last}`);
      const logAppend = (h.attributes & Attribute.timestampTypeLogAppend) !== 0;
      const records = decodeRecords(bytes).map((rec) => ({
        offset: h.baseOffset + BigInt(rec.offsetDelta),
        key: rec.key === null ? null : rec.key.toString(),
        value: rec.value === null ? null : rec.value.toString(),
        timestamp: logAppend ? h.maxTimestamp : h.baseTimestamp + BigInt(rec.timestampDelta),
        headers: rec.headers.map((x) => `${x.key}=${x.value?.toString() ?? 'null'}`),
      }));
      for (const rec of records) if (rec.offset > h.lastOffset || rec.offset < h.baseOffset) throw new Error('record outside its batch');
      out.push({
        baseOffset: h.baseOffset,
        lastOffset: h.lastOffset,
        attributes: h.attributes,
        compression: h.compression,
        producerId: h.producerId,
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
        baseTimestamp: h.baseTimestamp,
        maxTimestamp: h.maxTimestamp,
        isControl: h.isControl,
        records,
        bytes,
      });
      last = h.lastOffset;
      offset = h.lastOffset + 1n;
      at += size;
    }
  }
  return out;
}

export function allRecords(batches: ReadBatch[]): ReadBatch['records'] {
  return batches.filter((b) => !b.isControl).flatMap((b) => b.records);
}

/** key -> [offset, value] of the last record per key (tombstones included). */
export function latestPerKey(records: ReadBatch['records']): Map<string, { offset: bigint; value: string | null }> {
  const m = new Map<string, { offset: bigint; value: string | null }>();
  for (const r of records) if (r.key !== null) m.set(r.key, { offset: r.offset, value: r.value });
  return m;
}
