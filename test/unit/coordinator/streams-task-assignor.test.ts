import { beforeAll, describe, expect, it } from 'vitest';
import { assignTasks } from '../../../src/coordinator/group/streams-task-assignor.js';
import { EMPTY_TASKS, type TasksTuple } from '../../../src/coordinator/group/streams-group.js';
import { StreamsStatus, configureTopology } from '../../../src/coordinator/group/streams-topology.js';
import { decodeGroupRecord, encodeRecordKey, encodeRecordValue, loadRecordFamily, type GroupRecord } from '../../../src/coordinator/group/records.js';

const tasks = (entries: Record<string, number[]>) => new Map(Object.entries(entries).map(([k, v]) => [k, new Set(v)]));
const flat = (t: TasksTuple['active']) => [...t].flatMap(([id, ps]) => [...ps].map((p) => `${id}_${p}`)).sort();

describe('sticky task assignor', () => {
  it('balances active tasks and keeps each with its previous owner', () => {
    const first = assignTasks([{ memberId: 'a', processId: 'p1', previous: EMPTY_TASKS }], new Map([['0', 4]]), 0).assignment;
    expect(flat(first.get('a')!.active)).toEqual(['0_0', '0_1', '0_2', '0_3']);
    const second = assignTasks(
      [
        { memberId: 'a', processId: 'p1', previous: first.get('a')! },
        { memberId: 'b', processId: 'p2', previous: EMPTY_TASKS },
      ],
      new Map([['0', 4]]),
      0,
    ).assignment;
    const a = flat(second.get('a')!.active);
    const b = flat(second.get('b')!.active);
    expect([a.length, b.length]).toEqual([2, 2]);
    // a keeps two of its own; b gets the other two.
    expect([...a, ...b].sort()).toEqual(['0_0', '0_1', '0_2', '0_3']);
    const third = assignTasks(
      [
        { memberId: 'a', processId: 'p1', previous: second.get('a')! },
        { memberId: 'b', processId: 'p2', previous: second.get('b')! },
      ],
      new Map([['0', 4]]),
      0,
    ).assignment;
    expect(flat(third.get('a')!.active)).toEqual(a);
    expect(flat(third.get('b')!.active)).toEqual(b);
  });

  it('a lost active task goes to the member that kept it as standby', () => {
    const previous: TasksTuple = { active: EMPTY_TASKS.active, standby: tasks({ '0': [1] }), warmup: EMPTY_TASKS.warmup };
    const r = assignTasks(
      [
        { memberId: 'a', processId: 'p1', previous: EMPTY_TASKS },
        { memberId: 'b', processId: 'p2', previous },
      ],
      new Map([['0', 2]]),
      0,
    ).assignment;
    expect(flat(r.get('b')!.active)).toEqual(['0_1']);
  });

  it('standby replicas never share a process with the active task or another replica; too few processes leave replicas out', () => {
    const members = [
      { memberId: 'a1', processId: 'p1', previous: EMPTY_TASKS },
      { memberId: 'a2', processId: 'p1', previous: EMPTY_TASKS },
      { memberId: 'b1', processId: 'p2', previous: EMPTY_TASKS },
    ];
    const { assignment, unplacedStandbys } = assignTasks(members, new Map([['0', 3], ['1', 3]]), 2);
    // Two processes: one standby per task fits, the second does not.
    expect(unplacedStandbys).toBe(6);
    const byProcess = new Map<string, string[]>();
    for (const m of members) {
      const t = assignment.get(m.memberId)!;
      byProcess.set(m.processId, [...(byProcess.get(m.processId) ?? []), ...flat(t.active), ...flat(t.standby)]);
    }
    for (const held of byProcess.values()) expect(new Set(held).size).toBe(held.length);
    const actives = members.flatMap((m) => flat(assignment.get(m.memberId)!.active));
    const standbys = members.flatMap((m) => flat(assignment.get(m.memberId)!.standby));
    expect([actives.length, standbys.length, new Set(actives).size]).toEqual([6, 6, 6]);
  });
});

const sub = (over: object) => ({ subtopologyId: '0', sourceTopics: [], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [], repartitionSourceTopics: [], copartitionGroups: [], ...over });
const info = (name: string, partitions = 0) => ({ name, partitions, replicationFactor: 0, topicConfigs: [] });

describe('streams topology against the topics', () => {

  it('copartitioned source topics must have the same partitions; repartition topics follow them', () => {
    const parts = new Map([['a', 3], ['b', 2], ['c', 3], ['big', 5]]);
    // r is written from a 5-partition topic, but joins 3-partition ones: it gets 3.
    const join = (sources: string[]) => ({
      epoch: 1,
      subtopologies: [
        sub({ subtopologyId: '0', sourceTopics: ['big'], repartitionSinkTopics: ['r'] }),
        sub({ subtopologyId: '1', sourceTopics: sources, repartitionSourceTopics: [info('r')], copartitionGroups: [{ sourceTopics: [0, 1], sourceTopicRegex: [], repartitionSourceTopics: [0] }] }),
      ],
    });
    const bad = configureTopology(join(['a', 'b']), (t) => parts.get(t));
    expect(bad.problem).toEqual({ code: StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS, detail: 'Following topics do not have the same number of partitions: [a=3, b=2]' });
    const good = configureTopology(join(['a', 'c']), (t) => parts.get(t));
    expect(good.internalTopicsToCreate).toEqual([{ name: 'r', partitions: 3, replicationFactor: -1, configs: {} }]);
  });

  it('an existing internal topic with other partitions is reported; a repartition topic nobody can size too', () => {
    const topology = { epoch: 1, subtopologies: [sub({ sourceTopics: ['a'], stateChangelogTopics: [info('cl')] })] };
    const wrong = configureTopology(topology, (t) => ({ a: 4, cl: 2 })[t]);
    expect(wrong.problem).toEqual({ code: StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS, detail: 'Existing topic cl has different number of partitions: expected 4, found 2' });
    const ready = configureTopology(topology, (t) => ({ a: 4, cl: 4 })[t]);
    expect([ready.ready, ready.tasks.get('0')]).toEqual([true, 4]);
    const orphan = configureTopology({ epoch: 1, subtopologies: [sub({ repartitionSourceTopics: [info('r')] })] }, () => undefined);
    expect(orphan.problem?.code).toBe(StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS);
  });
});

describe('streams group records', () => {
  beforeAll(() => loadRecordFamily('streams'));
  it('every type round-trips in Kafka formats (key types 17, 19-23)', () => {
    const groupId = 'g';
    const memberId = 'm';
    const taskIds = [{ subtopologyId: '0', partitions: [0, 1] }];
    const recs: GroupRecord[] = [
      { type: 'streamsGroupMetadata', key: { groupId }, value: { epoch: 3, metadataHash: 7n, validatedTopologyEpoch: 0, lastAssignmentConfigs: [{ key: 'num.standby.replicas', value: '1' }] } },
      { type: 'streamsGroupMemberMetadata', key: { groupId, memberId }, value: { instanceId: null, rackId: 'r', clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 100, topologyEpoch: 0, processId: 'p', userEndpoint: { host: 'h', port: 9 }, clientTags: [{ key: 'k', value: 'v' }] } },
      { type: 'streamsGroupTargetAssignmentMetadata', key: { groupId }, value: { assignmentEpoch: 3, assignmentTimestamp: 5n } },
      { type: 'streamsGroupTargetAssignmentMember', key: { groupId, memberId }, value: { activeTasks: taskIds, standbyTasks: [], warmupTasks: [] } },
      {
        type: 'streamsGroupCurrentMemberAssignment',
        key: { groupId, memberId },
        value: { memberEpoch: 3, previousMemberEpoch: 2, state: 1, activeTasks: taskIds.map((t) => ({ ...t, assignmentEpochs: [2, 3] })), standbyTasks: [], warmupTasks: [], activeTasksPendingRevocation: [], standbyTasksPendingRevocation: [], warmupTasksPendingRevocation: [] },
      },
      { type: 'streamsGroupTopology', key: { groupId }, value: { epoch: 0, subtopologies: [sub({ sourceTopics: ['a'], stateChangelogTopics: [{ name: 'cl', partitions: 0, replicationFactor: 0, topicConfigs: [{ key: 'cleanup.policy', value: 'compact' }] }] })] } },
    ];
    const keyTypes = recs.map((r) => encodeRecordKey(r).readInt16BE(0));
    expect(keyTypes).toEqual([17, 19, 20, 21, 22, 23]);
    for (const r of recs) {
      expect(decodeGroupRecord(encodeRecordKey(r), encodeRecordValue(r))).toEqual(r);
      expect(decodeGroupRecord(encodeRecordKey(r), null)).toEqual({ ...r, value: null });
    }
  });
});
