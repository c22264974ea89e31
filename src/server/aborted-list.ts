/**
 * The aborted-transactions list of a read_committed fetch, fitted to the records it goes with.
 *
 * Kafka lists every aborted transaction overlapping the fetched range, in marker order. The
 * Java client and librdkafka sort that list themselves, but kafkajs walks it alongside the
 * records and takes at most one entry per record, from the front, once the record's offset
 * reaches the entry's first offset. A transaction begun before the fetch offset is "due" at
 * the first record, so two of them, or one listed ahead of a transaction starting right at
 * the fetch offset, make kafkajs deliver a record of an aborted transaction.
 *
 * So the list is ordered by when each entry's records first appear in the response, and an
 * entry begun before the fetch offset is dropped when none of its producer's transactional
 * batches before its marker is in the response: no client needs it then (its abort marker
 * alone is ignored by every client). When batch headers cannot be read (a segment file gone
 * under the fetch), the entries keep the fetch offset as their due offset.
 */
import { FileRegion } from '../protocol/codec/file-region.js';
import type { RecordSlice } from '../protocol/codec/writer.js';
import { Attribute, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, Field } from '../protocol/records/record-batch.js';

export interface AbortedEntry {
  producerId: bigint;
  firstOffset: bigint;
}

interface TxnBatch {
  producerId: bigint;
  baseOffset: bigint;
  lastOffset: bigint;
}

/** Transactional data batches (no control batches) of the records, or undefined when a header cannot be read. */
function transactionalBatches(records: readonly RecordSlice[]): TxnBatch[] | undefined {
  const out: TxnBatch[] = [];
  const note = (h: Buffer, at: number) => {
    const attributes = h.readInt16BE(at + Field.attributes);
    if ((attributes & Attribute.transactional) === 0 || (attributes & Attribute.control) !== 0) return;
    const baseOffset = h.readBigInt64BE(at + Field.baseOffset);
    out.push({ producerId: h.readBigInt64BE(at + Field.producerId), baseOffset, lastOffset: baseOffset + BigInt(h.readInt32BE(at + Field.lastOffsetDelta)) });
  };
  const header = Buffer.alloc(BATCH_HEADER_SIZE);
  for (const slice of records) {
    if (slice instanceof FileRegion) {
      for (let at = 0; at + BATCH_HEADER_SIZE <= slice.length; ) {
        let n: number;
        try {
          n = slice.source.peekSync(slice.position + at, header);
        } catch {
          return undefined;
        }
        if (n !== BATCH_HEADER_SIZE) return undefined;
        const size = header.readInt32BE(Field.batchLength) + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE) return undefined;
        note(header, 0);
        at += size;
      }
    } else {
      for (let at = 0; at + BATCH_HEADER_SIZE <= slice.length; at += slice.readInt32BE(at + Field.batchLength) + BATCH_LOG_OVERHEAD) note(slice, at);
    }
  }
  return out;
}

/**
 * `aborted` (each with the offset of its marker as `lastOffset`) for a response holding
 * `records` read from `fetchOffset`: ordered by the offset where each entry's records start
 * in the response, without entries begun before `fetchOffset` that have none there.
 */
export function abortedListFor(aborted: ReadonlyArray<AbortedEntry & { lastOffset: bigint }>, fetchOffset: bigint, records: readonly RecordSlice[]): AbortedEntry[] {
  const begunBefore = aborted.some((e) => e.firstOffset < fetchOffset);
  const batches = begunBefore ? transactionalBatches(records) : [];
  const due: Array<[AbortedEntry, bigint]> = [];
  for (const e of aborted) {
    let at: bigint | undefined = e.firstOffset;
    if (e.firstOffset < fetchOffset) {
      if (batches === undefined) at = fetchOffset;
      else {
        const b = batches.find((x) => x.producerId === e.producerId && x.lastOffset >= fetchOffset && x.baseOffset < e.lastOffset);
        at = b && (b.baseOffset < fetchOffset ? fetchOffset : b.baseOffset);
      }
    }
    if (at !== undefined) due.push([{ producerId: e.producerId, firstOffset: e.firstOffset }, at]);
  }
  due.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return due.map(([e]) => e);
}
