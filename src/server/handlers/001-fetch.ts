/**
 * Fetch (key 1), v4-v18 (v18 adds only the high watermark a follower replica sends, which a
 * single node has no use for). Stored batches go out as they are: the response carries slices
 * of the log that the encoder passes through by reference, or regions of segment files that
 * the connection sends with sendfile. A long poll waits for minBytes
 * or maxWaitMs, woken by appends to the partitions it reads. No fetch sessions are created
 * (session id 0 in every answer, which every client accepts). v0-v3 (message format 0/1)
 * are not served, as in Kafka 4. read_committed reads stop at the last stable offset (the
 * first offset of the oldest open transaction) and list the aborted transactions that
 * overlap the batches returned, from the partition's .txnindex entries.
 */
import { ChunkWriter } from '../../protocol/codec/chunk-writer.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type FetchRequest,
  type FetchResponse,
  type FetchableTopicResponse,
  type AbortedTransaction,
  type PartitionData,
  defaultFetchResponse,
  defaultPartitionData,
  codec,
} from '../../protocol/generated/001-fetch.js';
import type { PartitionState } from '../../cluster/controller.js';
import type { BrokerServices } from '../services.js';
import type { BrokerCounters } from '../../metrics/broker-counters.js';
import { StorageError } from '../../errors.js';
import type { PartitionLog } from '../../storage/index.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { abortedListFor } from '../aborted-list.js';
import { CONSUMER_BYTE_RATE } from '../quota/client-quota-entities.js';
import { quotaUser } from '../quota/client-quota-manager.js';

const MIN_VERSION = 4;
const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
const NO_RECORDS: Buffer[] = [];
const READ_COMMITTED = 1;

interface Slot {
  out: PartitionData;
  log: PartitionLog | undefined;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  /** A follower's fetch reads up to the log end, not the high watermark. */
  follower: boolean;
}

/**
 * A partition answered with an error carries no offsets and empty (not null) records, as
 * Kafka's replica manager answers any failed read. Kafka leaves the aborted-transaction list
 * null for a read that failed and empty for a partition it never read (unknown, fenced).
 */
function partitionError(partitionIndex: number, errorCode: number, aborted: AbortedTransaction[] | null = null): PartitionData {
  return { ...defaultPartitionData(), partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: aborted, records: NO_RECORDS };
}

/** Resolves every requested partition, answering lookup and epoch errors up front. */
function plan(req: FetchRequest, ctx: RequestContext): { topics: FetchableTopicResponse[]; slots: Slot[] } {
  const { broker, apiVersion } = ctx;
  const replicaId = apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const topics: FetchableTopicResponse[] = [];
  const slots: Slot[] = [];
  for (const t of req.topics) {
    const info = apiVersion >= 13 ? broker.topics.byId(t.topicId) : broker.topics.get(t.topic);
    const unknown = apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const partitions: PartitionData[] = [];
    const mayRead = info === undefined || authorized(ctx, Operation.READ, ResourceType.TOPIC, info.name);
    for (const p of t.partitions) {
      if (!mayRead) {
        partitions.push(partitionError(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED, []));
        continue;
      }
      const log = info ? broker.topics.partition(info.name, p.partition) : undefined;
      const state = info ? broker.replicas?.state(info.name, p.partition) : undefined;
      if (!log) {
        // A virtual cluster's broker that holds no replica of a partition that exists: as Kafka, not the leader.
        partitions.push(partitionError(p.partition, state ? ErrorCode.NOT_LEADER_OR_FOLLOWER : info ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : unknown, []));
        continue;
      }
      // KIP-392: a consumer (v11+) may read from a follower, up to the follower's high watermark.
      const followerRead = state !== undefined && state.leader !== broker.nodeId && replicaId < 0 && apiVersion >= 11;
      if (state && state.leader !== broker.nodeId && !followerRead) {
        const out = partitionError(p.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER, []);
        if (state.leader >= 0 && apiVersion >= 12) out.currentLeader = { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
        partitions.push(out);
        continue;
      }
      const epoch = state ? state.leaderEpoch : Math.max(0, log.latestEpoch);
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== epoch) {
        const code = p.currentLeaderEpoch > epoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
        partitions.push(partitionError(p.partition, code, []));
        continue;
      }
      const out = partitionError(p.partition, ErrorCode.NONE);
      partitions.push(out);
      const preferred = state && replicaId < 0 && apiVersion >= 11 && !followerRead ? preferredReadReplica(broker, state, req.rackId) : -1;
      if (preferred >= 0) {
        // Sent elsewhere: the offsets, no records, as Kafka answers.
        Object.assign(out, { preferredReadReplica: preferred, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, abortedTransactions: null });
        continue;
      }
      const follower = state !== undefined && replicaId >= 0;
      if (follower) broker.replicas!.followerFetched(info!.name, p.partition, replicaId, p.fetchOffset);
      slots.push({ out, log, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, follower });
    }
    topics.push({ topic: info?.name ?? t.topic, topicId: info?.topicId ?? t.topicId ?? ZERO_UUID, partitions });
  }
  return { topics, slots };
}

/**
 * KIP-392 with replica.selector.class = RackAwareReplicaSelector: an in-sync replica in the
 * consumer's rack other than the leader, or -1 (read from the leader).
 */
function preferredReadReplica(broker: BrokerServices, state: PartitionState, rackId: string): number {
  if (rackId === '' || broker.config.values['replica.selector.class'] !== RACK_AWARE_SELECTOR) return -1;
  const cluster = broker.cluster!;
  if (cluster.broker(broker.nodeId)?.rack === rackId) return -1;
  return state.isr.find((r) => r !== broker.nodeId && cluster.broker(r)?.alive && cluster.broker(r)?.rack === rackId) ?? -1;
}

/** KIP-951 (v16+): the endpoints of the leaders named in NOT_LEADER_OR_FOLLOWER answers. */
function leaderEndpoints(broker: BrokerServices, topics: readonly FetchableTopicResponse[]): FetchResponse['nodeEndpoints'] {
  const ids = new Set(topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && p.currentLeader.leaderId >= 0).map((p) => p.currentLeader.leaderId)));
  return [...ids].flatMap((id) => {
    const b = broker.cluster?.broker(id);
    return b?.alive ? [{ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }] : [];
  });
}

/** One pass over the partitions; returns the bytes gathered. Kafka's first-batch rule applies once. */
async function readAll(slots: Slot[], maxBytes: number, readCommitted: boolean, counters: BrokerCounters): Promise<number> {
  let remaining = maxBytes;
  let total = 0;
  let minOneBatch = true;
  for (const s of slots) {
    const log = s.log!;
    const out = s.out;
    out.highWatermark = log.highWatermark;
    out.lastStableOffset = log.lastStableOffset;
    out.logStartOffset = log.logStartOffset;
    out.abortedTransactions = readCommitted ? [] : null;
    try {
      const limit = Math.min(s.partitionMaxBytes, remaining);
      if (limit <= 0 && !minOneBatch) {
        out.records = NO_RECORDS;
        continue;
      }
      const lso = log.lastStableOffset;
      const r = await log.read(s.fetchOffset, limit, { minOneBatch, upTo: readCommitted ? lso : undefined, regions: true, toLogEnd: s.follower });
      out.records = r.records;
      out.highWatermark = r.highWatermark;
      out.lastStableOffset = lso < r.highWatermark ? lso : r.highWatermark;
      if (readCommitted && r.sizeInBytes > 0) out.abortedTransactions = abortedListFor(log.abortedTransactions(s.fetchOffset, r.nextOffset), s.fetchOffset, r.records);
      out.logStartOffset = r.logStartOffset;
      out.errorCode = ErrorCode.NONE;
      if (r.sizeInBytes > 0) {
        counters.topic(log.topic).bytesOut += r.sizeInBytes;
        minOneBatch = false;
        total += r.sizeInBytes;
        remaining = Math.max(0, remaining - r.sizeInBytes);
      }
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      // Storage error codes are Kafka's (OFFSET_OUT_OF_RANGE among them).
      Object.assign(out, partitionError(out.partitionIndex, err.code));
    }
  }
  return total;
}

/**
 * Resolves when any of the logs gets an append, the wait runs out or the connection goes; at
 * once when a log's high watermark moved since `before` was taken (ahead of the read pass).
 * An append landing while the pass awaited a later partition's read thus still counts, as
 * Kafka's DelayedFetch checks once more after registering its watchers; otherwise it would
 * only be seen when maxWaitMs ran out.
 */
/** What a long poll waits to see move: the high watermark, or for a follower the log end. */
function watermark(s: Slot): bigint {
  return s.follower ? s.log!.logEndOffset : s.log!.highWatermark;
}

function waitForData(slots: Slot[], before: readonly bigint[], ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe: Array<() => void> = [];
    const done = () => {
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of slots) unsubscribe.push(s.log!.onAppend(done));
    signal.addEventListener('abort', done, { once: true });
    if (slots.some((s, i) => watermark(s) !== before[i])) done();
  });
}

function countFetch(broker: BrokerServices, topics: readonly FetchableTopicResponse[]): void {
  const api = broker.counters.api(ApiKey.Fetch);
  for (const t of topics) {
    // Only topics that exist get counters: names straight off the wire would be unbounded labels.
    const counters = broker.topics.get(t.topic) !== undefined ? broker.counters.topic(t.topic) : undefined;
    for (const p of t.partitions) {
      if (counters !== undefined) counters.fetchRequests++;
      if (p.errorCode === ErrorCode.NONE) continue;
      api.error(p.errorCode);
      if (counters !== undefined) counters.failedFetchRequests++;
    }
  }
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  ...schemaVersions(ApiKey.Fetch),
  codec,
  minVersion: MIN_VERSION,
  async handle(req, ctx) {
    const res = defaultFetchResponse();
    if (req.sessionId !== 0) {
      // We never hand out session ids, so any id is one we do not know.
      res.errorCode = ErrorCode.FETCH_SESSION_ID_NOT_FOUND;
      return res;
    }
    const { topics, slots } = plan(req, ctx);
    res.responses = topics;
    if (ctx.apiVersion >= 16) res.nodeEndpoints = leaderEndpoints(ctx.broker, topics);
    const readCommitted = req.isolationLevel === READ_COMMITTED;
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    // As Kafka, no more than the consumer's byte-rate quota allows in one quota window.
    const maxBytes = Math.min(req.maxBytes, ctx.broker.quotas.maxValueInWindow(CONSUMER_BYTE_RATE, quotaUser(ctx.connection.principal), ctx.header.clientId ?? ''));
    for (;;) {
      const before = slots.map(watermark);
      const bytes = await readAll(slots, maxBytes, readCommitted, ctx.broker.counters);
      const anyError = topics.some((t) => t.partitions.some((p) => p.errorCode !== ErrorCode.NONE));
      const wait = deadline - Date.now();
      if (bytes >= req.minBytes || anyError || wait <= 0 || slots.length === 0 || ctx.connection.signal.aborted) {
        countFetch(ctx.broker, topics);
        return res;
      }
      await waitForData(slots, before, wait, ctx.connection.signal);
    }
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultFetchResponse(),
      errorCode,
      responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => partitionError(p.partition, errorCode)) })),
    };
  },
  passThroughBytes(res) {
    let n = 0;
    for (const t of res.responses) for (const p of t.partitions) n += ChunkWriter.passThroughBytes(p.records);
    return n;
  },
});
