/** Every API Skiff implements: one handler per API key, each with its version range. */
import type { Handler, HandlerRegistry } from './handler.js';
import { produceHandler } from './handlers/000-produce.js';
import { fetchHandler } from './handlers/001-fetch.js';
import { metadataHandler } from './handlers/003-metadata.js';
import { offsetCommitHandler } from './handlers/008-offset-commit.js';
import { offsetFetchHandler } from './handlers/009-offset-fetch.js';
import { findCoordinatorHandler } from './handlers/010-find-coordinator.js';
import { joinGroupHandler } from './handlers/011-join-group.js';
import { heartbeatHandler } from './handlers/012-heartbeat.js';
import { leaveGroupHandler } from './handlers/013-leave-group.js';
import { syncGroupHandler } from './handlers/014-sync-group.js';
import { describeGroupsHandler } from './handlers/015-describe-groups.js';
import { listGroupsHandler } from './handlers/016-list-groups.js';
import { saslHandshakeHandler } from './handlers/017-sasl-handshake.js';
import { apiVersionsHandler } from './handlers/018-api-versions.js';
import { initProducerIdHandler } from './handlers/022-init-producer-id.js';
import { addPartitionsToTxnHandler } from './handlers/024-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './handlers/025-add-offsets-to-txn.js';
import { endTxnHandler } from './handlers/026-end-txn.js';
import { writeTxnMarkersHandler } from './handlers/027-write-txn-markers.js';
import { txnOffsetCommitHandler } from './handlers/028-txn-offset-commit.js';
import { describeAclsHandler } from './handlers/029-describe-acls.js';
import { createAclsHandler } from './handlers/030-create-acls.js';
import { deleteAclsHandler } from './handlers/031-delete-acls.js';
import { describeProducersHandler } from './handlers/061-describe-producers.js';
import { describeTransactionsHandler } from './handlers/065-describe-transactions.js';
import { listTransactionsHandler } from './handlers/066-list-transactions.js';
import { deleteGroupsHandler } from './handlers/042-delete-groups.js';
import { offsetDeleteHandler } from './handlers/047-offset-delete.js';
import { listOffsetsHandler } from './handlers/002-list-offsets.js';
import { createTopicsHandler } from './handlers/019-create-topics.js';
import { deleteTopicsHandler } from './handlers/020-delete-topics.js';
import { deleteRecordsHandler } from './handlers/021-delete-records.js';
import { offsetForLeaderEpochHandler } from './handlers/023-offset-for-leader-epoch.js';
import { describeConfigsHandler } from './handlers/032-describe-configs.js';
import { alterConfigsHandler } from './handlers/033-alter-configs.js';
import { describeLogDirsHandler } from './handlers/035-describe-log-dirs.js';
import { createPartitionsHandler } from './handlers/037-create-partitions.js';
import { incrementalAlterConfigsHandler } from './handlers/044-incremental-alter-configs.js';
import { saslAuthenticateHandler } from './handlers/036-sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './handlers/050-describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './handlers/051-alter-user-scram-credentials.js';
import { describeClusterHandler } from './handlers/060-describe-cluster.js';
import { consumerGroupHeartbeatHandler } from './handlers/068-consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './handlers/069-consumer-group-describe.js';
import { describeTopicPartitionsHandler } from './handlers/075-describe-topic-partitions.js';
import { alterReplicaLogDirsHandler } from './handlers/034-alter-replica-log-dirs.js';
import { electLeadersHandler } from './handlers/043-elect-leaders.js';
import { alterPartitionReassignmentsHandler } from './handlers/045-alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './handlers/046-list-partition-reassignments.js';
import { describeQuorumHandler } from './handlers/055-describe-quorum.js';
import { updateFeaturesHandler } from './handlers/057-update-features.js';
import { unregisterBrokerHandler } from './handlers/064-unregister-broker.js';
import { listConfigResourcesHandler } from './handlers/074-list-config-resources.js';
import { describeClientQuotasHandler } from './handlers/048-describe-client-quotas.js';
import { alterClientQuotasHandler } from './handlers/049-alter-client-quotas.js';
import { getTelemetrySubscriptionsHandler } from './handlers/071-get-telemetry-subscriptions.js';
import { pushTelemetryHandler } from './handlers/072-push-telemetry.js';
import { addRaftVoterHandler } from './handlers/080-add-raft-voter.js';
import { removeRaftVoterHandler } from './handlers/081-remove-raft-voter.js';
import { shareFetchHandler } from './handlers/078-share-fetch.js';
import { shareAcknowledgeHandler } from './handlers/079-share-acknowledge.js';
import { shareGroupHeartbeatHandler } from './handlers/076-share-group-heartbeat.js';
import { shareGroupDescribeHandler } from './handlers/077-share-group-describe.js';
import { describeShareGroupOffsetsHandler } from './handlers/090-describe-share-group-offsets.js';
import { alterShareGroupOffsetsHandler } from './handlers/091-alter-share-group-offsets.js';
import { deleteShareGroupOffsetsHandler } from './handlers/092-delete-share-group-offsets.js';
import { createDelegationTokenHandler } from './handlers/038-create-delegation-token.js';
import { renewDelegationTokenHandler } from './handlers/039-renew-delegation-token.js';
import { expireDelegationTokenHandler } from './handlers/040-expire-delegation-token.js';
import { describeDelegationTokenHandler } from './handlers/041-describe-delegation-token.js';

export function buildRegistry(handlers: readonly Handler[]): HandlerRegistry {
  const map = new Map<number, Handler>();
  for (const h of handlers) {
    if (map.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
    map.set(h.apiKey, h);
  }
  return map;
}

export const HANDLERS: HandlerRegistry = buildRegistry([
  produceHandler,
  fetchHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  apiVersionsHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeProducersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  listOffsetsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  describeClusterHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  describeTopicPartitionsHandler,
  alterReplicaLogDirsHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  describeQuorumHandler,
  updateFeaturesHandler,
  unregisterBrokerHandler,
  listConfigResourcesHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  getTelemetrySubscriptionsHandler,
  pushTelemetryHandler,
  addRaftVoterHandler,
  removeRaftVoterHandler,
  shareFetchHandler,
  shareAcknowledgeHandler,
  shareGroupHeartbeatHandler,
  shareGroupDescribeHandler,
  describeShareGroupOffsetsHandler,
  alterShareGroupOffsetsHandler,
  deleteShareGroupOffsetsHandler,
  createDelegationTokenHandler,
  renewDelegationTokenHandler,
  expireDelegationTokenHandler,
  describeDelegationTokenHandler,
]);
