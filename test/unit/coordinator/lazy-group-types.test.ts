/**
 * Share and streams groups load on first use (src/coordinator/group/group-coordinator.ts): a
 * coordinator whose __consumer_offsets holds none of their records never loads their managers
 * or record codecs; one that holds some loads them at the first such record and replays every
 * record in its order, so their groups come back as they were; a request of their APIs right
 * after a (re)start is answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ShareGroupHeartbeatResponse, defaultShareGroupHeartbeatRequest } from '../../../src/protocol/generated/076-share-group-heartbeat.js';
import type { ShareGroupDescribeResponse } from '../../../src/protocol/generated/077-share-group-describe.js';
import { type StreamsGroupHeartbeatResponse, defaultStreamsGroupHeartbeatRequest } from '../../../src/protocol/generated/088-streams-group-heartbeat.js';
import type { StreamsGroupDescribeResponse } from '../../../src/protocol/generated/089-streams-group-describe.js';
import { FakeShareState } from '../../support/fake-share-state.js';
import { MemoryOffsetsLog } from '../../support/memory-offsets-log.js';
import { TestTopics } from '../../support/topics-view.js';
import { createTopic, openHarness } from '../../support/admin-fixture.js';

const logger = createLogger({ level: 'silent' });
const clock = 1_000_000;

/** The coordinator and records modules as a fresh process has them: no group type loaded yet. */
async function freshModules() {
  vi.resetModules();
  const coordinator = await import('../../../src/coordinator/group/group-coordinator.js');
  const records = await import('../../../src/coordinator/group/records.js');
  return { ...coordinator, ...records };
}

const topology = {
  epoch: 0,
  subtopologies: [{ subtopologyId: '0', sourceTopics: ['t'], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [], repartitionSourceTopics: [], copartitionGroups: [] }],
};

function streamsHeartbeat(groupId: string) {
  return {
    ...defaultStreamsGroupHeartbeatRequest(),
    groupId,
    memberId: 's1',
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    topology,
    processId: 'p1',
    userEndpoint: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
  };
}

const shareHeartbeat = (groupId: string) => ({ groupId, memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['t'], clientId: 'c', clientHost: '/127.0.0.1' });

const commit = (groupId: string, offset: bigint) => ({
  groupId,
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1n,
  apiVersion: 9,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
});

describe('share and streams groups loaded on first use', () => {
  it('a coordinator whose log has no share or streams record loads neither', async () => {
    const m = await freshModules();
    const log = new MemoryOffsetsLog(1);
    const topics = new TestTopics();
    topics.add('t', 1);
    const first = new m.GroupCoordinator({ log, logger, topics, now: () => clock });
    await first.load();
    expect(await first.commitOffsets(commit('simple', 5n))).toEqual([[ErrorCode.NONE]]);
    await first.close();
    const again = new m.GroupCoordinator({ log, logger, topics, now: () => clock });
    await again.load();
    expect(again.fetchOffsets('simple', null).topics[0]!.partitions[0]!.committedOffset).toBe(5n);
    expect([m.isLazyFamilyLoaded('share'), m.isLazyFamilyLoaded('streams')]).toEqual([false, false]);
    await again.close();
  });

  it('a restart replays share and streams records among the others, in order, loading their managers at the first one', async () => {
    const topics = new TestTopics();
    topics.add('t', 2);
    const store = new FakeShareState();
    const log = new MemoryOffsetsLog(1);
    const before = await freshModules();
    const first = new before.GroupCoordinator({ log, logger, topics, now: () => clock, shareState: store, shareListener: store });
    await first.load();
    // One partition: the share group's records sit between offsets, the streams group's after them.
    await first.commitOffsets(commit('simple', 1n));
    expect((await first.shareGroupHeartbeat(shareHeartbeat('sg'))).errorCode).toBe(ErrorCode.NONE);
    await first.commitOffsets(commit('simple', 2n));
    expect((await first.streamsGroupHeartbeat(streamsHeartbeat('st'))).errorCode).toBe(ErrorCode.NONE);
    await first.commitOffsets(commit('simple', 3n));
    const share = await first.shareGroupDescribe('sg');
    const streams = await first.streamsGroupDescribe('st');
    await first.close();

    const after = await freshModules();
    expect([after.isLazyFamilyLoaded('share'), after.isLazyFamilyLoaded('streams')]).toEqual([false, false]);
    const again = new after.GroupCoordinator({ log, logger, topics, now: () => clock, shareState: store, shareListener: store });
    await again.load();
    expect([after.isLazyFamilyLoaded('share'), after.isLazyFamilyLoaded('streams')]).toEqual([true, true]);
    expect(await again.shareGroupDescribe('sg')).toEqual(share);
    expect(await again.streamsGroupDescribe('st')).toEqual(streams);
    expect(share.members.map((x) => x.memberId)).toEqual(['m1']);
    expect(streams.members.map((x) => x.memberId)).toEqual(['s1']);
    expect(again.fetchOffsets('simple', null).topics[0]!.partitions[0]!.committedOffset).toBe(3n);
    // Replayed members are on the clock again, as after any load.
    expect(again.timerCount).toBeGreaterThan(0);
    await again.close();
  });
});

describe('share and streams requests right after a start', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('are answered on a fresh broker, and a restarted broker describes the groups it replayed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-lazy-groups-'));
    dirs.push(dataDir);
    const describeBoth = (h: Awaited<ReturnType<typeof openHarness>>) =>
      Promise.all([
        h.client.request<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, 1, { groupIds: ['sg'], includeAuthorizedOperations: false }),
        h.client.request<StreamsGroupDescribeResponse>(ApiKey.StreamsGroupDescribe, 0, { groupIds: ['st'], includeAuthorizedOperations: false }),
      ]);
    const h = await openHarness({ dataDir });
    try {
      // First requests of the broker: both group types load while these wait.
      const [share, streams] = await describeBoth(h);
      expect([share.groups[0]!.errorCode, share.groups[0]!.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group sg not found.']);
      expect([streams.groups[0]!.errorCode, streams.groups[0]!.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group st not found.']);
      await createTopic(h.client, 't', 1);
      const joined = await h.client.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { ...defaultShareGroupHeartbeatRequest(), ...shareHeartbeat('sg') });
      expect(joined.errorCode).toBe(ErrorCode.NONE);
      const { clientId: _c, clientHost: _h, ...streamsRequest } = streamsHeartbeat('st');
      const streamsJoined = await h.client.request<StreamsGroupHeartbeatResponse>(ApiKey.StreamsGroupHeartbeat, 0, streamsRequest);
      expect(streamsJoined.errorCode).toBe(ErrorCode.NONE);
    } finally {
      await h.close();
    }
    const restarted = await openHarness({ dataDir });
    try {
      const [share, streams] = await describeBoth(restarted);
      expect(share.groups[0]!.members.map((m) => m.memberId)).toEqual(['m1']);
      expect(streams.groups[0]!.members.map((m) => m.memberId)).toEqual(['s1']);
    } finally {
      await restarted.close();
    }
  });
});
