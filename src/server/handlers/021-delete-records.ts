/**
 * DeleteRecords (key 21), v0-v2. Moves each partition's log start up to the given offset
 * (-1: the high watermark) and answers the new low watermark, with Kafka's refusals
 * (ReplicaManager.deleteRecordsOnLocalLog, Partition.deleteRecordsOnLeader): an internal
 * topic → INVALID_TOPIC_EXCEPTION; a topic whose cleanup.policy lacks "delete" →
 * POLICY_VIOLATION; an offset below 0 (other than -1) or above the high watermark →
 * OFFSET_OUT_OF_RANGE; unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION; on a virtual
 * cluster, a broker that does not lead the partition → NOT_LEADER_OR_FOLLOWER. A failed
 * partition answers low watermark -1.
 *
 * Differences from Kafka: with a single replica there is nothing to wait for, so timeoutMs
 * is not used; a partition named twice is answered twice rather than once.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  defaultDeleteRecordsResponse,
  codec,
} from '../../protocol/generated/021-delete-records.js';
import { INTERNAL_TOPICS } from '../../cluster/topic-names.js';
import { KafkaError } from '../../errors.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { replicaCheck } from '../leadership.js';
import { authorized, Operation, ResourceType } from '../authorize.js';

const HIGH_WATERMARK = -1n;

function result(partitionIndex: number, errorCode: number, lowWatermark = -1n): DeleteRecordsPartitionResult {
  return { partitionIndex, errorCode, lowWatermark };
}

async function deleteIn(broker: BrokerServices, topic: string, partition: number, requested: bigint): Promise<DeleteRecordsPartitionResult> {
  if (INTERNAL_TOPICS.has(topic)) return result(partition, ErrorCode.INVALID_TOPIC_EXCEPTION);
  // Kafka's Partition.deleteRecordsOnLeader: only the leader deletes.
  const replica = replicaCheck(broker, topic, partition, -1, true);
  if (replica !== undefined && replica !== ErrorCode.NONE) return result(partition, replica);
  const log = broker.topics.partition(topic, partition);
  if (!log) return result(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!broker.topics.effectiveConfig(topic)['cleanup.policy'].includes('delete')) return result(partition, ErrorCode.POLICY_VIOLATION);
  const offset = requested === HIGH_WATERMARK ? log.highWatermark : requested;
  if (offset < 0n || offset > log.highWatermark) return result(partition, ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    return result(partition, ErrorCode.NONE, await log.deleteRecordsBefore(offset));
  } catch (err) {
    if (err instanceof KafkaError) return result(partition, err.code);
    throw err;
  }
}

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  ...schemaVersions(ApiKey.DeleteRecords),
  codec,
  async handle(req, ctx) {
    const topics = [];
    for (const t of req.topics) {
      const partitions = [];
      if (!authorized(ctx, Operation.DELETE, ResourceType.TOPIC, t.name)) {
        topics.push({ name: t.name, partitions: t.partitions.map((p) => result(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) });
        continue;
      }
      for (const p of t.partitions) partitions.push(await deleteIn(ctx.broker, t.name, p.partitionIndex, p.offset));
      topics.push({ name: t.name, partitions });
    }
    return { ...defaultDeleteRecordsResponse(), topics };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultDeleteRecordsResponse(),
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => result(p.partitionIndex, errorCode)) })),
    };
  },
});
