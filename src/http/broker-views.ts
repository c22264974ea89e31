/** Read-only views of broker state shared by /metrics and the console's /api/. */
import type { BrokerServices } from '../server/services.js';
import type { LogManager, PartitionLog } from '../storage/index.js';

/** What the HTTP side reads: what request handling sees, plus the logs (sizes, the cleaner). */
export interface BrokerView extends BrokerServices {
  readonly logs: LogManager;
}

export interface NetworkConnection {
  readonly state: string;
  readonly inFlight: number;
  readonly writableLength: number;
}

/** What the HTTP side sees of the Kafka listener. */
export interface NetworkView {
  readonly connections: ReadonlySet<NetworkConnection>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint;
  logEndOffset: bigint;
  /** High watermark less the committed offset; the whole partition when nothing is committed. */
  lag: bigint;
}

/** Committed offsets of a group with the lag of each (partitions of deleted topics are left out). */
export function groupLag(broker: BrokerView, groupId: string): PartitionLag[] {
  const fetched = broker.groups.fetchOffsets(groupId, null);
  const out: PartitionLag[] = [];
  for (const t of fetched.topics) {
    for (const p of t.partitions) {
      const log = broker.topics.partition(t.name, p.partitionIndex);
      if (log === undefined || p.committedOffset < 0n) continue;
      const hw = log.highWatermark;
      const from = p.committedOffset > log.logStartOffset ? p.committedOffset : log.logStartOffset;
      out.push({ topic: t.name, partition: p.partitionIndex, committedOffset: p.committedOffset, logEndOffset: hw, lag: hw > from ? hw - from : 0n });
    }
  }
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** Every partition log of a topic, in partition order. */
export function topicLogs(broker: BrokerView, topic: string): PartitionLog[] {
  const info = broker.topics.get(topic);
  if (info === undefined) return [];
  const out: PartitionLog[] = [];
  for (let p = 0; p < info.partitions; p++) {
    const log = broker.topics.partition(topic, p);
    if (log !== undefined) out.push(log);
  }
  return out;
}

/**
 * Share of a compacted log's bytes not yet cleaned: bytes in segments from the cleaner's
 * checkpoint on over all bytes, as Kafka's cleaner ranks logs (an estimate at segment grain).
 */
export function dirtyRatio(broker: BrokerView, log: PartitionLog): number {
  const checkpoint = broker.logs.cleaner.checkpointOf(log) ?? log.logStartOffset;
  let total = 0;
  let dirty = 0;
  const segments = log.segmentInfo();
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    total += s.size;
    const next = segments[i + 1]?.baseOffset;
    if (next === undefined || next > checkpoint) dirty += s.size;
  }
  return total === 0 ? 0 : dirty / total;
}
