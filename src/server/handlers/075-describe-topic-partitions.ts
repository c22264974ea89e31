/**
 * DescribeTopicPartitions (key 75), v0 (KIP-966). What kafka-topics 4.x and the Java admin's
 * describeTopics use instead of Metadata. One broker that leads every partition, so every
 * replica list is [nodeId] and no replica is offline.
 *
 * As in Kafka: an empty topic list means every topic (internal ones included, unknown names
 * impossible); named topics are deduplicated and answered in name order, unknown names with
 * UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an illegal name), the zero topic id
 * and no partitions. At most min(responsePartitionLimit, max.request.partition.size.limit =
 * 2000) partitions are returned; when a topic does not fit, nextCursor names the topic and the
 * first partition left out (partition 0 of the next topic once the limit is used up exactly).
 * A request cursor skips topics named before it and starts its own topic at its partition; with
 * a topic list the cursor topic must be in the list (INVALID_REQUEST otherwise).
 *
 * Differences from Kafka: no ELR (eligibleLeaderReplicas and lastKnownElr are always empty
 * lists, as Kafka answers with eligible.leader.replicas.version=0); no authorizer, so
 * topicAuthorizedOperations is every topic operation and TOPIC_AUTHORIZATION_FAILED never
 * happens.
 */
import { partitionLeadership } from '../../cluster/partition-leadership.js';
import { TOPIC_OPERATIONS } from '../../cluster/authorized-operations.js';
import { INTERNAL_TOPICS, invalidTopicName } from '../../cluster/topic-names.js';
import type { TopicInfo } from '../../cluster/topic-manager.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponsePartition,
  type DescribeTopicPartitionsResponseTopic,
  defaultDescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsResponseTopic,
  codec,
} from '../../protocol/generated/075-describe-topic-partitions.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

/** Kafka's max.request.partition.size.limit (default 2000): the cap on responsePartitionLimit. */
const MAX_REQUEST_PARTITION_SIZE_LIMIT = 2000;

/** Java's String.compareTo order (UTF-16 code units), which JavaScript's < also follows. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function partitionsOf(broker: BrokerServices, t: TopicInfo, from: number, upTo: number): DescribeTopicPartitionsResponsePartition[] {
  const out: DescribeTopicPartitionsResponsePartition[] = [];
  for (let p = from; p < upTo; p++) {
    out.push({ ...partitionLeadership(broker, t.name, p), eligibleLeaderReplicas: [], lastKnownElr: [] });
  }
  return out;
}

function missingTopic(name: string): DescribeTopicPartitionsResponseTopic {
  return {
    ...defaultDescribeTopicPartitionsResponseTopic(),
    errorCode: invalidTopicName(name) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION,
    name,
    topicId: ZERO_UUID,
    isInternal: INTERNAL_TOPICS.has(name),
    partitions: [],
    topicAuthorizedOperations: TOPIC_OPERATIONS,
  };
}

export const describeTopicPartitionsHandler = defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  ...schemaVersions(ApiKey.DescribeTopicPartitions),
  codec,
  handle(req, ctx) {
    const { broker } = ctx;
    const cursor = req.cursor;
    const all = req.topics.length === 0;
    const names = new Set<string>();
    if (all) {
      for (const t of broker.topics.list()) if (!cursor || byName(t.name, cursor.topicName) >= 0) names.add(t.name);
    } else {
      for (const t of req.topics) if (!cursor || byName(t.name, cursor.topicName) >= 0) names.add(t.name);
      if (cursor && !names.has(cursor.topicName)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `the topic list must contain the cursor topic ${cursor.topicName}`);
      }
    }
    const res = defaultDescribeTopicPartitionsResponse();
    let remaining = Math.min(MAX_REQUEST_PARTITION_SIZE_LIMIT, req.responsePartitionLimit);
    for (const name of [...names].sort(byName)) {
      if (remaining <= 0) {
        // The limit is used up: the next request starts at this topic (which may not exist).
        if (remaining === 0) res.nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const t = broker.topics.get(name);
      if (!t) {
        // Only named topics can be missing (or a topic deleted meanwhile, skipped when listing all).
        if (!all) res.topics.push(missingTopic(name));
        continue;
      }
      const start = cursor && name === cursor.topicName ? cursor.partitionIndex : 0;
      const upTo = Math.min(t.partitions, start + remaining);
      const partitions = partitionsOf(broker, t, start, upTo);
      res.topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.topicId,
        isInternal: t.internal,
        partitions,
        topicAuthorizedOperations: TOPIC_OPERATIONS,
      });
      if (upTo < t.partitions) {
        res.nextCursor = { topicName: name, partitionIndex: upTo };
        break;
      }
      remaining -= partitions.length;
    }
    return res;
  },
  errorResponse(req, errorCode) {
    // As Kafka's getErrorResponse: every requested topic with the error, nothing else.
    const res = defaultDescribeTopicPartitionsResponse();
    res.topics = req.topics.map((t) => ({ ...defaultDescribeTopicPartitionsResponseTopic(), errorCode, name: t.name, isInternal: false, partitions: [] }));
    return res;
  },
});
