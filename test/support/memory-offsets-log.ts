/** __consumer_offsets in memory for coordinator tests: what was appended, readable again by a new coordinator. */
import type { OffsetsTopicLog } from '../../src/coordinator/group/group-coordinator.js';
import { decodeGroupRecord } from '../../src/coordinator/group/records.js';
import { batches } from '../../src/protocol/records/record-batch.js';
import { decodeRecords } from '../../src/protocol/records/records.js';

export class MemoryOffsetsLog implements OffsetsTopicLog {
  readonly stored: Buffer[][];
  /** The next append fails, as a full disk would. */
  failNext = false;
  constructor(readonly partitions: number) {
    this.stored = Array.from({ length: partitions }, () => []);
  }
  async append(partition: number, batch: Buffer): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.stored[partition]!.push(batch);
  }
  async *readBatches(partition: number): AsyncIterable<Buffer> {
    yield* this.stored[partition]!;
  }
  /** Every record appended so far, decoded. */
  records() {
    return this.stored.flat().flatMap((b) => [...batches(b)].flatMap(({ at }) => decodeRecords(b, at).map((r) => decodeGroupRecord(r.key!, r.value)!)));
  }
}
