/**
 * Produce (key 0), v3-v13. Each partition's payload must be exactly one RecordBatch v2
 * (as Kafka requires from v3); storage/log-validator checks it, records included, and this
 * handler turns a refusal into the partition's answer; a sound batch is appended with its
 * offsets patched in place. v0-v2 (message format 0/1) are not served,
 * as in Kafka 4. acks=0 gets no response; if such a request fails, the connection is
 * closed, which is how Kafka tells an acks=0 producer something went wrong. v13 names
 * topics by id: an id the broker does not know is UNKNOWN_TOPIC_ID.
 *
 * Batches with a producer id go through the partition's producer state (sequence and epoch
 * checks, duplicates answered with their stored offsets). A transactional batch is first
 * verified with the transaction coordinator, as Kafka does since 3.6
 * (transaction.partition.verification.enable): its partition must be in the producer's
 * ongoing transaction. From v12 (transactions v2, KIP-890) the client sends no
 * AddPartitionsToTxn: the request's transactional partitions are added to the transaction
 * here, in one call to the coordinator, before that verification.
 */
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type PartitionProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
  defaultPartitionProduceResponse,
  defaultProduceResponse,
  codec,
} from '../../protocol/generated/000-produce.js';
import { BATCH_HEADER_SIZE, BatchHeader } from '../../protocol/records/record-batch.js';
import { KafkaError } from '../../errors.js';
import { batchSize, isTransactionalBatch, startProduceValidation, type ValidationFailure } from '../../storage/index.js';
import { TRANSACTION_VERSION_2 } from '../../coordinator/txn/transaction-metadata.js';
import type { BrokerServices } from '../services.js';
import type { Logger } from '../../log.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { CloseConnection, defineHandler, NO_RESPONSE, schemaVersions } from '../handler.js';
import { FRAMES } from '../frame-pool.js';

const MIN_VERSION = 3;
/**
 * Kafka 4 lists Produce from v0 although it refuses v0-v2: librdkafka before 2.10 turns
 * compression off against a broker whose Produce range starts above 0 (KAFKA-18659).
 */
const ADVERTISED_MIN_VERSION = 0;

/** A failed partition carries no offsets, as Kafka answers (-1 rather than the schema's 0). */
function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionProduceResponse {
  return { ...defaultPartitionProduceResponse(), index, errorCode, errorMessage, baseOffset: -1n, logStartOffset: -1n };
}

/** The answer to a payload the validator refused, with the fields Kafka fills for that kind of error. */
function refused(index: number, f: ValidationFailure, logStartOffset: bigint): PartitionProduceResponse {
  return {
    ...failed(index, f.errorCode, f.sendMessage ? f.message : null),
    logStartOffset: f.inLog ? logStartOffset : -1n,
    recordErrors: f.recordErrors,
  };
}

/**
 * A coordinator's answer about a transactional partition, as the produce path reports it. From
 * v11 a partition outside the transaction is TRANSACTION_ABORTABLE (KIP-890), which the client
 * recovers from by aborting; older clients get INVALID_TXN_STATE.
 */
function producerCode(code: number, apiVersion: number): number {
  if (code === ErrorCode.INVALID_TXN_STATE && apiVersion >= 11) return ErrorCode.TRANSACTION_ABORTABLE;
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  // Retriable for every client version, as Kafka maps coordinator trouble during verification.
  if (code === ErrorCode.CONCURRENT_TRANSACTIONS || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return code;
}

/** A virtual cluster's broker that does not lead the partition: the leader it knows (KIP-951, v10+). */
function notLeader(broker: BrokerServices, topic: string, index: number, apiVersion: number): PartitionProduceResponse {
  const res = failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const s = broker.cluster?.partition(topic, index);
  if (apiVersion >= 10 && s && s.leader >= 0) res.currentLeader = { leaderId: s.leader, leaderEpoch: s.leaderEpoch };
  return res;
}

/** KIP-951: the endpoints of the leaders named in NOT_LEADER_OR_FOLLOWER answers. */
function leaderEndpoints(broker: BrokerServices, results: readonly PartitionProduceResponse[]): ProduceResponse['nodeEndpoints'] {
  const ids = new Set(results.filter((r) => r.currentLeader.leaderId >= 0 && r.errorCode !== ErrorCode.NONE).map((r) => r.currentLeader.leaderId));
  const out: ProduceResponse['nodeEndpoints'] = [];
  for (const id of ids) {
    const b = broker.cluster?.broker(id);
    if (b?.alive) out.push({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack });
  }
  return out;
}

/** The coordinator's verification of a transactional batch, as the produce path reports it. */
function verifyTransactional(broker: BrokerServices, transactionalId: string | null, topic: string, partition: number, header: BatchHeader, apiVersion: number): number {
  if (!header.isTransactional || transactionalId === null) return ErrorCode.NONE;
  const coordinator = broker.txnCoordinatorOf(transactionalId);
  if (coordinator === undefined) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return producerCode(coordinator.verifyPartitions(transactionalId, header.producerId, header.producerEpoch, [{ topic, partition }])[0]!, apiVersion);
}

/** A topic of the request with the name it resolves to (undefined: an unknown id, v13). */
interface ResolvedTopic {
  name: string | undefined;
  topicId: string;
  partitionData: ProduceRequest['topicData'][number]['partitionData'];
}

function resolveTopics(broker: BrokerServices, req: ProduceRequest, apiVersion: number): ResolvedTopic[] {
  return req.topicData.map((t) => {
    if (apiVersion >= 13) return { name: broker.topics.byId(t.topicId)?.name, topicId: t.topicId, partitionData: t.partitionData };
    return { name: t.name, topicId: broker.topics.get(t.name)?.topicId ?? ZERO_UUID, partitionData: t.partitionData };
  });
}

/** The batch header of a transactional payload for a partition that exists: what transactions v2 adds. */
function joiningHeader(broker: BrokerServices, topic: string | undefined, p: { index: number; records: Buffer | null }): BatchHeader | undefined {
  if (topic === undefined || !isTransactionalBatch(p.records) || p.records!.length < BATCH_HEADER_SIZE || !broker.topics.partition(topic, p.index)) return undefined;
  return new BatchHeader(p.records!);
}

/**
 * Transactions v2: adds the request's transactional partitions to the producer's transaction
 * (one coordinator call, as Kafka's AddPartitionsToTxnManager batches them). NONE when there
 * is nothing to add; otherwise the code every one of those partitions answers.
 */
async function addToTransaction(broker: BrokerServices, transactionalId: string | null, topics: readonly ResolvedTopic[], apiVersion: number): Promise<number> {
  if (transactionalId === null) return ErrorCode.NONE;
  const partitions: Array<{ topic: string; partition: number }> = [];
  let producer: BatchHeader | undefined;
  for (const t of topics) {
    for (const p of t.partitionData) {
      const header = joiningHeader(broker, t.name, p);
      if (!header) continue;
      producer ??= header;
      partitions.push({ topic: t.name!, partition: p.index });
    }
  }
  if (!producer) return ErrorCode.NONE;
  const coordinator = broker.txnCoordinatorOf(transactionalId);
  if (coordinator === undefined) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return producerCode(await coordinator.addPartitions(transactionalId, producer.producerId, producer.producerEpoch, partitions, TRANSACTION_VERSION_2), apiVersion);
}

/** A batch refused by validation that finished off the event loop, after its append was queued. */
class BatchRefused extends Error {
  constructor(readonly failure: ValidationFailure) {
    super(failure.message);
  }
}

interface ProduceOptions {
  apiVersion: number;
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
}

async function producePartition(broker: BrokerServices, logger: Logger, topic: string, index: number, records: Buffer | null, opts: ProduceOptions): Promise<PartitionProduceResponse> {
  const { apiVersion, transactionalId } = opts;
  const replicas = broker.replicas;
  if (replicas && broker.topics.get(topic) && !replicas.isLeader(topic, index)) return notLeader(broker, topic, index, apiVersion);
  const log = broker.topics.partition(topic, index);
  if (!log) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const { counters } = broker;
  const topicCounters = counters.topic(topic);
  topicCounters.produceRequests++;
  const config = broker.topics.effectiveConfig(topic);
  const validation = startProduceValidation(records, {
    apiVersion,
    maxMessageBytes: config['max.message.bytes'],
    topicPartition: `${topic}-${index}`,
    compacted: config['cleanup.policy'].includes('compact'),
    createTime: config['message.timestamp.type'] === 'CreateTime',
    timestampBeforeMaxMs: config['message.timestamp.before.max.ms'],
    timestampAfterMaxMs: config['message.timestamp.after.max.ms'],
    now: Date.now(),
  });
  const refuse = (failure: ValidationFailure): PartitionProduceResponse => {
    logger.debug({ topic, partition: index, errorCode: failure.errorCode, reason: failure.message }, 'produce refused');
    counters.produceValidationFailure(failure.errorCode);
    counters.noKeyCompactedTopicRecords += failure.keylessRecords;
    return refused(index, failure, log.logStartOffset);
  };
  if (validation !== null && !(validation instanceof Promise)) return refuse(validation);
  // A large compressed batch is still being decompressed off the event loop: the checks below
  // run meanwhile, and a refusal of the batch itself wins over theirs, as when it ran first.
  const pending = validation ?? undefined;
  const refusedFirst = async (answer: PartitionProduceResponse): Promise<PartitionProduceResponse> => {
    const failure = await pending;
    return failure ? refuse(failure) : answer;
  };
  // Bytes after the batch, too few to be another batch, are dropped as Kafka drops them.
  const batch = records!.subarray(0, batchSize(records!));
  const verified = verifyTransactional(broker, transactionalId, topic, index, new BatchHeader(batch), apiVersion);
  if (verified !== ErrorCode.NONE) return refusedFirst(failed(index, verified));
  const minIsr = config['min.insync.replicas'];
  if (replicas && opts.acks === -1 && replicas.state(topic, index)!.isr.length < minIsr) {
    return refusedFirst(failed(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${index}`));
  }
  try {
    // The append takes its place in the partition's order now, before the validation is done.
    const ready = pending?.then((failure) => {
      if (failure) throw new BatchRefused(failure);
    });
    // A pooled frame serves another request once this one is answered: the log copies what it keeps.
    const result = await log.append(batch, { origin: 'client', ready, borrowed: FRAMES.owns(batch) });
    if (replicas && opts.acks === -1) {
      const code = await replicas.waitForReplicas(topic, index, result.lastOffset, minIsr, opts.timeoutMs);
      if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) return notLeader(broker, topic, index, apiVersion);
      if (code !== ErrorCode.NONE) return failed(index, code);
    }
    topicCounters.bytesIn += batch.length;
    topicCounters.messagesIn += new BatchHeader(batch).recordCount;
    return {
      ...defaultPartitionProduceResponse(),
      index,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTime,
      logStartOffset: result.logStartOffset,
    };
  } catch (err) {
    // An append refused before it waited for the validation: that may still be reading the frame.
    await pending;
    if (err instanceof BatchRefused) return refuse(err.failure);
    if (err instanceof KafkaError) return failed(index, err.code, err.message);
    throw err;
  }
}

/**
 * Every partition's answer, once all have settled: a partition that failed does not answer the
 * request while another's append may still be writing from its frame.
 */
async function allPartitions(pending: ReadonlyArray<Promise<PartitionProduceResponse>>): Promise<PartitionProduceResponse[]> {
  const settled = await Promise.allSettled(pending);
  return settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
}

function countFailures(broker: BrokerServices, topic: string | undefined, responses: readonly PartitionProduceResponse[]): void {
  const api = broker.counters.api(ApiKey.Produce);
  for (const r of responses) {
    if (r.errorCode === ErrorCode.NONE) continue;
    api.error(r.errorCode);
    // Only topics that exist get counters: names straight off the wire would be unbounded labels.
    if (topic !== undefined && broker.topics.get(topic) !== undefined) broker.counters.topic(topic).failedProduceRequests++;
  }
}

function everyPartitionFailed(req: ProduceRequest, errorCode: number): ProduceResponse {
  return {
    ...defaultProduceResponse(),
    responses: req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) })),
  };
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  ...schemaVersions(ApiKey.Produce),
  codec,
  minVersion: MIN_VERSION,
  advertisedMinVersion: ADVERTISED_MIN_VERSION,
  releasesFrame: true,
  overlaps: true,
  async handle(req, ctx) {
    const { broker } = ctx;
    const res = defaultProduceResponse();
    if (req.transactionalId === null && req.topicData.some((t) => t.partitionData.some((p) => isTransactionalBatch(p.records)))) {
      if (req.acks === 0) throw new CloseConnection('transactional records without a transactional id');
      return everyPartitionFailed(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    if (req.transactionalId !== null && !authorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return everyPartitionFailed(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const topics = resolveTopics(broker, req, ctx.apiVersion);
    // Only partitions the principal may write join the transaction, as Kafka authorizes first.
    const writable = topics.filter((t) => t.name !== undefined && authorized(ctx, Operation.WRITE, ResourceType.TOPIC, t.name));
    const added = validAcks && ctx.apiVersion >= 12 ? await addToTransaction(broker, req.transactionalId, writable, ctx.apiVersion) : ErrorCode.NONE;
    const pending: Array<Promise<PartitionProduceResponse>> = [];
    for (const t of topics) {
      const mayWrite = writable.includes(t);
      for (const p of t.partitionData) {
        const opts = { apiVersion: ctx.apiVersion, transactionalId: req.transactionalId, acks: req.acks, timeoutMs: req.timeoutMs };
        if (!validAcks) pending.push(Promise.resolve(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)));
        else if (t.name === undefined) pending.push(Promise.resolve(failed(p.index, ErrorCode.UNKNOWN_TOPIC_ID)));
        else if (!mayWrite) pending.push(Promise.resolve(failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
        else if (added !== ErrorCode.NONE && joiningHeader(broker, t.name, p)) pending.push(Promise.resolve(failed(p.index, added)));
        else pending.push(producePartition(broker, ctx.log, t.name, p.index, p.records, opts));
      }
    }
    // Every append this request makes is in its partition's queue now (producePartition calls
    // append before it first waits), behind those of earlier requests: a Produce behind this
    // one may start. Not after acks=0: if this request fails, the connection closes and, as on
    // Kafka, nothing sent after it may have been applied; it may fail until it is written.
    if (req.acks !== 0) ctx.sequenced?.();
    const results = await allPartitions(pending);
    let i = 0;
    for (const t of topics) {
      const partitionResponses = t.partitionData.map(() => results[i++]!);
      countFailures(broker, t.name, partitionResponses);
      res.responses.push({ name: t.name ?? '', topicId: t.topicId, partitionResponses });
    }
    res.nodeEndpoints = leaderEndpoints(broker, results);
    if (req.acks === 0) {
      const failure = results.find((r) => r.errorCode !== ErrorCode.NONE);
      if (failure) throw new CloseConnection(`acks=0 produce failed with error ${failure.errorCode}`);
      return NO_RESPONSE;
    }
    return res;
  },
  errorResponse: everyPartitionFailed,
});
