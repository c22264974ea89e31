/**
 * Classic groups (JoinGroup, SyncGroup, Heartbeat, LeaveGroup): the classic half of Kafka's
 * GroupMetadataManager. Operations run on the coordinator runtime: they may change the
 * in-memory rebalance state Kafka never persists either (members awaiting JoinGroup or
 * SyncGroup answers, PreparingRebalance/CompletingRebalance, timers) and yield the group
 * metadata records to append; replaying a record is what makes an assignment stable.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { KafkaError } from '../../errors.js';
import { ConsumerGroup } from './consumer-group.js';
import {
  ClassicGroup,
  EMPTY_BUFFER,
  type JoinResult,
  Member,
  type Protocol,
  type SyncResult,
  UNKNOWN_MEMBER_ID,
  joinError,
  syncError,
} from './group.js';
import type { Group } from './group-type.js';
import type { GroupMetadataValue, GroupRecord } from './records.js';
import type { Tx } from './runtime.js';
import { type GroupManagerDeps, GroupTypeManager } from './group-type-manager.js';

export interface ClassicGroupConfig {
  maxGroupSize: number;
  initialRebalanceDelayMs: number;
  /** How long a new member's JoinGroup may wait (Kafka: 5 minutes, not configurable). */
  newMemberJoinTimeoutMs: number;
}

export interface JoinParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+ answers a first join with MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+ lets a rejoining static leader skip the assignment. */
  supportsSkipAssignment: boolean;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export type LeaveResult = { errorCode: number; members: Array<MemberIdentity & { errorCode: number }> };

/**
 * The classic protocol's requests to a consumer group (its classic members after an online
 * upgrade, or classic clients joining one): served by the consumer group manager.
 */
export interface ClassicRequestsToConsumerGroups {
  join(group: ConsumerGroup, p: JoinParams, tx: Tx<GroupRecord>): JoinResult | ((appendError: number) => JoinResult);
  sync(group: ConsumerGroup, p: SyncParams): SyncResult;
  heartbeat(group: ConsumerGroup, p: { generationId: number; memberId: string; groupInstanceId: string | null }): number;
  leave(group: ConsumerGroup, members: readonly MemberIdentity[], tx: Tx<GroupRecord>): LeaveResult;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

export class ClassicGroupManager extends GroupTypeManager<ClassicGroup> {
  readonly #config: ClassicGroupConfig;
  readonly #consumerGroups: ClassicRequestsToConsumerGroups;

  constructor(deps: GroupManagerDeps, opts: {
    config: ClassicGroupConfig;
    consumerGroups: ClassicRequestsToConsumerGroups;
  }) {
    super(deps, (g): g is ClassicGroup => g instanceof ClassicGroup);
    this.#consumerGroups = opts.consumerGroups;
    this.#config = opts.config;
  }



  /** Members of the partition's loaded groups must heartbeat again, as Kafka does once a partition is loaded. */
  loaded(partition: number): void {
    for (const group of this.groups.values()) {
      if (!(group instanceof ClassicGroup) || this.partitionFor(group.groupId) !== partition) continue;
      for (const m of group.members.values()) this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
      if (group.members.size > this.#config.maxGroupSize) {
        void this.execute(group.groupId, (tx) => {
          const g = this.ownGroup(group.groupId);
          if (g && g.canRebalance()) this.#prepareRebalance(g, tx);
        });
      }
    }
  }

  /** Answers every waiting JoinGroup and SyncGroup: this node is no longer the coordinator. */
  close(): void {
    for (const g of this.groups.values()) {
      if (!(g instanceof ClassicGroup)) continue;
      for (const m of g.members.values()) {
        g.completeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        g.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  // ---- JoinGroup ----

  join(p: JoinParams): Promise<JoinResult> {
    return this.execute(p.groupId, (tx) => {
      const answer = deferred<JoinResult>();
      const groupId = p.groupId;
      const isUnknown = p.memberId === UNKNOWN_MEMBER_ID;
      const other = this.groups.get(groupId);
      // A consumer group with members takes classic members too (KIP-848 online migration).
      if (other instanceof ConsumerGroup && !other.isEmpty()) return this.#consumerGroups.join(other, p, tx);
      if (other && !(other instanceof ClassicGroup)) {
        // A share group never takes classic members.
        if (other.type === 'share' || !other.isEmpty() || !isUnknown) return joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
        // An empty one becomes a classic group; its offsets stay.
        tx.records.push(...other.tombstones());
      }
      let group = this.ownGroup(groupId);
      const isNew = group === undefined;
      if (!group) {
        if (!isUnknown) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
        group = new ClassicGroup(groupId, this.now);
        this.groups.set(groupId, group);
      }
      if (!this.#acceptJoiningMember(group, p.memberId)) {
        group.remove(p.memberId);
        answer.resolve(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknown) {
        this.#joinNewMember(group, p, answer.resolve, tx);
      } else {
        this.#joinExistingMember(group, p, answer.resolve, tx);
      }
      if (isNew && !tx.records.some((r) => r.type === 'group')) {
        // Kafka writes an empty group record so that a new group survives a restart.
        tx.records.push(this.#groupRecord(group, new Map()));
      }
      return answer.promise;
    });
  }

  #acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.#config.maxGroupSize;
      default:
        return group.hasMember(memberId) || group.members.size < this.#config.maxGroupSize;
    }
  }

  #joinNewMember(group: ClassicGroup, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx<GroupRecord>): void {
    if (group.is('Dead')) return resolve(joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const existing = group.staticMemberId(p.groupInstanceId);
      if (existing !== undefined) return this.#replaceStaticMember(group, p, existing, newMemberId, resolve, tx);
      return this.#addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, resolve, tx);
    }
    if (p.requireKnownMemberId) {
      group.pendingJoin.add(newMemberId);
      this.#scheduleHeartbeat(group, newMemberId, p.sessionTimeoutMs);
      return resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.#addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, resolve, tx);
  }

  #joinExistingMember(group: ClassicGroup, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx<GroupRecord>): void {
    const { memberId } = p;
    if (group.is('Dead')) return resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingJoin.has(memberId)) {
      // A pending member is always dynamic; it now joins for real.
      return this.#addMemberThenRebalanceOrCompleteJoin(group, p, memberId, resolve, tx);
    }
    const invalid = group.validateMember(memberId, p.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return resolve(joinError(memberId, invalid));
    const member = group.member(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, tx);
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // The member lost its JoinGroup answer: give it the current generation again.
          return resolve(this.#joinAnswer(group, member, group.isLeader(memberId)));
        }
        return this.#updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, tx);
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(p.protocols)) {
          // The leader rejoining forces a rebalance (metadata changes the members cannot see).
          return this.#updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, tx);
        }
        return resolve(this.#joinAnswer(group, member, false));
      default:
        return resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #joinAnswer(group: ClassicGroup, member: Member, withMembers: boolean, skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members: withMembers ? group.joinMembers() : [],
    };
  }

  #updateMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, member: Member, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx<GroupRecord>): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);
    this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
  }

  #addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinParams, memberId: string, resolve: (r: JoinResult) => void, tx: Tx<GroupRecord>): void {
    const member = new Member(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, p.protocols);
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, resolve);
    // A new member cannot heartbeat before its first answer: bound its JoinGroup instead.
    this.#scheduleHeartbeat(group, memberId, this.#config.newMemberJoinTimeoutMs);
    this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
  }

  #replaceStaticMember(group: ClassicGroup, p: JoinParams, oldMemberId: string, newMemberId: string, resolve: (r: JoinResult) => void, tx: Tx<GroupRecord>): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId;
    const before = group.snapshot();
    const oldSessionTimeoutMs = group.member(oldMemberId).sessionTimeoutMs;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.runtime.cancel(this.#heartbeatKey(group.groupId, oldMemberId));
    this.#scheduleHeartbeat(group, newMemberId, member.sessionTimeoutMs);
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);

    if (group.is('Stable')) {
      if ((group.protocolName ?? '') === group.selectProtocol()) {
        // A restart within the session timeout: no rebalance, persist the new member id.
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        tx.records.push(this.#groupRecord(group, assignment));
        tx.after.push(() => {
          if (p.supportsSkipAssignment) {
            const isLeader = group.isLeader(newMemberId);
            group.completeJoin(member, this.#joinAnswer(group, member, isLeader, isLeader));
          } else {
            group.completeJoin(member, { ...this.#joinAnswer(group, member, false), leader: currentLeader ?? '' });
          }
        });
        // Not written: the old member id stays the instance's.
        tx.snapshots.push(before);
        tx.failed.push((code) => {
          this.runtime.cancel(this.#heartbeatKey(group.groupId, newMemberId));
          this.#scheduleHeartbeat(group, oldMemberId, oldSessionTimeoutMs);
          resolve({ ...this.#joinAnswer(group, member, false), memberId: UNKNOWN_MEMBER_ID, leader: currentLeader ?? '', errorCode: code });
        });
        return;
      }
      return this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
    }
    if (group.is('CompletingRebalance')) {
      // The leader may be assigning to the old member id: start over.
      return this.#prepareRebalance(group, tx);
    }
    this.#maybeCompleteJoinPhase(group, tx);
  }

  #maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, tx: Tx<GroupRecord>): void {
    if (group.canRebalance()) this.#prepareRebalance(group, tx);
    else this.#maybeCompleteJoinPhase(group, tx);
  }

  #prepareRebalance(group: ClassicGroup, tx: Tx<GroupRecord>): void {
    if (group.is('CompletingRebalance')) this.#resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.pendingSync.clear();
    this.runtime.cancel(this.#syncKey(group.groupId));
    const initial = group.is('Empty');
    if (initial) {
      const delayMs = this.#config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.#schedule(this.#joinKey(group.groupId), delayMs, group.groupId, (g, t) => this.#tryCompleteInitialRebalance(g, delayMs, remainingMs, t));
    }
    group.transitionTo('PreparingRebalance');
    this.logger.debug({ groupId: group.groupId, generation: group.generationId }, 'preparing to rebalance');
    if (!initial) this.#maybeCompleteJoinElseSchedule(group, tx);
  }

  #maybeCompleteJoinElseSchedule(group: ClassicGroup, tx: Tx<GroupRecord>): void {
    if (group.hasAllMembersJoined()) return this.#completeJoin(group, tx);
    this.#schedule(this.#joinKey(group.groupId), group.rebalanceTimeoutMs(), group.groupId, (g, t) => this.#completeJoin(g, t));
  }

  #tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number, tx: Tx<GroupRecord>): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.#config.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.#schedule(this.#joinKey(group.groupId), nextDelay, group.groupId, (g, t) => this.#tryCompleteInitialRebalance(g, nextDelay, nextRemaining, t));
      return;
    }
    this.#completeJoin(group, tx);
  }

  #maybeCompleteJoinPhase(group: ClassicGroup, tx: Tx<GroupRecord>): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.previousState === 'Empty') return; // the initial rebalance ends on its timer
    if (!group.hasAllMembersJoined()) return;
    this.#completeJoin(group, tx);
  }

  /** The end of the join phase: drop dynamic members that did not rejoin, start the next generation. */
  #completeJoin(group: ClassicGroup, tx: Tx<GroupRecord>): void {
    this.runtime.cancel(this.#joinKey(group.groupId));
    for (const m of group.notYetRejoinedDynamicMembers()) {
      group.remove(m.memberId);
      this.runtime.cancel(this.#heartbeatKey(group.groupId, m.memberId));
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Nobody rejoined: wait until session timeouts have removed the silent members.
      this.#schedule(this.#joinKey(group.groupId), group.rebalanceTimeoutMs(), group.groupId, (g, t) => this.#completeJoin(g, t));
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      tx.records.push(this.#groupRecord(group, new Map()));
      return;
    }
    this.logger.debug({ groupId: group.groupId, generation: group.generationId, members: group.members.size }, 'group completed join');
    for (const m of group.members.values()) {
      group.completeJoin(m, this.#joinAnswer(group, m, group.isLeader(m.memberId)));
      this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
      m.isNew = false;
      group.pendingSync.add(m.memberId);
    }
    const generation = group.generationId;
    this.#schedule(this.#syncKey(group.groupId), group.rebalanceTimeoutMs(), group.groupId, (g, t) => this.#expirePendingSync(g, generation, t));
  }

  #expirePendingSync(group: ClassicGroup, generation: number, tx: Tx<GroupRecord>): void {
    if (generation !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSync.size === 0) return;
    for (const memberId of [...group.pendingSync]) {
      group.remove(memberId);
      this.runtime.cancel(this.#heartbeatKey(group.groupId, memberId));
    }
    this.#prepareRebalance(group, tx);
  }

  #resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
    this.#propagateAssignment(group, errorCode);
  }

  #propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const done = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      if (done) this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
    }
  }

  // ---- SyncGroup ----

  sync(p: SyncParams): Promise<SyncResult> {
    return this.execute(p.groupId, (tx) => {
      const other = this.groups.get(p.groupId);
      if (other instanceof ConsumerGroup) return this.#consumerGroups.sync(other, p);
      const group = this.ownGroup(p.groupId);
      if (!group || group.is('Empty')) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
      if (group.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const invalid = group.validateMember(p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return syncError(invalid);
      if (p.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
      if (isProtocolInconsistent(p.protocolType, group.protocolType) || isProtocolInconsistent(p.protocolName, group.protocolName)) {
        return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      }
      if (group.is('PreparingRebalance')) return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      const member = group.member(p.memberId);
      if (group.is('Stable')) {
        this.#removePendingSyncMember(group, p.memberId);
        return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
      }
      // CompletingRebalance: wait for the leader's assignment.
      const answer = deferred<SyncResult>();
      if (member.isAwaitingSync) {
        // Kafka replaces the awaiting future too (classicGroupSyncToClassicGroup), leaving the
        // first request unanswered; logged because a client that re-sends SyncGroup then waits
        // for an answer that never comes.
        this.logger.debug({ groupId: group.groupId, memberId: member.memberId, generation: group.generationId }, 'SyncGroup replaces a pending SyncGroup of the same member');
      }
      member.syncWaiter = answer.resolve;
      this.#removePendingSyncMember(group, p.memberId);
      if (group.isLeader(p.memberId)) {
        const assignment = new Map<string, Buffer>();
        for (const a of p.assignments) assignment.set(a.memberId, Buffer.from(a.assignment));
        for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BUFFER);
        // Replaying this record moves the group to Stable and answers every waiting member.
        tx.records.push(this.#groupRecord(group, assignment));
        const generation = group.generationId;
        tx.failed.push((code) => {
          if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
          this.#resetAndPropagateAssignmentWithError(group, code);
          // This write is over: records or callbacks added to it now would be dropped, so
          // the rebalance it leads to is an operation of its own, next on the partition.
          this.execute(group.groupId, (next) => {
            if (group.is('CompletingRebalance') && group.generationId === generation) this.#maybePrepareRebalanceOrCompleteJoin(group, next);
          }).catch((err: unknown) => {
            if (!(err instanceof KafkaError)) this.logger.error({ err, groupId: group.groupId }, 'rebalance after a failed assignment write failed');
          });
        });
      }
      return answer.promise;
    });
  }

  #removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0 || !(group.is('CompletingRebalance') || group.is('Stable'))) this.runtime.cancel(this.#syncKey(group.groupId));
  }

  // ---- Heartbeat ----

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): Promise<number> {
    return this.execute(p.groupId, () => {
      const other = this.groups.get(p.groupId);
      if (other instanceof ConsumerGroup) return this.#consumerGroups.heartbeat(other, p);
      const group = this.ownGroup(p.groupId);
      if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      const invalid = group.validateMember(p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      switch (group.state) {
        case 'Empty':
          return ErrorCode.UNKNOWN_MEMBER_ID;
        case 'PreparingRebalance':
          this.#scheduleHeartbeat(group, p.memberId, group.member(p.memberId).sessionTimeoutMs);
          return ErrorCode.REBALANCE_IN_PROGRESS;
        default:
          this.#scheduleHeartbeat(group, p.memberId, group.member(p.memberId).sessionTimeoutMs);
          return ErrorCode.NONE;
      }
    });
  }

  #expireHeartbeat(group: ClassicGroup, memberId: string, tx: Tx<GroupRecord>): void {
    if (group.is('Dead')) return;
    if (group.pendingJoin.has(memberId)) {
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.#completeJoin(group, tx);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.logger.info({ groupId: group.groupId, memberId }, 'member failed to heartbeat within its session timeout; removing it');
    this.#removeMemberAndUpdateGroup(group, member, tx);
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: Member, tx: Tx<GroupRecord>): void {
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.#completeJoin(group, tx);
  }

  // ---- LeaveGroup ----

  leave(groupId: string, members: MemberIdentity[]): Promise<LeaveResult> {
    return this.execute(groupId, (tx) => {
      const other = this.groups.get(groupId);
      if (other instanceof ConsumerGroup) return this.#consumerGroups.leave(other, members, tx);
      const group = this.ownGroup(groupId);
      if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
      if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
      const results: Array<MemberIdentity & { errorCode: number }> = [];
      for (const m of members) {
        let errorCode: number = ErrorCode.NONE;
        if (m.memberId === UNKNOWN_MEMBER_ID) {
          // Removal by instance id alone (the admin client's removeMembersFromConsumerGroup).
          const id = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
          if (id !== undefined) this.#removeCurrentMember(group, id);
          else errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        } else if (group.pendingJoin.has(m.memberId)) {
          group.remove(m.memberId);
          this.runtime.cancel(this.#heartbeatKey(groupId, m.memberId));
        } else {
          errorCode = group.validateMember(m.memberId, m.groupInstanceId);
          if (errorCode === ErrorCode.NONE) this.#removeCurrentMember(group, m.memberId);
        }
        results.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
      }
      if (results.some((r) => r.errorCode === ErrorCode.NONE)) {
        if (group.is('Stable') || group.is('CompletingRebalance')) this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
        else if (group.is('PreparingRebalance')) this.#maybeCompleteJoinPhase(group, tx);
      }
      return { errorCode: ErrorCode.NONE, members: results };
    });
  }

  #removeCurrentMember(group: ClassicGroup, memberId: string): void {
    const member = group.member(memberId);
    this.runtime.cancel(this.#heartbeatKey(group.groupId, memberId));
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  /**
   * A consumer group whose last consumer-protocol member left becomes `group` (Kafka's
   * convertToClassicGroup): its record is written, and its members rejoin in a rebalance
   * unless their assignments are current.
   */
  adoptConvertedGroup(group: ClassicGroup, previous: Group, tx: Tx<GroupRecord>, rebalance: boolean): void {
    tx.records.push(this.#groupRecord(group, new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]))));
    // In place at once, as in Kafka: the rebalance needs it, and replaying the record finds it live.
    this.groups.set(group.groupId, group);
    tx.snapshots.push(() => this.groups.set(group.groupId, previous));
    for (const m of group.members.values()) this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
    if (rebalance) this.#prepareRebalance(group, tx);
  }

  describe(group: ClassicGroup): GroupDescription {
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId: group.groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName) : EMPTY_BUFFER,
        memberAssignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
    };
  }

  // ---- Records: build and replay ----

  #groupRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupRecord {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp === null ? -1n : BigInt(group.stateTimestamp),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignment.get(m.memberId) ?? EMPTY_BUFFER,
      })),
    };
    if (group.members.size === 0) {
      value.protocol = null;
      value.leader = null;
      if (group.generationId === 0) value.protocolType = '';
    }
    return { type: 'group', key: { group: group.groupId }, value };
  }

  /** A group metadata record (Kafka's GroupMetadataManager.replay of GroupMetadataValue). */
  replay(rec: Extract<GroupRecord, { type: 'group' }>, loading: boolean): void {
    const groupId = rec.key.group;
    const live = this.ownGroup(groupId);
    if (rec.value === null) {
      if (live) this.#removeGroup(live);
      return;
    }
    if (!live || loading) {
      this.groups.set(groupId, this.#groupFromRecord(groupId, rec.value));
      return;
    }
    if (live.is('CompletingRebalance') && rec.value.generation === live.generationId && rec.value.members.length > 0) {
      // The leader's assignment is stored: the generation is now stable.
      const assignment = new Map(rec.value.members.map((m) => [m.memberId, m.assignment]));
      for (const m of live.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BUFFER;
      this.#propagateAssignment(live, ErrorCode.NONE);
      live.transitionTo('Stable');
    }
    // Otherwise the live group already holds what the record says (it wrote it).
  }

  #groupFromRecord(groupId: string, v: GroupMetadataValue): ClassicGroup {
    const g = new ClassicGroup(groupId, this.now, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null);
    g.generationId = v.generation;
    g.protocolType = v.protocolType === '' ? null : v.protocolType;
    g.protocolName = v.protocol;
    for (const m of v.members) {
      const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, v.protocolType, [
        { name: v.protocol ?? '', metadata: m.subscription },
      ]);
      member.assignment = m.assignment;
      g.add(member, null);
    }
    g.leaderId = v.leader;
    g.state = v.members.length > 0 ? 'Stable' : 'Empty';
    g.subscribedTopics = g.computeSubscribedTopics();
    return g;
  }

  #removeGroup(group: ClassicGroup): void {
    for (const m of group.members.values()) {
      this.runtime.cancel(this.#heartbeatKey(group.groupId, m.memberId));
      group.completeJoin(m, joinError(m.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      group.completeSync(m, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
    for (const id of group.pendingJoin) this.runtime.cancel(this.#heartbeatKey(group.groupId, id));
    this.runtime.cancel(this.#joinKey(group.groupId));
    this.runtime.cancel(this.#syncKey(group.groupId));
    group.transitionTo('Dead');
    this.groups.delete(group.groupId);
  }


  // ---- Timers ----

  #heartbeatKey(groupId: string, memberId: string): string {
    return `heartbeat\u0000${groupId}\u0000${memberId}`;
  }
  #joinKey(groupId: string): string {
    return `join\u0000${groupId}`;
  }
  #syncKey(groupId: string): string {
    return `sync\u0000${groupId}`;
  }

  #scheduleHeartbeat(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    this.#schedule(this.#heartbeatKey(group.groupId, memberId), timeoutMs, group.groupId, (g, tx) => this.#expireHeartbeat(g, memberId, tx));
  }

  /** (Re)arms the timer `key`; when it fires, `fn` runs as an operation on the group's partition. */
  #schedule(key: string, delayMs: number, groupId: string, fn: (group: ClassicGroup, tx: Tx<GroupRecord>) => void): void {
    this.runtime.schedule(key, delayMs, this.partitionFor(groupId), (tx) => {
      const group = this.ownGroup(groupId);
      if (group) fn(group, tx);
    });
  }
}
