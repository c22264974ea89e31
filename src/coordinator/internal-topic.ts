/**
 * What the group and share coordinators share about their internal topic: created on first
 * need (as Kafka does), appended to and read back through the ordinary partition logs.
 */
import type { TopicManager } from '../cluster/topic-manager.js';
import { batches } from '../protocol/records/record-batch.js';
import { StorageError } from '../errors.js';
import type { PartitionLog } from '../storage/index.js';

const READ_BYTES = 1 << 20;

export interface InternalTopic {
  /** Creates the topic unless it exists; concurrent callers share one creation. */
  ensure(): Promise<void>;
  /** A creation is in flight. */
  creating(): boolean;
  /** The open partition, else a StorageError with code `notOpen` (the topic is listed before its partitions are open). */
  partitionLog(partition: number): PartitionLog;
  /** Every stored batch of the partition, oldest first; none when the topic or the partition is not here. */
  readBatches(partition: number): AsyncIterable<Buffer>;
}

export function internalTopic(topics: TopicManager, name: string, numPartitions: number, configs: Record<string, string>, notOpen: number): InternalTopic {
  let creation: Promise<void> | undefined;
  return {
    ensure() {
      // The topic is listed before its partitions are open: wait for a creation in flight.
      if (creation) return creation;
      if (topics.get(name)) return Promise.resolve();
      creation = (async () => {
        try {
          await topics.create({ name, numPartitions, replicationFactor: 1, configs });
        } finally {
          creation = undefined;
        }
      })();
      return creation;
    },
    creating: () => creation !== undefined,
    partitionLog(p) {
      const log = topics.partition(name, p);
      if (!log) throw new StorageError(notOpen, `${name}-${p} is not open`);
      return log;
    },
    async *readBatches(partition) {
      // Not created yet: nothing stored.
      if (!topics.get(name)) return;
      // Not a replica of it (a virtual cluster's broker): nothing stored here.
      const log = topics.partition(name, partition);
      if (!log) return;
      let offset = log.logStartOffset;
      // To the log end: a new leader's high watermark catches up only as its followers fetch.
      while (offset < log.logEndOffset) {
        const res = await log.read(offset, READ_BYTES, { toLogEnd: true });
        if (res.records.length === 0) break;
        const from = offset;
        for (const buf of res.records) {
          for (const { header, at, size } of batches(buf)) {
            // A read may start at a batch that ends before `offset` (gaps left by compaction).
            if (header.lastOffset < offset) continue;
            yield buf.subarray(at, at + size);
            offset = header.lastOffset + 1n;
          }
        }
        // Never loop on the same position: step over whatever the read could not move past.
        if (offset === from) offset++;
      }
    },
  };
}
