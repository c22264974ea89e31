/** StreamsGroupHeartbeat and StreamsGroupDescribe over the wire: internal topics created by the broker, tasks, description. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type StreamsGroupHeartbeatResponse, defaultStreamsGroupHeartbeatRequest } from '../../../src/protocol/generated/088-streams-group-heartbeat.js';
import type { StreamsGroupDescribeResponse } from '../../../src/protocol/generated/089-streams-group-describe.js';
import { type DescribeConfigsResponse, defaultDescribeConfigsRequest } from '../../../src/protocol/generated/032-describe-configs.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/generated/044-incremental-alter-configs.js';
import { type Harness, createTopic, openHarness } from '../../support/admin-fixture.js';
import { StreamsStatus } from '../../../src/coordinator/group/streams-topology.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  // The group's own setting (GROUP config resource): no initial rebalance delay.
  const r = await h.client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: 32, resourceName: 'wc', configs: [{ name: 'streams.initial.rebalance.delay.ms', configOperation: 0, value: '0' }] }],
    validateOnly: false,
  });
  expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
});
afterAll(async () => {
  await h.close();
});

const topology = {
  epoch: 0,
  subtopologies: [
    { subtopologyId: '0', sourceTopics: ['words'], sourceTopicRegex: [], stateChangelogTopics: [{ name: 'wc-store-changelog', partitions: 0, replicationFactor: 0, topicConfigs: [] }], repartitionSinkTopics: [], repartitionSourceTopics: [], copartitionGroups: [] },
  ],
};

const heartbeat = (over: object) =>
  h.client.request<StreamsGroupHeartbeatResponse>(ApiKey.StreamsGroupHeartbeat, 0, {
    ...defaultStreamsGroupHeartbeatRequest(), groupId: 'wc', memberId: 'member-1', memberEpoch: 0, rebalanceTimeoutMs: 30_000, topology, processId: 'process-1',
    userEndpoint: { host: 'localhost', port: 7000 }, ...over,
  });

describe('StreamsGroupHeartbeat and StreamsGroupDescribe', () => {
  it('creates the compacted changelog topic, then assigns the tasks and describes the group', async () => {
    await createTopic(h.client, 'words', 2);
    const first = await heartbeat({});
    expect(first.errorCode).toBe(ErrorCode.NONE);
    expect(first.status?.map((s) => s.statusCode)).toEqual([StreamsStatus.MISSING_INTERNAL_TOPICS]);
    const meta = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: [{ name: 'wc-store-changelog', topicId: ZERO_UUID }] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);
    const configs = await h.client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      ...defaultDescribeConfigsRequest(), resources: [{ resourceType: 2, resourceName: 'wc-store-changelog', configurationKeys: ['cleanup.policy'] }],
    });
    expect(configs.results[0]!.configs[0]!.value).toBe('compact');

    const second = await heartbeat({});
    expect([second.status, second.memberEpoch]).toEqual([null, 3]);
    expect(second.activeTasks).toEqual([{ subtopologyId: '0', partitions: [0, 1] }]);
    expect(second.partitionsByUserEndpoint).toEqual([
      { userEndpoint: { host: 'localhost', port: 7000 }, activePartitions: [{ topic: 'words', partitions: [0, 1] }], standbyPartitions: [] },
    ]);

    const d = await h.client.request<StreamsGroupDescribeResponse>(ApiKey.StreamsGroupDescribe, 0, { groupIds: ['wc', 'none'], includeAuthorizedOperations: false });
    const [wc, none] = d.groups;
    expect([wc!.errorCode, wc!.groupState, wc!.groupEpoch, wc!.assignmentEpoch, wc!.topology?.epoch]).toEqual([ErrorCode.NONE, 'Stable', 3, 3, 0]);
    expect(wc!.members.map((m) => [m.memberId, m.processId, m.userEndpoint, m.assignment.activeTasks])).toEqual([
      ['member-1', 'process-1', { host: 'localhost', port: 7000 }, [{ subtopologyId: '0', partitions: [0, 1] }]],
    ]);
    expect(none!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it("refuses a topology naming Kafka's internal topics or invalid topic names, as KafkaApis does", async () => {
    const withSources = (sourceTopics: string[]) => ({ ...topology, subtopologies: [{ ...topology.subtopologies[0]!, sourceTopics }] });
    const internal = await heartbeat({ groupId: 'bad', topology: withSources(['words', '__consumer_offsets']) });
    expect([internal.errorCode, internal.errorMessage]).toEqual([ErrorCode.STREAMS_INVALID_TOPOLOGY, 'Use of Kafka internal topics __consumer_offsets in a Kafka Streams topology is prohibited.']);
    const invalid = await heartbeat({ groupId: 'bad', topology: withSources(['no good', '..']) });
    expect([invalid.errorCode, invalid.errorMessage]).toEqual([ErrorCode.STREAMS_INVALID_TOPOLOGY, 'Topic names no good,.. are not valid topic names.']);
  });
});
