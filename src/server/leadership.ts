/**
 * The replica checks of Kafka's ReplicaManager.getPartitionOrError and Partition.getLocalLog
 * for requests that read or change one partition's log (ListOffsets, OffsetForLeaderEpoch,
 * DeleteRecords) on a virtual cluster's broker: a broker that holds no replica of a partition
 * the cluster knows answers NOT_LEADER_OR_FOLLOWER; a currentLeaderEpoch (>= 0) older than the
 * partition's leader epoch FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH; and, when the
 * request must be served by the leader, a broker that does not lead it (also when the
 * partition has no leader) NOT_LEADER_OR_FOLLOWER.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { BrokerServices } from './services.js';

/**
 * The error for `topic`/`partition` on this broker, NONE when it may serve, or undefined when
 * the cluster does not know the partition (a single broker, or an unknown partition): the
 * caller then answers as a single broker does.
 */
export function replicaCheck(broker: BrokerServices, topic: string, partition: number, currentLeaderEpoch: number, requireLeader: boolean): number | undefined {
  const state = broker.replicas?.state(topic, partition);
  if (!state) return undefined;
  if (!broker.topics.partition(topic, partition)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < state.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > state.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  if (requireLeader && state.leader !== broker.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return ErrorCode.NONE;
}
