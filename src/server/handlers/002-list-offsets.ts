/**
 * ListOffsets (key 2), v0-v11. From v1 each partition answers one offset for its timestamp:
 *   -1 latest: the high watermark for consumers (the last stable offset under read_committed:
 *      the first offset of the oldest open transaction), the log end offset for a
 *      replica or debug request (replicaId != -1), as Kafka's Partition.fetchOffsetForTimestamp;
 *   -2 earliest and -4 earliest local: the log start offset (no tiered storage, so the same);
 *   -3 max timestamp: the first record holding the largest timestamp, and that timestamp;
 *   -5 latest tiered and -6 earliest pending upload (v11, KIP-1023): offset -1 and leader
 *      epoch -1, which is what Kafka's UnifiedLog answers when remote storage is off;
 *   other: the first record whose timestamp is >= the target (offset and timestamp -1
 *      when there is none), never at or past the last fetchable offset.
 * The leader epoch (v4+) is the epoch of the answered offset (-2/-4/-3/time) or the current
 * leader epoch (-1). currentLeaderEpoch (v4+) fences: older → FENCED_LEADER_EPOCH, newer →
 * UNKNOWN_LEADER_EPOCH. A partition named twice in one request gets INVALID_REQUEST (v1+); a
 * negative timestamp that is not one of the above, or one newer than the request's version,
 * UNSUPPORTED_VERSION, as Kafka's ReplicaManager decides before looking the partition up.
 * On a virtual cluster only the leader answers, except a debug request (replicaId -2): a
 * follower or a broker without a replica answers NOT_LEADER_OR_FOLLOWER, after the epoch
 * check against the partition's leader epoch (Kafka's fetchOnlyFromLeader).
 * v0 answers oldStyleOffsets: segment start offsets, newest first, at most maxNumOffsets, as
 * Kafka's legacyFetchOffsetsBefore.
 *
 * The log finds a record by its timestamp (PartitionLog.findRecordByTimestamp, as Kafka's
 * UnifiedLog.fetchOffsetByTimestamp). Difference from Kafka: v0 dates segments by their largest record
 * timestamp where Kafka uses the file's mtime.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ListOffsetsPartition,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsTopicResponse,
  defaultListOffsetsPartitionResponse,
  defaultListOffsetsResponse,
  codec,
} from '../../protocol/generated/002-list-offsets.js';
import { KafkaError } from '../../errors.js';
import type { PartitionLog, TimestampAndOffset } from '../../storage/index.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { replicaCheck } from '../leadership.js';

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6n;
/** The first version that knows each special timestamp. */
const TIMESTAMP_MIN_VERSION: ReadonlyMap<bigint, number> = new Map([
  [EARLIEST_TIMESTAMP, 1],
  [LATEST_TIMESTAMP, 1],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL_TIMESTAMP, 8],
  [LATEST_TIERED_TIMESTAMP, 9],
  [EARLIEST_PENDING_UPLOAD_TIMESTAMP, 11],
]);
const CONSUMER_REPLICA_ID = -1;
/** Kafka's ListOffsetsRequest.DEBUGGING_REPLICA_ID: the only one a follower answers. */
const DEBUGGING_REPLICA_ID = -2;
const NO_EPOCH = -1;

function answer(partitionIndex: number, errorCode: number, found?: TimestampAndOffset): ListOffsetsPartitionResponse {
  const out = { ...defaultListOffsetsPartitionResponse(), partitionIndex, errorCode };
  if (found) {
    out.offset = found.offset;
    out.timestamp = found.timestamp;
    out.leaderEpoch = found.leaderEpoch;
  }
  return out;
}

/** The partition's leader epoch as Metadata and Fetch report it. */
export function leaderEpochOf(log: PartitionLog): number {
  return Math.max(0, log.latestEpoch);
}

/** The leader-epoch fencing of Kafka's Partition.localLogWithEpochOrThrow; NONE when it passes. */
export function epochCheck(log: PartitionLog, currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0) return ErrorCode.NONE;
  const epoch = leaderEpochOf(log);
  if (currentLeaderEpoch < epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > epoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return ErrorCode.NONE;
}

async function lookup(log: PartitionLog, timestamp: bigint, lastFetchable: bigint): Promise<TimestampAndOffset | undefined> {
  switch (timestamp) {
    case LATEST_TIMESTAMP:
      return { offset: lastFetchable, timestamp: -1n, leaderEpoch: leaderEpochOf(log) };
    case EARLIEST_TIMESTAMP:
    case EARLIEST_LOCAL_TIMESTAMP: {
      const start = log.logStartOffset;
      return { offset: start, timestamp: -1n, leaderEpoch: log.epochForOffset(start) };
    }
    case LATEST_TIERED_TIMESTAMP:
    case EARLIEST_PENDING_UPLOAD_TIMESTAMP:
      return { offset: -1n, timestamp: -1n, leaderEpoch: NO_EPOCH };
    default: {
      const hit = timestamp === MAX_TIMESTAMP ? await log.findRecordWithMaxTimestamp() : await log.findRecordByTimestamp(timestamp);
      return hit === undefined || hit.offset >= lastFetchable ? undefined : hit;
    }
  }
}

/** Drops what `version` cannot carry: the encoder refuses a non-default field outside its versions. */
function forVersion(p: ListOffsetsPartitionResponse, version: number): ListOffsetsPartitionResponse {
  if (version < 4) p.leaderEpoch = NO_EPOCH;
  if (version === 0) {
    p.timestamp = -1n;
    p.offset = -1n;
  } else p.oldStyleOffsets = [];
  return p;
}

function codeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  throw err;
}

async function partitionV1(ctx: RequestContext, req: ListOffsetsRequest, topic: string, p: ListOffsetsPartition, duplicate: boolean): Promise<ListOffsetsPartitionResponse> {
  if (duplicate) return answer(p.partitionIndex, ErrorCode.INVALID_REQUEST);
  const since = TIMESTAMP_MIN_VERSION.get(p.timestamp);
  if (p.timestamp < 0n && (since === undefined || ctx.apiVersion < since)) {
    return answer(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
  }
  const replica = replicaCheck(ctx.broker, topic, p.partitionIndex, p.currentLeaderEpoch, req.replicaId !== DEBUGGING_REPLICA_ID);
  if (replica !== undefined && replica !== ErrorCode.NONE) return answer(p.partitionIndex, replica);
  const log = ctx.broker.topics.partition(topic, p.partitionIndex);
  if (!log) return answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const fenced = replica ?? epochCheck(log, p.currentLeaderEpoch);
  if (fenced !== ErrorCode.NONE) return answer(p.partitionIndex, fenced);
  // A consumer sees up to the high watermark (read_uncommitted) or the last stable offset
  // (read_committed); a replica up to the log end.
  const lastFetchable = req.replicaId !== CONSUMER_REPLICA_ID ? log.logEndOffset : req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
  try {
    const found = await lookup(log, p.timestamp, lastFetchable);
    return answer(p.partitionIndex, ErrorCode.NONE, found);
  } catch (err) {
    return answer(p.partitionIndex, codeOf(err));
  }
}

/** Kafka's legacyFetchOffsetsBefore, with segments dated by their largest timestamp. */
function legacyOffsets(log: PartitionLog, timestamp: bigint, maxNumOffsets: number, fromConsumer: boolean): bigint[] {
  const now = BigInt(Date.now());
  const segments = log.segmentInfo();
  const points = segments.map((s) => ({
    offset: s.baseOffset > log.logStartOffset ? s.baseOffset : log.logStartOffset,
    time: s.maxTimestamp >= 0n ? s.maxTimestamp : now,
  }));
  if (segments.length > 0 && segments.at(-1)!.size > 0) points.push({ offset: log.logEndOffset, time: now });
  let start: number;
  if (timestamp === LATEST_TIMESTAMP) start = points.length - 1;
  else if (timestamp === EARLIEST_TIMESTAMP) start = 0;
  else {
    start = points.length - 1;
    while (start >= 0 && points[start]!.time > timestamp) start--;
  }
  const out: bigint[] = [];
  for (let i = start; i >= 0 && out.length < maxNumOffsets; i--) out.push(points[i]!.offset);
  out.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  if (!fromConsumer) return out;
  const hw = log.highWatermark;
  if (!out.some((o) => o > hw)) return out;
  return [hw, ...out.filter((o) => o <= hw)];
}

function partitionV0(ctx: RequestContext, req: ListOffsetsRequest, topic: string, p: ListOffsetsPartition): ListOffsetsPartitionResponse {
  const replica = replicaCheck(ctx.broker, topic, p.partitionIndex, -1, req.replicaId !== DEBUGGING_REPLICA_ID);
  if (replica !== undefined && replica !== ErrorCode.NONE) return answer(p.partitionIndex, replica);
  const log = ctx.broker.topics.partition(topic, p.partitionIndex);
  if (!log) return answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const out = answer(p.partitionIndex, ErrorCode.NONE);
  out.oldStyleOffsets = legacyOffsets(log, p.timestamp, p.maxNumOffsets, req.replicaId === CONSUMER_REPLICA_ID);
  return out;
}

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  ...schemaVersions(ApiKey.ListOffsets),
  codec,
  async handle(req, ctx) {
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = `${p.partitionIndex}:${t.name}`;
        if (seen.has(key)) duplicates.add(key);
        seen.add(key);
      }
    }
    const topics: ListOffsetsTopicResponse[] = [];
    for (const t of req.topics) {
      const partitions: ListOffsetsPartitionResponse[] = [];
      const mayDescribe = authorized(ctx, Operation.DESCRIBE, ResourceType.TOPIC, t.name);
      for (const p of t.partitions) {
        const out = !mayDescribe
          ? answer(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          : ctx.apiVersion === 0
            ? partitionV0(ctx, req, t.name, p)
            : await partitionV1(ctx, req, t.name, p, duplicates.has(`${p.partitionIndex}:${t.name}`));
        partitions.push(forVersion(out, ctx.apiVersion));
      }
      topics.push({ name: t.name, partitions });
    }
    return { ...defaultListOffsetsResponse(), topics };
  },
  errorResponse(req, errorCode, ctx) {
    return {
      ...defaultListOffsetsResponse(),
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => forVersion(answer(p.partitionIndex, errorCode), ctx.apiVersion)),
      })),
    };
  },
});
