import { ErrorCode } from '../protocol/generated/errors.js';
import type { BrokerConfig } from '../config.js';
import type { ClusterController } from './controller.js';
import type { TopicManager } from './topic-manager.js';

interface BrokerView {
  readonly topics: TopicManager;
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly advertised: { readonly host: string; readonly port: number };
  /** The virtual cluster's controller, when this broker is one of several. */
  readonly cluster: ClusterController | undefined;
}

/**
 * How Metadata and DescribeTopicPartitions describe a partition: on a single node this node
 * leads it and is its only replica; in a virtual cluster the controller's state says, with
 * replicas on stopped brokers listed as offline and LEADER_NOT_AVAILABLE while none leads.
 */
export function partitionLeadership(broker: Pick<BrokerView, 'topics' | 'nodeId' | 'cluster'>, topic: string, partition: number) {
  const cluster = broker.cluster;
  const s = cluster?.partition(topic, partition);
  if (cluster && s) {
    return {
      errorCode: s.leader >= 0 ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: partition,
      leaderId: s.leader,
      leaderEpoch: Math.max(0, s.leaderEpoch),
      replicaNodes: [...s.replicas],
      isrNodes: [...s.isr],
      offlineReplicas: s.replicas.filter((r) => cluster.broker(r)?.alive !== true),
    };
  }
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

/** The brokers a client is told about: the live ones of a virtual cluster, or this node. */
export function clusterBrokers(
  broker: BrokerView,
  advertised: { readonly host: string; readonly port: number } = broker.advertised,
): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  const cluster = broker.cluster;
  if (!cluster) return [{ nodeId: broker.nodeId, host: advertised.host, port: advertised.port, rack: broker.config.values['broker.rack'] }];
  return cluster.liveBrokers().map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }));
}

/**
 * The racks of a partition's replicas (Kafka's partitionRacks): from the controller's replica
 * placement in a virtual cluster, this node's broker.rack otherwise.
 */
export function replicaRacks(cluster: ClusterController | undefined, ownRack: string | null, topic: string, partition: number): string[] {
  if (!cluster) return ownRack === null ? [] : [ownRack];
  return (cluster.partition(topic, partition)?.replicas ?? []).flatMap((id) => cluster.broker(id)?.rack ?? []);
}
