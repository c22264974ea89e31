/**
 * A KIP-848 consumer group in memory: Kafka's ConsumerGroup and ConsumerGroupMember. Its
 * state changes only by replaying records (consumer-group-manager.ts builds them), so an
 * operation whose append fails leaves nothing to undo. Members are immutable values: an
 * operation computes the member it wants and writes it; replay stores it.
 *
 * The group's state is derived, as Kafka's: Empty (no member), Assigning (the group epoch
 * is ahead of the target assignment's), Reconciling (a member has not reached the target
 * assignment yet), Stable.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { ClassicMemberMetadata } from '../../protocol/generated/group-coordinator/consumer-group-member-metadata-value.js';
import type { Group, OffsetAndMetadata, OffsetCommitter, PartitionCheck } from './group-type.js';
import type { GroupRecord } from './records.js';
import { groupTombstones } from './group-tombstones.js';

/** topic id → partitions. */
export type TopicPartitions = ReadonlyMap<string, ReadonlySet<number>>;

export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 } as const;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: number;
  readonly assignedPartitions: TopicPartitions;
  /** topic id → partition → the member epoch it was assigned at (KIP-1251), for each assigned partition. */
  readonly assignmentEpochs: ReadonlyMap<string, ReadonlyMap<number, number>>;
  readonly partitionsPendingRevocation: TopicPartitions;
  /** Set for a member that speaks the classic protocol (JoinGroup, SyncGroup, Heartbeat) inside the consumer group. */
  readonly classicMemberMetadata: ClassicMemberMetadata | null;
}

export const NO_PARTITIONS: TopicPartitions = new Map();

export function newConsumerMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.STABLE,
    assignedPartitions: NO_PARTITIONS,
    assignmentEpochs: new Map(),
    partitionsPendingRevocation: NO_PARTITIONS,
    classicMemberMetadata: null,
  };
}

export function isReconciledTo(m: ConsumerMember, targetEpoch: number): boolean {
  return m.state === MemberState.STABLE && m.memberEpoch === targetEpoch;
}

export function samePartitions(a: TopicPartitions, b: TopicPartitions): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, ps] of a) {
    const other = b.get(topic);
    if (!other || other.size !== ps.size) return false;
    for (const p of ps) if (!other.has(p)) return false;
  }
  return true;
}

/** As the records and the APIs list them, each topic's partitions sorted. */
export function partitionsToList(a: TopicPartitions): Array<{ topicId: string; partitions: number[] }> {
  return [...a].map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

/** From a record's or a request's list: a topic listed twice has the union of its partitions, one with none is left out. */
export function partitionsFromList(list: ReadonlyArray<{ topicId: string; partitions: readonly number[] }>): TopicPartitions {
  const m = new Map<string, Set<number>>();
  for (const t of list) if (t.partitions.length > 0) m.set(t.topicId, new Set([...(m.get(t.topicId) ?? []), ...t.partitions]));
  return m;
}

/** Topic names the members subscribe to, by name or through a resolved regular expression. */
export function subscribedTopicNames(members: Iterable<ConsumerMember>, resolvedRegexes: ReadonlyMap<string, readonly string[]>): Set<string> {
  const names = new Set<string>();
  for (const m of members) {
    for (const t of m.subscribedTopicNames) names.add(t);
    if (m.subscribedTopicRegex !== null) for (const t of resolvedRegexes.get(m.subscribedTopicRegex) ?? []) names.add(t);
  }
  return names;
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export class ConsumerGroup implements Group {
  readonly type = 'consumer';
  groupEpoch = 0;
  /** Hash of the subscribed topics' metadata the last target assignment was computed for. */
  metadataHash = 0n;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** instance id → member id. */
  readonly staticMembers = new Map<string, string>();
  readonly targetAssignment = new Map<string, TopicPartitions>();
  /** regular expression → the topics it matched when last resolved. */
  readonly resolvedRegexes = new Map<string, readonly string[]>();
  /** topic id → partition → epoch of the member that owns it (assigned or pending revocation). */
  readonly #partitionEpochs = new Map<string, Map<number, number>>();

  constructor(readonly groupId: string) {}

  state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (!isReconciledTo(m, this.assignmentEpoch)) return 'Reconciling';
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

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** Members using the classic protocol. */
  classicMembers(): ConsumerMember[] {
    return [...this.members.values()].filter((m) => m.classicMemberMetadata !== null);
  }

  /**
   * Kafka's supportsClassicProtocols: a classic member may join when its protocol type is
   * "consumer" and one of its protocols is supported by every classic member already in.
   */
  supportsClassicProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (protocolType !== 'consumer') return false;
    if (this.members.size === 0) return protocolNames.length > 0;
    const classic = this.classicMembers();
    return protocolNames.some((name) => classic.every((m) => m.classicMemberMetadata!.supportedProtocols.some((p) => p.name === name)));
  }

  /** A member still waits for a partition of its target that another member has not released yet. */
  waitingOnUnreleasedPartition(m: ConsumerMember): boolean {
    if (m.state !== MemberState.UNRELEASED_PARTITIONS) return false;
    for (const [topicId, ps] of this.targetAssignment.get(m.memberId) ?? NO_PARTITIONS) {
      for (const p of ps) if (m.assignedPartitions.get(topicId)?.has(p) !== true && this.currentPartitionEpoch(topicId, p) !== -1) return true;
    }
    return false;
  }

  /** -1 when no member owns the partition. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.#partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  isSubscribedToTopic(topic: string): boolean {
    return subscribedTopicNames(this.members.values(), this.resolvedRegexes).has(topic);
  }

  /**
   * Kafka 4.3's ConsumerGroup.validateOffsetCommit: the member's current epoch, or an older one
   * for partitions it was assigned at or before that epoch (KIP-1251: a member commits what it
   * consumed while its next epoch was on the way).
   */
  validateOffsetCommit(c: OffsetCommitter, transactional: boolean): number | PartitionCheck {
    if (c.generationId < 0 && this.members.size === 0) return ErrorCode.NONE;
    const member = this.members.get(c.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member commits with OffsetCommit of any version, and a wrong generation is ILLEGAL_GENERATION to it.
    const classic = member.classicMemberMetadata !== null;
    if (!transactional && !classic && c.apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    const stale = classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
    if (c.generationId === member.memberEpoch) return ErrorCode.NONE;
    if (c.generationId > member.memberEpoch) return stale;
    return (topicId, partition) => {
      const assignedAt = topicId === undefined ? undefined : member.assignmentEpochs.get(topicId)?.get(partition);
      return assignedAt !== undefined && c.generationId >= assignedAt ? ErrorCode.NONE : stale;
    };
  }

  validateOffsetFetch(memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = memberId === null ? undefined : this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch === member.memberEpoch) return ErrorCode.NONE;
    return member.classicMemberMetadata !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
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

  /** Kafka's createGroupTombstoneRecords order: assignments, target, members, then the group. */
  tombstones(): GroupRecord[] {
    const groupId = this.groupId;
    return groupTombstones(
      'consumerGroup',
      groupId,
      this.members.keys(),
      this.targetAssignment.keys(),
      [...this.resolvedRegexes.keys()].map((regularExpression): GroupRecord => ({ type: 'consumerGroupRegularExpression', key: { groupId, regularExpression }, value: null })),
    );
  }

  // ---- Changed by replay only ----

  putMember(m: ConsumerMember): void {
    const old = this.members.get(m.memberId);
    if (old) this.#partitionEpochsOf(old, false);
    this.members.set(m.memberId, m);
    if (old?.instanceId != null && old.instanceId !== m.instanceId && this.staticMembers.get(old.instanceId) === m.memberId) this.staticMembers.delete(old.instanceId);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
    this.#partitionEpochsOf(m, true);
  }

  removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (!old) return;
    this.#partitionEpochsOf(old, false);
    this.members.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId);
  }

  #partitionEpochsOf(m: ConsumerMember, add: boolean): void {
    for (const assignment of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [topicId, ps] of assignment) {
        let epochs = this.#partitionEpochs.get(topicId);
        if (!epochs) this.#partitionEpochs.set(topicId, (epochs = new Map()));
        for (const p of ps) {
          if (add) epochs.set(p, m.memberEpoch);
          else if (epochs.get(p) === m.memberEpoch) epochs.delete(p);
        }
        if (epochs.size === 0) this.#partitionEpochs.delete(topicId);
      }
    }
  }
}
