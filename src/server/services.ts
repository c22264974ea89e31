/**
 * What request handling may touch of the broker: its identity and configuration, the topics,
 * the coordinators and the request counters. src/broker.ts implements it; handlers see it as
 * `ctx.broker` and never import the Broker class, so nothing here points back up at it.
 */
import type { ClusterController } from '../cluster/controller.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { TopicManager } from '../cluster/topic-manager.js';
import type { DynamicConfigs } from '../cluster/dynamic-configs.js';
import type { LiveBrokerConfig } from '../config/dynamic-broker.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { ShareGroupListener, ShareStateStore } from '../coordinator/share/share-state-contract.js';
import type { SharePartitionManager } from '../coordinator/share/share-partition-manager.js';
import type { Logger } from '../log.js';
import type { LoggerLevels } from '../log-levels.js';
import type { BrokerCounters } from '../metrics/broker-counters.js';
import type { ClientQuotaStore } from '../storage/index.js';
import type { ClientMetrics } from './client-metrics.js';
import type { ClientQuotaManager } from './quota/client-quota-manager.js';
import type { Authorizer } from '../security/authorizer.js';
import type { ScramCredentialStore } from '../security/scram-credentials.js';
import type { DelegationTokenStore } from '../security/delegation-tokens.js';

export interface BrokerServices {
  /** Static settings with the dynamic ones over them. */
  readonly config: LiveBrokerConfig;
  readonly log: Logger;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients are told to connect (Metadata, FindCoordinator, DescribeCluster). */
  readonly advertised: { readonly host: string; readonly port: number };
  /** Where clients that came in on a listener are told to connect (its advertised.listeners entry). */
  advertisedFor(listenerName: string): { readonly host: string; readonly port: number };
  /** The data directory, or null when everything is kept in memory (DescribeLogDirs). */
  readonly dataDir: string | null;
  readonly topics: TopicManager;
  /** Consumer groups and committed offsets (__consumer_offsets). */
  readonly groups: GroupCoordinator;
  /** Transactions (__transaction_state). */
  readonly txn: TransactionCoordinator;
  /** Share groups' delivery state (__share_group_state), for the group coordinator and the share-group offsets APIs. */
  readonly shareState: ShareStateStore;
  /** Told by the group coordinator when a share group member leaves or the group is deleted. */
  readonly shareListener: ShareGroupListener;
  /** The share partitions and share sessions behind ShareFetch and ShareAcknowledge. */
  readonly sharePartitions: SharePartitionManager;
  /** SCRAM credentials (DescribeUserScramCredentials, AlterUserScramCredentials, the SCRAM exchange). */
  readonly scram: ScramCredentialStore;
  /** Delegation tokens (Create/Renew/Expire/DescribeDelegationToken, SCRAM with tokenauth). */
  readonly tokens: DelegationTokenStore;
  /** ACLs; undefined when no authorizer is configured (every request is allowed). */
  readonly authorizer: Authorizer | undefined;
  /** Counted on the request path, reported by /metrics. */
  readonly counters: BrokerCounters;
  /** A virtual cluster's controller and this broker's replication; undefined on a single broker. */
  readonly cluster: ClusterController | undefined;
  readonly replicas: ReplicaManager | undefined;
  /** The coordinator of a transactional id: `txn`, unless a virtual cluster's peer leads its partition. */
  txnCoordinatorOf(transactionalId: string): TransactionCoordinator | undefined;
  /** Broker, group and client metrics settings changed at runtime (AlterConfigs). */
  readonly dynamicConfigs: DynamicConfigs;
  /** Log levels per area (BROKER_LOGGER). */
  readonly loggers: LoggerLevels;
  /** Client quotas as set with AlterClientQuotas (persisted in the data dir). */
  readonly clientQuotas: ClientQuotaStore;
  /** Enforces them: rates per quota entity and throttle times. */
  readonly quotas: ClientQuotaManager;
  /** Client metrics (KIP-714): the CLIENT_METRICS subscriptions and what clients pushed. */
  readonly clientMetrics: ClientMetrics;
}
