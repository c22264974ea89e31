/** ConsumerGroupHeartbeat, ConsumerGroupDescribe, ListGroups and DescribeGroups of a KIP-848 group over the wire. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ConsumerGroupHeartbeatResponse, defaultConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/068-consumer-group-heartbeat.js';
import { type ConsumerGroupDescribeResponse, defaultConsumerGroupDescribeRequest } from '../../../src/protocol/generated/069-consumer-group-describe.js';
import { type DescribeGroupsResponse, defaultDescribeGroupsRequest } from '../../../src/protocol/generated/015-describe-groups.js';
import { type ListGroupsResponse, defaultListGroupsRequest } from '../../../src/protocol/generated/016-list-groups.js';
import { type Harness, createTopic, openHarness } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h.close();
});

describe('KIP-848 consumer group APIs', () => {
  it('a member joins over ConsumerGroupHeartbeat v1 and is described by ConsumerGroupDescribe v1', async () => {
    const topicId = await createTopic(h.client, 'cg-wire', 3);
    const joined = await h.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
      ...defaultConsumerGroupHeartbeatRequest(), groupId: 'cg-wire-group', memberId: 'member-1', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['cg-wire'], topicPartitions: [],
    });
    expect([joined.errorCode, joined.memberId, joined.memberEpoch, joined.heartbeatIntervalMs]).toEqual([ErrorCode.NONE, 'member-1', 2, 5000]);
    expect(joined.assignment?.topicPartitions).toMatchObject([{ topicId, partitions: [0, 1, 2] }]);

    const described = await h.client.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 1, { ...defaultConsumerGroupDescribeRequest(), groupIds: ['cg-wire-group', 'nope'] });
    const [g, missing] = described.groups;
    expect([g!.errorCode, g!.groupState, g!.groupEpoch, g!.assignmentEpoch, g!.assignorName]).toEqual([ErrorCode.NONE, 'Stable', 2, 2, 'uniform']);
    expect(g!.members).toMatchObject([{ memberId: 'member-1', memberEpoch: 2, memberType: 1, subscribedTopicNames: ['cg-wire'], assignment: { topicPartitions: [{ topicId, topicName: 'cg-wire', partitions: [0, 1, 2] }] } }]);
    expect(missing!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const listed = await h.client.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { ...defaultListGroupsRequest(), typesFilter: ['Consumer'] });
    expect(listed.groups).toMatchObject([{ groupId: 'cg-wire-group', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    const classic = await h.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 6, { ...defaultDescribeGroupsRequest(), groups: ['cg-wire-group'] });
    expect(classic.groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const left = await h.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, { ...defaultConsumerGroupHeartbeatRequest(), groupId: 'cg-wire-group', memberId: 'member-1', memberEpoch: -1 });
    expect([left.errorCode, left.memberEpoch]).toEqual([ErrorCode.NONE, -1]);
    const empty = await h.client.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 0, { ...defaultConsumerGroupDescribeRequest(), groupIds: ['cg-wire-group'] });
    expect([empty.groups[0]!.groupState, empty.groups[0]!.groupEpoch, empty.groups[0]!.members]).toEqual(['Empty', 3, []]);
  });

  it('v1 needs a member id; an invalid regular expression is INVALID_REGULAR_EXPRESSION', async () => {
    const base = { ...defaultConsumerGroupHeartbeatRequest(), groupId: 'cg-bad', memberEpoch: 0, rebalanceTimeoutMs: 30_000, topicPartitions: [] };
    const noId = await h.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, { ...base, subscribedTopicNames: ['x'] });
    expect([noId.errorCode, noId.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, "MemberId can't be empty."]);
    const badRegex = await h.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, { ...base, memberId: 'm', subscribedTopicRegex: '[' });
    expect(badRegex.errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
  });
});
