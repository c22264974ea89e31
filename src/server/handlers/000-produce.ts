/**
 * Produce (key 0), v3-v11. Each partition's payload must be exactly one RecordBatch v2
 * (as Kafka requires from v3); it is validated without decoding its records, then
 * appended with its offsets patched in place. v0-v2 (message format 0/1) are not served,
 * as in Kafka 4. acks=0 gets no response; if such a request fails, the connection is
 * closed, which is how Kafka tells an acks=0 producer something went wrong.
 *
 * Batches with a producer id go through the partition's producer state (sequence and epoch
 * checks, duplicates answered with their stored offsets). A transactional batch is first
 * verified with the transaction coordinator, as Kafka does since 3.6
 * (transaction.partition.verification.enable): its partition must be in the producer's
 * ongoing transaction.
 */
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
import { BATCH_HEADER_SIZE, BatchHeader, Compression, validateBatch } from '../../protocol/records/record-batch.js';
import { StorageError } from '../../storage/errors.js';
import { CorruptBatchError, keylessRecordIndexes } from '../../storage/cleaner/records.js';
import { ProducerStateError } from '../../storage/producer-state.js';
import type { Broker } from '../../broker.js';
import type { TopicConfigValues } from '../../config.js';
import { CloseConnection, defineHandler, NO_RESPONSE, schemaVersions } from '../handler.js';

const MIN_VERSION = 3;

/** A failed partition carries no offsets, as Kafka answers (-1 rather than the schema's 0). */
function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionProduceResponse {
  return { ...defaultPartitionProduceResponse(), index, errorCode, errorMessage, baseOffset: -1n, logStartOffset: -1n };
}

/** Kafka's checks on one partition's payload, before anything is written. */
function checkPayload(records: Buffer | null, maxMessageBytes: number, apiVersion: number): { code: number; message: string } | null {
  if (records === null || records.length === 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version ${apiVersion} must have at least one record batch per partition` };
  }
  if (records.length < BATCH_HEADER_SIZE) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'Record batch is truncated' };
  const header = new BatchHeader(records);
  if (header.magic !== 2) {
    return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2` };
  }
  if (header.totalSize < records.length) {
    return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version ${apiVersion} are only allowed to contain exactly one record batch per partition` };
  }
  if (apiVersion < 7 && header.compression === Compression.zstd) {
    return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: 'Produce requests with version lower than 7 cannot use ZStandard compression' };
  }
  if (header.compression > Compression.zstd) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Unknown compression type id ${header.compression}` };
  // Kafka's LogValidator rules for batches from clients.
  if (header.isControl) return { code: ErrorCode.INVALID_RECORD, message: 'Clients are not allowed to write control records' };
  if (header.producerId >= 0n && header.baseSequence < 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `Invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}` };
  }
  if (records.length > maxMessageBytes) {
    return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The record batch of ${records.length} bytes exceeds the maximum of ${maxMessageBytes}` };
  }
  const problem = validateBatch(records, 0, { contiguousOffsets: header.compression === Compression.none });
  if (problem === 'bad_record_count') return { code: ErrorCode.INVALID_RECORD, message: 'Record count does not match the offsets in the batch' };
  if (problem !== null) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch is corrupt (${problem})` };
  return null;
}

/**
 * message.timestamp.before/after.max.ms on CreateTime topics. Kafka checks every record; the
 * batch header's base and max timestamps bound them all, which keeps this per batch.
 */
function checkTimestamps(header: BatchHeader, config: TopicConfigValues): string | null {
  if (config['message.timestamp.type'] !== 'CreateTime') return null;
  const now = Date.now();
  const earliest = now - config['message.timestamp.before.max.ms'];
  const latest = now + config['message.timestamp.after.max.ms'];
  const first = Number(header.baseTimestamp);
  const max = Number(header.maxTimestamp);
  const bad = max > latest ? max : first >= 0 && first < earliest ? first : null;
  if (bad === null) return null;
  return `Timestamp ${bad} of message with offset ${header.baseOffset} is out of range. The timestamp should be within [${earliest}, ${latest}]`;
}

/** Kafka's LogValidator.validateKey: a compacted topic takes no record without a key. */
function checkKeys(topic: string, index: number, records: Buffer): PartitionProduceResponse | null {
  let keyless: number[];
  try {
    keyless = keylessRecordIndexes(records);
  } catch (err) {
    if (err instanceof CorruptBatchError || err instanceof RangeError || (err as Error).name === 'DecodeError') {
      return failed(index, ErrorCode.CORRUPT_MESSAGE, `Record batch is corrupt (${(err as Error).message})`);
    }
    throw err;
  }
  if (keyless.length === 0) return null;
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${index}.`;
  const shown = keyless.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${message}')`);
  return {
    ...failed(
      index,
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${keyless.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
    ),
    recordErrors: keyless.map((i) => ({ batchIndex: i, batchIndexErrorMessage: message })),
  };
}

/** The coordinator's verification of a transactional batch, as the produce path reports it. */
function verifyTransactional(broker: Broker, transactionalId: string | null, topic: string, partition: number, header: BatchHeader): number {
  if (!header.isTransactional || transactionalId === null) return ErrorCode.NONE;
  const code = broker.txn.verifyPartitions(transactionalId, header.producerId, header.producerEpoch, [{ topic, partition }])[0]!;
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  // Retriable for every client version, as Kafka maps coordinator trouble during verification.
  if (code === ErrorCode.CONCURRENT_TRANSACTIONS || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return code;
}

async function producePartition(broker: Broker, topic: string, index: number, records: Buffer | null, apiVersion: number, transactionalId: string | null): Promise<PartitionProduceResponse> {
  const log = broker.topics.partition(topic, index);
  if (!log) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const { counters } = broker;
  const topicCounters = counters.topic(topic);
  topicCounters.produceRequests++;
  const maxMessageBytes = broker.topics.effectiveConfig(topic)['max.message.bytes'];
  const problem = checkPayload(records, maxMessageBytes, apiVersion);
  if (problem) {
    counters.produceValidationFailure(problem.code);
    return failed(index, problem.code, problem.message);
  }
  const timestampProblem = checkTimestamps(new BatchHeader(records!), broker.topics.effectiveConfig(topic));
  if (timestampProblem) {
    counters.produceValidationFailure(ErrorCode.INVALID_TIMESTAMP);
    return failed(index, ErrorCode.INVALID_TIMESTAMP, timestampProblem);
  }
  if (broker.topics.effectiveConfig(topic)['cleanup.policy'].includes('compact')) {
    const keyless = checkKeys(topic, index, records!);
    if (keyless) {
      counters.produceValidationFailure(keyless.errorCode);
      if (keyless.errorCode === ErrorCode.INVALID_RECORD) counters.noKeyCompactedTopicRecords += keyless.recordErrors.length;
      return keyless;
    }
  }
  const verified = verifyTransactional(broker, transactionalId, topic, index, new BatchHeader(records!));
  if (verified !== ErrorCode.NONE) return failed(index, verified);
  try {
    const result = await log.append(records!, { origin: 'client' });
    topicCounters.bytesIn += records!.length;
    topicCounters.messagesIn += new BatchHeader(records!).recordCount;
    return {
      ...defaultPartitionProduceResponse(),
      index,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTime,
      logStartOffset: result.logStartOffset,
    };
  } catch (err) {
    if (err instanceof StorageError || err instanceof ProducerStateError) return failed(index, err.errorCode, err.message);
    throw err;
  }
}

function countFailures(broker: Broker, topic: string, responses: readonly PartitionProduceResponse[]): void {
  const api = broker.counters.api(ApiKey.Produce);
  for (const r of responses) {
    if (r.errorCode === ErrorCode.NONE) continue;
    api.error(r.errorCode);
    // Only topics that exist get counters: names straight off the wire would be unbounded labels.
    if (broker.topics.get(topic) !== undefined) broker.counters.topic(topic).failedProduceRequests++;
  }
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  ...schemaVersions(ApiKey.Produce),
  codec,
  minVersion: MIN_VERSION,
  async handle(req, ctx) {
    const { broker } = ctx;
    const res = defaultProduceResponse();
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const pending: Array<Promise<PartitionProduceResponse>> = [];
    for (const t of req.topicData) {
      for (const p of t.partitionData) {
        pending.push(validAcks ? producePartition(broker, t.name, p.index, p.records, ctx.apiVersion, req.transactionalId) : Promise.resolve(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)));
      }
    }
    const results = await Promise.all(pending);
    let i = 0;
    for (const t of req.topicData) {
      const partitionResponses = t.partitionData.map(() => results[i++]!);
      countFailures(broker, t.name, partitionResponses);
      res.responses.push({ name: t.name, partitionResponses });
    }
    if (req.acks === 0) {
      const failure = results.find((r) => r.errorCode !== ErrorCode.NONE);
      if (failure) throw new CloseConnection(`acks=0 produce failed with error ${failure.errorCode}`);
      return NO_RESPONSE;
    }
    return res;
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultProduceResponse(),
      responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) })),
    };
  },
});
