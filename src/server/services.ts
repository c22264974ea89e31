/**
 * What request handling may touch of the broker: its identity and configuration, the topics,
 * the coordinators and the request counters. src/broker.ts implements it; handlers see it as
 * `ctx.broker` and never import the Broker class, so nothing here points back up at it.
 */
import type { TopicManager } from '../cluster/topic-manager.js';
import type { BrokerConfig } from '../config.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { Logger } from '../log.js';
import type { BrokerCounters } from '../metrics/broker-counters.js';
import type { Authorizer } from '../security/authorizer.js';
import type { ScramCredentialStore } from '../security/scram-credentials.js';

export interface BrokerServices {
  readonly config: BrokerConfig;
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
  /** SCRAM credentials (DescribeUserScramCredentials, AlterUserScramCredentials, the SCRAM exchange). */
  readonly scram: ScramCredentialStore;
  /** ACLs; undefined when no authorizer is configured (every request is allowed). */
  readonly authorizer: Authorizer | undefined;
  /** Counted on the request path, reported by /metrics. */
  readonly counters: BrokerCounters;
}
