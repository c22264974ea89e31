/**
 * Every API Skiff implements: one handler per API key, each with its version range. ApiVersions
 * answers from this table alone; every other handler's module (with the generated codec only it
 * uses) is loaded on its API's first request (dispatch.ts), so that startup parses none of them.
 * A range differing from the schema's (schemaVersions) is written here and in the handler, and
 * checked to agree when the handler loads.
 */
import { ApiKey } from '../protocol/generated/api-keys.js';
import { type Handler, type HandlerEntry, type HandlerRange, type HandlerRegistry, handlerEntry, loadedEntry, schemaVersions } from './handler.js';
import { apiVersionsHandler } from './handlers/018-api-versions.js';
import type { BrokerServices } from './services.js';

export function buildRegistry(entries: readonly HandlerEntry[]): HandlerRegistry {
  const map = new Map<number, HandlerEntry>();
  for (const e of entries) {
    if (map.has(e.apiKey)) throw new Error(`two handlers for api key ${e.apiKey}`);
    map.set(e.apiKey, e);
  }
  return map;
}

function lazy(apiKey: number, load: () => Promise<Handler>, range: Partial<HandlerRange> = {}): HandlerEntry {
  return handlerEntry({ ...schemaVersions(apiKey), ...range }, load);
}

/** KIP-714's APIs are listed only when the broker takes client metrics. */
const telemetryEnabled = (broker: BrokerServices): boolean => broker.config.values['skiff.client.telemetry.enable'];

export const HANDLERS: HandlerRegistry = buildRegistry([
  lazy(ApiKey.Produce, async () => (await import('./handlers/000-produce.js')).produceHandler, { minVersion: 3, advertisedMinVersion: 0 }),
  lazy(ApiKey.Fetch, async () => (await import('./handlers/001-fetch.js')).fetchHandler, { minVersion: 4 }),
  lazy(ApiKey.ListOffsets, async () => (await import('./handlers/002-list-offsets.js')).listOffsetsHandler),
  lazy(ApiKey.Metadata, async () => (await import('./handlers/003-metadata.js')).metadataHandler),
  lazy(ApiKey.OffsetCommit, async () => (await import('./handlers/008-offset-commit.js')).offsetCommitHandler),
  lazy(ApiKey.OffsetFetch, async () => (await import('./handlers/009-offset-fetch.js')).offsetFetchHandler),
  lazy(ApiKey.FindCoordinator, async () => (await import('./handlers/010-find-coordinator.js')).findCoordinatorHandler),
  lazy(ApiKey.JoinGroup, async () => (await import('./handlers/011-join-group.js')).joinGroupHandler),
  lazy(ApiKey.Heartbeat, async () => (await import('./handlers/012-heartbeat.js')).heartbeatHandler),
  lazy(ApiKey.LeaveGroup, async () => (await import('./handlers/013-leave-group.js')).leaveGroupHandler),
  lazy(ApiKey.SyncGroup, async () => (await import('./handlers/014-sync-group.js')).syncGroupHandler),
  lazy(ApiKey.DescribeGroups, async () => (await import('./handlers/015-describe-groups.js')).describeGroupsHandler),
  lazy(ApiKey.ListGroups, async () => (await import('./handlers/016-list-groups.js')).listGroupsHandler),
  lazy(ApiKey.SaslHandshake, async () => (await import('./handlers/017-sasl-handshake.js')).saslHandshakeHandler),
  loadedEntry(apiVersionsHandler),
  lazy(ApiKey.CreateTopics, async () => (await import('./handlers/019-create-topics.js')).createTopicsHandler),
  lazy(ApiKey.DeleteTopics, async () => (await import('./handlers/020-delete-topics.js')).deleteTopicsHandler),
  lazy(ApiKey.DeleteRecords, async () => (await import('./handlers/021-delete-records.js')).deleteRecordsHandler),
  lazy(ApiKey.InitProducerId, async () => (await import('./handlers/022-init-producer-id.js')).initProducerIdHandler),
  lazy(ApiKey.OffsetForLeaderEpoch, async () => (await import('./handlers/023-offset-for-leader-epoch.js')).offsetForLeaderEpochHandler),
  lazy(ApiKey.AddPartitionsToTxn, async () => (await import('./handlers/024-add-partitions-to-txn.js')).addPartitionsToTxnHandler),
  lazy(ApiKey.AddOffsetsToTxn, async () => (await import('./handlers/025-add-offsets-to-txn.js')).addOffsetsToTxnHandler),
  lazy(ApiKey.EndTxn, async () => (await import('./handlers/026-end-txn.js')).endTxnHandler),
  lazy(ApiKey.WriteTxnMarkers, async () => (await import('./handlers/027-write-txn-markers.js')).writeTxnMarkersHandler, { minVersion: 1 }),
  lazy(ApiKey.TxnOffsetCommit, async () => (await import('./handlers/028-txn-offset-commit.js')).txnOffsetCommitHandler),
  lazy(ApiKey.DescribeAcls, async () => (await import('./handlers/029-describe-acls.js')).describeAclsHandler),
  lazy(ApiKey.CreateAcls, async () => (await import('./handlers/030-create-acls.js')).createAclsHandler),
  lazy(ApiKey.DeleteAcls, async () => (await import('./handlers/031-delete-acls.js')).deleteAclsHandler),
  lazy(ApiKey.DescribeConfigs, async () => (await import('./handlers/032-describe-configs.js')).describeConfigsHandler),
  lazy(ApiKey.AlterConfigs, async () => (await import('./handlers/033-alter-configs.js')).alterConfigsHandler),
  lazy(ApiKey.AlterReplicaLogDirs, async () => (await import('./handlers/034-alter-replica-log-dirs.js')).alterReplicaLogDirsHandler, { minVersion: 1 }),
  lazy(ApiKey.DescribeLogDirs, async () => (await import('./handlers/035-describe-log-dirs.js')).describeLogDirsHandler),
  lazy(ApiKey.SaslAuthenticate, async () => (await import('./handlers/036-sasl-authenticate.js')).saslAuthenticateHandler),
  lazy(ApiKey.CreatePartitions, async () => (await import('./handlers/037-create-partitions.js')).createPartitionsHandler),
  lazy(ApiKey.CreateDelegationToken, async () => (await import('./handlers/038-create-delegation-token.js')).createDelegationTokenHandler),
  lazy(ApiKey.RenewDelegationToken, async () => (await import('./handlers/039-renew-delegation-token.js')).renewDelegationTokenHandler),
  lazy(ApiKey.ExpireDelegationToken, async () => (await import('./handlers/040-expire-delegation-token.js')).expireDelegationTokenHandler),
  lazy(ApiKey.DescribeDelegationToken, async () => (await import('./handlers/041-describe-delegation-token.js')).describeDelegationTokenHandler),
  lazy(ApiKey.DeleteGroups, async () => (await import('./handlers/042-delete-groups.js')).deleteGroupsHandler),
  lazy(ApiKey.ElectLeaders, async () => (await import('./handlers/043-elect-leaders.js')).electLeadersHandler),
  lazy(ApiKey.IncrementalAlterConfigs, async () => (await import('./handlers/044-incremental-alter-configs.js')).incrementalAlterConfigsHandler),
  lazy(ApiKey.AlterPartitionReassignments, async () => (await import('./handlers/045-alter-partition-reassignments.js')).alterPartitionReassignmentsHandler),
  lazy(ApiKey.ListPartitionReassignments, async () => (await import('./handlers/046-list-partition-reassignments.js')).listPartitionReassignmentsHandler),
  lazy(ApiKey.OffsetDelete, async () => (await import('./handlers/047-offset-delete.js')).offsetDeleteHandler),
  lazy(ApiKey.DescribeClientQuotas, async () => (await import('./handlers/048-describe-client-quotas.js')).describeClientQuotasHandler),
  lazy(ApiKey.AlterClientQuotas, async () => (await import('./handlers/049-alter-client-quotas.js')).alterClientQuotasHandler),
  lazy(ApiKey.DescribeUserScramCredentials, async () => (await import('./handlers/050-describe-user-scram-credentials.js')).describeUserScramCredentialsHandler),
  lazy(ApiKey.AlterUserScramCredentials, async () => (await import('./handlers/051-alter-user-scram-credentials.js')).alterUserScramCredentialsHandler),
  lazy(ApiKey.DescribeQuorum, async () => (await import('./handlers/055-describe-quorum.js')).describeQuorumHandler),
  lazy(ApiKey.UpdateFeatures, async () => (await import('./handlers/057-update-features.js')).updateFeaturesHandler),
  lazy(ApiKey.DescribeCluster, async () => (await import('./handlers/060-describe-cluster.js')).describeClusterHandler),
  lazy(ApiKey.DescribeProducers, async () => (await import('./handlers/061-describe-producers.js')).describeProducersHandler),
  lazy(ApiKey.UnregisterBroker, async () => (await import('./handlers/064-unregister-broker.js')).unregisterBrokerHandler),
  lazy(ApiKey.DescribeTransactions, async () => (await import('./handlers/065-describe-transactions.js')).describeTransactionsHandler),
  lazy(ApiKey.ListTransactions, async () => (await import('./handlers/066-list-transactions.js')).listTransactionsHandler),
  lazy(ApiKey.ConsumerGroupHeartbeat, async () => (await import('./handlers/068-consumer-group-heartbeat.js')).consumerGroupHeartbeatHandler),
  lazy(ApiKey.ConsumerGroupDescribe, async () => (await import('./handlers/069-consumer-group-describe.js')).consumerGroupDescribeHandler),
  lazy(ApiKey.GetTelemetrySubscriptions, async () => (await import('./handlers/071-get-telemetry-subscriptions.js')).getTelemetrySubscriptionsHandler, { advertised: telemetryEnabled }),
  lazy(ApiKey.PushTelemetry, async () => (await import('./handlers/072-push-telemetry.js')).pushTelemetryHandler, { advertised: telemetryEnabled }),
  lazy(ApiKey.ListConfigResources, async () => (await import('./handlers/074-list-config-resources.js')).listConfigResourcesHandler),
  lazy(ApiKey.DescribeTopicPartitions, async () => (await import('./handlers/075-describe-topic-partitions.js')).describeTopicPartitionsHandler),
  lazy(ApiKey.ShareGroupHeartbeat, async () => (await import('./handlers/076-share-group-heartbeat.js')).shareGroupHeartbeatHandler),
  lazy(ApiKey.ShareGroupDescribe, async () => (await import('./handlers/077-share-group-describe.js')).shareGroupDescribeHandler),
  lazy(ApiKey.ShareFetch, async () => (await import('./handlers/078-share-fetch.js')).shareFetchHandler),
  lazy(ApiKey.ShareAcknowledge, async () => (await import('./handlers/079-share-acknowledge.js')).shareAcknowledgeHandler),
  lazy(ApiKey.AddRaftVoter, async () => (await import('./handlers/080-add-raft-voter.js')).addRaftVoterHandler),
  lazy(ApiKey.RemoveRaftVoter, async () => (await import('./handlers/081-remove-raft-voter.js')).removeRaftVoterHandler),
  lazy(ApiKey.StreamsGroupHeartbeat, async () => (await import('./handlers/088-streams-group-heartbeat.js')).streamsGroupHeartbeatHandler),
  lazy(ApiKey.StreamsGroupDescribe, async () => (await import('./handlers/089-streams-group-describe.js')).streamsGroupDescribeHandler),
  lazy(ApiKey.DescribeShareGroupOffsets, async () => (await import('./handlers/090-describe-share-group-offsets.js')).describeShareGroupOffsetsHandler),
  lazy(ApiKey.AlterShareGroupOffsets, async () => (await import('./handlers/091-alter-share-group-offsets.js')).alterShareGroupOffsetsHandler),
  lazy(ApiKey.DeleteShareGroupOffsets, async () => (await import('./handlers/092-delete-share-group-offsets.js')).deleteShareGroupOffsetsHandler),
]);
