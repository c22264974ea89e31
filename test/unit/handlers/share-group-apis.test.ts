/**
 * Share groups over the wire: ShareGroupHeartbeat, ShareGroupDescribe, the share-group offsets
 * admin APIs (Describe/Alter/DeleteShareGroupOffsets), and what the other group APIs answer
 * for a share group; then the ACL checks of each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ApiVersionsResponse } from '../../../src/protocol/generated/018-api-versions.js';
import { type ShareGroupHeartbeatResponse, defaultShareGroupHeartbeatRequest } from '../../../src/protocol/generated/076-share-group-heartbeat.js';
import { type ShareGroupDescribeResponse } from '../../../src/protocol/generated/077-share-group-describe.js';
import { type DescribeShareGroupOffsetsResponse } from '../../../src/protocol/generated/090-describe-share-group-offsets.js';
import { type AlterShareGroupOffsetsResponse } from '../../../src/protocol/generated/091-alter-share-group-offsets.js';
import { type DeleteShareGroupOffsetsResponse } from '../../../src/protocol/generated/092-delete-share-group-offsets.js';
import { type DeleteGroupsResponse } from '../../../src/protocol/generated/042-delete-groups.js';
import { type DescribeGroupsResponse, defaultDescribeGroupsRequest } from '../../../src/protocol/generated/015-describe-groups.js';
import { type ListGroupsResponse, defaultListGroupsRequest } from '../../../src/protocol/generated/016-list-groups.js';
import { type OffsetFetchResponse } from '../../../src/protocol/generated/009-offset-fetch.js';
import { type IncrementalAlterConfigsResponse, defaultIncrementalAlterConfigsRequest } from '../../../src/protocol/generated/044-incremental-alter-configs.js';
import { type Harness, createTopic, openHarness } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';
import { useSaslAclBroker } from '../../support/sasl-acl-broker.js';

const GROUP_RESOURCE = 32;

function heartbeat(client: RawClient, groupId: string, memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null) {
  return client.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { ...defaultShareGroupHeartbeatRequest(), groupId, memberId, memberEpoch, subscribedTopicNames });
}

function describeShare(client: RawClient, groupIds: string[]) {
  return client.request<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, 1, { groupIds, includeAuthorizedOperations: true });
}

function describeOffsets(client: RawClient, groupId: string, topics: Array<{ topicName: string; partitions: number[] }> | null) {
  return client.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics }] });
}

function alterOffsets(client: RawClient, groupId: string, topicName: string, partitions: Array<{ partitionIndex: number; startOffset: bigint }>) {
  return client.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, { groupId, topics: [{ topicName, partitions }] });
}

function deleteOffsets(client: RawClient, groupId: string, topicNames: string[]) {
  return client.request<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, { groupId, topics: topicNames.map((topicName) => ({ topicName })) });
}

describe('share group APIs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('ApiVersions lists ShareGroupHeartbeat v1, ShareGroupDescribe v1 and the share-group offsets APIs', async () => {
    const res = await h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const range = (k: number) => res.apiKeys.find((a) => a.apiKey === k);
    expect(range(ApiKey.ShareGroupHeartbeat)).toMatchObject({ minVersion: 1, maxVersion: 1 });
    expect(range(ApiKey.ShareGroupDescribe)).toMatchObject({ minVersion: 1, maxVersion: 1 });
    expect(range(ApiKey.DescribeShareGroupOffsets)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(range(ApiKey.AlterShareGroupOffsets)).toMatchObject({ minVersion: 0, maxVersion: 0 });
    expect(range(ApiKey.DeleteShareGroupOffsets)).toMatchObject({ minVersion: 0, maxVersion: 0 });
  });

  it('members join, are described, listed and leave; the group then goes with DeleteGroups', async () => {
    const topicId = await createTopic(h.client, 'sg-wire', 2);
    const joined = await heartbeat(h.client, 'sg', 'member-1', 0, ['sg-wire']);
    expect([joined.errorCode, joined.memberId, joined.memberEpoch, joined.heartbeatIntervalMs]).toEqual([ErrorCode.NONE, 'member-1', 2, 5000]);
    const assigned = await heartbeat(h.client, 'sg', 'member-1', 2, null);
    expect([assigned.memberEpoch, assigned.assignment?.topicPartitions]).toEqual([3, [{ topicId, partitions: [0, 1] }]]);
    const second = await heartbeat(h.client, 'sg', 'member-2', 0, ['sg-wire']);
    expect(second.assignment?.topicPartitions.flatMap((t) => t.partitions)).toHaveLength(1);

    const described = await describeShare(h.client, ['sg', 'nope']);
    const [g, missing] = described.groups;
    expect([g!.errorCode, g!.groupState, g!.groupEpoch, g!.assignorName, g!.members.map((m) => m.memberId).sort()]).toEqual([ErrorCode.NONE, 'Stable', 4, 'simple', ['member-1', 'member-2']]);
    expect(g!.members.find((m) => m.memberId === 'member-2')).toMatchObject({ clientHost: '/127.0.0.1', subscribedTopicNames: ['sg-wire'], assignment: { topicPartitions: [{ topicId, topicName: 'sg-wire' }] } });
    expect(g!.authorizedOperations).toBeGreaterThan(0);
    expect([missing!.errorCode, missing!.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group nope not found.']);

    const listed = await h.client.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { ...defaultListGroupsRequest(), typesFilter: ['Share'] });
    expect(listed.groups).toEqual([{ groupId: 'sg', protocolType: 'share', groupState: 'Stable', groupType: 'share' }]);
    const classic = await h.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 6, { ...defaultDescribeGroupsRequest(), groups: ['sg'] });
    expect(classic.groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const fetched = await h.client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'sg', topics: null }], requireStable: false });
    expect(fetched.groups[0]).toMatchObject({ errorCode: ErrorCode.NONE, topics: [] });

    const del = () => h.client.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: ['sg'] }).then((r) => r.results[0]!.errorCode);
    expect(await del()).toBe(ErrorCode.NON_EMPTY_GROUP);
    for (const m of ['member-1', 'member-2']) expect((await heartbeat(h.client, 'sg', m, -1, null)).memberEpoch).toBe(-1);
    expect(await del()).toBe(ErrorCode.NONE);
    expect((await describeShare(h.client, ['sg'])).groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('share.heartbeat.interval.ms of the group, and share.auto.offset.reset / share.isolation.level checked as Kafka does', async () => {
    const incremental = async (name: string, value: string) => {
      const res = await h.client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
        ...defaultIncrementalAlterConfigsRequest(),
        resources: [{ resourceType: GROUP_RESOURCE, resourceName: 'sg-cfg', configs: [{ name, configOperation: 0, value }] }],
      });
      return [res.responses[0]!.errorCode, res.responses[0]!.errorMessage];
    };
    expect(await incremental('share.auto.offset.reset', 'sometimes')).toEqual([
      ErrorCode.INVALID_CONFIG,
      "Invalid value `sometimes` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.",
    ]);
    expect(await incremental('share.isolation.level', 'dirty')).toEqual([ErrorCode.INVALID_CONFIG, 'Invalid value dirty for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted']);
    expect(await incremental('share.auto.offset.reset', 'by_duration:PT1H')).toEqual([ErrorCode.NONE, null]);
    expect(await incremental('share.heartbeat.interval.ms', '7000')).toEqual([ErrorCode.NONE, null]);
    await createTopic(h.client, 'sg-cfg-topic', 1);
    expect((await heartbeat(h.client, 'sg-cfg', 'm', 0, ['sg-cfg-topic'])).heartbeatIntervalMs).toBe(7000);
  });

  it('AlterShareGroupOffsets sets start offsets of an empty group, DescribeShareGroupOffsets reads them, DeleteShareGroupOffsets forgets them', async () => {
    const topicId = await createTopic(h.client, 'sg-offsets', 2);
    const altered = await alterOffsets(h.client, 'sg-off', 'sg-offsets', [{ partitionIndex: 0, startOffset: 5n }, { partitionIndex: 9, startOffset: 1n }]);
    expect(altered.errorCode).toBe(ErrorCode.NONE);
    expect(altered.responses).toEqual([
      { topicName: 'sg-offsets', topicId, partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: expect.any(String) }] },
    ]);
    const all = await describeOffsets(h.client, 'sg-off', null);
    expect(all.groups[0]).toMatchObject({ errorCode: 0, topics: [{ topicName: 'sg-offsets', topicId, partitions: [{ partitionIndex: 0, startOffset: 5n, errorCode: 0 }] }] });
    const named = await describeOffsets(h.client, 'sg-off', [{ topicName: 'sg-offsets', partitions: [0] }, { topicName: 'no-such-topic', partitions: [0] }]);
    // No share state (an unknown topic or group included): start offset -1 and no error, as Kafka 4.3.1.
    expect(named.groups[0]!.topics.map((t) => t.partitions.map((p) => [p.startOffset, p.leaderEpoch, p.errorCode]))).toEqual([[[5n, 0, 0]], [[-1n, 0, 0]]]);
    expect((await describeOffsets(h.client, 'no-group', null)).groups[0]).toMatchObject({ errorCode: ErrorCode.NONE, topics: [] });

    // Not while the group has members.
    await heartbeat(h.client, 'sg-off', 'm', 0, ['sg-offsets']);
    expect((await alterOffsets(h.client, 'sg-off', 'sg-offsets', [{ partitionIndex: 0, startOffset: 0n }])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await deleteOffsets(h.client, 'sg-off', ['sg-offsets'])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await heartbeat(h.client, 'sg-off', 'm', -1, null);

    const deleted = await deleteOffsets(h.client, 'sg-off', ['sg-offsets', 'no-such-topic']);
    expect([deleted.errorCode, deleted.responses.map((r) => [r.topicName, r.errorCode])]).toEqual([ErrorCode.NONE, [['sg-offsets', 0], ['no-such-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]);
    expect((await describeOffsets(h.client, 'sg-off', null)).groups[0]!.topics).toEqual([]);
    expect(await deleteOffsets(h.client, 'no-group', ['sg-offsets'])).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group no-group not found.' });
  });
});

describe('share group APIs need their ACLs', () => {
  const { as } = useSaslAclBroker('skiff-share-authz-', ['admin', 'bob'], { logLevel: 'silent' });

  it('without ACLs: GROUP_AUTHORIZATION_FAILED; with the group but not the topic: TOPIC_AUTHORIZATION_FAILED', async () => {
    const admin = await as('admin');
    const bob = await as('bob');
    try {
      await createTopic(admin, 'secret', 1);
      expect((await alterOffsets(admin, 'bg', 'secret', [{ partitionIndex: 0, startOffset: 0n }])).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      expect((await heartbeat(bob, 'bg', 'm', 0, ['secret'])).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      expect((await describeShare(bob, ['bg'])).groups[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      expect((await describeOffsets(bob, 'bg', null)).groups[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      expect((await alterOffsets(bob, 'bg', 'secret', [{ partitionIndex: 0, startOffset: 0n }])).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      expect((await deleteOffsets(bob, 'bg', ['secret'])).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      // bob may READ and DELETE the group (ALL), nothing on the topic.
      const acl = await admin.request(ApiKey.CreateAcls, 3, {
        creations: [{ resourceType: 3, resourceName: 'bg', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 2, permissionType: 3 }],
      });
      expect(acl.results[0].errorCode).toBe(ErrorCode.NONE);
      expect((await heartbeat(bob, 'bg', 'm', 0, ['secret'])).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const altered = await alterOffsets(bob, 'bg', 'secret', [{ partitionIndex: 0, startOffset: 0n }]);
      expect([altered.errorCode, altered.responses[0]!.partitions[0]!.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
      expect((await deleteOffsets(bob, 'bg', ['secret'])).responses[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const described = await describeOffsets(bob, 'bg', [{ topicName: 'secret', partitions: [0] }]);
      expect(described.groups[0]!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect((await heartbeat(admin, 'bg', 'm', 0, ['secret'])).errorCode).toBe(ErrorCode.NONE);
    } finally {
      await bob.close();
      await admin.close();
    }
  });
});
