/**
 * A classic group in memory: Kafka's ClassicGroup and ClassicGroupMember. The state
 * machine and its legal transitions are Kafka's:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
 *     ▲                 ▲        │ no member left                               │ leader's SyncGroup
 *     └─────────────────┼────────┘                                              ▼  (record appended)
 *                       └──────── member joins, leaves or times out ─────── Stable
 *   any state ──DeleteGroups / group tombstone──▶ Dead
 *
 * What Kafka persists (generation, protocol, leader, members and assignments, group and
 * offsets existence) changes only when a record is replayed (group-coordinator.ts); what it
 * keeps only in memory (who is awaiting a JoinGroup or SyncGroup answer, pending members,
 * PreparingRebalance/CompletingRebalance) lives here and is lost on restart, as in Kafka.
 */
import { Reader } from '../../protocol/codec/reader.js';
import { readConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Group, OffsetAndMetadata, OffsetCommitter } from './group-type.js';
import type { GroupRecord } from './records.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const UNKNOWN_MEMBER_ID = '';
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

export class Member {
  joinWaiter: ((r: JoinResult) => void) | null = null;
  syncWaiter: ((r: SyncResult) => void) | null = null;
  /** Joined but has not yet received a JoinGroup answer of a completed generation. */
  isNew = false;
  assignment: Buffer = EMPTY_BUFFER;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }
  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null;
  }

  metadata(protocol: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BUFFER;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return p.name;
  }

  /** Kafka's rule: a member awaiting a rebalance answer needs no heartbeat, unless it is new. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }
}

export class ClassicGroup implements Group {
  readonly type = 'classic';
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  /** When the group entered its state (ms); null until it changed state or was loaded with one. */
  stateTimestamp: number | null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  readonly staticMembers = new Map<string, string>();
  readonly pendingJoin = new Set<string>();
  readonly pendingSync = new Set<string>();
  numAwaitingJoin = 0;
  newMemberAdded = false;
  subscribedTopics: Set<string> | null = null;
  readonly #supportedProtocols = new Map<string, number>();

  constructor(
    readonly groupId: string,
    private readonly now: () => number,
    stateTimestamp: number | null = null,
  ) {
    this.stateTimestamp = stateTimestamp;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  isDead(): boolean {
    return this.state === 'Dead';
  }

  isEmpty(): boolean {
    return this.state === 'Empty';
  }

  stateName(): string {
    return this.state;
  }

  /** Kafka's ClassicGroup.validateMember: a static member's instance id must map to this member id. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMemberId(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.hasMember(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  validateOffsetCommit(c: OffsetCommitter, transactional: boolean): number {
    if (this.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (c.generationId < 0 && this.is('Empty')) return ErrorCode.NONE;
    if (c.generationId >= 0 || c.memberId !== '' || c.groupInstanceId !== null) {
      const invalid = this.validateMember(c.memberId, c.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (c.generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!transactional && !this.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // TxnOffsetCommit v0-v2 carry no member: accepted whatever the group's state.
    if (!transactional && this.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  validateOffsetFetch(): number {
    // A dead group's offsets read as absent (fetchOffsets), not as an error.
    return ErrorCode.NONE;
  }

  validateOffsetDelete(): number {
    return !this.is('Empty') && !this.usesConsumerGroupProtocol() ? ErrorCode.NON_EMPTY_GROUP : ErrorCode.NONE;
  }

  validateDeleteGroup(): number {
    if (this.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    return this.is('Empty') ? ErrorCode.NONE : ErrorCode.NON_EMPTY_GROUP;
  }

  /** Kafka's ClassicGroup.offsetExpirationCondition. */
  offsetExpirationBase(): ((o: OffsetAndMetadata) => number) | null {
    if (this.protocolType === null || this.protocolType === '') return (o) => Number(o.commitTimestamp);
    if (this.is('Empty')) return (o) => this.stateTimestamp ?? Number(o.commitTimestamp);
    if (this.usesConsumerGroupProtocol() && this.subscribedTopics !== null && this.is('Stable')) return (o) => Number(o.commitTimestamp);
    return null;
  }

  tombstones(): GroupRecord[] {
    return [{ type: 'group', key: { group: this.groupId }, value: null }];
  }

  /**
   * Everything an operation may change before its records are appended; calling the result
   * puts it back (the runtime does when the append fails).
   */
  snapshot(): () => void {
    const scalars = {
      state: this.state,
      previousState: this.previousState,
      stateTimestamp: this.stateTimestamp,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      numAwaitingJoin: this.numAwaitingJoin,
      newMemberAdded: this.newMemberAdded,
      subscribedTopics: this.subscribedTopics,
    };
    const members = [...this.members.values()].map((m) => [m, { ...m }] as const);
    const staticMembers = [...this.staticMembers];
    const pendingJoin = [...this.pendingJoin];
    const pendingSync = [...this.pendingSync];
    const supported = [...this.#supportedProtocols];
    return () => {
      Object.assign(this, scalars);
      this.members.clear();
      for (const [m, fields] of members) this.members.set(Object.assign(m, fields).memberId, m);
      reset(this.staticMembers, staticMembers);
      resetSet(this.pendingJoin, pendingJoin);
      resetSet(this.pendingSync, pendingSync);
      reset(this.#supportedProtocols, supported);
    };
  }

  transitionTo(state: GroupState): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = this.now();
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): Member {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  isStaticMemberFenced(groupInstanceId: string, memberId: string): boolean {
    const existing = this.staticMembers.get(groupInstanceId);
    return existing !== undefined && existing !== memberId;
  }

  usesConsumerGroupProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  add(member: Member, joinWaiter: ((r: JoinResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    this.#count(member, 1);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    member.joinWaiter = joinWaiter;
    if (joinWaiter) this.numAwaitingJoin++;
    this.pendingJoin.delete(member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): void {
    const m = this.members.get(memberId);
    if (m) {
      this.members.delete(memberId);
      this.#count(m, -1);
      if (m.isAwaitingJoin) this.numAwaitingJoin--;
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoin.delete(memberId);
    this.pendingSync.delete(memberId);
  }

  updateMember(member: Member, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, joinWaiter: ((r: JoinResult) => void) | null): void {
    this.#count(member, -1);
    member.protocols = protocols;
    this.#count(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (joinWaiter && !member.isAwaitingJoin) this.numAwaitingJoin++;
    else if (!joinWaiter && member.isAwaitingJoin) this.numAwaitingJoin--;
    member.joinWaiter = joinWaiter;
  }

  /** A static member rejoining with a new member id takes over the old member; a waiting old instance is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: number): Member {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.completeJoin(old, { ...joinError(oldMemberId, fenced) });
    this.completeSync(old, syncError(fenced));
    const m = new Member(newMemberId, old.groupInstanceId, old.clientId, old.clientHost, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols);
    m.assignment = old.assignment;
    this.members.set(newMemberId, m);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    return m;
  }

  completeJoin(member: Member, r: JoinResult): boolean {
    const w = member.joinWaiter;
    if (!w) return false;
    member.joinWaiter = null;
    this.numAwaitingJoin--;
    w(r);
    return true;
  }

  completeSync(member: Member, r: SyncResult): boolean {
    const w = member.syncWaiter;
    if (!w) return false;
    member.syncWaiter = null;
    w(r);
    return true;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingJoin.size === 0;
  }

  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** If the leader has not rejoined, the first member that has becomes leader. False when nobody rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Whether a member with these protocols could join: the group's type, and one protocol every member supports. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some((p) => (this.#supportedProtocols.get(p.name) ?? 0) === this.members.size);
  }

  /** Each member votes for its preferred protocol among those all support; most votes wins (first seen on a tie). */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, n] of this.#supportedProtocols) if (n === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const p = m.vote(candidates);
      votes.set(p, (votes.get(p) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [p, n] of votes) {
      if (n > bestVotes) {
        best = p;
        bestVotes = n;
      }
    }
    return best;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty');
    }
    this.pendingSync.clear();
  }

  /** The topics the members subscribe to when they speak the consumer protocol; null when unknown. */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        for (const t of readConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : this.usesConsumerGroupProtocol();
  }

  /** Members as a JoinGroup answer lists them for the leader. */
  joinMembers(): JoinResult['members'] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  notYetRejoinedDynamicMembers(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin && m.groupInstanceId === null);
  }

  #count(member: Member, delta: number): void {
    for (const p of member.protocols) this.#supportedProtocols.set(p.name, (this.#supportedProtocols.get(p.name) ?? 0) + delta);
  }
}

function reset<K, V>(m: Map<K, V>, entries: ReadonlyArray<readonly [K, V]>): void {
  m.clear();
  for (const [k, v] of entries) m.set(k, v);
}

function resetSet<T>(s: Set<T>, items: readonly T[]): void {
  s.clear();
  for (const x of items) s.add(x);
}
