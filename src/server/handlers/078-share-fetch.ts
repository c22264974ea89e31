/**
 * ShareFetch (key 78), v1-v2 (KIP-932; v2 adds the acquire mode of KIP-1206 and the renew
 * acknowledgements of KIP-1222). The member's share session is opened (epoch 0), checked and
 * updated (its epoch; topics added, forgotten topics removed) or closed (-1, which releases
 * what the member holds on its partitions). Piggybacked acknowledgements are applied first;
 * then records are acquired on the session's partitions, in turn from a starting point that
 * rotates with the epoch, until `maxRecords` (a soft bound in batch-optimized mode, whole log
 * batches; exact in record-limit mode) or `maxBytes`; with nothing acquired, the request waits
 * up to `maxWaitMs` for records (appends, releases, locks running out) until `minBytes` are
 * acquired. Acquired records go out as the log batches holding them, with their ranges and
 * delivery counts; ranges are cut to `batchSize` in batch-optimized mode. A full (epoch 0)
 * answer lists every session partition; an incremental one those with records, errors or
 * acknowledgement results.
 */
import { ChunkWriter } from '../../protocol/codec/chunk-writer.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AcquiredRecords,
  type PartitionData,
  type ShareFetchRequest,
  type ShareFetchResponse,
  codec,
  defaultPartitionData,
  defaultShareFetchResponse,
} from '../../protocol/generated/078-share-fetch.js';
import type { RecordSlice } from '../../protocol/codec/writer.js';
import { KafkaError } from '../../errors.js';
import type { PartitionLog } from '../../storage/index.js';
import type { AcquiredRange } from '../../coordinator/share/share-partition.js';
import { type ShareSession, INITIAL_EPOCH, addPartitions, forgetPartitions } from '../../coordinator/share/share-sessions.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { type AcknowledgedPartition, applyAcknowledgements, checkGroupAndMember, endWithConnection, isFinalEpoch, leads, lockTimeoutMs, sharePartitions } from '../share-requests.js';

const RECORD_LIMIT_MODE = 1;
/** The client's default max.poll.records, for a request that names no limit. */
const DEFAULT_MAX_RECORDS = 500;

interface Target {
  topicId: string;
  partition: number;
  log: PartitionLog;
  out: PartitionData;
}

function partitionOut(partitionIndex: number, errorCode = ErrorCode.NONE): PartitionData {
  return { ...defaultPartitionData(), partitionIndex, errorCode, records: [] as RecordSlice[] };
}

/** The session's partitions, each with its log or the error it is answered with. */
function resolve(ctx: RequestContext, session: ShareSession, outs: Map<string, Map<number, PartitionData>>): Target[] {
  const targets: Target[] = [];
  for (const [topicId, parts] of session.partitions) {
    const info = ctx.broker.topics.byId(topicId);
    const mayRead = info !== undefined && authorized(ctx, Operation.READ, ResourceType.TOPIC, info.name);
    let byPartition = outs.get(topicId);
    if (!byPartition) outs.set(topicId, (byPartition = new Map()));
    for (const p of parts) {
      const out = partitionOut(p);
      byPartition.set(p, out);
      if (info === undefined) out.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
      else if (!mayRead) out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (!leads(ctx, info.name, p)) {
        out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        const state = ctx.broker.replicas?.state(info.name, p);
        if (state && state.leader >= 0) out.currentLeader = { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
      } else {
        const log = ctx.broker.topics.partition(info.name, p);
        if (!log) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else targets.push({ topicId, partition: p, log, out });
      }
    }
  }
  return targets;
}

function splitRanges(ranges: readonly AcquiredRange[], batchSize: number): AcquiredRecords[] {
  const out: AcquiredRecords[] = [];
  for (const r of ranges) {
    if (batchSize <= 0) {
      out.push({ ...r });
      continue;
    }
    for (let first = r.firstOffset; first <= r.lastOffset; first += BigInt(batchSize)) {
      const last = first + BigInt(batchSize) - 1n;
      out.push({ firstOffset: first, lastOffset: last < r.lastOffset ? last : r.lastOffset, deliveryCount: r.deliveryCount });
    }
  }
  return out;
}

/** Acquires on the targets, waiting for records as the request allows. */
async function fetchRecords(ctx: RequestContext, req: ShareFetchRequest, groupId: string, memberId: string, session: ShareSession, targets: Target[]): Promise<Set<PartitionData>> {
  const manager = sharePartitions(ctx);
  const withRecords = new Set<PartitionData>();
  if (targets.length === 0) return withRecords;
  const recordLimit = req.shareAcquireMode === RECORD_LIMIT_MODE;
  const batchSize = recordLimit ? 0 : req.batchSize;
  let records = req.maxRecords > 0 ? req.maxRecords : DEFAULT_MAX_RECORDS;
  let bytes = req.maxBytes;
  let total = 0;
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const start = session.epoch % targets.length;
  for (;;) {
    for (let i = 0; i < targets.length && records > 0 && bytes > 0; i++) {
      const t = targets[(start + i) % targets.length]!;
      if (t.out.errorCode !== ErrorCode.NONE) continue;
      try {
        const got = await manager.acquire(groupId, memberId, t.log, t.topicId, t.partition, { maxRecords: records, recordLimit, maxBytes: bytes, minOneBatch: total === 0 });
        if (got.acquired.length === 0) continue;
        (t.out.records as RecordSlice[]).push(...got.records);
        t.out.acquiredRecords.push(...splitRanges(got.acquired, batchSize));
        withRecords.add(t.out);
        for (const r of got.acquired) records -= Number(r.lastOffset - r.firstOffset + 1n);
        bytes -= got.bytes;
        total += got.bytes;
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        t.out.errorCode = err.code;
      }
    }
    const wait = deadline - Date.now();
    if ((total > 0 && total >= req.minBytes) || wait <= 0 || records <= 0 || ctx.connection.signal.aborted) return withRecords;
    await manager.waitForRecords(groupId, targets, wait, ctx.connection.signal);
  }
}

function respond(res: ShareFetchResponse, outs: Map<string, Map<number, PartitionData>>, include: (p: PartitionData) => boolean): ShareFetchResponse {
  for (const [topicId, parts] of outs) {
    const partitions = [...parts.values()].filter(include);
    if (partitions.length > 0) res.responses.push({ topicId, partitions });
  }
  return res;
}

function recordAcks(outs: Map<string, Map<number, PartitionData>>, acks: readonly AcknowledgedPartition[]): Set<PartitionData> {
  const acked = new Set<PartitionData>();
  for (const a of acks) {
    let byPartition = outs.get(a.topicId);
    if (!byPartition) outs.set(a.topicId, (byPartition = new Map()));
    let out = byPartition.get(a.partition);
    if (!out) byPartition.set(a.partition, (out = partitionOut(a.partition)));
    out.acknowledgeErrorCode = a.errorCode;
    acked.add(out);
  }
  return acked;
}

export const shareFetchHandler = defineHandler<ShareFetchRequest, ShareFetchResponse>({
  ...schemaVersions(ApiKey.ShareFetch),
  codec,
  async handle(req, ctx) {
    const res = defaultShareFetchResponse();
    const manager = sharePartitions(ctx);
    const problem = checkGroupAndMember(ctx, req.groupId, req.memberId);
    if (problem !== ErrorCode.NONE) return { ...res, errorCode: problem };
    const groupId = req.groupId!;
    const memberId = req.memberId!;
    res.acquisitionLockTimeoutMs = lockTimeoutMs(ctx, groupId);
    const renew = ctx.apiVersion >= 2 && req.isRenewAck;
    // KIP-1222: a renewal only acknowledges; it asks for nothing.
    if (renew && (req.maxBytes !== 0 || req.minBytes !== 0 || req.maxRecords !== 0 || req.maxWaitMs !== 0)) return { ...res, errorCode: ErrorCode.INVALID_REQUEST };
    const hasAcks = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
    const requested = req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => p.partitionIndex) }));

    let session: ShareSession;
    if (req.shareSessionEpoch === INITIAL_EPOCH) {
      // A new session has acquired nothing yet: acknowledgements cannot belong to it.
      if (hasAcks) return { ...res, errorCode: ErrorCode.INVALID_REQUEST };
      const opened = manager.sessions.open(groupId, memberId, requested);
      if (typeof opened === 'number') return { ...res, errorCode: opened };
      session = opened;
      endWithConnection(ctx, session);
    } else {
      const found = manager.sessions.check(groupId, memberId, req.shareSessionEpoch);
      if (typeof found === 'number') return { ...res, errorCode: found };
      session = found;
    }

    const outs = new Map<string, Map<number, PartitionData>>();
    const acks = await applyAcknowledgements(ctx, groupId, memberId, req.topics, renew);
    if (isFinalEpoch(req.shareSessionEpoch)) {
      await manager.closeSession(session);
      const acked = recordAcks(outs, acks);
      return respond(res, outs, (p) => acked.has(p));
    }
    const full = req.shareSessionEpoch === INITIAL_EPOCH;
    if (!full) {
      addPartitions(session, requested);
      forgetPartitions(session, req.forgottenTopicsData);
    }
    manager.sessions.advance(session);
    if (renew) {
      const acked = recordAcks(outs, acks);
      return respond(res, outs, (p) => acked.has(p));
    }
    const targets = resolve(ctx, session, outs);
    const withRecords = await fetchRecords(ctx, req, groupId, memberId, session, targets);
    const acked = recordAcks(outs, acks);
    return respond(res, outs, (p) => full || withRecords.has(p) || acked.has(p) || p.errorCode !== ErrorCode.NONE);
  },
  errorResponse(_req, errorCode) {
    return { ...defaultShareFetchResponse(), errorCode };
  },
  passThroughBytes(res) {
    let n = 0;
    for (const t of res.responses) for (const p of t.partitions) n += ChunkWriter.passThroughBytes(p.records);
    return n;
  },
});
