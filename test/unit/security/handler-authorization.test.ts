import { describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { RawClient } from '../../support/raw-client.js';
import { useSaslAclBroker } from '../../support/sasl-acl-broker.js';

const { as } = useSaslAclBroker('skiff-handler-authz-', ['admin', 'bob']);

const DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

describe('cluster-level admin APIs need their cluster operation', () => {
  it('a principal without ACLs is refused with CLUSTER_AUTHORIZATION_FAILED', async () => {
    const bob = await as('bob');
    try {
      expect((await bob.request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [] })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode).toBe(DENIED);
      const altered = await bob.request(ApiKey.AlterClientQuotas, 1, {
        entries: [{ entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }],
        validateOnly: false,
      });
      expect(altered.entries[0].errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 1000, featureUpdates: [], validateOnly: false })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.UnregisterBroker, 0, { brokerId: 999 })).errorCode).toBe(DENIED);
      const moved = await bob.request(ApiKey.AlterReplicaLogDirs, 1, { dirs: [{ path: '/nowhere', topics: [{ name: 't', partitions: [0] }] }] });
      expect(moved.results[0].partitions[0].errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(DENIED);
      const markers = await bob.request(ApiKey.WriteTxnMarkers, 1, {
        markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: true, topics: [{ name: 't', partitionIndexes: [0] }], coordinatorEpoch: 0 }],
      });
      expect(markers.markers[0].topics[0].partitions[0].errorCode).toBe(DENIED);
    } finally {
      await bob.close();
    }
  });

  it('the super user gets past the checks', async () => {
    const admin = await as('admin');
    try {
      expect((await admin.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 1000, featureUpdates: [], validateOnly: false })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.UnregisterBroker, 0, { brokerId: 999 })).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
      expect((await admin.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(ErrorCode.NONE);
      const moved = await admin.request(ApiKey.AlterReplicaLogDirs, 1, { dirs: [{ path: '/nowhere', topics: [{ name: 't', partitions: [0] }] }] });
      expect(moved.results[0].partitions[0].errorCode).toBe(ErrorCode.LOG_DIR_NOT_FOUND);
    } finally {
      await admin.close();
    }
  });
});

describe('topic, group and config APIs check the resource', () => {
  const topic = 'owned-by-admin';
  const deleteRecords = { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 };
  const createPartitions = { topics: [{ name: topic, count: 2, assignments: null }], timeoutMs: 1000, validateOnly: true };
  const describeConfigs = {
    resources: [
      { resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] },
      { resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] },
      { resourceType: 32, resourceName: 'g', configurationKeys: null },
    ],
    includeSynonyms: false,
    includeDocumentation: false,
  };
  const incremental = { resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }], validateOnly: true };
  const legacy = { resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true };

  it('a principal without ACLs gets the per-resource *_AUTHORIZATION_FAILED codes', async () => {
    const admin = await as('admin');
    const created = await admin.request(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    await admin.close();

    const bob = await as('bob');
    try {
      expect((await bob.request(ApiKey.DeleteRecords, 2, deleteRecords)).topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect((await bob.request(ApiKey.CreatePartitions, 3, createPartitions)).results[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect((await bob.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g'] })).results[0].errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const described = await bob.request(ApiKey.DescribeConfigs, 4, describeConfigs);
      expect(described.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        ErrorCode.GROUP_AUTHORIZATION_FAILED,
      ]);
      expect((await bob.request(ApiKey.IncrementalAlterConfigs, 1, incremental)).responses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect((await bob.request(ApiKey.AlterConfigs, 2, legacy)).responses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await bob.close();
    }
  });

  it('the super user is let through to the real answers', async () => {
    const admin = await as('admin');
    try {
      expect((await admin.request(ApiKey.DeleteRecords, 2, deleteRecords)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.CreatePartitions, 3, createPartitions)).results[0].errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g'] })).results[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
      const described = await admin.request(ApiKey.DescribeConfigs, 4, describeConfigs);
      expect(described.results[0].errorCode).toBe(ErrorCode.NONE);
      expect(described.results[2].errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.IncrementalAlterConfigs, 1, incremental)).responses[0].errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.AlterConfigs, 2, legacy)).responses[0].errorCode).toBe(ErrorCode.NONE);
    } finally {
      await admin.close();
    }
  });
});

describe('group, producer and transaction reads', () => {
  const topic = 'group-topic';
  const offsetDelete = { groupId: 'listed', topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] };

  it('hide or refuse what the principal may not see', async () => {
    const admin = await as('admin');
    await admin.request(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const committed = await admin.request(ApiKey.OffsetCommit, 8, {
      groupId: 'listed',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    expect(committed.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const bob = await as('bob');
    try {
      // READ on the group alone is not enough to commit offsets of a topic one may not read.
      await admin.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: 3, resourceName: 'bob-group', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 }] });
      const bobCommit = await bob.request(ApiKey.OffsetCommit, 8, {
        groupId: 'bob-group',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
      expect(bobCommit.topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      const listedForAdmin = await admin.request(ApiKey.ListGroups, 4, { statesFilter: [] });
      expect(listedForAdmin.groups.map((g: { groupId: string }) => g.groupId)).toContain('listed');
      expect((await bob.request(ApiKey.ListGroups, 4, { statesFilter: [] })).groups).toEqual([]);

      expect((await bob.request(ApiKey.OffsetDelete, 0, offsetDelete)).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const deleted = await admin.request(ApiKey.OffsetDelete, 0, offsetDelete);
      expect(deleted.errorCode).toBe(ErrorCode.NONE);
      expect(deleted.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);

      const producers = { topics: [{ name: topic, partitionIndexes: [0] }] };
      expect((await bob.request(ApiKey.DescribeProducers, 0, producers)).topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect((await admin.request(ApiKey.DescribeProducers, 0, producers)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);

      // WRITE on the transactional id alone does not let a topic one may not write into a transaction.
      await admin.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: 5, resourceName: 'bob-tx', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 4, permissionType: 3 }] });
      const added = await bob.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'bob-tx', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
      expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      const txnCommit = await bob.request(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'bob-tx',
        groupId: 'bob-group',
        producerId: 1n,
        producerEpoch: 0,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      expect(txnCommit.topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      const txns = { transactionalIds: ['tx'] };
      expect((await bob.request(ApiKey.DescribeTransactions, 0, txns)).transactionStates[0].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      expect((await admin.request(ApiKey.DescribeTransactions, 0, txns)).transactionStates[0].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    } finally {
      await bob.close();
      await admin.close();
    }
  });
});

describe('without an authorizer', () => {
  it('the same requests are allowed', async () => {
    const plain = await startBroker();
    try {
      const raw = await RawClient.connect('127.0.0.1', plain.port);
      expect((await raw.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await raw.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await raw.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(ErrorCode.NONE);
      await raw.close();
    } finally {
      await plain.close();
    }
  });
});
