/** Reads a whole partition back over the raw protocol, record by record, with offsets. */
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { defaultFetchRequest, defaultFetchPartition, defaultFetchTopic, type FetchResponse } from '../../src/protocol/generated/001-fetch.js';
import { BatchHeader } from '../../src/protocol/records/record-batch.js';
import { forEachBatch } from '../../src/protocol/records/record-batch.js';
import { decodeRecords, type KafkaRecord } from '../../src/protocol/records/records.js';
import type { RawClient } from './raw-client.js';

export interface FetchedRecord extends KafkaRecord {
  offset: bigint;
  timestamp: bigint;
}

export async function fetchPartition(client: RawClient, topic: string, partition: number, from = 0n, version = 12): Promise<{ records: FetchedRecord[]; highWatermark: bigint; logStartOffset: bigint }> {
  const out: FetchedRecord[] = [];
  let offset = from;
  for (;;) {
    const res = await client.request<FetchResponse>(ApiKey.Fetch, version, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
      topics: [{ ...defaultFetchTopic(), topic, partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: 4 * 1024 * 1024 }] }],
    });
    const p = res.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${offset}: error ${p.errorCode}`);
    const data = p.records as Buffer | null;
    let progressed = false;
    if (data && data.length > 0) {
      forEachBatch(data, (header: BatchHeader, at: number) => {
        const base = header.baseOffset;
        for (const r of decodeRecords(data, at)) {
          const o = base + BigInt(r.offsetDelta);
          if (o < offset) continue;
          out.push({ ...r, offset: o, timestamp: header.baseTimestamp + BigInt(r.timestampDelta) });
        }
        offset = header.lastOffset + 1n;
        progressed = true;
      });
    }
    if (!progressed || offset >= p.highWatermark) return { records: out, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset };
  }
}
