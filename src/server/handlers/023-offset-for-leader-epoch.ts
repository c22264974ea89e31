/**
 * OffsetForLeaderEpoch (key 23), v0-v4. For each partition, the largest epoch <= the one
 * asked for and the offset where it ended (the next epoch's start, or the log end for the
 * current epoch), with the rules of Kafka's LeaderEpochFileCache.endOffsetFor: epoch -1 or an
 * epoch newer than the latest answers epoch -1 / offset -1; an epoch older than every known
 * one answers that epoch with the first known epoch's start. currentLeaderEpoch (v2+) fences
 * as in Fetch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). The replicaId (v3+) only matters
 * to Kafka's authorization, which Skiff does not have: consumers, debug tools and would-be
 * followers are answered alike, always from the leader's log: on a virtual cluster a broker
 * that does not lead the partition answers NOT_LEADER_OR_FOLLOWER, as Kafka's ReplicaManager.
 *
 * Skiff's epoch cache only learns an epoch at the first append; Kafka records the leader
 * epoch when the partition gets its leader. So the current leader epoch (0 for a new
 * partition) is always known here, ending at the log end, as in Kafka.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type EpochEndOffset,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  defaultEpochEndOffset,
  defaultOffsetForLeaderEpochResponse,
  codec,
} from '../../protocol/generated/023-offset-for-leader-epoch.js';
import type { PartitionLog } from '../../storage/index.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { epochCheck, leaderEpochOf } from './002-list-offsets.js';
import { replicaCheck } from '../leadership.js';

function endOffset(partition: number, errorCode: number, leaderEpoch = -1, offset = -1n): EpochEndOffset {
  return { ...defaultEpochEndOffset(), partition, errorCode, leaderEpoch, endOffset: offset };
}

function lastOffsetFor(log: PartitionLog, partition: number, requested: number): EpochEndOffset {
  const current = leaderEpochOf(log);
  if (requested < 0 || requested > current) return endOffset(partition, ErrorCode.NONE);
  if (requested === current) return endOffset(partition, ErrorCode.NONE, requested, log.logEndOffset);
  const found = log.endOffsetForEpoch(requested);
  if (found.epoch >= 0) return endOffset(partition, ErrorCode.NONE, found.epoch, found.endOffset);
  // Older than every epoch still known: Kafka answers the first known epoch's start, which
  // Skiff's cache keeps at the log start (it is cut there when the head of the log goes).
  return endOffset(partition, ErrorCode.NONE, requested, log.logStartOffset);
}

export const offsetForLeaderEpochHandler = defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  ...schemaVersions(ApiKey.OffsetForLeaderEpoch),
  codec,
  handle(req, ctx) {
    const topics = req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        // Every requester, consumer or follower, is answered by the leader only (Kafka's fetchOnlyFromLeader = true).
        const replica = replicaCheck(ctx.broker, t.topic, p.partition, p.currentLeaderEpoch, true);
        if (replica !== undefined && replica !== ErrorCode.NONE) return endOffset(p.partition, replica);
        const log = ctx.broker.topics.partition(t.topic, p.partition);
        if (!log) return endOffset(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const fenced = replica ?? epochCheck(log, p.currentLeaderEpoch);
        if (fenced !== ErrorCode.NONE) return endOffset(p.partition, fenced);
        return lastOffsetFor(log, p.partition, p.leaderEpoch);
      }),
    }));
    return { ...defaultOffsetForLeaderEpochResponse(), topics };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultOffsetForLeaderEpochResponse(),
      topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => endOffset(p.partition, errorCode)) })),
    };
  },
});
