/**
 * __share_group_state as the share coordinator sees it: created on first need with
 * share.coordinator.state.topic.num.partitions partitions and the configs Kafka gives it
 * (cleanup.policy=delete, compression.type=producer, share.coordinator.state.topic.segment.bytes),
 * appended to and read back through the ordinary partition logs. Kafka keeps old records
 * until the coordinator prunes them (deleteBefore, below its oldest live snapshot); so that
 * time-based retention never removes a snapshot still in use, the topic keeps records
 * without a time limit (retention.ms=-1) and pruning alone bounds it.
 */
import type { BrokerConfig } from '../../config.js';
import { brokerSetting } from '../../config/describe.js';
import { KAFKA_BROKER_KEYS } from '../../config/kafka-keys.js';
import type { TopicManager } from '../../cluster/topic-manager.js';
import { SHARE_GROUP_STATE_TOPIC } from '../../cluster/topic-names.js';
import { ErrorCode } from '../../errors.js';
import { internalTopic } from '../internal-topic.js';

export interface ShareStateLog {
  readonly partitions: number;
  /** Appends one batch; resolves with its base offset. */
  append(partition: number, batch: Buffer): Promise<bigint>;
  /** Every stored batch of the partition, oldest first. */
  readBatches(partition: number): AsyncIterable<Buffer>;
  /** Drops records below `offset` (Kafka's pruning of records no snapshot needs). */
  deleteBefore(partition: number, offset: bigint): Promise<void>;
}

/** A Kafka broker setting Skiff does not model itself, as configured or Kafka's default. */
export function kafkaSetting(config: BrokerConfig, name: string): string {
  return brokerSetting(config)(name) ?? KAFKA_BROKER_KEYS.get(name)?.default ?? '';
}

export function openShareStateTopic(topics: TopicManager, config: BrokerConfig): ShareStateLog {
  const partitions = topics.get(SHARE_GROUP_STATE_TOPIC)?.partitions ?? Number(kafkaSetting(config, 'share.coordinator.state.topic.num.partitions'));
  const topic = internalTopic(
    topics,
    SHARE_GROUP_STATE_TOPIC,
    partitions,
    {
      'cleanup.policy': 'delete',
      'compression.type': 'producer',
      'segment.bytes': kafkaSetting(config, 'share.coordinator.state.topic.segment.bytes'),
      'retention.ms': '-1',
    },
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
  return {
    partitions,
    async append(partition, batch) {
      await topic.ensure();
      return (await topic.partitionLog(partition).append(batch, { origin: 'coordinator' })).baseOffset;
    },
    readBatches: topic.readBatches,
    async deleteBefore(partition, offset) {
      const log = topics.partition(SHARE_GROUP_STATE_TOPIC, partition);
      if (log && offset > log.logStartOffset) await log.deleteRecordsBefore(offset);
    },
  };
}
