/**
 * The admin APIs a single node answers on its own: leader election, reassignment, replica log
 * dirs, the quorum, feature updates, unregistration and config resource listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { MEMORY_LOG_DIR } from '../../../src/server/handlers/035-describe-log-dirs.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'admin-t', 2);
});
afterAll(async () => {
  await h.close();
});

describe('single-node admin APIs', () => {
  it('ElectLeaders: not needed for existing partitions, unknown otherwise, invalid for other types', async () => {
    const ask = (electionType: number) =>
      h.client.request(ApiKey.ElectLeaders, 2, { electionType, timeoutMs: 1000, topicPartitions: [{ topic: 'admin-t', partitions: [1, 2] }, { topic: 'nope', partitions: [0] }] });
    const preferred = await ask(0);
    expect(preferred.errorCode).toBe(0);
    expect(preferred.replicaElectionResults.map((t: any) => t.partitionResult.map((p: any) => p.errorCode))).toEqual([
      [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect((await ask(1)).replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    const bad = await ask(3);
    expect([bad.errorCode, bad.replicaElectionResults[0].partitionResult[0].errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Unknown election type 3']);
  });

  it('AlterPartitionReassignments: the node itself is accepted and done at once; anything else refused', async () => {
    const alter = (replicas: number[] | null) =>
      h.client.request(ApiKey.AlterPartitionReassignments, 1, { timeoutMs: 1000, allowReplicationFactorChange: false, topics: [{ name: 'admin-t', partitions: [{ partitionIndex: 0, replicas }] }] });
    const code = async (replicas: number[] | null) => (await alter(replicas)).responses[0].partitions[0].errorCode;
    expect(await code([1])).toBe(ErrorCode.NONE);
    expect(await code([2])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await code([1, 1])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await code([])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await code(null)).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    expect((await alter([1])).allowReplicationFactorChange).toBe(false);
    const listed = await h.client.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null });
    expect(listed.topics).toEqual([]);
  });

  it('AlterReplicaLogDirs: the one log dir is accepted, any other path is LOG_DIR_NOT_FOUND', async () => {
    const alter = (path: string) => h.client.request(ApiKey.AlterReplicaLogDirs, 2, { dirs: [{ path, topics: [{ name: 'admin-t', partitions: [0, 5] }] }] });
    expect((await alter(MEMORY_LOG_DIR)).results[0].partitions.map((p: any) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect((await alter('/elsewhere')).results[0].partitions.map((p: any) => p.errorCode)).toEqual([ErrorCode.LOG_DIR_NOT_FOUND, ErrorCode.LOG_DIR_NOT_FOUND]);
  });

  it('DescribeQuorum: one voter leading __cluster_metadata; other partitions unknown', async () => {
    const res = await h.client.request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    const p = res.topics[0].partitions[0];
    expect([p.errorCode, p.leaderId, p.leaderEpoch, p.observers]).toEqual([0, 1, 1, []]);
    expect(p.currentVoters).toHaveLength(1);
    expect(p.currentVoters[0].replicaId).toBe(1);
    expect(p.currentVoters[0].replicaDirectoryId).not.toBe(ZERO_UUID);
    expect(res.nodes).toEqual([{ nodeId: 1, listeners: [{ name: 'CONTROLLER', host: h.broker.host, port: h.broker.port }] }]);
    const other = await h.client.request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: 'admin-t', partitions: [{ partitionIndex: 0 }] }] });
    expect(other.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('UpdateFeatures: the finalized level is a no-op; levels Skiff lacks and downgrades are refused', async () => {
    const update = (feature: string, maxVersionLevel: number, upgradeType = 1) =>
      h.client.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 1000, validateOnly: false, featureUpdates: [{ feature, maxVersionLevel, allowDowngrade: false, upgradeType }] });
    expect(await update('metadata.version', 30)).toMatchObject({ errorCode: 0, results: [{ feature: 'metadata.version', errorCode: 0 }] });
    expect((await update('metadata.version', 31)).errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect((await update('metadata.version', 29)).errorMessage).toMatch(/without setting the upgrade type/);
    expect((await update('metadata.version', 29, 2)).errorMessage).toMatch(/Unsupported metadata.version downgrade from 30 to 29/);
    // Within Kafka's supported range, but not a level Skiff has.
    expect(await update('streams.version', 1)).toMatchObject({ errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: expect.stringMatching(/streams.version stays at 0/) });
    expect(await update('share.version', 1)).toMatchObject({ errorCode: 0 });
    expect(await update('transaction.version', 2)).toMatchObject({ errorCode: 0 });
    expect(await update('group.version', 1)).toMatchObject({ errorCode: 0 });
    expect((await update('no.such.feature', 1)).errorMessage).toMatch(/does not support this feature/);
  });

  it('UnregisterBroker: the node itself is accepted, other ids are not registered', async () => {
    expect((await h.client.request(ApiKey.UnregisterBroker, 0, { brokerId: 1 })).errorCode).toBe(ErrorCode.NONE);
    expect((await h.client.request(ApiKey.UnregisterBroker, 0, { brokerId: 7 })).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
  });

  it('ListConfigResources: topics, the broker and its loggers; client metrics alone in v0; unknown types refused', async () => {
    const list = (v: number, resourceTypes: number[]) => h.client.request(ApiKey.ListConfigResources, v, { resourceTypes });
    const all = await list(1, []);
    expect(all.configResources).toEqual(
      expect.arrayContaining([
        { resourceName: 'admin-t', resourceType: 2 },
        { resourceName: '1', resourceType: 4 },
        { resourceName: '1', resourceType: 8 },
      ]),
    );
    expect((await list(1, [4])).configResources).toEqual([{ resourceName: '1', resourceType: 4 }]);
    expect((await list(0, [])).configResources).toEqual([]);
    expect((await list(1, [1])).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });
});
