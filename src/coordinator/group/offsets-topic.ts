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
import { batches } from '../../protocol/records/record-batch.js';
import { ErrorCode, StorageError } from '../../errors.js';
import type { GroupCoordinatorConfig, OffsetsTopicLog, TopicsView } from './group-coordinator.js';
import type { MigrationPolicy } from './group-migration.js';

const READ_BYTES = 1 << 20;

export async function openOffsetsTopic(topics: TopicManager, config: BrokerConfig): Promise<OffsetsTopicLog> {
  // Created on first need (FindCoordinator for a group, or the first append), as Kafka does;
  // when it exists it is replayed at startup like any other.
  const existing = topics.get(CONSUMER_OFFSETS_TOPIC);
  const partitions = existing?.partitions ?? config.values['offsets.topic.num.partitions'];
  let creation: Promise<void> | undefined;
  const ensure = (): Promise<void> => {
    // The topic is listed before its partitions are open: wait for a creation in flight.
    if (creation) return creation;
    if (topics.get(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    creation ??= (async () => {
      try {
        if (topics.get(CONSUMER_OFFSETS_TOPIC)) return;
        await topics.create({
          name: CONSUMER_OFFSETS_TOPIC,
          numPartitions: partitions,
          replicationFactor: 1,
          configs: {
            'cleanup.policy': 'compact',
            'compression.type': 'producer',
            'segment.bytes': String(config.values['offsets.topic.segment.bytes']),
          },
        });
      } finally {
        creation = undefined;
      }
    })();
    return creation;
  };
  const partitionLog = (p: number) => {
    const log = topics.partition(CONSUMER_OFFSETS_TOPIC, p);
    if (!log) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${CONSUMER_OFFSETS_TOPIC}-${p} is not open`);
    return log;
  };
  return {
    partitions,
    ensure,
    opening: (p) => creation !== undefined || (topics.get(CONSUMER_OFFSETS_TOPIC) !== undefined && !topics.partition(CONSUMER_OFFSETS_TOPIC, p)),
    async append(partition, batch) {
      await ensure();
      // As Kafka's coordinators append: a transactional offset commit carries the producer's
      // id and epoch (checked against the partition's producer state) but no sequence.
      await partitionLog(partition).append(batch, { origin: 'coordinator' });
    },
    async *readBatches(partition) {
      // Not created yet: nothing stored.
      if (!topics.get(CONSUMER_OFFSETS_TOPIC)) return;
      // Not a replica of it (a virtual cluster's broker): nothing stored here.
      const log = topics.partition(CONSUMER_OFFSETS_TOPIC, partition);
      if (!log) return;
      let offset = log.logStartOffset;
      // To the log end: a new leader's high watermark catches up only as its followers fetch.
      while (offset < log.logEndOffset) {
        const res = await log.read(offset, READ_BYTES, { toLogEnd: true });
        if (res.records.length === 0) break;
        const from = offset;
        for (const buf of res.records) {
          for (const { header, at, size } of batches(buf)) {
            // A read may start at a batch that ends before `offset` (gaps left by compaction).
            if (header.lastOffset < offset) continue;
            yield buf.subarray(at, at + size);
            offset = header.lastOffset + 1n;
          }
        }
        // Never loop on the same position: step over whatever the read could not move past.
        if (offset === from) offset++;
      }
    },
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
