/**
 * A KIP-1071 streams group in memory: Kafka's StreamsGroup and StreamsGroupMember. As for
 * consumer groups, state changes only by replaying records (streams-group-manager.ts builds
 * them); members are immutable values.
 *
 * The state is derived, as Kafka's: Empty (no member), NotReady (no topology yet, or its
 * topics are not all there), Assigning (the group epoch is ahead of the target
 * assignment's), Reconciling (a member has not reached its target), Stable.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { StreamsGroupTopologyValue } from '../../protocol/generated/group-coordinator/streams-group-topology-value.js';
import type { Group, OffsetAndMetadata, OffsetCommitter, PartitionCheck } from './group-type.js';
import type { GroupRecord } from './records.js';
import { groupTombstones } from './group-tombstones.js';
import type { ConfiguredTopology } from './streams-topology.js';

/** subtopology id → task partitions. */
export type Tasks = ReadonlyMap<string, ReadonlySet<number>>;

export interface TasksTuple {
  readonly active: Tasks;
  readonly standby: Tasks;
  readonly warmup: Tasks;
}

const NO_TASKS: Tasks = new Map();
export const EMPTY_TASKS: TasksTuple = { active: NO_TASKS, standby: NO_TASKS, warmup: NO_TASKS };

/** Kafka's streams MemberState codes as written in the current assignment record. */
export const StreamsMemberState = { UNKNOWN: 0, STABLE: 1, UNREVOKED_TASKS: 2, UNRELEASED_TASKS: 3 } as const;

export interface Endpoint {
  host: string;
  port: number;
}

export interface StreamsMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly topologyEpoch: number;
  readonly processId: string;
  readonly userEndpoint: Endpoint | null;
  readonly clientTags: ReadonlyArray<{ key: string; value: string }>;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: number;
  readonly assigned: TasksTuple;
  /** subtopology → partition → the member epoch an active task was assigned at (KIP-1251). */
  readonly activeEpochs: ReadonlyMap<string, ReadonlyMap<number, number>>;
  readonly pendingRevocation: TasksTuple;
}

export function newStreamsMember(memberId: string): StreamsMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: -1,
    topologyEpoch: 0,
    processId: '',
    userEndpoint: null,
    clientTags: [],
    memberEpoch: 0,
    previousMemberEpoch: -1,
    state: StreamsMemberState.STABLE,
    assigned: EMPTY_TASKS,
    activeEpochs: new Map(),
    pendingRevocation: EMPTY_TASKS,
  };
}

export function sameTasks(a: Tasks, b: Tasks): boolean {
  if (a.size !== b.size) return false;
  for (const [id, ps] of a) {
    const other = b.get(id);
    if (!other || other.size !== ps.size) return false;
    for (const p of ps) if (!other.has(p)) return false;
  }
  return true;
}

export function sameTuple(a: TasksTuple, b: TasksTuple): boolean {
  return sameTasks(a.active, b.active) && sameTasks(a.standby, b.standby) && sameTasks(a.warmup, b.warmup);
}

export function hasTask(t: Tasks, subtopologyId: string, partition: number): boolean {
  return t.get(subtopologyId)?.has(partition) === true;
}

export type StreamsGroupState = 'Empty' | 'NotReady' | 'Assigning' | 'Reconciling' | 'Stable';

export class StreamsGroup implements Group {
  readonly type = 'streams';
  /** Kafka 4.3.1 starts a group at epoch 1 with a target assignment at epoch 1: its first member joins at 1, then 2. */
  groupEpoch = 1;
  metadataHash = 0n;
  validatedTopologyEpoch = -1;
  lastAssignmentConfigs: ReadonlyArray<{ key: string; value: string }> | null = null;
  assignmentEpoch = 1;
  assignmentTimestamp = 0n;
  topology: StreamsGroupTopologyValue | null = null;
  /** Derived from the topology and the topics (never persisted), recomputed when either changes. */
  configuredTopology: ConfiguredTopology | null = null;
  /** Bumped whenever an assignment changes: members fetch the endpoint-to-partitions map again. */
  endpointInformationEpoch = 0;
  /** A member asked for the whole application to stop (not persisted, as in Kafka). */
  shutdownRequestMemberId: string | null = null;
  readonly members = new Map<string, StreamsMember>();
  readonly targetAssignment = new Map<string, TasksTuple>();
  /** subtopology → partition → member id owning the active task (assigned or pending revocation). */
  readonly #activeOwners = new Map<string, Map<number, string>>();

  /** Topic names by id, for offset commits checked per partition. */
  readonly #topicName: (topicId: string) => string | undefined;

  constructor(
    readonly groupId: string,
    topicName: (topicId: string) => string | undefined,
  ) {
    this.#topicName = topicName;
  }

  state(): StreamsGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.topology === null || this.configuredTopology === null || !this.configuredTopology.ready) return 'NotReady';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.state !== StreamsMemberState.STABLE || m.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    return 'Stable';
  }

  stateName(): string {
    return this.state();
  }

  isDead(): boolean {
    return false;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** The member owning the active task, assigned or still revoking it. */
  activeOwner(subtopologyId: string, partition: number): string | undefined {
    return this.#activeOwners.get(subtopologyId)?.get(partition);
  }

  isSubscribedToTopic(topic: string): boolean {
    if (this.members.size === 0 || this.topology === null) return false;
    return this.topology.subtopologies.some((s) => s.sourceTopics.includes(topic) || s.repartitionSourceTopics.some((t) => t.name === topic));
  }

  /**
   * Kafka 4.3's StreamsGroup.validateOffsetCommit: the member's current epoch, or an older one
   * for the input partitions of active tasks it was assigned at or before that epoch (KIP-1251);
   * without members, a simple (admin) commit passes.
   */
  validateOffsetCommit(c: OffsetCommitter, transactional: boolean): number | PartitionCheck {
    if (c.generationId < 0 && this.members.size === 0) return ErrorCode.NONE;
    const member = this.members.get(c.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (!transactional && c.apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (c.generationId === member.memberEpoch) return ErrorCode.NONE;
    if (c.generationId > member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return (topicId, partition) => {
      const topic = topicId === undefined ? undefined : this.#topicName(topicId);
      const inputs = this.configuredTopology?.inputTopics ?? new Map<string, readonly string[]>();
      for (const [subtopologyId, topics] of inputs) {
        if (topic === undefined || !topics.includes(topic)) continue;
        const assignedAt = member.activeEpochs.get(subtopologyId)?.get(partition);
        if (assignedAt !== undefined && c.generationId >= assignedAt) return ErrorCode.NONE;
      }
      return ErrorCode.STALE_MEMBER_EPOCH;
    };
  }

  validateOffsetFetch(memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = memberId === null ? undefined : this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
  }

  validateOffsetDelete(): number {
    return ErrorCode.NONE;
  }

  validateDeleteGroup(): number {
    return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.NON_EMPTY_GROUP;
  }

  offsetExpirationBase(): (o: OffsetAndMetadata) => number {
    return (o) => Number(o.commitTimestamp);
  }

  /** Kafka's createGroupTombstoneRecords for streams groups: assignments, targets, members, topology, then the group. */
  tombstones(): GroupRecord[] {
    const groupId = this.groupId;
    return groupTombstones('streamsGroup', groupId, this.members.keys(), this.targetAssignment.keys(), [{ type: 'streamsGroupTopology', key: { groupId }, value: null }]);
  }

  // ---- Changed by replay only ----

  putMember(m: StreamsMember): void {
    const old = this.members.get(m.memberId);
    if (old) this.#owners(old, false);
    this.members.set(m.memberId, m);
    this.#owners(m, true);
  }

  removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (!old) return;
    this.#owners(old, false);
    this.members.delete(memberId);
  }

  #owners(m: StreamsMember, add: boolean): void {
    for (const tasks of [m.assigned.active, m.pendingRevocation.active]) {
      for (const [id, ps] of tasks) {
        let owners = this.#activeOwners.get(id);
        if (!owners) this.#activeOwners.set(id, (owners = new Map()));
        for (const p of ps) {
          if (add) owners.set(p, m.memberId);
          else if (owners.get(p) === m.memberId) owners.delete(p);
        }
        if (owners.size === 0) this.#activeOwners.delete(id);
      }
    }
  }
}
