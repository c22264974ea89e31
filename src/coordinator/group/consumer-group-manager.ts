/**
 * Consumer groups (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe, the consumer
 * half of Kafka's GroupMetadataManager. A heartbeat runs three steps, each yielding records:
 *
 * 1. the member's subscription is updated; a changed subscription, a regular expression
 *    matching other topics, or subscribed topics whose partitions changed bump the group
 *    epoch;
 * 2. when the group epoch is ahead of the target assignment's, the server-side assignor
 *    computes a new target assignment;
 * 3. the member is reconciled towards its target: partitions another member still owns are
 *    withheld until it revokes them, and a member keeps its epoch until it has revoked what
 *    it must (Kafka's CurrentAssignmentBuilder).
 *
 * Nothing here changes the group before its records are appended: replay does, so a failed
 * append leaves the group as it was. A member that stops heartbeating is fenced after the
 * session timeout; one that does not revoke within its rebalance timeout is fenced too.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Assignor } from './assignors.js';
import {
  type ConsumerMember,
  ConsumerGroup,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  NO_PARTITIONS,
  type TopicPartitions,
  isReconciledTo,
  newConsumerMember,
  partitionsFromList,
  partitionsToList,
  samePartitions,
  subscribedTopicNames,
} from './consumer-group.js';
import type { JoinParams, LeaveResult, MemberIdentity, SyncParams } from './classic-group-manager.js';
import { CONSUMER_PROTOCOL_TYPE, ClassicGroup, type JoinResult, type SyncResult, UNKNOWN_MEMBER_ID, joinError, syncError } from './group.js';
import {
  MigrationError,
  type MigrationPolicy,
  byTopicId,
  classicGroupFromConsumer,
  classicMemberMetadata,
  consumerGroupFromClassic,
  decodeSubscription,
  downgradeEnabled,
  encodeAssignment,
  subscriptionVersion,
  upgradeEnabled,
} from './group-migration.js';
import type { Group } from './group-type.js';
import type { GroupRecord } from './records.js';
import { MemberTimers } from './member-timers.js';
import { topicsMetadataHash } from './metadata-hash.js';
import { memberTombstones } from './group-tombstones.js';
import type { Tx } from './runtime.js';
import { type GroupManagerDeps, GroupTypeManager } from './group-type-manager.js';

// re2js (~270 kB of JavaScript, ~8 ms and ~1 MB to load) loads with the first regular
// expression subscription: most brokers never see one.
const require = createRequire(import.meta.url);
let re2js: typeof RE2JS | undefined;
function compileRegex(regex: string): RE2JS {
  re2js ??= (require('re2js') as typeof import('re2js')).RE2JS;
  return re2js.compile(regex);
}

export interface ConsumerGroupConfig {
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size */
  maxSize: number;
  /** group.consumer.assignors: the first is the default. */
  assignors: readonly Assignor[];
  /**
   * A group's own settings (GROUP config resources: consumer.session.timeout.ms,
   * consumer.heartbeat.interval.ms), as Kafka's GroupConfigManager; the broker-wide values
   * above when absent or when it answers undefined.
   */
  groupSettings?: (groupId: string) => ConsumerGroupSettings | undefined;
  /** group.consumer.migration.policy: whether classic groups with members upgrade, and consumer groups downgrade. */
  migrationPolicy: MigrationPolicy;
  /** group.max.size: a consumer group downgrades only when its classic members fit in a classic group. */
  classicMaxSize: number;
}

/**
 * Turns a consumer group whose last consumer-protocol member left into the classic group
 * `group` (the classic manager writes its record and starts its rebalance).
 */
export type ClassicGroupAdopter = (group: ClassicGroup, previous: ConsumerGroup, tx: Tx<GroupRecord>, rebalance: boolean) => void;

/** One consumer group's effective session timeout and heartbeat interval. */
export interface ConsumerGroupSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

export interface OwnedPartitions {
  topicId: string;
  partitions: number[];
}

export interface HeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: OwnedPartitions[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: OwnedPartitions[] | null;
}

export interface DescribedAssignment {
  topicPartitions: Array<{ topicId: string; topicName: string; partitions: number[] }>;
}

export interface ConsumerGroupDescription {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    /** ConsumerGroupDescribe v1: 0 for a classic member, 1 for a consumer-protocol one. */
    memberType: number;
    assignment: DescribedAssignment;
    targetAssignment: DescribedAssignment;
  }>;
}

const CLASSIC_MEMBER = 0;
const CONSUMER_MEMBER = 1;

type ConsumerRecord = Extract<GroupRecord, { type: `consumerGroup${string}` }>;

function error(errorCode: number, errorMessage: string | null = null): HeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** Kafka's member ids: a random UUID in URL-safe base64. */
function randomMemberId(): string {
  return randomBytes(16).toString('base64url');
}

function subscriptionDiffers(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.subscribedTopicRegex !== b.subscribedTopicRegex || !sameStrings([...a.subscribedTopicNames].sort(), [...b.subscribedTopicNames].sort());
}

/** The fields of the member metadata record other than the subscription and assignor. */
function metadataDiffers(a: ConsumerMember, b: ConsumerMember): boolean {
  return (
    a.clientId !== b.clientId ||
    a.clientHost !== b.clientHost ||
    a.rackId !== b.rackId ||
    a.instanceId !== b.instanceId ||
    a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs ||
    !sameClassicMetadata(a.classicMemberMetadata, b.classicMemberMetadata)
  );
}

function sameClassicMetadata(a: ConsumerMember['classicMemberMetadata'], b: ConsumerMember['classicMemberMetadata']): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.sessionTimeoutMs === b.sessionTimeoutMs &&
    a.supportedProtocols.length === b.supportedProtocols.length &&
    a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i]!.name && p.metadata.equals(b.supportedProtocols[i]!.metadata))
  );
}

/** KIP-1251: a partition the member keeps keeps the epoch it was assigned at; a new one gets `memberEpoch`. */
function assignmentEpochs(m: ConsumerMember, assigned: TopicPartitions, memberEpoch: number): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [topicId, ps] of assigned) out.set(topicId, new Map([...ps].map((p) => [p, m.assignmentEpochs.get(topicId)?.get(p) ?? memberEpoch])));
  return out;
}

/** Kafka's isSubset: every owned partition is in `target`. Null (not reported) is not a subset. */
function isSubset(owned: OwnedPartitions[] | null, target: TopicPartitions): boolean {
  if (owned === null) return false;
  return owned.every((t) => t.partitions.every((p) => target.get(t.topicId)?.has(p) === true));
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class ConsumerGroupManager extends GroupTypeManager<ConsumerGroup> {
  readonly #config: ConsumerGroupConfig;
  readonly #adoptClassicGroup: ClassicGroupAdopter;
  readonly #timers: MemberTimers<ConsumerMember, ConsumerGroup>;

  constructor(deps: GroupManagerDeps, opts: {
    config: ConsumerGroupConfig;
    adoptClassicGroup: ClassicGroupAdopter;
  }) {
    super(deps, (g): g is ConsumerGroup => g instanceof ConsumerGroup);
    this.#adoptClassicGroup = opts.adoptClassicGroup;
    this.#config = opts.config;
    // A classic member also has join and sync timeouts.
    this.#timers = new MemberTimers({
      groupType: 'consumer',
      kinds: ['session', 'rebalance', 'join', 'sync'],
      runtime: this.runtime,
      partitionFor: this.partitionFor,
      logger: this.logger,
      group: (groupId) => this.ownGroup(groupId),
      fence: (tx, group, member) => this.#fence(tx, group, [member]),
    });
  }



  // ---- ConsumerGroupHeartbeat ----

  heartbeat(p: HeartbeatParams): Promise<HeartbeatResult> {
    const invalid = this.#validate(p);
    if (invalid) return Promise.resolve(invalid);
    return this.execute(p.groupId, (tx) => {
      const result = p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.#leave(p, tx) : this.#heartbeat(p, tx);
      return (appendError: number) => (appendError === ErrorCode.NONE ? result : error(appendError));
    });
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
  #validate(p: HeartbeatParams): HeartbeatResult | null {
    const invalid = (m: string) => error(ErrorCode.INVALID_REQUEST, m);
    if (p.groupId === '') return invalid("GroupId can't be empty.");
    if (p.instanceId === '') return invalid("InstanceId can't be empty.");
    if (p.rackId === '') return invalid("RackId can't be empty.");
    // v1+ (KIP-1082): the client makes its member id.
    if (p.apiVersion >= 1 && p.memberId === '') return invalid("MemberId can't be empty.");
    if (p.memberEpoch > 0 || p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (p.memberId === '') return invalid("MemberId can't be empty.");
    } else if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
      if (p.topicPartitions === null || p.topicPartitions.length > 0) return invalid('TopicPartitions must be empty when (re-)joining.');
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) return invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (p.memberId === '') return invalid("MemberId can't be empty.");
      if (p.instanceId === null) return invalid("InstanceId can't be null.");
    } else {
      return invalid('MemberEpoch is invalid.');
    }
    if (p.serverAssignor !== null && !this.#config.assignors.some((a) => a.name === p.serverAssignor)) {
      return error(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${this.#config.assignors.map((a) => a.name).join(', ')}.`);
    }
    if (p.subscribedTopicRegex !== null) {
      try {
        compileRegex(p.subscribedTopicRegex);
      } catch (err) {
        return error(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${p.subscribedTopicRegex}\` is not a valid regular expression: ${(err as Error).message}.`);
      }
    }
    return null;
  }

  #heartbeat(p: HeartbeatParams, tx: Tx<GroupRecord>): HeartbeatResult {
    const joining = p.memberEpoch === 0;
    // A classic group with members is upgraded online (group.consumer.migration.policy).
    const group = this.heartbeatGroup(p.groupId, joining, tx, 'consumer', () => this.#newGroup(p.groupId), (existing) =>
      existing instanceof ClassicGroup ? this.#upgrade(existing, tx) : undefined,
    );
    if (typeof group === 'string') return error(ErrorCode.GROUP_ID_NOT_FOUND, group);

    const memberId = p.memberId === '' ? randomMemberId() : p.memberId;
    if (group.members.size >= this.#config.maxSize && !group.members.has(memberId)) {
      return error(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.#config.maxSize} members.`);
    }

    // The member as it is, or a new one; a rejoining static member takes its predecessor's place.
    let member: ConsumerMember;
    let replaced: ConsumerMember | undefined;
    if (p.instanceId === null) {
      const known = group.members.get(memberId);
      if (!known) {
        if (!joining) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${p.groupId}.`);
        member = newConsumerMember(memberId);
      } else {
        const fenced = this.#checkEpoch(known, p);
        if (fenced) return fenced;
        member = known;
      }
    } else {
      const old = group.staticMember(p.instanceId);
      if (joining) {
        if (!old) {
          member = group.members.get(memberId) ?? newConsumerMember(memberId);
        } else if (old.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH && old.classicMemberMetadata === null) {
          // A classic instance may be taken over at once: it has no way to leave with epoch -2.
          return error(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} cannot join the group because the instance id is owned by member ${old.memberId}.`);
        } else {
          replaced = old;
          member = { ...old, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
        }
      } else {
        if (!old) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
        if (old.memberId !== memberId) return error(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} is fenced by member ${old.memberId}.`);
        const fenced = this.#checkEpoch(old, p);
        if (fenced) return fenced;
        member = old;
      }
    }
    // 1. The member's subscription.
    const updated: ConsumerMember = {
      ...member,
      instanceId: p.instanceId ?? member.instanceId,
      rackId: p.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: p.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: p.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: p.subscribedTopicRegex ?? member.subscribedTopicRegex,
      clientId: p.clientId,
      clientHost: p.clientHost,
      classicMemberMetadata: null,
    };
    const { reconciled, isNew } = this.#updateMember(tx, group, member, updated, replaced, p.topicPartitions);
    if (reconciled !== updated || replaced) {
      if (reconciled.state === MemberState.UNREVOKED_PARTITIONS) this.#timers.scheduleRebalance(group.groupId, memberId, reconciled.memberEpoch, reconciled.rebalanceTimeoutMs, 'partitions');
      else this.#timers.cancel('rebalance', group.groupId, memberId);
    }
    this.#scheduleSessionTimeout(group.groupId, memberId);

    const fullRequest = joining || (p.rebalanceTimeoutMs !== -1 && p.subscribedTopicNames !== null && p.topicPartitions !== null);
    const assignmentChanged = !samePartitions(member.assignedPartitions, reconciled.assignedPartitions) || isNew;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.#settings(group.groupId).heartbeatIntervalMs,
      assignment: fullRequest || assignmentChanged ? partitionsToList(reconciled.assignedPartitions) : null,
    };
  }

  /**
   * Steps 1 to 3 of a heartbeat, or of a classic member's JoinGroup: the member becomes
   * `updated` (a new subscription bumps the group epoch), a new target assignment is computed
   * when due, and the member is reconciled towards its target.
   */
  #updateMember(
    tx: Tx<GroupRecord>,
    group: ConsumerGroup,
    member: ConsumerMember,
    updated: ConsumerMember,
    replaced: ConsumerMember | undefined,
    owned: OwnedPartitions[] | null,
    keepTarget = false,
  ): { reconciled: ConsumerMember; isNew: boolean; stale: boolean } {
    const memberId = updated.memberId;
    // Target assignments as they stand once this operation's records are replayed.
    const targets = new Map(group.targetAssignment);
    if (replaced) {
      // Kafka's replaceMember: the new member id inherits the instance's target and current assignment.
      const inherited = group.targetAssignment.get(replaced.memberId) ?? NO_PARTITIONS;
      this.#removeMemberRecords(tx, group.groupId, replaced.memberId);
      this.#timers.cancelAll(group.groupId, replaced.memberId);
      tx.records.push(this.#targetRecord(group.groupId, memberId, inherited));
      tx.records.push(this.#currentAssignmentRecord(group.groupId, member));
      targets.delete(replaced.memberId);
      targets.set(memberId, inherited);
    }

    // A static member's new instance is not new: it keeps its predecessor's subscription and assignment.
    const isNew = !replaced && !group.members.has(memberId);
    // A new subscription or assignor makes a new target assignment due; other fields are only written.
    let bump = isNew || subscriptionDiffers(member, updated) || member.serverAssignor !== updated.serverAssignor;
    if (bump || replaced || metadataDiffers(member, updated)) tx.records.push(this.#memberRecord(group.groupId, updated));
    const members = new Map(group.members);
    if (replaced) members.delete(replaced.memberId);
    members.set(memberId, updated);

    // Regular expressions resolve against the topics now; a new resolution is a new subscription.
    const resolved = new Map(group.resolvedRegexes);
    const regexes = new Set([...members.values()].map((m) => m.subscribedTopicRegex).filter((r): r is string => r !== null));
    for (const regex of regexes) {
      const topics = this.#resolve(regex);
      const before = group.resolvedRegexes.get(regex);
      if (before && sameStrings(before, topics)) continue;
      resolved.set(regex, topics);
      tx.records.push({ type: 'consumerGroupRegularExpression', key: { groupId: group.groupId, regularExpression: regex }, value: { topics, version: 0n, timestamp: BigInt(this.now()) } });
      bump = true;
    }
    for (const regex of group.resolvedRegexes.keys()) {
      if (regexes.has(regex)) continue;
      resolved.delete(regex);
      tx.records.push({ type: 'consumerGroupRegularExpression', key: { groupId: group.groupId, regularExpression: regex }, value: null });
    }

    const subscribed = subscribedTopicNames(members.values(), resolved);
    const metadataHash = this.#metadataHash(subscribed);
    let groupEpoch = group.groupEpoch;
    if (bump || metadataHash !== group.metadataHash) {
      groupEpoch++;
      tx.records.push({ type: 'consumerGroupMetadata', key: { groupId: group.groupId }, value: { epoch: groupEpoch, metadataHash } });
      this.logger.info({ groupId: group.groupId, groupEpoch }, 'bumped consumer group epoch');
    }

    // 2. The target assignment; with `keepTarget` (the group turns classic now), the current one,
    // and no reconciliation when that one is stale, as Kafka's classicGroupJoinToConsumerGroup.
    let targetEpoch = group.assignmentEpoch;
    let target = targets.get(memberId) ?? NO_PARTITIONS;
    const stale = groupEpoch > group.assignmentEpoch;
    if (stale && keepTarget) return { reconciled: updated, isNew, stale };
    if (stale) {
      target = this.#updateTargetAssignment(tx, group, groupEpoch, members, resolved, targets).get(memberId) ?? NO_PARTITIONS;
      targetEpoch = groupEpoch;
    }

    // 3. Reconciliation.
    const reconciled = this.#reconcile(group, updated, targetEpoch, target, owned);
    if (reconciled !== updated) tx.records.push(this.#currentAssignmentRecord(group.groupId, reconciled));
    return { reconciled, isNew, stale };
  }

  /**
   * A group this heartbeat creates. Kafka 4.3.1 writes a new group's first epoch as 2 (its first
   * member joins at epoch 2), so a new group counts from 1 here too.
   */
  #newGroup(groupId: string): ConsumerGroup {
    const g = new ConsumerGroup(groupId);
    g.groupEpoch = 1;
    return g;
  }

  /** Kafka's throwIfConsumerGroupMemberEpochIsInvalid; a member rejoining with epoch 0 gets its state back. */
  #checkEpoch(m: ConsumerMember, p: HeartbeatParams): HeartbeatResult | null {
    if (p.memberEpoch === 0) return null;
    if (p.memberEpoch > m.memberEpoch || (p.memberEpoch < m.memberEpoch && (p.memberEpoch !== m.previousMemberEpoch || !isSubset(p.topicPartitions, m.assignedPartitions)))) {
      return error(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a ${p.memberEpoch > m.memberEpoch ? 'greater' : 'smaller'} member epoch (${p.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    return null;
  }

  /** Topic names the regular expression matches whole (as Java's Matcher.matches), in RE2J syntax. */
  #resolve(regex: string): string[] {
    const re = compileRegex(regex);
    return [...this.topics.names()].filter((t) => !t.startsWith('__') && re.matches(t)).sort();
  }

  /** Of the subscribed topics, with the racks of their partitions' replicas (KIP-1101). */
  #metadataHash(topics: ReadonlySet<string>): bigint {
    return topicsMetadataHash(this.topics, topics, true);
  }

  #preferredAssignor(members: Iterable<ConsumerMember>): Assignor {
    const counts = new Map<string, number>();
    for (const m of members) if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const [name, n] of counts) if (best === null || n > counts.get(best)!) best = name;
    return this.#config.assignors.find((a) => a.name === best) ?? this.#config.assignors[0]!;
  }

  /** Kafka's TargetAssignmentBuilder: records for the members whose target changed, then the epoch. */
  #updateTargetAssignment(
    tx: Tx<GroupRecord>,
    group: ConsumerGroup,
    groupEpoch: number,
    members: ReadonlyMap<string, ConsumerMember>,
    resolved: ReadonlyMap<string, readonly string[]>,
    previousTargets: ReadonlyMap<string, TopicPartitions>,
  ): Map<string, TopicPartitions> {
    const topics = new Map<string, number>();
    const specMembers = [...members.values()].map((m) => {
      const ids = new Set<string>();
      for (const name of subscribedTopicNames([m], resolved)) {
        const t = this.topics.byName(name);
        if (!t) continue;
        ids.add(t.topicId);
        topics.set(t.topicId, t.partitions);
      }
      return { memberId: m.memberId, topics: ids };
    });
    const assignor = this.#preferredAssignor(members.values());
    const previous = (memberId: string) => previousTargets.get(memberId);
    const result = assignor.assign({ members: specMembers, topics, previous });
    for (const [memberId, assignment] of result) {
      const before = previousTargets.get(memberId);
      if (!before || !samePartitions(before, assignment)) tx.records.push(this.#targetRecord(group.groupId, memberId, assignment));
    }
    tx.records.push({ type: 'consumerGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.now()) } });
    this.logger.info({ groupId: group.groupId, groupEpoch, assignor: assignor.name, members: members.size }, 'computed a new target assignment');
    return result;
  }

  /** Kafka's CurrentAssignmentBuilder: the member's next state towards its target. */
  #reconcile(group: ConsumerGroup, m: ConsumerMember, targetEpoch: number, target: TopicPartitions, owned: OwnedPartitions[] | null): ConsumerMember {
    if (isReconciledTo(m, targetEpoch)) return m;
    const ownsAnyOf = (a: TopicPartitions) => owned === null || owned.some((t) => t.partitions.some((p) => a.get(t.topicId)?.has(p) === true));
    const next = (memberEpoch: number): ConsumerMember => {
      let unreleased = false;
      const assigned = new Map<string, Set<number>>();
      const revoking = new Map<string, Set<number>>();
      const adding = new Map<string, Set<number>>();
      for (const topicId of new Set([...target.keys(), ...m.assignedPartitions.keys()])) {
        const want = target.get(topicId) ?? new Set<number>();
        const have = m.assignedPartitions.get(topicId) ?? new Set<number>();
        const keep = [...have].filter((p) => want.has(p));
        const revoke = [...have].filter((p) => !want.has(p));
        const add: number[] = [];
        for (const p of want) {
          if (have.has(p)) continue;
          // Still owned by another member: assigned once that member has revoked it.
          if (group.currentPartitionEpoch(topicId, p) === -1) add.push(p);
          else unreleased = true;
        }
        if (keep.length > 0) assigned.set(topicId, new Set(keep));
        if (revoke.length > 0) revoking.set(topicId, new Set(revoke));
        if (add.length > 0) adding.set(topicId, new Set(add));
      }
      if (revoking.size > 0 && ownsAnyOf(revoking)) {
        const epochs = this.#epochs(m, memberEpoch);
        return { ...m, state: MemberState.UNREVOKED_PARTITIONS, ...epochs, assignedPartitions: assigned, assignmentEpochs: assignmentEpochs(m, assigned, epochs.memberEpoch), partitionsPendingRevocation: revoking };
      }
      for (const [topicId, ps] of adding) assigned.set(topicId, new Set([...(assigned.get(topicId) ?? []), ...ps]));
      return {
        ...m,
        state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
        ...this.#epochs(m, targetEpoch),
        assignedPartitions: assigned,
        assignmentEpochs: assignmentEpochs(m, assigned, targetEpoch),
        partitionsPendingRevocation: NO_PARTITIONS,
      };
    };
    switch (m.state) {
      case MemberState.STABLE:
        return m.memberEpoch !== targetEpoch ? next(m.memberEpoch) : m;
      case MemberState.UNREVOKED_PARTITIONS:
        return ownsAnyOf(m.partitionsPendingRevocation) ? m : next(m.memberEpoch + 1);
      default:
        return next(m.memberEpoch);
    }
  }

  /** updateMemberEpoch: the previous epoch is the one the member had. */
  #epochs(m: ConsumerMember, memberEpoch: number): { memberEpoch: number; previousMemberEpoch: number } {
    return { memberEpoch, previousMemberEpoch: memberEpoch === m.memberEpoch ? m.previousMemberEpoch : m.memberEpoch };
  }

  // ---- Leaving and fencing ----

  #leave(p: HeartbeatParams, tx: Tx<GroupRecord>): HeartbeatResult {
    const group = this.ownGroup(p.groupId);
    if (!group) return error(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${p.groupId} not found.`);
    const ok = (memberEpoch: number): HeartbeatResult => ({ errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null });
    if (p.instanceId === null) {
      const member = group.members.get(p.memberId);
      if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      this.logger.info({ groupId: group.groupId, memberId: p.memberId }, 'member left the consumer group');
      this.#fence(tx, group, [member]);
      return ok(p.memberEpoch);
    }
    const member = group.staticMember(p.instanceId);
    if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
    if (member.memberId !== p.memberId) return error(ErrorCode.FENCED_INSTANCE_ID, `Static member ${p.memberId} with instance id ${p.instanceId} is fenced by member ${member.memberId}.`);
    if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // The instance comes back within its session timeout and takes its partitions again.
      tx.records.push(this.#currentAssignmentRecord(group.groupId, { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: NO_PARTITIONS }));
      return ok(LEAVE_GROUP_STATIC_MEMBER_EPOCH);
    }
    this.#fence(tx, group, [member]);
    return ok(p.memberEpoch);
  }

  /**
   * Kafka's consumerGroupFenceMembers: the members' records go and the group epoch moves on;
   * or, when only classic members would remain, the group becomes a classic group again.
   */
  #fence(tx: Tx<GroupRecord>, group: ConsumerGroup, fenced: readonly ConsumerMember[]): void {
    if (fenced.length === 0) return;
    if (this.#canDowngrade(group, fenced)) {
      this.#downgrade(tx, group, fenced);
      return;
    }
    const gone = new Set(fenced.map((m) => m.memberId));
    for (const id of gone) this.#removeMemberRecords(tx, group.groupId, id);
    const rest = [...group.members.values()].filter((m) => !gone.has(m.memberId));
    const regexes = new Set(rest.map((m) => m.subscribedTopicRegex));
    for (const regex of group.resolvedRegexes.keys()) {
      if (!regexes.has(regex)) tx.records.push({ type: 'consumerGroupRegularExpression', key: { groupId: group.groupId, regularExpression: regex }, value: null });
    }
    const metadataHash = this.#metadataHash(subscribedTopicNames(rest, group.resolvedRegexes));
    tx.records.push({ type: 'consumerGroupMetadata', key: { groupId: group.groupId }, value: { epoch: group.groupEpoch + 1, metadataHash } });
    for (const id of gone) this.#timers.cancelAll(group.groupId, id);
  }

  // ---- Online migration (group.consumer.migration.policy) ----

  /**
   * Kafka's validateOnlineDowngradeWithFencedMembers (and, with `replacing`, ...WithReplacedMember:
   * a classic member takes the leaving one's place): consumer-protocol members leave and only
   * classic ones remain.
   */
  #canDowngrade(group: ConsumerGroup, leaving: readonly ConsumerMember[], replacing = false): boolean {
    if (leaving.some((m) => m.classicMemberMetadata !== null)) return false;
    const others = group.members.size - leaving.length;
    if (group.classicMembers().length !== others) return false;
    const remaining = others + (replacing ? 1 : 0);
    if (remaining === 0) return false;
    if (!downgradeEnabled(this.#config.migrationPolicy)) {
      this.logger.info({ groupId: group.groupId }, 'cannot downgrade the consumer group to a classic group: the online downgrade is disabled');
      return false;
    }
    if (remaining > this.#config.classicMaxSize) {
      this.logger.info({ groupId: group.groupId }, 'cannot downgrade the consumer group to a classic group: it has more members than group.max.size');
      return false;
    }
    return true;
  }

  /**
   * Kafka's convertToClassicGroup: the consumer group's records go, the classic group's record
   * comes, and it rebalances; a `joining` classic member taking a leaving one's place (whose
   * records this operation already moved to its id) takes its assignment, and the group
   * rebalances only when that assignment is stale.
   */
  #downgrade(tx: Tx<GroupRecord>, group: ConsumerGroup, leaving: readonly ConsumerMember[], joining?: { member: ConsumerMember; replaces: string; stale: boolean }): void {
    const classic = classicGroupFromConsumer(group, new Set(leaving.map((m) => m.memberId)), this.topics, this.now, joining);
    const renamed = (r: GroupRecord): GroupRecord => ('memberId' in r.key && r.key.memberId === joining?.replaces ? ({ ...r, key: { ...r.key, memberId: joining.member.memberId } } as GroupRecord) : r);
    tx.records.push(...group.tombstones().map(renamed));
    this.#adoptClassicGroup(classic, group, tx, joining === undefined || joining.stale);
    tx.after.push(() => {
      for (const id of group.members.keys()) this.#timers.cancelAll(group.groupId, id);
      if (joining) this.#timers.cancelAll(group.groupId, joining.member.memberId);
    });
    this.logger.info({ groupId: group.groupId, generation: classic.generationId, members: classic.members.size }, 'converted the consumer group to a classic group');
  }

  /**
   * Kafka's validateOnlineUpgrade and convertToConsumerGroup: a classic group with members
   * becomes a consumer group when a consumer-protocol member joins. Its members keep their
   * last assignment and are asked to rejoin; the message says why a conversion is refused.
   */
  #upgrade(classic: ClassicGroup, tx: Tx<GroupRecord>): ConsumerGroup | string {
    const groupId = classic.groupId;
    const refused = (why: string) => `Cannot upgrade classic group ${groupId} to consumer group because ${why}.`;
    if (!upgradeEnabled(this.#config.migrationPolicy)) return refused('online upgrade is disabled');
    if (!classic.usesConsumerGroupProtocol()) return refused('the group does not use the consumer embedded protocol');
    if (classic.members.size > this.#config.maxSize) return refused('the group size exceeds the consumer group maximum size');
    let group: ConsumerGroup;
    try {
      group = consumerGroupFromClassic(classic, this.topics);
    } catch (err) {
      if (err instanceof MigrationError) return err.message;
      throw err;
    }
    // Members waiting for a JoinGroup or SyncGroup answer rejoin, now the consumer group's.
    for (const m of classic.members.values()) {
      classic.completeJoin(m, joinError(UNKNOWN_MEMBER_ID, ErrorCode.REBALANCE_IN_PROGRESS));
      classic.completeSync(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    group.metadataHash = this.#metadataHash(subscribedTopicNames(group.members.values(), group.resolvedRegexes));
    // Kafka's createConsumerGroupRecords, after the classic group's tombstone.
    tx.records.push(...classic.tombstones());
    for (const m of group.members.values()) tx.records.push(this.#memberRecord(groupId, m));
    tx.records.push({ type: 'consumerGroupMetadata', key: { groupId }, value: { epoch: group.groupEpoch, metadataHash: group.metadataHash } });
    for (const [memberId, a] of group.targetAssignment) tx.records.push(this.#targetRecord(groupId, memberId, a));
    tx.records.push({ type: 'consumerGroupTargetAssignmentMetadata', key: { groupId }, value: { assignmentEpoch: group.assignmentEpoch, assignmentTimestamp: BigInt(this.now()) } });
    for (const m of group.members.values()) tx.records.push(this.#currentAssignmentRecord(groupId, m));
    tx.after.push(() => {
      for (const m of group.members.values()) this.#scheduleSessionTimeout(groupId, m.memberId, m.classicMemberMetadata!.sessionTimeoutMs);
    });
    this.logger.info({ groupId, generation: classic.generationId, members: classic.members.size }, 'converting the classic group to a consumer group');
    return group;
  }

  // ---- Classic members of a consumer group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup ----

  /**
   * Kafka's classicGroupJoinToConsumerGroup: the member's subscription goes through the same
   * steps as a heartbeat's, and the answer (its epoch as the generation, no leader, no member
   * list: nothing for the client to assign) goes out once the records are appended.
   */
  classicJoin(group: ConsumerGroup, p: JoinParams, tx: Tx<GroupRecord>): JoinResult | ((appendError: number) => JoinResult) {
    const fail = (code: number) => joinError(UNKNOWN_MEMBER_ID, code);
    if (this.#config.migrationPolicy === 'disabled') {
      this.logger.info({ groupId: group.groupId }, 'a classic member cannot join the consumer group: the group migration is disabled');
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const unknown = p.memberId === UNKNOWN_MEMBER_ID;
    const memberId = unknown ? randomMemberId() : p.memberId;
    if (group.members.size >= this.#config.maxSize && !group.members.has(memberId)) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (!group.supportsClassicProtocols(p.protocolType, p.protocols.map((x) => x.name))) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (p.requireKnownMemberId && unknown && p.groupInstanceId === null) return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
    let subscription;
    try {
      subscription = decodeSubscription(p.protocols[0]!.metadata);
    } catch {
      // Kafka fails the request on an IllegalStateException here.
      return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }

    let member: ConsumerMember;
    let replaced: ConsumerMember | undefined;
    const old = p.groupInstanceId === null ? undefined : group.staticMember(p.groupInstanceId);
    if (old) {
      // A static member rejoining under a new member id takes its predecessor's place.
      replaced = old.memberId === memberId ? undefined : old;
      member = replaced ? { ...old, memberId, memberEpoch: 0, previousMemberEpoch: 0 } : old;
    } else {
      member = group.members.get(memberId) ?? newConsumerMember(memberId);
    }
    const updated: ConsumerMember = {
      ...member,
      instanceId: p.groupInstanceId ?? member.instanceId,
      rackId: subscription.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      subscribedTopicNames: subscription.topics,
      subscribedTopicRegex: null,
      clientId: p.clientId,
      clientHost: p.clientHost,
      classicMemberMetadata: classicMemberMetadata(p.sessionTimeoutMs, p.protocols),
    };
    const owned = [...byTopicId(subscription.ownedPartitions, this.topics)].map(([topicId, ps]) => ({ topicId, partitions: [...ps] }));
    // A classic static member taking over the last consumer-protocol member's instance turns the group classic at once.
    const downgrade = replaced !== undefined && this.#canDowngrade(group, [replaced], true);
    const { reconciled, stale } = this.#updateMember(tx, group, member, updated, replaced, owned, downgrade);
    if (downgrade) this.#downgrade(tx, group, [], { member: reconciled, replaces: replaced!.memberId, stale });
    const answer: JoinResult = {
      errorCode: ErrorCode.NONE,
      generationId: reconciled.memberEpoch,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: p.protocols[0]!.name,
      leader: '',
      skipAssignment: false,
      memberId,
      members: [],
    };
    this.logger.info({ groupId: group.groupId, memberId, memberEpoch: reconciled.memberEpoch }, 'classic member joined the consumer group');
    return (appendError) => {
      if (appendError !== ErrorCode.NONE) return fail(appendError);
      if (downgrade) return answer;
      this.#timers.cancel('join', group.groupId, memberId);
      this.#scheduleSessionTimeout(group.groupId, memberId, p.sessionTimeoutMs);
      this.#timers.schedule('sync', group.groupId, memberId, p.rebalanceTimeoutMs, 'it did not send SyncGroup within its rebalance timeout');
      return answer;
    };
  }

  /** Kafka's classicGroupSyncToConsumerGroup: the member's current assignment, in the version of its subscription. */
  classicSync(group: ConsumerGroup, p: SyncParams): SyncResult {
    const m = this.#classicMember(group, p.memberId, p.groupInstanceId);
    if (typeof m === 'number') return syncError(m);
    if (p.generationId !== m.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
    const protocols = m.classicMemberMetadata!.supportedProtocols;
    if ((p.protocolType !== null && p.protocolType !== CONSUMER_PROTOCOL_TYPE) || (p.protocolName !== null && p.protocolName !== protocols[0]!.name)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.assignmentEpoch > m.memberEpoch && m.state !== MemberState.UNREVOKED_PARTITIONS) {
      this.#scheduleJoinTimeoutIfAbsent(group.groupId, m);
      return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    this.#timers.cancel('sync', group.groupId, m.memberId);
    this.#scheduleSessionTimeout(group.groupId, m.memberId, m.classicMemberMetadata!.sessionTimeoutMs);
    return {
      errorCode: ErrorCode.NONE,
      protocolType: p.protocolType,
      protocolName: p.protocolName,
      assignment: encodeAssignment(m.assignedPartitions, this.topics, subscriptionVersion(protocols[0]!.metadata)),
    };
  }

  /**
   * Kafka's classicGroupHeartbeatToConsumerGroup: REBALANCE_IN_PROGRESS tells the member to
   * rejoin when the group moved to a newer target, when it must revoke partitions, or when
   * the partitions it waited for are free.
   */
  classicHeartbeat(group: ConsumerGroup, p: { generationId: number; memberId: string; groupInstanceId: string | null }): number {
    const m = this.#classicMember(group, p.memberId, p.groupInstanceId);
    if (typeof m === 'number') return m;
    if (p.generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    this.#scheduleSessionTimeout(group.groupId, m.memberId, m.classicMemberMetadata!.sessionTimeoutMs);
    if (
      m.memberEpoch < group.assignmentEpoch ||
      m.state === MemberState.UNREVOKED_PARTITIONS ||
      (m.state === MemberState.UNRELEASED_PARTITIONS && !group.waitingOnUnreleasedPartition(m))
    ) {
      this.#scheduleJoinTimeoutIfAbsent(group.groupId, m);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  /** Kafka's classicGroupLeaveToConsumerGroup: each member is checked on its own, the valid ones are fenced together. */
  classicLeave(group: ConsumerGroup, members: readonly MemberIdentity[], tx: Tx<GroupRecord>): LeaveResult {
    const leaving: ConsumerMember[] = [];
    const results = members.map((id): MemberIdentity & { errorCode: number } => {
      let m: ConsumerMember | number;
      if (id.groupInstanceId === null) {
        m = group.members.get(id.memberId) ?? ErrorCode.UNKNOWN_MEMBER_ID;
      } else {
        const s = group.staticMember(id.groupInstanceId);
        // The admin client removes static members by instance id alone.
        m = !s ? ErrorCode.UNKNOWN_MEMBER_ID : id.memberId !== UNKNOWN_MEMBER_ID && s.memberId !== id.memberId ? ErrorCode.FENCED_INSTANCE_ID : s;
      }
      if (typeof m !== 'number' && m.classicMemberMetadata === null) m = ErrorCode.UNKNOWN_MEMBER_ID;
      if (typeof m === 'number') return { ...id, errorCode: m };
      if (!leaving.includes(m)) leaving.push(m);
      this.logger.info({ groupId: group.groupId, memberId: m.memberId, instanceId: m.instanceId }, 'classic member left the consumer group');
      return { memberId: m.memberId, groupInstanceId: id.groupInstanceId, errorCode: ErrorCode.NONE };
    });
    this.#fence(tx, group, leaving);
    return { errorCode: ErrorCode.NONE, members: results };
  }

  /** Kafka's validateConsumerGroupMember, then the member must speak the classic protocol. */
  #classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerMember | number {
    let m: ConsumerMember | undefined;
    if (instanceId === null) {
      m = group.members.get(memberId);
    } else {
      m = group.staticMember(instanceId);
      if (m && m.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!m || m.classicMemberMetadata === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    return m;
  }

  #removeMemberRecords(tx: Tx<GroupRecord>, groupId: string, memberId: string): void {
    tx.records.push(...memberTombstones('consumerGroup', groupId, memberId));
  }

  // ---- Timers ----

  /** The group's effective settings: its GROUP configs, else the broker's group.consumer.* (Kafka's GroupMetadataManager). */
  #settings(groupId: string): ConsumerGroupSettings {
    return this.#config.groupSettings?.(groupId) ?? { sessionTimeoutMs: this.#config.sessionTimeoutMs, heartbeatIntervalMs: this.#config.heartbeatIntervalMs };
  }

  /** A classic member's session timeout is its own (from its JoinGroup); a consumer-protocol member's is the group's. */
  #scheduleSessionTimeout(groupId: string, memberId: string, classicSessionTimeoutMs?: number): void {
    this.#timers.scheduleSession(groupId, memberId, classicSessionTimeoutMs ?? this.#settings(groupId).sessionTimeoutMs);
  }

  /** A classic member told to rejoin must do so within its rebalance timeout (Kafka's scheduleConsumerGroupJoinTimeoutIfAbsent). */
  #scheduleJoinTimeoutIfAbsent(groupId: string, m: ConsumerMember): void {
    if (!this.#timers.isScheduled('join', groupId, m.memberId)) this.#timers.schedule('join', groupId, m.memberId, m.rebalanceTimeoutMs, 'the classic member did not rejoin within its rebalance timeout');
  }

  /** Members of a loaded partition must heartbeat within their session timeout, as after any restart. */
  loaded(partition: number): void {
    for (const g of this.groups.values()) {
      if (!(g instanceof ConsumerGroup) || this.partitionFor(g.groupId) !== partition) continue;
      for (const m of g.members.values()) {
        this.#scheduleSessionTimeout(g.groupId, m.memberId, m.classicMemberMetadata?.sessionTimeoutMs);
        if (m.state === MemberState.UNREVOKED_PARTITIONS && m.classicMemberMetadata === null) this.#timers.scheduleRebalance(g.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs, 'partitions');
      }
    }
  }

  // ---- Records ----

  #memberRecord(groupId: string, m: ConsumerMember): GroupRecord {
    return {
      type: 'consumerGroupMemberMetadata',
      key: { groupId, memberId: m.memberId },
      value: {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: m.serverAssignor,
        classicMemberMetadata: m.classicMemberMetadata,
      },
    };
  }

  #targetRecord(groupId: string, memberId: string, a: TopicPartitions): GroupRecord {
    return { type: 'consumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: { topicPartitions: partitionsToList(a) } };
  }

  #currentAssignmentRecord(groupId: string, m: ConsumerMember): GroupRecord {
    return {
      type: 'consumerGroupCurrentMemberAssignment',
      key: { groupId, memberId: m.memberId },
      value: {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assignedPartitions: partitionsToList(m.assignedPartitions).map((t) => ({ ...t, assignmentEpochs: t.partitions.map((p) => m.assignmentEpochs.get(t.topicId)?.get(p) ?? Math.max(m.memberEpoch, 0)) })),
        partitionsPendingRevocation: partitionsToList(m.partitionsPendingRevocation).map((t) => ({ ...t, assignmentEpochs: null })),
      },
    };
  }

  /** Kafka's GroupMetadataManager.replay for the consumer group records. */
  replay(rec: ConsumerRecord): void {
    const groupId = rec.key.groupId;
    let group = this.ownGroup(groupId);
    if (rec.value === null) {
      if (!group) return;
      switch (rec.type) {
        case 'consumerGroupMetadata':
          this.groups.delete(groupId);
          for (const memberId of group.members.keys()) this.#timers.cancelAll(groupId, memberId);
          return;
        case 'consumerGroupMemberMetadata':
          group.removeMember(rec.key.memberId);
          return;
        case 'consumerGroupCurrentMemberAssignment': {
          const m = group.members.get(rec.key.memberId);
          if (m) group.putMember({ ...m, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, state: MemberState.STABLE, assignedPartitions: NO_PARTITIONS, assignmentEpochs: new Map(), partitionsPendingRevocation: NO_PARTITIONS });
          return;
        }
        case 'consumerGroupTargetAssignmentMember':
          group.targetAssignment.delete(rec.key.memberId);
          return;
        case 'consumerGroupTargetAssignmentMetadata':
          group.assignmentEpoch = 0;
          return;
        case 'consumerGroupRegularExpression':
          group.resolvedRegexes.delete(rec.key.regularExpression);
          return;
        default:
          return;
      }
    }
    if (!group) {
      // A consumer group record replaces what a classic group's offsets made (Kafka: a simple group).
      group = new ConsumerGroup(groupId);
      this.groups.set(groupId, group);
    }
    switch (rec.type) {
      case 'consumerGroupMetadata':
        group.groupEpoch = rec.value.epoch;
        group.metadataHash = rec.value.metadataHash;
        return;
      case 'consumerGroupPartitionMetadata':
        // Kafka 4.1+ keeps a metadata hash in the group record instead; an older record means nothing now.
        return;
      case 'consumerGroupMemberMetadata': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newConsumerMember(rec.key.memberId);
        group.putMember({
          ...m,
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames,
          // Kafka writes "" for no expression.
          subscribedTopicRegex: v.subscribedTopicRegex === '' ? null : v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
          classicMemberMetadata: v.classicMemberMetadata,
        });
        return;
      }
      case 'consumerGroupCurrentMemberAssignment': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newConsumerMember(rec.key.memberId);
        group.putMember({
          ...m,
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: v.state,
          assignedPartitions: partitionsFromList(v.assignedPartitions),
          // Records written before KIP-1251 have none: the member's epoch, as Kafka reads them.
          assignmentEpochs: new Map(
            v.assignedPartitions.map((t) => [t.topicId, new Map(t.partitions.map((p, i) => [p, t.assignmentEpochs?.[i] ?? Math.max(v.memberEpoch, 0)]))]),
          ),
          partitionsPendingRevocation: partitionsFromList(v.partitionsPendingRevocation),
        });
        return;
      }
      case 'consumerGroupTargetAssignmentMember':
        group.targetAssignment.set(rec.key.memberId, partitionsFromList(rec.value.topicPartitions));
        return;
      case 'consumerGroupTargetAssignmentMetadata':
        group.assignmentEpoch = rec.value.assignmentEpoch;
        return;
      case 'consumerGroupRegularExpression':
        group.resolvedRegexes.set(rec.key.regularExpression, rec.value.topics);
        return;
    }
  }

  // ---- ConsumerGroupDescribe ----

  describe(groupId: string): ConsumerGroupDescription {
    const base = { errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    const group = this.ownGroup(groupId);
    if (!group) {
      const exists = this.groups.has(groupId);
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: exists ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.` };
    }
    const described = (a: TopicPartitions): DescribedAssignment => ({
      topicPartitions: partitionsToList(a).map((t) => ({ ...t, topicName: this.topics.byId(t.topicId)?.name ?? '' })),
    });
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      groupState: group.state(),
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: this.#preferredAssignor(group.members.values()).name,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        memberType: m.classicMemberMetadata !== null ? CLASSIC_MEMBER : CONSUMER_MEMBER,
        assignment: described(m.assignedPartitions),
        targetAssignment: described(group.targetAssignment.get(m.memberId) ?? NO_PARTITIONS),
      })),
    };
  }
}
