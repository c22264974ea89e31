/**
 * The aborted list of a read_committed fetch, checked the way kafkajs consumes it: walking the
 * records, taking the next entry (at most one per record) once the record's offset reaches its
 * first offset, and dropping transactional records of producers it took until their abort
 * marker. Cases are the interleavings that made kafkajs deliver aborted records.
 */
import { describe, expect, it } from 'vitest';
import { buildBatch, buildTransactionMarker } from '../../../src/protocol/records/records.js';
import { abortedListFor, type AbortedEntry } from '../../../src/server/aborted-list.js';

const T0 = 1_700_000_000_000n;

function data(pid: bigint, baseOffset: bigint, count = 3): Buffer {
  return buildBatch({ baseOffset, producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true, baseTimestamp: T0, records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${pid}:${i}`) })) });
}

function abort(pid: bigint, baseOffset: bigint): Buffer {
  return buildTransactionMarker({ baseOffset, producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: T0 });
}

interface Rec {
  offset: bigint;
  pid: bigint;
  abortMarker: boolean;
}

/** kafkajs's filterAbortedMessages over one record per offset; returns the offsets it delivers as aborted data. */
function kafkajsLeaks(records: Rec[], list: AbortedEntry[], abortedRanges: Array<[bigint, bigint, bigint]>): bigint[] {
  const remaining = [...list];
  const active = new Set<bigint>();
  const leaks: bigint[] = [];
  for (const r of records) {
    if (remaining.length > 0 && r.offset >= remaining[0]!.firstOffset) active.add(remaining.shift()!.producerId);
    if (r.abortMarker) active.delete(r.pid);
    else if (!active.has(r.pid) && abortedRanges.some(([pid, first, last]) => pid === r.pid && r.offset >= first && r.offset < last)) leaks.push(r.offset);
  }
  return leaks;
}

function recordsOf(parts: Array<[bigint, bigint, number] | [bigint, bigint, 'abort']>): Rec[] {
  return parts.flatMap(([pid, base, n]): Rec[] => (n === 'abort' ? [{ offset: base, pid, abortMarker: true }] : Array.from({ length: n }, (_, i) => ({ offset: base + BigInt(i), pid, abortMarker: false }))));
}

describe('abortedListFor', () => {
  it('puts the transaction starting at the fetch offset ahead of those begun before it', () => {
    // Producers 5 (0-2) and 7 (3-5) aborted with markers at 10 and 11; the fetch starts at 6
    // (a marker of producer 8), and producer 6's aborted transaction starts at 7.
    const records = [abort(8n, 6n), data(6n, 7n), abort(5n, 10n), abort(7n, 11n), abort(6n, 12n)];
    const index = [
      { producerId: 5n, firstOffset: 0n, lastOffset: 10n },
      { producerId: 7n, firstOffset: 3n, lastOffset: 11n },
      { producerId: 6n, firstOffset: 7n, lastOffset: 12n },
    ];
    const list = abortedListFor(index, 6n, records);
    // 5 and 7 have no records in the response: not needed by any client.
    expect(list).toEqual([{ producerId: 6n, firstOffset: 7n }]);
    const recs = recordsOf([[8n, 6n, 'abort'], [6n, 7n, 3], [5n, 10n, 'abort'], [7n, 11n, 'abort'], [6n, 12n, 'abort']]);
    expect(kafkajsLeaks(recs, list, [[6n, 7n, 12n]])).toEqual([]);
    // Kafka's list in marker order loses a record to kafkajs.
    expect(kafkajsLeaks(recs, index, [[6n, 7n, 12n]])).toEqual([7n]);
  });

  it('keeps a transaction begun before the fetch offset that still has records in the response, due where they start', () => {
    // Producer 5's aborted transaction has records at 0-2 and 6-8 (marker 10), then 11-12 of
    // its next, committed one; the fetch starts at 3, where producer 9's aborted one begins.
    const records = [data(9n, 3n), data(5n, 6n), abort(9n, 9n), abort(5n, 10n), data(5n, 11n, 2)];
    const index = [
      { producerId: 9n, firstOffset: 3n, lastOffset: 9n },
      { producerId: 5n, firstOffset: 0n, lastOffset: 10n },
    ];
    const list = abortedListFor(index, 3n, records);
    expect(list).toEqual([
      { producerId: 9n, firstOffset: 3n },
      { producerId: 5n, firstOffset: 0n },
    ]);
    const recs = recordsOf([[9n, 3n, 3], [5n, 6n, 3], [9n, 9n, 'abort'], [5n, 10n, 'abort'], [5n, 11n, 2]]);
    expect(kafkajsLeaks(recs, list, [[9n, 3n, 9n], [5n, 0n, 10n]])).toEqual([]);
  });

  it('does not let an earlier transaction of a producer hide its later committed records', () => {
    // Producer 5 aborted 0-2 (marker 3), then commits 4-6; the fetch starts at 3.
    const records = [abort(5n, 3n), data(5n, 4n)];
    const list = abortedListFor([{ producerId: 5n, firstOffset: 0n, lastOffset: 3n }], 3n, records);
    expect(list).toEqual([]);
  });
});
