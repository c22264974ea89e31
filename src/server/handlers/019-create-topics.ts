/**
 * CreateTopics (key 19), v0-v7. Each topic is checked as Kafka's controller checks it
 * (TopicManager.validateCreate: name, existence, partitions, replication factor against
 * the one broker there is, manual assignments, configs); a name given more than once is
 * refused with INVALID_REQUEST "Duplicate topic name." and those results come after the
 * others, as in Kafka. From v5 a successful (or validate-only) result carries the partition
 * count, replication factor and the topic's effective configs, sorted by name.
 *
 * More than 10000 partitions in one request (Kafka's MAX_PARTITIONS_PER_BATCH) refuses every
 * topic with POLICY_VIOLATION before any is created; so do more than 10000 metadata records for
 * the topics that would be created (one topic record, one per partition, one per config, in one
 * list bounded as Kafka's controller bounds it: a single topic of 10000 partitions is refused).
 *
 * Differences from Kafka: creation is synchronous, so timeoutMs is not waited on; a
 * validate-only result carries the zero topic id where Kafka shows a random id it then
 * throws away; the order of checks inside one topic follows TopicManager (configs are
 * checked after partitions and assignments, where Kafka checks them first).
 */
import { randomUuid } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type CreatableTopic,
  type CreatableTopicConfigs,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  defaultCreatableTopicResult,
  defaultCreateTopicsResponse,
  codec,
} from '../../protocol/generated/019-create-topics.js';
import { describeTopicConfigs, parseTopicConfigs } from '../../config/describe.js';
import {
  type CreateTopicSpec,
  EXCESSIVE_BATCH_MESSAGE,
  EXCESSIVE_PARTITIONS_MESSAGE,
  MAX_PARTITIONS_PER_REQUEST,
  MAX_RECORDS_PER_OPERATION,
  requestedPartitions,
} from '../../cluster/topic-manager.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';
import { authorized, authorizedOnCluster, Operation, ResourceType } from '../authorize.js';

function failed(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { ...defaultCreatableTopicResult(), name, errorCode, errorMessage };
}

/** The topic's effective settings as CreateTopics v5+ lists them. */
function topicConfigs(broker: BrokerServices, configs: Record<string, string>): CreatableTopicConfigs[] {
  return describeTopicConfigs(parseTopicConfigs(configs), broker.config)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({
      name: c.name,
      value: c.isSensitive ? null : c.value,
      readOnly: c.readOnly,
      configSource: c.source,
      isSensitive: c.isSensitive,
    }));
}

function specOf(topic: CreatableTopic): CreateTopicSpec {
  const configs: Record<string, string | null> = {};
  for (const c of topic.configs) configs[c.name] = c.value;
  const spec: CreateTopicSpec = {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    configs,
  };
  if (topic.assignments.length > 0) {
    spec.assignments = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds);
  }
  return spec;
}

/** Kafka's checks on the partition indexes of a manual assignment. */
function checkAssignmentIndexes(topic: CreatableTopic): void {
  const seen = new Set<number>();
  for (const a of topic.assignments) {
    if (seen.has(a.partitionIndex)) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    }
    seen.add(a.partitionIndex);
  }
  for (let i = 0; i < seen.size; i++) {
    if (!seen.has(i)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
  }
}

async function createOne(broker: BrokerServices, topic: CreatableTopic, validateOnly: boolean, version: number): Promise<CreatableTopicResult> {
  try {
    const spec = specOf(topic);
    const checked = broker.topics.validateCreate(spec);
    if (topic.assignments.length > 0) checkAssignmentIndexes(topic);
    // Like Kafka, a validate-only answer carries an id the topic would get, not the zero uuid.
    const topicId = validateOnly ? randomUuid() : (await broker.topics.create(spec)).topicId;
    return {
      ...defaultCreatableTopicResult(),
      name: topic.name,
      topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topicConfigErrorCode: ErrorCode.NONE,
      numPartitions: checked.partitions,
      replicationFactor: checked.replicationFactor,
      // The configs entries exist from v5 only.
      configs: version >= 5 ? topicConfigs(broker, checked.configs) : [],
    };
  } catch (err) {
    if (err instanceof KafkaError) return failed(topic.name, err.code, err.message);
    throw err;
  }
}

/**
 * The metadata records Kafka's controller would write for these topics (validate-only too: it
 * builds them before deciding not to write): a topic record, a partition record per partition
 * and a config record per config, for each topic that passes its checks.
 */
function metadataRecords(broker: BrokerServices, topics: readonly CreatableTopic[]): number {
  let records = 0;
  for (const t of topics) {
    try {
      const checked = broker.topics.validateCreate(specOf(t));
      if (t.assignments.length > 0) checkAssignmentIndexes(t);
      records += 1 + checked.partitions + t.configs.filter((c) => c.value !== null).length;
    } catch (err) {
      // A topic that fails its checks adds no records; its own error is answered later.
      if (!(err instanceof KafkaError)) throw err;
    }
  }
  return records;
}

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  ...schemaVersions(ApiKey.CreateTopics),
  codec,
  async handle(req, ctx) {
    // Before any topic is looked at, as Kafka's controller: the whole request is refused.
    const defaultPartitions = ctx.broker.config.values['num.partitions'];
    let total = 0;
    for (const t of req.topics) total += requestedPartitions(t, defaultPartitions);
    if (total > MAX_PARTITIONS_PER_REQUEST) {
      return {
        ...defaultCreateTopicsResponse(),
        topics: req.topics.map((t) => failed(t.name, ErrorCode.POLICY_VIOLATION, EXCESSIVE_PARTITIONS_MESSAGE)),
      };
    }
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const mayCreate = (t: CreatableTopic) => authorizedOnCluster(ctx, Operation.CREATE) || authorized(ctx, Operation.CREATE, ResourceType.TOPIC, t.name);
    const creatable = req.topics.filter((t) => counts.get(t.name) === 1 && mayCreate(t));
    if (metadataRecords(ctx.broker, creatable) > MAX_RECORDS_PER_OPERATION) {
      return {
        ...defaultCreateTopicsResponse(),
        topics: req.topics.map((t) => failed(t.name, ErrorCode.POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE)),
      };
    }
    const results: CreatableTopicResult[] = [];
    const duplicates: string[] = [];
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        if (!duplicates.includes(t.name)) duplicates.push(t.name);
        continue;
      }
      if (!mayCreate(t)) {
        results.push(failed(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null));
        continue;
      }
      results.push(await createOne(ctx.broker, t, req.validateOnly, ctx.apiVersion));
    }
    for (const name of duplicates) results.push(failed(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    return { ...defaultCreateTopicsResponse(), topics: results };
  },
  errorResponse(req, errorCode) {
    const names = [...new Set(req.topics.map((t) => t.name))];
    return { ...defaultCreateTopicsResponse(), topics: names.map((name) => failed(name, errorCode, null)) };
  },
});
