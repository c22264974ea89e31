/**
 * Fetch (key 1), v4-v17. Stored batches go out as they are: the response carries slices
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
import type { BrokerServices } from '../services.js';
import type { BrokerCounters } from '../../metrics/broker-counters.js';
import { StorageError } from '../../errors.js';
import type { PartitionLog } from '../../storage/index.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { abortedListFor } from '../aborted-list.js';
import { CONSUMER_BYTE_RATE } from '../quota/client-quota-entities.js';
import { ANONYMOUS_USER } from '../quota/client-quota-manager.js';

const MIN_VERSION = 4;
const NO_RECORDS: Buffer[] = [];
const READ_COMMITTED = 1;

interface Slot {
  out: PartitionData;
  log: PartitionLog | undefined;
  fetchOffset: bigint;
  partitionMaxBytes: number;
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
  const topics: FetchableTopicResponse[] = [];
  const slots: Slot[] = [];
  for (const t of req.topics) {
    const info = apiVersion >= 13 ? broker.topics.byId(t.topicId) : broker.topics.get(t.topic);
    const unknown = apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const partitions: PartitionData[] = [];
    for (const p of t.partitions) {
      const log = info ? broker.topics.partition(info.name, p.partition) : undefined;
      if (!log) {
        partitions.push(partitionError(p.partition, info ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : unknown, []));
        continue;
      }
      const epoch = Math.max(0, log.latestEpoch);
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== epoch) {
        const code = p.currentLeaderEpoch > epoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
        partitions.push(partitionError(p.partition, code, []));
        continue;
      }
      const out = partitionError(p.partition, ErrorCode.NONE);
      partitions.push(out);
      slots.push({ out, log, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes });
    }
    topics.push({ topic: info?.name ?? t.topic, topicId: info?.topicId ?? t.topicId ?? ZERO_UUID, partitions });
  }
  return { topics, slots };
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
      const r = await log.read(s.fetchOffset, limit, { minOneBatch, upTo: readCommitted ? lso : undefined, regions: true });
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
    if (slots.some((s, i) => s.log!.highWatermark !== before[i])) done();
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
    const readCommitted = req.isolationLevel === READ_COMMITTED;
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    // As Kafka, no more than the consumer's byte-rate quota allows in one quota window.
    const maxBytes = Math.min(req.maxBytes, ctx.broker.quotas.maxValueInWindow(CONSUMER_BYTE_RATE, ANONYMOUS_USER, ctx.header.clientId ?? ''));
    for (;;) {
      const before = slots.map((s) => s.log!.highWatermark);
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
