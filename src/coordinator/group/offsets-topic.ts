/**
 * __consumer_offsets as the group coordinator sees it: created on first need (FindCoordinator
 * for a group, AddOffsetsToTxn, or the coordinator's first append), as Kafka does, with
 * offsets.topic.num.partitions partitions and cleanup.policy=compact (the partition count is
 * fixed once the topic exists, as in Kafka), appended to and read back through the ordinary
 * partition logs. A broker whose clients never use groups never creates its 50 partitions.
 */
import type { BrokerConfig } from '../../config.js';
import type { TopicManager } from '../../cluster/topic-manager.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../cluster/topic-names.js';
import { ErrorCode } from '../../errors.js';
import { internalTopic } from '../internal-topic.js';
import type { GroupCoordinatorConfig, OffsetsTopicLog, TopicsView } from './group-coordinator.js';
import type { MigrationPolicy } from './group-migration.js';

export async function openOffsetsTopic(topics: TopicManager, config: BrokerConfig): Promise<OffsetsTopicLog> {
  // Created on first need (FindCoordinator for a group, or the first append), as Kafka does;
  // when it exists it is replayed at startup like any other.
  const existing = topics.get(CONSUMER_OFFSETS_TOPIC);
  const partitions = existing?.partitions ?? config.values['offsets.topic.num.partitions'];
  const topic = internalTopic(
    topics,
    CONSUMER_OFFSETS_TOPIC,
    partitions,
    { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(config.values['offsets.topic.segment.bytes']) },
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  return {
    partitions,
    ensure: topic.ensure,
    opening: (p) => topic.creating() || (topics.get(CONSUMER_OFFSETS_TOPIC) !== undefined && !topics.partition(CONSUMER_OFFSETS_TOPIC, p)),
    async append(partition, batch) {
      await topic.ensure();
      // As Kafka's coordinators append: a transactional offset commit carries the producer's
      // id and epoch (checked against the partition's producer state) but no sequence.
      await topic.partitionLog(partition).append(batch, { origin: 'coordinator' });
    },
    readBatches: topic.readBatches,
  };
}

/** The coordinator's settings from the broker's (Kafka's names). */
export function groupCoordinatorConfig(config: BrokerConfig): Partial<GroupCoordinatorConfig> {
  const v = config.values;
  return {
    minSessionTimeoutMs: v['group.min.session.timeout.ms'],
    maxSessionTimeoutMs: v['group.max.session.timeout.ms'],
    initialRebalanceDelayMs: v['group.initial.rebalance.delay.ms'],
    maxGroupSize: v['group.max.size'],
    consumerSessionTimeoutMs: v['group.consumer.session.timeout.ms'],
    consumerHeartbeatIntervalMs: v['group.consumer.heartbeat.interval.ms'],
    consumerMaxSize: v['group.consumer.max.size'],
    consumerAssignors: v['group.consumer.assignors'],
    consumerMigrationPolicy: v['group.consumer.migration.policy'] as MigrationPolicy,
    shareSessionTimeoutMs: v['group.share.session.timeout.ms'],
    shareHeartbeatIntervalMs: v['group.share.heartbeat.interval.ms'],
    shareMaxSize: v['group.share.max.size'],
    offsetsRetentionMs: v['offsets.retention.minutes'] * 60_000,
    offsetsRetentionCheckIntervalMs: Number(v['offsets.retention.check.interval.ms']),
  };
}

/**
 * The topics as the group coordinator sees them (Kafka's metadata image), straight from the
 * topic manager; `partitionRacks` gives the racks of a partition's replicas.
 */
export function topicsView(topics: TopicManager, partitionRacks?: (topic: string, partition: number) => readonly string[]): TopicsView {
  return {
    partitionRacks,
    byName: (name) => {
      const t = topics.get(name);
      return t && { topicId: t.topicId, partitions: t.partitions };
    },
    byId: (topicId) => {
      const t = topics.byId(topicId);
      return t && { name: t.name, partitions: t.partitions };
    },
    names: () => topics.list().map((t) => t.name),
  };
}
