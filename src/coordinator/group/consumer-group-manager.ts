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
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import type { Logger } from '../../log.js';
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
  samePartitions,
  subscribedTopicNames,
} from './consumer-group.js';
import type { Group } from './group-type.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorRuntime, Operation, Tx } from './runtime.js';

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
}

/** One consumer group's effective session timeout and heartbeat interval. */
export interface ConsumerGroupSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** The topics the coordinator sees (Kafka's metadata image). */
export interface TopicsView {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  byId(topicId: string): { name: string; partitions: number } | undefined;
  names(): Iterable<string>;
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
    assignment: DescribedAssignment;
    targetAssignment: DescribedAssignment;
  }>;
}

type ConsumerRecord = Extract<GroupRecord, { type: `consumerGroup${string}` }>;

function error(errorCode: number, errorMessage: string | null = null): HeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** Kafka's member ids: a random UUID in URL-safe base64. */
function randomMemberId(): string {
  return randomBytes(16).toString('base64url');
}

function toOwned(a: TopicPartitions): OwnedPartitions[] {
  return [...a].map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

function fromOwned(list: ReadonlyArray<{ topicId: string; partitions: readonly number[] }>): TopicPartitions {
  const m = new Map<string, Set<number>>();
  for (const t of list) if (t.partitions.length > 0) m.set(t.topicId, new Set([...(m.get(t.topicId) ?? []), ...t.partitions]));
  return m;
}

function subscriptionDiffers(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.subscribedTopicRegex !== b.subscribedTopicRegex || !sameStrings([...a.subscribedTopicNames].sort(), [...b.subscribedTopicNames].sort());
}

/** The fields of the member metadata record other than the subscription and assignor. */
function metadataDiffers(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.clientId !== b.clientId || a.clientHost !== b.clientHost || a.rackId !== b.rackId || a.instanceId !== b.instanceId || a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs;
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

export class ConsumerGroupManager {
  readonly #runtime: CoordinatorRuntime<GroupRecord>;
  readonly #groups: Map<string, Group>;
  readonly #config: ConsumerGroupConfig;
  readonly #topics: TopicsView;
  readonly #logger: Logger;
  readonly #partitionFor: (groupId: string) => number;
  readonly #now: () => number;

  constructor(opts: {
    runtime: CoordinatorRuntime<GroupRecord>;
    groups: Map<string, Group>;
    config: ConsumerGroupConfig;
    topics: TopicsView;
    logger: Logger;
    now: () => number;
    partitionFor: (groupId: string) => number;
  }) {
    this.#now = opts.now;
    this.#runtime = opts.runtime;
    this.#groups = opts.groups;
    this.#config = opts.config;
    this.#topics = opts.topics;
    this.#logger = opts.logger;
    this.#partitionFor = opts.partitionFor;
  }

  #consumerGroup(groupId: string): ConsumerGroup | undefined {
    const g = this.#groups.get(groupId);
    return g instanceof ConsumerGroup ? g : undefined;
  }

  #execute<R>(groupId: string, op: Operation<GroupRecord, R>): Promise<R> {
    return this.#runtime.execute(this.#partitionFor(groupId), op);
  }

  // ---- ConsumerGroupHeartbeat ----

  heartbeat(p: HeartbeatParams): Promise<HeartbeatResult> {
    const invalid = this.#validate(p);
    if (invalid) return Promise.resolve(invalid);
    return this.#execute(p.groupId, (tx) => {
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
    const existing = this.#groups.get(p.groupId);
    let group: ConsumerGroup;
    if (existing instanceof ConsumerGroup) {
      group = existing;
    } else if (existing === undefined || existing.isDead()) {
      if (!joining) return error(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${p.groupId} not found.`);
      group = this.#newGroup(p.groupId);
    } else if (joining && existing.type === 'classic' && existing.isEmpty()) {
      // An empty classic group (or one holding only offsets) becomes a consumer group; its offsets stay.
      tx.records.push(...existing.tombstones());
      group = this.#newGroup(p.groupId);
    } else {
      return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
    }

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
        } else if (old.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
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
    // Target assignments as they stand once this operation's records are replayed.
    const targets = new Map(group.targetAssignment);
    if (replaced) {
      // Kafka's replaceMember: the new member id inherits the instance's target and current assignment.
      const inherited = group.targetAssignment.get(replaced.memberId) ?? NO_PARTITIONS;
      this.#removeMemberRecords(tx, group.groupId, replaced.memberId);
      this.#cancelTimers(group.groupId, replaced.memberId);
      tx.records.push(this.#targetRecord(group.groupId, memberId, inherited));
      tx.records.push(this.#currentAssignmentRecord(group.groupId, member));
      targets.delete(replaced.memberId);
      targets.set(memberId, inherited);
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
    };
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
      tx.records.push({ type: 'consumerGroupRegularExpression', key: { groupId: group.groupId, regularExpression: regex }, value: { topics, version: 0n, timestamp: BigInt(this.#now()) } });
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
      this.#logger.info({ groupId: group.groupId, groupEpoch }, 'bumped consumer group epoch');
    }

    // 2. The target assignment.
    let targetEpoch = group.assignmentEpoch;
    let target = targets.get(memberId) ?? NO_PARTITIONS;
    if (groupEpoch > group.assignmentEpoch) {
      target = this.#updateTargetAssignment(tx, group, groupEpoch, members, resolved, targets).get(memberId) ?? NO_PARTITIONS;
      targetEpoch = groupEpoch;
    }

    // 3. Reconciliation.
    const reconciled = this.#reconcile(group, updated, targetEpoch, target, p.topicPartitions);
    if (reconciled !== updated || replaced) {
      if (reconciled !== updated) tx.records.push(this.#currentAssignmentRecord(group.groupId, reconciled));
      if (reconciled.state === MemberState.UNREVOKED_PARTITIONS) this.#scheduleRebalanceTimeout(group.groupId, memberId, reconciled.memberEpoch, reconciled.rebalanceTimeoutMs);
      else this.#runtime.cancel(this.#rebalanceKey(group.groupId, memberId));
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
      assignment: fullRequest || assignmentChanged ? toOwned(reconciled.assignedPartitions) : null,
    };
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
    return [...this.#topics.names()].filter((t) => !t.startsWith('__') && re.matches(t)).sort();
  }

  /**
   * Changes when a subscribed topic is created, deleted or gains partitions: what makes a new
   * target assignment due (Kafka hashes the same facts, with another function).
   */
  #metadataHash(topics: ReadonlySet<string>): bigint {
    const parts: string[] = [];
    for (const name of [...topics].sort()) {
      const t = this.#topics.byName(name);
      if (t) parts.push(`${name}\u0000${t.topicId}\u0000${t.partitions}`);
    }
    if (parts.length === 0) return 0n;
    return createHash('sha256').update(parts.join('\u0001')).digest().readBigInt64BE(0);
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
        const t = this.#topics.byName(name);
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
    tx.records.push({ type: 'consumerGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.#now()) } });
    this.#logger.info({ groupId: group.groupId, groupEpoch, assignor: assignor.name, members: members.size }, 'computed a new target assignment');
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
    const group = this.#consumerGroup(p.groupId);
    if (!group) return error(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${p.groupId} not found.`);
    const ok = (memberEpoch: number): HeartbeatResult => ({ errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null });
    if (p.instanceId === null) {
      const member = group.members.get(p.memberId);
      if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      this.#logger.info({ groupId: group.groupId, memberId: p.memberId }, 'member left the consumer group');
      this.#fence(tx, group, member);
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
    this.#fence(tx, group, member);
    return ok(p.memberEpoch);
  }

  /** Kafka's consumerGroupFenceMember: the member's records go, and the group epoch moves on. */
  #fence(tx: Tx<GroupRecord>, group: ConsumerGroup, member: ConsumerMember): void {
    this.#removeMemberRecords(tx, group.groupId, member.memberId);
    const rest = [...group.members.values()].filter((m) => m.memberId !== member.memberId);
    const regexes = new Set(rest.map((m) => m.subscribedTopicRegex));
    for (const regex of group.resolvedRegexes.keys()) {
      if (!regexes.has(regex)) tx.records.push({ type: 'consumerGroupRegularExpression', key: { groupId: group.groupId, regularExpression: regex }, value: null });
    }
    const metadataHash = this.#metadataHash(subscribedTopicNames(rest, group.resolvedRegexes));
    tx.records.push({ type: 'consumerGroupMetadata', key: { groupId: group.groupId }, value: { epoch: group.groupEpoch + 1, metadataHash } });
    this.#cancelTimers(group.groupId, member.memberId);
  }

  #removeMemberRecords(tx: Tx<GroupRecord>, groupId: string, memberId: string): void {
    tx.records.push(
      { type: 'consumerGroupCurrentMemberAssignment', key: { groupId, memberId }, value: null },
      { type: 'consumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: null },
      { type: 'consumerGroupMemberMetadata', key: { groupId, memberId }, value: null },
    );
  }

  // ---- Timers ----

  #sessionKey(groupId: string, memberId: string): string {
    return `consumer-session\u0000${groupId}\u0000${memberId}`;
  }
  #rebalanceKey(groupId: string, memberId: string): string {
    return `consumer-rebalance\u0000${groupId}\u0000${memberId}`;
  }

  /** The group's effective settings: its GROUP configs, else the broker's group.consumer.* (Kafka's GroupMetadataManager). */
  #settings(groupId: string): ConsumerGroupSettings {
    return this.#config.groupSettings?.(groupId) ?? { sessionTimeoutMs: this.#config.sessionTimeoutMs, heartbeatIntervalMs: this.#config.heartbeatIntervalMs };
  }

  #scheduleSessionTimeout(groupId: string, memberId: string): void {
    this.#runtime.schedule(this.#sessionKey(groupId, memberId), this.#settings(groupId).sessionTimeoutMs, this.#partitionFor(groupId), (tx) => {
      const group = this.#consumerGroup(groupId);
      const member = group?.members.get(memberId);
      if (!group || !member) return;
      this.#logger.info({ groupId, memberId }, 'consumer group member fenced: its session expired');
      this.#fence(tx, group, member);
    });
  }

  #scheduleRebalanceTimeout(groupId: string, memberId: string, memberEpoch: number, timeoutMs: number): void {
    this.#runtime.schedule(this.#rebalanceKey(groupId, memberId), timeoutMs, this.#partitionFor(groupId), (tx) => {
      const group = this.#consumerGroup(groupId);
      const member = group?.members.get(memberId);
      if (!group || !member || member.memberEpoch !== memberEpoch) return;
      this.#logger.info({ groupId, memberId, memberEpoch, timeoutMs }, 'consumer group member fenced: it did not revoke its partitions within the rebalance timeout');
      this.#fence(tx, group, member);
    });
  }

  #cancelTimers(groupId: string, memberId: string): void {
    this.#runtime.cancel(this.#sessionKey(groupId, memberId));
    this.#runtime.cancel(this.#rebalanceKey(groupId, memberId));
  }

  /** Members of a loaded partition must heartbeat within their session timeout, as after any restart. */
  loaded(partition: number): void {
    for (const g of this.#groups.values()) {
      if (!(g instanceof ConsumerGroup) || this.#partitionFor(g.groupId) !== partition) continue;
      for (const m of g.members.values()) {
        this.#scheduleSessionTimeout(g.groupId, m.memberId);
        if (m.state === MemberState.UNREVOKED_PARTITIONS) this.#scheduleRebalanceTimeout(g.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs);
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
        classicMemberMetadata: null,
      },
    };
  }

  #targetRecord(groupId: string, memberId: string, a: TopicPartitions): GroupRecord {
    return { type: 'consumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: { topicPartitions: toOwned(a) } };
  }

  #currentAssignmentRecord(groupId: string, m: ConsumerMember): GroupRecord {
    return {
      type: 'consumerGroupCurrentMemberAssignment',
      key: { groupId, memberId: m.memberId },
      value: {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assignedPartitions: toOwned(m.assignedPartitions).map((t) => ({ ...t, assignmentEpochs: t.partitions.map((p) => m.assignmentEpochs.get(t.topicId)?.get(p) ?? Math.max(m.memberEpoch, 0)) })),
        partitionsPendingRevocation: toOwned(m.partitionsPendingRevocation).map((t) => ({ ...t, assignmentEpochs: null })),
      },
    };
  }

  /** Kafka's GroupMetadataManager.replay for the consumer group records. */
  replay(rec: ConsumerRecord): void {
    const groupId = rec.key.groupId;
    let group = this.#consumerGroup(groupId);
    if (rec.value === null) {
      if (!group) return;
      switch (rec.type) {
        case 'consumerGroupMetadata':
          this.#groups.delete(groupId);
          for (const memberId of group.members.keys()) this.#cancelTimers(groupId, memberId);
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
      this.#groups.set(groupId, group);
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
          assignedPartitions: fromOwned(v.assignedPartitions),
          // Records written before KIP-1251 have none: the member's epoch, as Kafka reads them.
          assignmentEpochs: new Map(
            v.assignedPartitions.map((t) => [t.topicId, new Map(t.partitions.map((p, i) => [p, t.assignmentEpochs?.[i] ?? Math.max(v.memberEpoch, 0)]))]),
          ),
          partitionsPendingRevocation: fromOwned(v.partitionsPendingRevocation),
        });
        return;
      }
      case 'consumerGroupTargetAssignmentMember':
        group.targetAssignment.set(rec.key.memberId, fromOwned(rec.value.topicPartitions));
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
    const group = this.#consumerGroup(groupId);
    if (!group) {
      const exists = this.#groups.has(groupId);
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: exists ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.` };
    }
    const described = (a: TopicPartitions): DescribedAssignment => ({
      topicPartitions: toOwned(a).map((t) => ({ ...t, topicName: this.#topics.byId(t.topicId)?.name ?? '' })),
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
        assignment: described(m.assignedPartitions),
        targetAssignment: described(group.targetAssignment.get(m.memberId) ?? NO_PARTITIONS),
      })),
    };
  }
}
