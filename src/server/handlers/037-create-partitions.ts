/**
 * CreatePartitions (key 37), v0-v3. Grows topics with Kafka's controller checks and
 * messages: a topic named twice gets INVALID_REQUEST "Duplicate topic name." (those results
 * first, as in Kafka); an unknown topic UNKNOWN_TOPIC_OR_PARTITION; a count that is not an
 * increase INVALID_PARTITIONS; manual assignments must list exactly the new partitions, each
 * on this broker alone (the replication factor of every Skiff topic is 1), else
 * INVALID_REPLICA_ASSIGNMENT. validateOnly checks without changing anything.
 *
 * More than 10000 new partitions in one request refuses every topic with POLICY_VIOLATION
 * "Unable to perform excessively large batch operation." before any is created, as Kafka.
 *
 * Differences from Kafka: the change is synchronous (timeoutMs is not waited on).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopic,
  type CreatePartitionsTopicResult,
  defaultCreatePartitionsResponse,
  codec,
} from '../../protocol/generated/037-create-partitions.js';
import type { BrokerServices } from '../services.js';
import { EXCESSIVE_BATCH_MESSAGE, MAX_PARTITIONS_PER_REQUEST } from '../../cluster/topic-manager.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { KafkaError } from '../../errors.js';

function result(name: string, errorCode: number, errorMessage: string | null): CreatePartitionsTopicResult {
  return { name, errorCode, errorMessage };
}

/** Kafka's validateManualPartitionAssignment, for one broker and topics of replication factor 1. */
function checkAssignment(brokerIds: number[], nodeId: number, replicationFactor: number): void {
  if (brokerIds.length === 0) {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
  }
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let prev: number | undefined;
  for (const id of sorted) {
    if (id !== nodeId) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    }
    if (id === prev) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${prev} more than once.`);
    }
    prev = id;
  }
  if (sorted.length !== replicationFactor) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
}

async function growOne(broker: BrokerServices, topic: CreatePartitionsTopic, validateOnly: boolean): Promise<CreatePartitionsTopicResult> {
  try {
    // Kafka's controller answers an unknown topic without a message.
    if (!broker.topics.get(topic.name)) return result(topic.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
    broker.topics.validateCreatePartitions(topic.name, topic.count, null);
    if (topic.assignments !== null) {
      const current = broker.topics.get(topic.name)!.partitions;
      const additional = topic.count - current;
      if (topic.assignments.length !== additional) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${additional} additional partition(s), but only ${topic.assignments.length} assignment(s) were specified.`,
        );
      }
      for (const a of topic.assignments) checkAssignment(a.brokerIds, broker.nodeId, 1);
    }
    if (!validateOnly) await broker.topics.createPartitions(topic.name, topic.count);
    return result(topic.name, ErrorCode.NONE, null);
  } catch (err) {
    if (err instanceof KafkaError) return result(topic.name, err.code, err.message);
    throw err;
  }
}

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  ...schemaVersions(ApiKey.CreatePartitions),
  codec,
  async handle(req, ctx) {
    // Kafka builds one record per new partition into a list bounded at 10000 and fails the
    // whole request when it overflows; counted here before anything is created.
    let added = 0;
    for (const t of req.topics) {
      const current = ctx.broker.topics.get(t.name)?.partitions;
      if (current !== undefined && t.count > current) added += t.count - current;
    }
    if (added > MAX_PARTITIONS_PER_REQUEST) {
      return { ...defaultCreatePartitionsResponse(), results: req.topics.map((t) => result(t.name, ErrorCode.POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE)) };
    }
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsTopicResult[] = [];
    for (const [name, n] of counts) if (n > 1) results.push(result(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    for (const t of req.topics) {
      if (counts.get(t.name) !== 1) continue;
      if (!authorized(ctx, Operation.ALTER, ResourceType.TOPIC, t.name)) results.push(result(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'));
      else results.push(await growOne(ctx.broker, t, req.validateOnly));
    }
    return { ...defaultCreatePartitionsResponse(), results };
  },
  errorResponse(req, errorCode) {
    const names = [...new Set(req.topics.map((t) => t.name))];
    return { ...defaultCreatePartitionsResponse(), results: names.map((name) => result(name, errorCode, null)) };
  },
});
