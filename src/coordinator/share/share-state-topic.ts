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
import { batches } from '../../protocol/records/record-batch.js';
import { ErrorCode, StorageError } from '../../errors.js';

const READ_BYTES = 1 << 20;

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
  let creation: Promise<void> | undefined;
  const ensure = (): Promise<void> => {
    if (creation) return creation;
    if (topics.get(SHARE_GROUP_STATE_TOPIC)) return Promise.resolve();
    creation = (async () => {
      try {
        await topics.create({
          name: SHARE_GROUP_STATE_TOPIC,
          numPartitions: partitions,
          replicationFactor: 1,
          configs: {
            'cleanup.policy': 'delete',
            'compression.type': 'producer',
            'segment.bytes': kafkaSetting(config, 'share.coordinator.state.topic.segment.bytes'),
            'retention.ms': '-1',
          },
        });
      } finally {
        creation = undefined;
      }
    })();
    return creation;
  };
  const partitionLog = (p: number) => {
    const log = topics.partition(SHARE_GROUP_STATE_TOPIC, p);
    if (!log) throw new StorageError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${SHARE_GROUP_STATE_TOPIC}-${p} is not open`);
    return log;
  };
  return {
    partitions,
    async append(partition, batch) {
      await ensure();
      return (await partitionLog(partition).append(batch, { origin: 'coordinator' })).baseOffset;
    },
    async *readBatches(partition) {
      const log = topics.get(SHARE_GROUP_STATE_TOPIC) ? topics.partition(SHARE_GROUP_STATE_TOPIC, partition) : undefined;
      if (!log) return;
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const res = await log.read(offset, READ_BYTES, { toLogEnd: true });
        if (res.records.length === 0) break;
        const from = offset;
        for (const buf of res.records) {
          for (const { header, at, size } of batches(buf)) {
            if (header.lastOffset < offset) continue;
            yield buf.subarray(at, at + size);
            offset = header.lastOffset + 1n;
          }
        }
        if (offset === from) offset++;
      }
    },
    async deleteBefore(partition, offset) {
      const log = topics.partition(SHARE_GROUP_STATE_TOPIC, partition);
      if (log && offset > log.logStartOffset) await log.deleteRecordsBefore(offset);
    },
  };
}
