import { ErrorCode } from '../protocol/generated/errors.js';
import type { TopicManager } from './topic-manager.js';

/**
 * How Metadata and DescribeTopicPartitions describe a partition on a single-node cluster:
 * this node leads it and is its only replica.
 */
export function partitionLeadership(broker: { readonly topics: TopicManager; readonly nodeId: number }, topic: string, partition: number) {
  const log = broker.topics.partition(topic, partition);
  return {
    errorCode: log ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex: partition,
    leaderId: broker.nodeId,
    leaderEpoch: log ? Math.max(0, log.latestEpoch) : 0,
    replicaNodes: [broker.nodeId],
    isrNodes: [broker.nodeId],
    offlineReplicas: [] as number[],
  };
}
