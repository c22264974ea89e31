/**
 * Streams groups (KIP-1071): StreamsGroupHeartbeat and StreamsGroupDescribe, the streams half
 * of Kafka's GroupMetadataManager. A heartbeat runs the same three steps as a consumer
 * group's, each yielding records:
 *
 * 1. the member's metadata and the group's topology: a new member, changed member metadata
 *    (process, endpoint, tags, rack), a newer topology, changed topics (the metadata hash) or
 *    changed assignment settings bump the group epoch; the topology is checked against the
 *    topics (streams-topology.ts), and internal topics still missing are handed back for the
 *    caller to create;
 * 2. when the group epoch is ahead of the target assignment's and the topology is ready, the
 *    sticky task assignor computes a new target (after the initial rebalance delay for a
 *    group that was empty, and no sooner than the assignment interval after the last one);
 * 3. the member is reconciled towards its target: tasks it must give up are revoked before
 *    it gets new ones, and an active task another member still owns is withheld until that
 *    member has revoked it.
 *
 * As for consumer groups, nothing changes before the records are appended: replay does. A
 * member that stops heartbeating is fenced after the session timeout; one that does not
 * revoke within its rebalance timeout is fenced too.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { StreamsGroupHeartbeatRequest } from '../../protocol/generated/088-streams-group-heartbeat.js';
import type { Group } from './group-type.js';
import type { GroupRecord } from './records.js';
import { MemberTimers } from './member-timers.js';
import { topicsMetadataHash } from './metadata-hash.js';
import { memberTombstones } from './group-tombstones.js';
import type { Tx } from './runtime.js';
import { type GroupManagerDeps, GroupTypeManager } from './group-type-manager.js';
import {
  EMPTY_TASKS,
  type Endpoint,
  StreamsGroup,
  type StreamsMember,
  StreamsMemberState,
  type Tasks,
  type TasksTuple,
  hasTask,
  newStreamsMember,
  sameTasks,
  sameTuple,
} from './streams-group.js';
import type { StreamsGroupRecord, StreamsGroupTopologyValue } from './streams-group-records.js';
import { STICKY_ASSIGNOR_NAME, assignTasks } from './streams-task-assignor.js';
import { type ConfiguredTopology, type InternalTopic, StreamsStatus, configureTopology } from './streams-topology.js';

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** One streams group's effective settings: its GROUP configs (streams.*) over the broker's group.streams.*. */
export interface StreamsGroupSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  numStandbyReplicas: number;
  initialRebalanceDelayMs: number;
  /** The least time between two target assignments (group.streams.assignment.interval.ms). */
  assignmentIntervalMs: number;
}

export interface StreamsGroupConfig {
  /** group.streams.max.size */
  maxSize: number;
  settings: (groupId: string) => StreamsGroupSettings;
}

export type StreamsHeartbeatParams = Omit<StreamsGroupHeartbeatRequest, 'unknownTaggedFields'> & { clientId: string; clientHost: string };

export interface TaskIds {
  subtopologyId: string;
  partitions: number[];
}

export interface StreamsHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  status: Array<{ statusCode: number; statusDetail: string }> | null;
  activeTasks: TaskIds[] | null;
  standbyTasks: TaskIds[] | null;
  warmupTasks: TaskIds[] | null;
  endpointInformationEpoch: number;
  partitionsByUserEndpoint: Array<{
    userEndpoint: Endpoint;
    activePartitions: Array<{ topic: string; partitions: number[] }>;
    standbyPartitions: Array<{ topic: string; partitions: number[] }>;
  }> | null;
  /** Internal topics the topology needs that do not exist yet: the caller creates them. */
  internalTopicsToCreate: InternalTopic[];
}

export interface DescribedStreamsTasks {
  activeTasks: TaskIds[];
  standbyTasks: TaskIds[];
  warmupTasks: TaskIds[];
}

export interface StreamsGroupDescription {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  topology: {
    epoch: number;
    subtopologies: Array<{
      subtopologyId: string;
      sourceTopics: string[];
      repartitionSinkTopics: string[];
      stateChangelogTopics: Array<{ name: string; partitions: number; replicationFactor: number; topicConfigs: Array<{ key: string; value: string }> }>;
      repartitionSourceTopics: Array<{ name: string; partitions: number; replicationFactor: number; topicConfigs: Array<{ key: string; value: string }> }>;
    }> | null;
  } | null;
  members: Array<{
    memberId: string;
    memberEpoch: number;
    instanceId: string | null;
    rackId: string | null;
    clientId: string;
    clientHost: string;
    topologyEpoch: number;
    processId: string;
    userEndpoint: Endpoint | null;
    clientTags: Array<{ key: string; value: string }>;
    assignment: DescribedStreamsTasks;
    targetAssignment: DescribedStreamsTasks;
  }>;
}

type Status = { statusCode: number; statusDetail: string };

function error(errorCode: number, errorMessage: string | null = null, memberId = ''): StreamsHeartbeatResult {
  return {
    errorCode,
    errorMessage,
    memberId,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    status: null,
    activeTasks: null,
    standbyTasks: null,
    warmupTasks: null,
    endpointInformationEpoch: 0,
    partitionsByUserEndpoint: null,
    internalTopicsToCreate: [],
  };
}

export function toTaskIds(t: Tasks): TaskIds[] {
  return [...t]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([subtopologyId, ps]) => ({ subtopologyId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function fromTaskIds(list: ReadonlyArray<{ subtopologyId: string; partitions: readonly number[] }>): Tasks {
  const m = new Map<string, Set<number>>();
  for (const t of list) if (t.partitions.length > 0) m.set(t.subtopologyId, new Set([...(m.get(t.subtopologyId) ?? []), ...t.partitions]));
  return m;
}

function isSubsetOf(owned: Tasks, of: Tasks): boolean {
  for (const [id, ps] of owned) for (const p of ps) if (!hasTask(of, id, p)) return false;
  return true;
}

function intersects(a: Tasks, b: Tasks): boolean {
  for (const [id, ps] of a) for (const p of ps) if (hasTask(b, id, p)) return true;
  return false;
}

/** Members' metadata that changes the assignment: a change bumps the group epoch (Kafka's hasStreamsMemberMetadataChanged). */
function metadataDiffers(a: StreamsMember, b: StreamsMember): boolean {
  return (
    a.instanceId !== b.instanceId ||
    a.rackId !== b.rackId ||
    a.clientId !== b.clientId ||
    a.clientHost !== b.clientHost ||
    a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs ||
    a.topologyEpoch !== b.topologyEpoch ||
    a.processId !== b.processId ||
    a.userEndpoint?.host !== b.userEndpoint?.host ||
    a.userEndpoint?.port !== b.userEndpoint?.port ||
    JSON.stringify(a.clientTags) !== JSON.stringify(b.clientTags)
  );
}

/** The topology as the request carries it, in the record's form. */
function topologyRecordValue(t: NonNullable<StreamsHeartbeatParams['topology']>): StreamsGroupTopologyValue {
  const info = (i: { name: string; partitions: number; replicationFactor: number; topicConfigs: Array<{ key: string; value: string }> }) => ({
    name: i.name,
    partitions: i.partitions,
    replicationFactor: i.replicationFactor,
    topicConfigs: i.topicConfigs.map((c) => ({ key: c.key, value: c.value })),
  });
  return {
    epoch: t.epoch,
    subtopologies: t.subtopologies.map((s) => ({
      subtopologyId: s.subtopologyId,
      sourceTopics: [...s.sourceTopics],
      sourceTopicRegex: [...s.sourceTopicRegex],
      stateChangelogTopics: s.stateChangelogTopics.map(info),
      repartitionSinkTopics: [...s.repartitionSinkTopics],
      repartitionSourceTopics: s.repartitionSourceTopics.map(info),
      copartitionGroups: s.copartitionGroups.map((g) => ({ sourceTopics: [...g.sourceTopics], sourceTopicRegex: [...g.sourceTopicRegex], repartitionSourceTopics: [...g.repartitionSourceTopics] })),
    })),
  };
}

/** Kafka's StreamsTopology.equals: the epoch and the subtopologies by id. */
function sameTopology(a: StreamsGroupTopologyValue, b: StreamsGroupTopologyValue): boolean {
  const canonical = (t: StreamsGroupTopologyValue) =>
    JSON.stringify([t.epoch, [...t.subtopologies].sort((x, y) => (x.subtopologyId < y.subtopologyId ? -1 : 1)).map((s) => ({ ...s, unknownTaggedFields: undefined }))], (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
  return canonical(a) === canonical(b);
}

/** Every topic a topology reads or writes as internal topic. */
function topologyTopics(t: StreamsGroupTopologyValue): Set<string> {
  const names = new Set<string>();
  for (const s of t.subtopologies) {
    for (const n of s.sourceTopics) names.add(n);
    for (const i of s.repartitionSourceTopics) names.add(i.name);
    for (const i of s.stateChangelogTopics) names.add(i.name);
  }
  return names;
}

export class StreamsGroupManager extends GroupTypeManager<StreamsGroup> {
  readonly #config: StreamsGroupConfig;
  readonly #timers: MemberTimers<StreamsMember, StreamsGroup>;

  constructor(deps: GroupManagerDeps, opts: {
    config: StreamsGroupConfig;
  }) {
    super(deps, (g): g is StreamsGroup => g instanceof StreamsGroup);
    this.#config = opts.config;
    this.#timers = new MemberTimers({
      groupType: 'streams',
      kinds: ['session', 'rebalance'],
      runtime: this.runtime,
      partitionFor: this.partitionFor,
      logger: this.logger,
      group: (groupId) => this.ownGroup(groupId),
      fence: (tx, group, member) => this.#fence(tx, group, member),
    });
  }



  // ---- StreamsGroupHeartbeat ----

  heartbeat(p: StreamsHeartbeatParams): Promise<StreamsHeartbeatResult> {
    const invalid = validate(p);
    if (invalid) return Promise.resolve(invalid);
    return this.execute(p.groupId, (tx) => {
      const result = p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.#leave(p, tx) : this.#heartbeat(p, tx);
      // A successful heartbeat's answer is built once its records are replayed.
      return (appendError: number) => (appendError !== ErrorCode.NONE ? error(appendError) : typeof result === 'function' ? result() : result);
    });
  }

  #heartbeat(p: StreamsHeartbeatParams, tx: Tx<GroupRecord>): StreamsHeartbeatResult | (() => StreamsHeartbeatResult) {
    const joining = p.memberEpoch === 0;
    const group = this.heartbeatGroup(p.groupId, joining, tx, 'streams', () => this.#newGroup(p.groupId));
    if (typeof group === 'string') return error(ErrorCode.GROUP_ID_NOT_FOUND, group);
    const memberId = p.memberId;
    const known = group.members.get(memberId);
    if (!known && group.members.size >= this.#config.maxSize) {
      return error(ErrorCode.GROUP_MAX_SIZE_REACHED, `The streams group has reached its maximum capacity of ${this.#config.maxSize} members.`);
    }
    let member: StreamsMember;
    if (!known) {
      if (!joining) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${p.groupId}.`);
      member = newStreamsMember(memberId);
    } else {
      const fenced = checkEpoch(known, p);
      if (fenced) return fenced;
      member = known;
    }
    const settings = this.#config.settings(group.groupId);

    // 1. The topology and the member's metadata. Kafka 4.3 keeps the first topology: a member
    // with an older epoch is told it is stale, a different one at the same or a newer epoch is refused.
    let topology = group.topology;
    let newTopology = false;
    if (p.topology) {
      const requested = topologyRecordValue(p.topology);
      if (topology === null) {
        topology = requested;
        newTopology = true;
      } else if (requested.epoch >= topology.epoch && !sameTopology(requested, topology)) {
        return error(ErrorCode.INVALID_REQUEST, 'Topology updates are not supported yet.');
      }
    }
    const updated: StreamsMember = {
      ...member,
      rackId: p.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      topologyEpoch: p.topology?.epoch ?? member.topologyEpoch,
      processId: p.processId ?? member.processId,
      userEndpoint: p.userEndpoint ? { host: p.userEndpoint.host, port: p.userEndpoint.port } : member.userEndpoint,
      clientTags: p.clientTags ? p.clientTags.map((t) => ({ key: t.key, value: t.value })) : member.clientTags,
      clientId: p.clientId,
      clientHost: p.clientHost,
    };
    const isNew = !known;
    let bump = isNew;
    if (isNew || metadataDiffers(member, updated)) {
      tx.records.push(this.#memberRecord(group.groupId, updated));
      bump = true;
    }
    if (newTopology && topology !== null) {
      tx.records.push({ type: 'streamsGroupTopology', key: { groupId: group.groupId }, value: topology });
      this.logger.info({ groupId: group.groupId, topologyEpoch: topology.epoch }, 'streams group topology registered');
      bump = true;
    }
    const members = new Map(group.members);
    members.set(memberId, updated);

    const metadataHash = topology === null ? 0n : this.#metadataHash(topologyTopics(topology));
    // The group's own is current unless the topology or its topics changed (replay then recomputes it).
    const configured =
      topology === null ? null : group.topology === topology && metadataHash === group.metadataHash && group.configuredTopology ? group.configuredTopology : this.#configure(topology);
    if (metadataHash !== group.metadataHash) bump = true;
    const assignmentConfigs = [{ key: 'num.standby.replicas', value: String(settings.numStandbyReplicas) }];
    if (JSON.stringify(group.lastAssignmentConfigs ?? []) !== JSON.stringify(assignmentConfigs)) bump = true;
    let groupEpoch = group.groupEpoch;
    if (bump) {
      groupEpoch++;
      tx.records.push({
        type: 'streamsGroupMetadata',
        key: { groupId: group.groupId },
        value: { epoch: groupEpoch, metadataHash, validatedTopologyEpoch: configured?.ready ? configured.topologyEpoch : -1, lastAssignmentConfigs: assignmentConfigs },
      });
      this.logger.info({ groupId: group.groupId, groupEpoch }, 'bumped streams group epoch');
      // A group that had no member waits a little for more before its first assignment.
      if (group.isEmpty() && settings.initialRebalanceDelayMs > 0 && !this.runtime.isScheduled(this.#initialRebalanceKey(group.groupId))) {
        this.#scheduleInitialRebalance(group.groupId, settings.initialRebalanceDelayMs);
      }
    }

    // 2. The target assignment.
    const status: Status[] = [];
    let targetEpoch = group.assignmentEpoch;
    let target = group.targetAssignment.get(memberId) ?? EMPTY_TASKS;
    if (this.runtime.isScheduled(this.#initialRebalanceKey(group.groupId))) {
      status.push({ statusCode: StreamsStatus.ASSIGNMENT_DELAYED, statusDetail: 'Assignment delayed due to the configured initial rebalance delay.' });
    } else if (groupEpoch > group.assignmentEpoch && configured?.ready && this.now() < Number(group.assignmentTimestamp) + settings.assignmentIntervalMs) {
      // Too soon after the last one: a later heartbeat computes it.
      status.push({ statusCode: StreamsStatus.ASSIGNMENT_DELAYED, statusDetail: 'Assignment delayed due to the configured assignment interval.' });
    } else if (groupEpoch > group.assignmentEpoch && configured?.ready) {
      target = this.#updateTargetAssignment(tx, group, groupEpoch, members, configured.tasks, settings.numStandbyReplicas).get(memberId) ?? EMPTY_TASKS;
      targetEpoch = groupEpoch;
    }

    // 3. Reconciliation.
    const owned = p.activeTasks === null ? null : { active: fromTaskIds(p.activeTasks), standby: fromTaskIds(p.standbyTasks ?? []), warmup: fromTaskIds(p.warmupTasks ?? []) };
    const reconciled = this.#reconcile(group, updated, targetEpoch, target, owned);
    if (reconciled !== updated) tx.records.push(this.#currentAssignmentRecord(group.groupId, reconciled));
    if (reconciled.state === StreamsMemberState.UNREVOKED_TASKS) this.#timers.scheduleRebalance(group.groupId, memberId, reconciled.memberEpoch, reconciled.rebalanceTimeoutMs, 'tasks');
    else this.#timers.cancel('rebalance', group.groupId, memberId);
    this.#scheduleSessionTimeout(group.groupId, memberId);

    if (p.shutdownApplication) {
      const previous = group.shutdownRequestMemberId;
      tx.snapshots.push(() => {
        group.shutdownRequestMemberId = previous;
      });
      group.shutdownRequestMemberId = memberId;
    }
    if (configured?.problem) status.push({ statusCode: configured.problem.code, statusDetail: configured.problem.detail });
    if (topology !== null && updated.topologyEpoch < topology.epoch) {
      status.push({ statusCode: StreamsStatus.STALE_TOPOLOGY, statusDetail: `The member's topology epoch ${updated.topologyEpoch} is behind the group's topology epoch ${topology.epoch}.` });
    }
    if (group.shutdownRequestMemberId !== null) {
      status.push({
        statusCode: StreamsStatus.SHUTDOWN_APPLICATION,
        statusDetail: `Streams group member ${group.shutdownRequestMemberId} encountered a fatal error and requested a shutdown for the entire application.`,
      });
    }

    // Tasks go back to a joining member, and when they changed (Kafka's hasAssignedTasksChanged).
    const changed = joining || !sameTuple(member.assigned, reconciled.assigned);
    return () => {
      // The replayed group: the endpoint epoch moved on with every change of assignment in it.
      const replayed = this.ownGroup(p.groupId) ?? group;
      const endpointEpoch = replayed.endpointInformationEpoch;
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId,
        memberEpoch: reconciled.memberEpoch,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        status: status.length > 0 ? status : null,
        activeTasks: changed ? toTaskIds(reconciled.assigned.active) : null,
        standbyTasks: changed ? toTaskIds(reconciled.assigned.standby) : null,
        warmupTasks: changed ? toTaskIds(reconciled.assigned.warmup) : null,
        endpointInformationEpoch: endpointEpoch,
        partitionsByUserEndpoint: updated.userEndpoint !== null && p.endpointInformationEpoch !== endpointEpoch ? this.#endpointToPartitions(replayed) : null,
        internalTopicsToCreate: configured?.internalTopicsToCreate ?? [],
      };
    };
  }

  #newGroup(groupId: string): StreamsGroup {
    return new StreamsGroup(groupId, (topicId) => this.topics.byId(topicId)?.name);
  }

  #configure(topology: StreamsGroupTopologyValue): ConfiguredTopology {
    return configureTopology(topology, (t) => this.topics.byName(t)?.partitions);
  }

  /** Kafka's EndpointToPartitionsManager: for each member with an endpoint, the input partitions of its active and standby tasks. */
  #endpointToPartitions(group: StreamsGroup): NonNullable<StreamsHeartbeatResult['partitionsByUserEndpoint']> {
    const inputTopics = group.configuredTopology?.ready ? group.configuredTopology.inputTopics : new Map<string, readonly string[]>();
    const partitionsOf = (tasks: Tasks) => {
      const byTopic = new Map<string, Set<number>>();
      for (const [id, ps] of tasks) {
        for (const topic of inputTopics.get(id) ?? []) {
          const count = this.topics.byName(topic)?.partitions ?? 0;
          for (const p of ps) if (p < count) byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(p));
        }
      }
      return [...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, ps]) => ({ topic, partitions: [...ps].sort((x, y) => x - y) }));
    };
    const out: NonNullable<StreamsHeartbeatResult['partitionsByUserEndpoint']> = [];
    for (const m of group.members.values()) {
      if (m.userEndpoint === null) continue;
      out.push({ userEndpoint: m.userEndpoint, activePartitions: partitionsOf(m.assigned.active), standbyPartitions: partitionsOf(m.assigned.standby) });
    }
    return out;
  }

  /** Kafka's TargetAssignmentBuilder with the sticky assignor: records for the members whose target changed, then the epoch. */
  #updateTargetAssignment(
    tx: Tx<GroupRecord>,
    group: StreamsGroup,
    groupEpoch: number,
    members: ReadonlyMap<string, StreamsMember>,
    tasks: ReadonlyMap<string, number>,
    numStandbyReplicas: number,
  ): Map<string, TasksTuple> {
    const { assignment, unplacedStandbys } = assignTasks(
      [...members.values()].map((m) => ({ memberId: m.memberId, processId: m.processId, previous: group.targetAssignment.get(m.memberId) ?? EMPTY_TASKS })),
      tasks,
      numStandbyReplicas,
    );
    if (unplacedStandbys > 0) {
      this.logger.warn(
        { groupId: group.groupId, unplacedStandbys },
        'There is not enough available capacity. You should increase the number of threads and/or application instances to maintain the requested number of standby replicas.',
      );
    }
    for (const [memberId, a] of assignment) {
      const before = group.targetAssignment.get(memberId);
      if (!before || !sameTuple(before, a)) tx.records.push(this.#targetRecord(group.groupId, memberId, a));
    }
    tx.records.push({ type: 'streamsGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.now()) } });
    this.logger.info({ groupId: group.groupId, groupEpoch, assignor: STICKY_ASSIGNOR_NAME, members: members.size }, 'computed a new streams target assignment');
    return assignment;
  }

  /**
   * Kafka's streams CurrentAssignmentBuilder: tasks the member must give up are revoked first
   * (its epoch stays until it reports them gone); then it gets its new tasks, except active
   * tasks another member still owns, and the target's epoch.
   */
  #reconcile(group: StreamsGroup, m: StreamsMember, targetEpoch: number, target: TasksTuple, owned: TasksTuple | null): StreamsMember {
    if (m.state === StreamsMemberState.STABLE && m.memberEpoch === targetEpoch) return m;
    const ownsAnyOf = (t: TasksTuple) => owned === null || intersects(owned.active, t.active) || intersects(owned.standby, t.standby) || intersects(owned.warmup, t.warmup);
    if (m.state === StreamsMemberState.UNREVOKED_TASKS && ownsAnyOf(m.pendingRevocation)) return m;
    let unreleased = false;
    const split = (have: Tasks, want: Tasks, releasable: (id: string, p: number) => boolean) => {
      const keep = new Map<string, Set<number>>();
      const revoke = new Map<string, Set<number>>();
      const add = new Map<string, Set<number>>();
      const put = (into: Map<string, Set<number>>, id: string, p: number) => into.set(id, (into.get(id) ?? new Set()).add(p));
      for (const [id, ps] of have) for (const p of ps) put(hasTask(want, id, p) ? keep : revoke, id, p);
      for (const [id, ps] of want) {
        for (const p of ps) {
          if (hasTask(have, id, p)) continue;
          if (releasable(id, p)) put(add, id, p);
          else unreleased = true;
        }
      }
      return { keep, revoke, add };
    };
    const active = split(m.assigned.active, target.active, (id, p) => {
      const owner = group.activeOwner(id, p);
      return owner === undefined || owner === m.memberId;
    });
    const standby = split(m.assigned.standby, target.standby, () => true);
    const warmup = split(m.assigned.warmup, target.warmup, () => true);
    const revoking: TasksTuple = { active: active.revoke, standby: standby.revoke, warmup: warmup.revoke };
    const keptEpochs = (assigned: Tasks, epoch: number) =>
      new Map([...assigned].map(([id, ps]) => [id, new Map([...ps].map((p) => [p, m.activeEpochs.get(id)?.get(p) ?? epoch]))]));
    if ((active.revoke.size > 0 || standby.revoke.size > 0 || warmup.revoke.size > 0) && ownsAnyOf(revoking)) {
      return {
        ...m,
        state: StreamsMemberState.UNREVOKED_TASKS,
        assigned: { active: active.keep, standby: standby.keep, warmup: warmup.keep },
        activeEpochs: keptEpochs(active.keep, m.memberEpoch),
        pendingRevocation: revoking,
      };
    }
    const merge = (a: Map<string, Set<number>>, b: Map<string, Set<number>>) => {
      const out = new Map([...a].map(([id, ps]) => [id, new Set(ps)]));
      for (const [id, ps] of b) out.set(id, new Set([...(out.get(id) ?? []), ...ps]));
      return out;
    };
    const assigned: TasksTuple = { active: merge(active.keep, active.add), standby: merge(standby.keep, standby.add), warmup: merge(warmup.keep, warmup.add) };
    return {
      ...m,
      state: unreleased ? StreamsMemberState.UNRELEASED_TASKS : StreamsMemberState.STABLE,
      memberEpoch: targetEpoch,
      previousMemberEpoch: targetEpoch === m.memberEpoch ? m.previousMemberEpoch : m.memberEpoch,
      assigned,
      activeEpochs: keptEpochs(assigned.active, targetEpoch),
      pendingRevocation: EMPTY_TASKS,
    };
  }

  // ---- Leaving and fencing ----

  #leave(p: StreamsHeartbeatParams, tx: Tx<GroupRecord>): StreamsHeartbeatResult {
    const group = this.ownGroup(p.groupId);
    if (!group) return error(ErrorCode.GROUP_ID_NOT_FOUND, `Streams group ${p.groupId} not found.`);
    const member = group.members.get(p.memberId);
    if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    this.logger.info({ groupId: group.groupId, memberId: p.memberId }, 'member left the streams group');
    this.#fence(tx, group, member);
    return { ...error(ErrorCode.NONE, null, p.memberId), memberEpoch: p.memberEpoch };
  }

  /** Kafka's streamsGroupFenceMember: the member's records go, and the group epoch moves on. */
  #fence(tx: Tx<GroupRecord>, group: StreamsGroup, member: StreamsMember): void {
    this.#removeMemberRecords(tx, group.groupId, member.memberId);
    tx.records.push({
      type: 'streamsGroupMetadata',
      key: { groupId: group.groupId },
      value: { epoch: group.groupEpoch + 1, metadataHash: group.metadataHash, validatedTopologyEpoch: group.validatedTopologyEpoch, lastAssignmentConfigs: group.lastAssignmentConfigs ? [...group.lastAssignmentConfigs] : null },
    });
    this.#timers.cancelAll(group.groupId, member.memberId);
  }

  #removeMemberRecords(tx: Tx<GroupRecord>, groupId: string, memberId: string): void {
    tx.records.push(...memberTombstones('streamsGroup', groupId, memberId));
  }

  // ---- Timers ----

  #initialRebalanceKey(groupId: string): string {
    return `streams-initial-rebalance\u0000${groupId}`;
  }

  #scheduleSessionTimeout(groupId: string, memberId: string): void {
    this.#timers.scheduleSession(groupId, memberId, this.#config.settings(groupId).sessionTimeoutMs);
  }

  /** When the delay is over the target assignment is computed, for the members that joined meanwhile. */
  #scheduleInitialRebalance(groupId: string, delayMs: number): void {
    this.runtime.schedule(this.#initialRebalanceKey(groupId), delayMs, this.partitionFor(groupId), (tx) => {
      const group = this.ownGroup(groupId);
      if (!group || group.isEmpty() || group.groupEpoch <= group.assignmentEpoch || !group.configuredTopology?.ready) return;
      this.#updateTargetAssignment(tx, group, group.groupEpoch, group.members, group.configuredTopology.tasks, this.#config.settings(groupId).numStandbyReplicas);
    });
  }

  /** Members of a loaded partition must heartbeat within their session timeout, as after any restart. */
  loaded(partition: number): void {
    for (const g of this.groups.values()) {
      if (!(g instanceof StreamsGroup) || this.partitionFor(g.groupId) !== partition) continue;
      for (const m of g.members.values()) {
        this.#scheduleSessionTimeout(g.groupId, m.memberId);
        if (m.state === StreamsMemberState.UNREVOKED_TASKS) this.#timers.scheduleRebalance(g.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs, 'tasks');
      }
    }
  }

  /** Changes when a topic of the topology is created, deleted or gains partitions. */
  #metadataHash(topics: ReadonlySet<string>): bigint {
    return topicsMetadataHash(this.topics, topics, false);
  }

  // ---- Records ----

  #memberRecord(groupId: string, m: StreamsMember): GroupRecord {
    return {
      type: 'streamsGroupMemberMetadata',
      key: { groupId, memberId: m.memberId },
      value: {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        topologyEpoch: m.topologyEpoch,
        processId: m.processId,
        userEndpoint: m.userEndpoint && { host: m.userEndpoint.host, port: m.userEndpoint.port },
        clientTags: m.clientTags.map((t) => ({ key: t.key, value: t.value })),
      },
    };
  }

  #targetRecord(groupId: string, memberId: string, a: TasksTuple): GroupRecord {
    return { type: 'streamsGroupTargetAssignmentMember', key: { groupId, memberId }, value: { activeTasks: toTaskIds(a.active), standbyTasks: toTaskIds(a.standby), warmupTasks: toTaskIds(a.warmup) } };
  }

  #currentAssignmentRecord(groupId: string, m: StreamsMember): GroupRecord {
    const plain = (t: Tasks) => toTaskIds(t).map((x) => ({ ...x, assignmentEpochs: null }));
    return {
      type: 'streamsGroupCurrentMemberAssignment',
      key: { groupId, memberId: m.memberId },
      value: {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        activeTasks: toTaskIds(m.assigned.active).map((x) => ({ ...x, assignmentEpochs: x.partitions.map((p) => m.activeEpochs.get(x.subtopologyId)?.get(p) ?? Math.max(m.memberEpoch, 0)) })),
        standbyTasks: plain(m.assigned.standby),
        warmupTasks: plain(m.assigned.warmup),
        activeTasksPendingRevocation: plain(m.pendingRevocation.active),
        standbyTasksPendingRevocation: plain(m.pendingRevocation.standby),
        warmupTasksPendingRevocation: plain(m.pendingRevocation.warmup),
      },
    };
  }

  /** Kafka's GroupMetadataManager.replay for the streams group records. */
  replay(rec: StreamsGroupRecord): void {
    const groupId = rec.key.groupId;
    let group = this.ownGroup(groupId);
    if (rec.value === null) {
      if (!group) return;
      switch (rec.type) {
        case 'streamsGroupMetadata':
          this.groups.delete(groupId);
          for (const memberId of group.members.keys()) this.#timers.cancelAll(groupId, memberId);
          this.runtime.cancel(this.#initialRebalanceKey(groupId));
          return;
        case 'streamsGroupMemberMetadata':
          group.removeMember(rec.key.memberId);
          return;
        case 'streamsGroupCurrentMemberAssignment': {
          const m = group.members.get(rec.key.memberId);
          if (m) {
            group.putMember({ ...m, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, state: StreamsMemberState.STABLE, assigned: EMPTY_TASKS, activeEpochs: new Map(), pendingRevocation: EMPTY_TASKS });
            group.endpointInformationEpoch++;
          }
          return;
        }
        case 'streamsGroupTargetAssignmentMember':
          group.targetAssignment.delete(rec.key.memberId);
          return;
        case 'streamsGroupTargetAssignmentMetadata':
          group.assignmentEpoch = 1;
          return;
        case 'streamsGroupTopology':
          group.topology = null;
          group.configuredTopology = null;
          return;
      }
    }
    if (!group) {
      // A streams group record replaces what a classic group's offsets made (Kafka: a simple group).
      group = this.#newGroup(groupId);
      this.groups.set(groupId, group);
    }
    switch (rec.type) {
      case 'streamsGroupMetadata':
        group.groupEpoch = rec.value.epoch;
        // The topics changed: the topology is checked against them again.
        if (group.topology && rec.value.metadataHash !== group.metadataHash) group.configuredTopology = this.#configure(group.topology);
        group.metadataHash = rec.value.metadataHash;
        group.validatedTopologyEpoch = rec.value.validatedTopologyEpoch;
        group.lastAssignmentConfigs = rec.value.lastAssignmentConfigs;
        return;
      case 'streamsGroupTopology':
        group.topology = rec.value;
        group.configuredTopology = this.#configure(rec.value);
        return;
      case 'streamsGroupMemberMetadata': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newStreamsMember(rec.key.memberId);
        group.putMember({
          ...m,
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          topologyEpoch: v.topologyEpoch,
          processId: v.processId,
          userEndpoint: v.userEndpoint && { host: v.userEndpoint.host, port: v.userEndpoint.port },
          clientTags: v.clientTags.map((t) => ({ key: t.key, value: t.value })),
        });
        return;
      }
      case 'streamsGroupCurrentMemberAssignment': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newStreamsMember(rec.key.memberId);
        const assigned: TasksTuple = { active: fromTaskIds(v.activeTasks), standby: fromTaskIds(v.standbyTasks), warmup: fromTaskIds(v.warmupTasks) };
        if (!sameTasks(m.assigned.active, assigned.active) || !sameTasks(m.assigned.standby, assigned.standby)) group.endpointInformationEpoch++;
        group.putMember({
          ...m,
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: v.state,
          assigned,
          // Records written before KIP-1251 have no epochs: the member's epoch, as Kafka reads them.
          activeEpochs: new Map(v.activeTasks.map((t) => [t.subtopologyId, new Map(t.partitions.map((p, i) => [p, t.assignmentEpochs?.[i] ?? Math.max(v.memberEpoch, 0)]))])),
          pendingRevocation: { active: fromTaskIds(v.activeTasksPendingRevocation), standby: fromTaskIds(v.standbyTasksPendingRevocation), warmup: fromTaskIds(v.warmupTasksPendingRevocation) },
        });
        return;
      }
      case 'streamsGroupTargetAssignmentMember':
        group.targetAssignment.set(rec.key.memberId, { active: fromTaskIds(rec.value.activeTasks), standby: fromTaskIds(rec.value.standbyTasks), warmup: fromTaskIds(rec.value.warmupTasks) });
        return;
      case 'streamsGroupTargetAssignmentMetadata':
        group.assignmentEpoch = rec.value.assignmentEpoch;
        group.assignmentTimestamp = rec.value.assignmentTimestamp;
        return;
    }
  }

  // ---- StreamsGroupDescribe ----

  describe(groupId: string): StreamsGroupDescription {
    const base = { errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, topology: null, members: [] };
    const group = this.ownGroup(groupId);
    if (!group) {
      const exists = this.groups.has(groupId);
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: exists ? `Group ${groupId} is not a streams group.` : `Group ${groupId} not found.` };
    }
    const described = (t: TasksTuple): DescribedStreamsTasks => ({ activeTasks: toTaskIds(t.active), standbyTasks: toTaskIds(t.standby), warmupTasks: toTaskIds(t.warmup) });
    const info = (i: { name: string; partitions: number; replicationFactor: number; topicConfigs: Array<{ key: string; value: string }> }, partitions: number) => ({
      name: i.name,
      partitions,
      replicationFactor: i.replicationFactor,
      topicConfigs: i.topicConfigs.map((c) => ({ key: c.key, value: c.value })),
    });
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      groupState: group.state(),
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      topology: group.topology && {
        epoch: group.topology.epoch,
        // Internal topics with the partitions they have once created (the registered count before).
        subtopologies: group.topology.subtopologies.map((s) => ({
          subtopologyId: s.subtopologyId,
          sourceTopics: [...s.sourceTopics],
          repartitionSinkTopics: [...s.repartitionSinkTopics],
          stateChangelogTopics: s.stateChangelogTopics.map((t) => info(t, this.topics.byName(t.name)?.partitions ?? t.partitions)),
          repartitionSourceTopics: s.repartitionSourceTopics.map((t) => info(t, this.topics.byName(t.name)?.partitions ?? t.partitions)),
        })),
      },
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        topologyEpoch: m.topologyEpoch,
        processId: m.processId,
        userEndpoint: m.userEndpoint,
        clientTags: [...m.clientTags],
        assignment: described(m.assigned),
        targetAssignment: described(group.targetAssignment.get(m.memberId) ?? EMPTY_TASKS),
      })),
    };
  }
}

/** Kafka's throwIfStreamsGroupHeartbeatRequestIsUsingUnsupportedFeatures, then throwIfStreamsGroupHeartbeatRequestIsInvalid. */
function validate(p: StreamsHeartbeatParams): StreamsHeartbeatResult | null {
  const invalid = (m: string) => error(ErrorCode.INVALID_REQUEST, m);
  if (p.instanceId !== null) return invalid('Static membership is not yet supported.');
  if (p.taskOffsets !== null) return invalid('TaskOffsets are not supported yet.');
  if (p.taskEndOffsets !== null) return invalid('TaskEndOffsets are not supported yet.');
  if (p.warmupTasks !== null && p.warmupTasks.length > 0) return invalid('WarmupTasks are not supported yet.');
  if (p.topology?.subtopologies.some((s) => s.sourceTopicRegex.length > 0)) return invalid('Regular expressions for source topics are not supported yet.');
  if (p.memberId === '') return invalid("MemberId can't be empty.");
  if (p.groupId === '') return invalid("GroupId can't be empty.");
  if (p.rackId === '') return invalid("RackId can't be empty.");
  if (p.memberEpoch === 0) {
    if (p.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
    if (p.activeTasks !== null && p.activeTasks.length > 0) return invalid('ActiveTasks must be empty when (re-)joining.');
    if (p.standbyTasks !== null && p.standbyTasks.length > 0) return invalid('StandbyTasks must be empty when (re-)joining.');
    if (p.warmupTasks !== null && p.warmupTasks.length > 0) return invalid('WarmupTasks must be empty when (re-)joining.');
    if (p.topology === null) return invalid('Topology must be non-null when (re-)joining.');
    for (const s of p.topology.subtopologies) {
      for (const t of s.stateChangelogTopics) {
        if (t.partitions !== 0) return error(ErrorCode.STREAMS_INVALID_TOPOLOGY, `Changelog topic ${t.name} must have an undefined partition count, but it is set to ${t.partitions}.`);
      }
    }
  } else if (p.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    return invalid(`MemberEpoch is ${p.memberEpoch}, but must be greater than or equal to -2.`);
  }
  if (p.activeTasks !== null || p.standbyTasks !== null || p.warmupTasks !== null) {
    if (p.activeTasks === null || p.standbyTasks === null || p.warmupTasks === null) return invalid('If one task-type is non-null, all must be non-null.');
  }
  if (p.memberEpoch !== 0 && p.topology !== null) return invalid('Topology can only be provided when (re-)joining.');
  return null;
}

/** Kafka's throwIfStreamsGroupMemberEpochIsInvalid. */
function checkEpoch(m: StreamsMember, p: StreamsHeartbeatParams): StreamsHeartbeatResult | null {
  if (p.memberEpoch === 0 || p.memberEpoch === m.memberEpoch) return null;
  const owned = (l: StreamsHeartbeatParams['activeTasks']) => (l === null ? null : fromTaskIds(l));
  const ownsOnlyAssigned = () => {
    const a = owned(p.activeTasks);
    const s = owned(p.standbyTasks);
    const w = owned(p.warmupTasks);
    return a !== null && s !== null && w !== null && isSubsetOf(a, m.assigned.active) && isSubsetOf(s, m.assigned.standby) && isSubsetOf(w, m.assigned.warmup);
  };
  if (p.memberEpoch > m.memberEpoch || p.memberEpoch !== m.previousMemberEpoch || !ownsOnlyAssigned()) {
    return error(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The streams group member has a ${p.memberEpoch > m.memberEpoch ? 'greater' : 'smaller'} member epoch (${p.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its tasks and rejoin.`,
    );
  }
  return null;
}
