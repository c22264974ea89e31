/**
 * The group coordinator (classic protocol): Kafka's GroupMetadataManager and
 * OffsetMetadataManager for one node that owns every __consumer_offsets partition.
 *
 * Shape: a state machine over its log. An operation runs against the current state, may
 * change the in-memory rebalance state Kafka never persists either (members awaiting
 * JoinGroup/SyncGroup answers, PreparingRebalance/CompletingRebalance, timers), and yields
 * the records to append plus its response. Records are appended to the group's partition,
 * then replayed; replaying is the only thing that changes persisted state: offsets, group
 * existence and deletion, and the assignment that makes a group Stable. Startup replays the
 * whole topic through the same `replay`, so restart, load and tests share one code path.
 *
 * Operations on one partition run one at a time (an append finishes and is replayed
 * before the next operation on that partition starts), as Kafka's coordinator runtime
 * serializes events per partition. Long-poll answers (JoinGroup, SyncGroup) are promises
 * that a later operation or a timer resolves.
 */
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { batches } from '../../protocol/records/record-batch.js';
import { ControlType, buildBatch, decodeControlRecord, decodeRecords } from '../../protocol/records/records.js';
import { KafkaError, ProducerStateError, StorageError } from '../../errors.js';
import type { TxnOffsetsParticipant } from '../txn/transaction-coordinator.js';
import { partitionForKey } from '../partitioner.js';
import {
  ClassicGroup,
  EMPTY_BUFFER,
  type GroupState,
  type JoinResult,
  Member,
  type Protocol,
  type SyncResult,
  UNKNOWN_MEMBER_ID,
  joinError,
  syncError,
} from './group.js';
import { type GroupMetadataValue, type GroupRecord, decodeGroupRecord, encodeRecordKey, encodeRecordValue } from './records.js';

export { UNKNOWN_MEMBER_ID } from './group.js';
export type { JoinResult, SyncResult, GroupState } from './group.js';

/** Where the coordinator's records live: the partitions of __consumer_offsets. */
export interface OffsetsTopicLog {
  readonly partitions: number;
  /** Creates the topic when it does not exist yet (Kafka: on the first FindCoordinator for a group). */
  ensure?(): Promise<void>;
  /** True while the topic is being created or the partition's log is not open yet. */
  opening?(partition: number): boolean;
  append(partition: number, batch: Buffer): Promise<void>;
  /** Every stored batch of the partition, from its start to its high watermark. */
  readBatches(partition: number): AsyncIterable<Buffer>;
}

export interface GroupCoordinatorConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxGroupSize: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes (Kafka: 4096). */
  offsetMetadataMaxBytes: number;
  /** How long a new member's JoinGroup may wait (Kafka: 5 minutes, not configurable). */
  newMemberJoinTimeoutMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  maxGroupSize: 2 ** 31 - 1,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
};

export interface OffsetAndMetadata {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1: none (only OffsetCommit v2-v4 with a retention time set one). */
  expireTimestamp: bigint;
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

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** -1: none (OffsetCommit v2-v4 only). */
  retentionTimeMs: bigint;
  apiVersion: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }>;
  }>;
}

/** TxnOffsetCommit as the group coordinator sees it (the transaction side is checked first). */
export type TxnCommitParams = Parameters<TxnOffsetsParticipant['commitTransactionalOffsets']>[0];

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedOffsets {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedPartition[] }>;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** The records an operation yields, and what to do once they are (or fail to be) appended. */
interface Tx {
  records: GroupRecord[];
  after: Array<() => void>;
  failed: Array<(errorCode: number) => void>;
  /** Set by TxnOffsetCommit: the records go out as a transactional batch of this producer. */
  producer?: { producerId: bigint; producerEpoch: number };
}

/**
 * A committed (or pending transactional) offset, with where its record stands in the
 * partition's log: Kafka keeps a pending offset only when it is newer than the one it would
 * replace (recordOffset). Replay follows log order, so a replay counter orders them the same.
 */
interface StoredOffset extends OffsetAndMetadata {
  order: number;
}

/** groupId → topic → partition → offset. */
type OffsetsByGroup = Map<string, Map<string, Map<number, StoredOffset>>>;

function getOffset(m: OffsetsByGroup, groupId: string, topic: string, partition: number): StoredOffset | undefined {
  return m.get(groupId)?.get(topic)?.get(partition);
}

function putOffset(m: OffsetsByGroup, groupId: string, topic: string, partition: number, o: StoredOffset): void {
  let byTopic = m.get(groupId);
  if (!byTopic) m.set(groupId, (byTopic = new Map()));
  let parts = byTopic.get(topic);
  if (!parts) byTopic.set(topic, (parts = new Map()));
  parts.set(partition, o);
}

function removeOffset(m: OffsetsByGroup, groupId: string, topic: string, partition: number): void {
  const byTopic = m.get(groupId);
  const parts = byTopic?.get(topic);
  if (!byTopic || !parts) return;
  parts.delete(partition);
  if (parts.size === 0) byTopic.delete(topic);
  if (byTopic.size === 0) m.delete(groupId);
}

interface TimerEntry {
  handle: NodeJS.Timeout;
  token: object;
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

const MAX_TIMER_MS = 2 ** 31 - 1;
/** An append to __consumer_offsets taking this long is logged (see #commit). */
const SLOW_APPEND_MS = 1000;
const NO_TIMESTAMP = -1n;

/** Kafka's mapping of a failed group metadata append to the error a client sees. */
function appendErrorCode(err: unknown): number {
  if (err instanceof StorageError) {
    return err.code === ErrorCode.KAFKA_STORAGE_ERROR ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  // A transactional batch refused by the partition's producer state (a fenced epoch).
  if (err instanceof ProducerStateError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

export class GroupCoordinator implements TxnOffsetsParticipant {
  readonly #log: OffsetsTopicLog;
  readonly #config: GroupCoordinatorConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #groups = new Map<string, ClassicGroup>();
  /** groupId → topic → partition → committed offset. */
  readonly #offsets: OffsetsByGroup = new Map();
  /**
   * Offsets of open transactions, by producer id (Kafka's pendingTransactionalOffsets): put
   * there by replaying a transactional OffsetCommit record, moved to #offsets by the commit
   * marker's replay, dropped by the abort marker's.
   */
  readonly #pendingTxnOffsets = new Map<bigint, OffsetsByGroup>();
  /** groupId → producer ids with pending offsets for it (Kafka's openTransactionsByGroup). */
  readonly #openTxnsByGroup = new Map<string, Set<bigint>>();
  /** Markers reported while their partition was still loading: applied once it is. */
  readonly #markersWhileLoading = new Map<number, Array<{ producerId: bigint; commit: boolean }>>();
  #replayOrder = 0;
  readonly #timers = new Map<string, TimerEntry>();
  readonly #chains = new Map<number, Promise<void>>();
  readonly #loading = new Set<number>();
  #closed = false;
  #retentionTimer: NodeJS.Timeout | undefined;

  constructor(opts: { log: OffsetsTopicLog; config?: Partial<GroupCoordinatorConfig>; logger: Logger; now?: () => number }) {
    this.#log = opts.log;
    this.#config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...opts.config };
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    for (let p = 0; p < this.#log.partitions; p++) this.#loading.add(p);
  }

  get config(): Readonly<GroupCoordinatorConfig> {
    return this.#config;
  }

  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.#log.partitions);
  }

  /** Creates __consumer_offsets when it does not exist yet; FindCoordinator and AddOffsetsToTxn call it. */
  ensureTopic(): Promise<void> {
    return this.#log.ensure?.() ?? Promise.resolve();
  }

  /**
   * True while the partition owning the group is being replayed, or its log opened
   * (COORDINATOR_LOAD_IN_PROGRESS; FindCoordinator answers COORDINATOR_NOT_AVAILABLE).
   */
  isLoading(groupId: string): boolean {
    return this.#partitionLoading(this.partitionFor(groupId));
  }

  #partitionLoading(partition: number): boolean {
    return this.#loading.has(partition) || this.#log.opening?.(partition) === true;
  }

  get isReady(): boolean {
    return this.#loading.size === 0 && !this.#closed;
  }

  /** Replays every partition of the topic, then arms member heartbeats and offset expiration. */
  async load(): Promise<void> {
    for (let p = 0; p < this.#log.partitions; p++) {
      await this.loadPartition(p);
    }
    this.#retentionTimer = setInterval(() => void this.expireOffsets().catch((err: unknown) => this.#logger.error({ err }, 'offset expiration failed')),
      Math.min(this.#config.offsetsRetentionCheckIntervalMs, MAX_TIMER_MS));
    this.#retentionTimer.unref();
  }

  async loadPartition(partition: number): Promise<void> {
    const started = this.#now();
    let count = 0;
    for await (const buf of this.#log.readBatches(partition)) {
      for (const { header, at } of batches(buf)) {
        if (header.isControl) {
          // A transaction marker: the producer's pending offsets become committed, or go.
          for (const rec of decodeRecords(buf, at)) {
            let type: number;
            try {
              type = decodeControlRecord(rec).type;
            } catch {
              continue;
            }
            if (type === ControlType.commit || type === ControlType.abort) this.#replayEndTransactionMarker(header.producerId, type === ControlType.commit);
          }
          continue;
        }
        for (const rec of decodeRecords(buf, at)) {
          if (rec.key === null) continue;
          const decoded = decodeGroupRecord(Buffer.from(rec.key), rec.value === null ? null : Buffer.from(rec.value));
          if (decoded) {
            this.#replay(decoded, true, header.producerId);
            count++;
          }
        }
      }
    }
    this.#loading.delete(partition);
    // Markers reported during the load may or may not have been read: applying one again
    // finds nothing pending (no operation can add offsets before the load ends).
    for (const m of this.#markersWhileLoading.get(partition) ?? []) this.#replayEndTransactionMarker(m.producerId, m.commit);
    this.#markersWhileLoading.delete(partition);
    // As Kafka does once a partition is loaded: members of loaded groups must heartbeat again.
    for (const group of this.#groups.values()) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      for (const m of group.members.values()) this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
      if (group.members.size > this.#config.maxGroupSize) {
        void this.#execute(group.groupId, (tx) => {
          const g = this.#groups.get(group.groupId);
          if (g && g.canRebalance()) this.#prepareRebalance(g, tx);
        });
      }
    }
    if (count > 0) this.#logger.info({ partition, records: count, ms: this.#now() - started }, 'loaded __consumer_offsets partition');
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    for (const t of this.#timers.values()) clearTimeout(t.handle);
    this.#timers.clear();
    for (const g of this.#groups.values()) {
      for (const m of g.members.values()) {
        g.completeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        g.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    await Promise.all([...this.#chains.values()]);
  }

  // ---- JoinGroup ----

  join(p: JoinParams): Promise<JoinResult> {
    return this.#execute(p.groupId, (tx) => {
      const answer = deferred<JoinResult>();
      const groupId = p.groupId;
      const isUnknown = p.memberId === UNKNOWN_MEMBER_ID;
      let group = this.#groups.get(groupId);
      const isNew = group === undefined;
      if (!group) {
        if (!isUnknown) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
        group = new ClassicGroup(groupId, this.#now);
        this.#groups.set(groupId, group);
      }
      if (!this.#acceptJoiningMember(group, p.memberId)) {
        group.remove(p.memberId);
        answer.resolve(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknown) {
        this.#joinNewMember(group, p, answer.resolve, tx);
      } else {
        this.#joinExistingMember(group, p, answer.resolve, tx);
      }
      if (isNew && tx.records.length === 0) {
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

  #joinNewMember(group: ClassicGroup, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx): void {
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

  #joinExistingMember(group: ClassicGroup, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx): void {
    const { memberId } = p;
    if (group.is('Dead')) return resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingJoin.has(memberId)) {
      // A pending member is always dynamic; it now joins for real.
      return this.#addMemberThenRebalanceOrCompleteJoin(group, p, memberId, resolve, tx);
    }
    const invalid = this.#validateMember(group, memberId, p.groupInstanceId);
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

  #updateMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, member: Member, p: JoinParams, resolve: (r: JoinResult) => void, tx: Tx): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);
    this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
  }

  #addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinParams, memberId: string, resolve: (r: JoinResult) => void, tx: Tx): void {
    const member = new Member(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, p.protocols);
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, resolve);
    // A new member cannot heartbeat before its first answer: bound its JoinGroup instead.
    this.#scheduleHeartbeat(group, memberId, this.#config.newMemberJoinTimeoutMs);
    this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
  }

  #replaceStaticMember(group: ClassicGroup, p: JoinParams, oldMemberId: string, newMemberId: string, resolve: (r: JoinResult) => void, tx: Tx): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.#cancel(this.#heartbeatKey(group.groupId, oldMemberId));
    this.#scheduleHeartbeat(group, newMemberId, member.sessionTimeoutMs);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
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
        tx.failed.push((code) => {
          group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          this.#cancel(this.#heartbeatKey(group.groupId, newMemberId));
          this.#scheduleHeartbeat(group, oldMemberId, old.sessionTimeoutMs);
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

  #maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, tx: Tx): void {
    if (group.canRebalance()) this.#prepareRebalance(group, tx);
    else this.#maybeCompleteJoinPhase(group, tx);
  }

  #prepareRebalance(group: ClassicGroup, tx: Tx): void {
    if (group.is('CompletingRebalance')) this.#resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.pendingSync.clear();
    this.#cancel(this.#syncKey(group.groupId));
    const initial = group.is('Empty');
    if (initial) {
      const delayMs = this.#config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.#schedule(this.#joinKey(group.groupId), delayMs, group.groupId, (g, t) => this.#tryCompleteInitialRebalance(g, delayMs, remainingMs, t));
    }
    group.transitionTo('PreparingRebalance');
    this.#logger.debug({ groupId: group.groupId, generation: group.generationId }, 'preparing to rebalance');
    if (!initial) this.#maybeCompleteJoinElseSchedule(group, tx);
  }

  #maybeCompleteJoinElseSchedule(group: ClassicGroup, tx: Tx): void {
    if (group.hasAllMembersJoined()) return this.#completeJoin(group, tx);
    this.#schedule(this.#joinKey(group.groupId), group.rebalanceTimeoutMs(), group.groupId, (g, t) => this.#completeJoin(g, t));
  }

  #tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number, tx: Tx): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.#config.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.#schedule(this.#joinKey(group.groupId), nextDelay, group.groupId, (g, t) => this.#tryCompleteInitialRebalance(g, nextDelay, nextRemaining, t));
      return;
    }
    this.#completeJoin(group, tx);
  }

  #maybeCompleteJoinPhase(group: ClassicGroup, tx: Tx): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.previousState === 'Empty') return; // the initial rebalance ends on its timer
    if (!group.hasAllMembersJoined()) return;
    this.#completeJoin(group, tx);
  }

  /** The end of the join phase: drop dynamic members that did not rejoin, start the next generation. */
  #completeJoin(group: ClassicGroup, tx: Tx): void {
    this.#cancel(this.#joinKey(group.groupId));
    for (const m of group.notYetRejoinedDynamicMembers()) {
      group.remove(m.memberId);
      this.#cancel(this.#heartbeatKey(group.groupId, m.memberId));
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
    this.#logger.debug({ groupId: group.groupId, generation: group.generationId, members: group.members.size }, 'group completed join');
    for (const m of group.members.values()) {
      group.completeJoin(m, this.#joinAnswer(group, m, group.isLeader(m.memberId)));
      this.#scheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
      m.isNew = false;
      group.pendingSync.add(m.memberId);
    }
    const generation = group.generationId;
    this.#schedule(this.#syncKey(group.groupId), group.rebalanceTimeoutMs(), group.groupId, (g, t) => this.#expirePendingSync(g, generation, t));
  }

  #expirePendingSync(group: ClassicGroup, generation: number, tx: Tx): void {
    if (generation !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSync.size === 0) return;
    for (const memberId of [...group.pendingSync]) {
      group.remove(memberId);
      this.#cancel(this.#heartbeatKey(group.groupId, memberId));
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
    return this.#execute(p.groupId, (tx) => {
      const group = this.#groups.get(p.groupId);
      if (!group || group.is('Empty')) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
      if (group.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const invalid = this.#validateMember(group, p.memberId, p.groupInstanceId);
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
        this.#logger.debug({ groupId: group.groupId, memberId: member.memberId, generation: group.generationId }, 'SyncGroup replaces a pending SyncGroup of the same member');
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
          this.#execute(group.groupId, (next) => {
            if (group.is('CompletingRebalance') && group.generationId === generation) this.#maybePrepareRebalanceOrCompleteJoin(group, next);
          }).catch((err: unknown) => {
            if (!(err instanceof KafkaError)) this.#logger.error({ err, groupId: group.groupId }, 'rebalance after a failed assignment write failed');
          });
        });
      }
      return answer.promise;
    });
  }

  #removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0 || !(group.is('CompletingRebalance') || group.is('Stable'))) this.#cancel(this.#syncKey(group.groupId));
  }

  // ---- Heartbeat ----

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): Promise<number> {
    return this.#execute(p.groupId, () => {
      const group = this.#groups.get(p.groupId);
      if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      const invalid = this.#validateMember(group, p.memberId, p.groupInstanceId);
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

  #expireHeartbeat(group: ClassicGroup, memberId: string, tx: Tx): void {
    if (group.is('Dead')) return;
    if (group.pendingJoin.has(memberId)) {
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.#completeJoin(group, tx);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.#logger.info({ groupId: group.groupId, memberId }, 'member failed to heartbeat within its session timeout; removing it');
    this.#removeMemberAndUpdateGroup(group, member, tx);
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: Member, tx: Tx): void {
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.#maybePrepareRebalanceOrCompleteJoin(group, tx);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.#completeJoin(group, tx);
  }

  // ---- LeaveGroup ----

  leave(groupId: string, members: MemberIdentity[]): Promise<{ errorCode: number; members: Array<MemberIdentity & { errorCode: number }> }> {
    return this.#execute(groupId, (tx) => {
      const group = this.#groups.get(groupId);
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
          this.#cancel(this.#heartbeatKey(groupId, m.memberId));
        } else {
          errorCode = this.#validateMember(group, m.memberId, m.groupInstanceId);
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
    this.#cancel(this.#heartbeatKey(group.groupId, memberId));
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  #validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = group.staticMemberId(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return group.hasMember(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---- Offsets ----

  /** Error codes in the request's topic and partition order (a single code when the whole commit fails). */
  commitOffsets(p: CommitParams): Promise<number | number[][]> {
    return this.#execute<number | number[][]>(p.groupId, (tx) => {
      const group = this.#groups.get(p.groupId);
      if (!group) {
        if (p.generationId >= 0) return p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
        // A simple (admin or manually assigned) group: created when its first offset is replayed.
      } else {
        const invalid = this.#validateOffsetCommit(group, p);
        if (invalid !== ErrorCode.NONE) return invalid;
      }
      const now = BigInt(this.#now());
      const expireTimestamp = p.retentionTimeMs === -1n ? NO_TIMESTAMP : now + p.retentionTimeMs;
      const codes = p.topics.map((t) =>
        t.partitions.map((part) => {
          const metadata = part.committedMetadata ?? '';
          if (Buffer.byteLength(metadata) > this.#config.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
          tx.records.push({
            type: 'offset',
            key: { group: p.groupId, topic: t.name, partition: part.partitionIndex },
            value: {
              offset: part.committedOffset,
              leaderEpoch: part.committedLeaderEpoch,
              metadata,
              commitTimestamp: part.commitTimestamp === NO_TIMESTAMP ? now : part.commitTimestamp,
              expireTimestamp,
              topicId: ZERO_UUID,
            },
          });
          return ErrorCode.NONE as number;
        }),
      );
      return (appendError: number) => (appendError === ErrorCode.NONE ? codes : codes.map((ps) => ps.map((c) => (c === ErrorCode.NONE ? appendError : c))));
    });
  }

  #validateOffsetCommit(group: ClassicGroup, p: CommitParams): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.#validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * Committed offsets of a group: the partitions asked for, or every one when topics is null.
   * With requireStable (OffsetFetch v7+), a partition with offsets pending in an open
   * transaction answers UNSTABLE_OFFSET_COMMIT instead, as Kafka's fetchOffsets does.
   */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, requireStable = false): FetchedOffsets {
    if (this.#closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    if (this.isLoading(groupId)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] };
    const group = this.#groups.get(groupId);
    const live = group !== undefined && !group.is('Dead');
    const offsets = live ? this.#offsets.get(groupId) : undefined;
    const fetched = (topic: string, o: OffsetAndMetadata | undefined, partitionIndex: number): FetchedPartition => {
      if (live && requireStable && this.hasPendingTransactionalOffsets(groupId, topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      return o
        ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      return {
        errorCode: ErrorCode.NONE,
        topics: [...(offsets ?? new Map<string, Map<number, StoredOffset>>())].map(([name, parts]) => ({
          name,
          partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([i, o]) => fetched(name, o, i)),
        })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => fetched(t.name, offsets?.get(t.name)?.get(i), i)) })),
    };
  }

  /** True when an open transaction holds offsets for the group's partition (Kafka's hasPendingTransactionalOffsets). */
  hasPendingTransactionalOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const pid of this.#openTxnsByGroup.get(groupId) ?? []) {
      if (getOffset(this.#pendingTxnOffsets.get(pid) ?? new Map(), groupId, topic, partition)) return true;
    }
    return false;
  }

  // ---- Transactional offsets (TxnOffsetsParticipant) ----

  /**
   * TxnOffsetCommit: Kafka's commitTransactionalOffset. The group and member are checked as
   * ClassicGroup.validateOffsetCommit does for transactional commits (no member needed, no
   * REBALANCE_IN_PROGRESS), then the offsets are written as one transactional batch of the
   * producer; replaying it stages them as pending until the transaction's marker.
   */
  commitTransactionalOffsets(p: TxnCommitParams): Promise<number | number[][]> {
    if (p.groupId === '') return Promise.resolve(ErrorCode.INVALID_GROUP_ID);
    return this.#execute<number | number[][]>(p.groupId, (tx) => {
      const group = this.#groups.get(p.groupId);
      if (!group) {
        // generation -1: a simple group, created when the first offset is replayed.
        if (p.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      } else {
        const invalid = this.#validateTxnOffsetCommit(group, p);
        if (invalid !== ErrorCode.NONE) return invalid;
      }
      // Checked again right before the append: an EndTxn that started since the handler's
      // check would otherwise put its marker before these offsets.
      const stillOpen = p.verify?.() ?? ErrorCode.NONE;
      if (stillOpen !== ErrorCode.NONE) return stillOpen;
      const now = BigInt(this.#now());
      const codes = p.topics.map((t) =>
        t.partitions.map((part) => {
          const metadata = part.committedMetadata ?? '';
          if (Buffer.byteLength(metadata) > this.#config.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
          tx.records.push({
            type: 'offset',
            key: { group: p.groupId, topic: t.name, partition: part.partitionIndex },
            value: { offset: part.committedOffset, leaderEpoch: part.committedLeaderEpoch, metadata, commitTimestamp: now, expireTimestamp: NO_TIMESTAMP, topicId: ZERO_UUID },
          });
          return ErrorCode.NONE as number;
        }),
      );
      tx.producer = { producerId: p.producerId, producerEpoch: p.producerEpoch };
      return (appendError: number) => (appendError === ErrorCode.NONE ? codes : codes.map((ps) => ps.map((c) => (c === ErrorCode.NONE ? appendError : c))));
    });
  }

  #validateTxnOffsetCommit(group: ClassicGroup, p: TxnCommitParams): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.#validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    // TxnOffsetCommit v0-v2 carry no member: accepted whatever the group's state.
    return ErrorCode.NONE;
  }

  /**
   * The transaction's marker is in __consumer_offsets-`partition` (written by the transaction
   * coordinator): replay it after whatever the partition is doing, as Kafka's
   * replayEndTransactionMarker does after the runtime wrote it.
   */
  completeTransaction(partition: number, producerId: bigint, _producerEpoch: number, commit: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (this.#loading.has(partition)) {
      const list = this.#markersWhileLoading.get(partition) ?? [];
      list.push({ producerId, commit });
      this.#markersWhileLoading.set(partition, list);
      return Promise.resolve();
    }
    return this.#serialize(partition, async () => this.#replayEndTransactionMarker(producerId, commit));
  }

  #replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    const pending = this.#pendingTxnOffsets.get(producerId);
    if (!pending) return;
    this.#pendingTxnOffsets.delete(producerId);
    for (const groupId of pending.keys()) {
      const open = this.#openTxnsByGroup.get(groupId);
      open?.delete(producerId);
      if (open?.size === 0) this.#openTxnsByGroup.delete(groupId);
    }
    if (!commit) return;
    for (const [groupId, byTopic] of pending) {
      for (const [topic, parts] of byTopic) {
        for (const [partition, o] of parts) {
          const existing = getOffset(this.#offsets, groupId, topic, partition);
          // The newest record wins, whether transactional or not (Kafka compares record offsets).
          if (!existing || o.order > existing.order) putOffset(this.#offsets, groupId, topic, partition, o);
        }
      }
    }
  }

  /** OffsetDelete: a top-level error, or per-partition codes in request order. */
  deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<number | number[][]> {
    return this.#execute(groupId, (tx) => {
      const group = this.#groups.get(groupId);
      if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
      if (!group.is('Empty') && !group.usesConsumerGroupProtocol()) return ErrorCode.NON_EMPTY_GROUP;
      const offsets = this.#offsets.get(groupId);
      const codes = topics.map((t) => {
        const subscribed = group.isSubscribedToTopic(t.name);
        return t.partitions.map((partition) => {
          if (subscribed) return ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC as number;
          if (offsets?.get(t.name)?.has(partition) || this.hasPendingTransactionalOffsets(groupId, t.name, partition)) tx.records.push({ type: 'offset', key: { group: groupId, topic: t.name, partition }, value: null });
          return ErrorCode.NONE as number;
        });
      });
      return (appendError: number) => (appendError === ErrorCode.NONE ? codes : appendError);
    });
  }

  // ---- Describe, list, delete ----

  describeGroup(groupId: string): GroupDescription {
    const base = { groupId, protocolType: '', protocolData: '', members: [] };
    if (this.#closed) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupState: '' };
    if (this.isLoading(groupId)) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groupState: '' };
    const group = this.#groups.get(groupId);
    if (!group) return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
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

  /** Groups whose state and type pass the filters (case-insensitive; empty filter: all). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has('classic')) return [];
    const out: ListedGroup[] = [];
    for (const g of this.#groups.values()) {
      if (g.is('Dead') || this.isLoading(g.groupId)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return out;
  }

  deleteGroup(groupId: string): Promise<number> {
    return this.#execute(groupId, (tx) => {
      const group = this.#groups.get(groupId);
      if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
      if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
      this.#deleteGroupRecords(group, tx);
      return (appendError: number) => appendError;
    });
  }

  #deleteGroupRecords(group: ClassicGroup, tx: Tx): void {
    const groupId = group.groupId;
    for (const [topic, parts] of this.#offsets.get(groupId) ?? []) {
      for (const partition of parts.keys()) tx.records.push({ type: 'offset', key: { group: groupId, topic, partition }, value: null });
    }
    // Pending transactional offsets too (one tombstone per partition, as Kafka's deleteAllOffsets).
    const pendingParts = new Set<string>();
    for (const pid of this.#openTxnsByGroup.get(groupId) ?? []) {
      for (const [topic, parts] of this.#pendingTxnOffsets.get(pid)?.get(groupId) ?? []) {
        for (const partition of parts.keys()) {
          const k = `${partition}\u0000${topic}`;
          if (getOffset(this.#offsets, groupId, topic, partition) || pendingParts.has(k)) continue;
          pendingParts.add(k);
          tx.records.push({ type: 'offset', key: { group: groupId, topic, partition }, value: null });
        }
      }
    }
    tx.records.push({ type: 'group', key: { group: group.groupId }, value: null });
  }

  /** offsets.retention.minutes: tombstones for expired offsets, and for empty groups left without any. */
  async expireOffsets(): Promise<number> {
    let expired = 0;
    const byPartition = new Map<number, string[]>();
    for (const id of this.#groups.keys()) {
      const p = this.partitionFor(id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    }
    for (const ids of byPartition.values()) {
      await this.#execute(ids[0]!, (tx) => {
        for (const id of ids) {
          const group = this.#groups.get(id);
          if (group) expired += this.#expireGroupOffsets(group, tx);
        }
      });
    }
    return expired;
  }

  #expireGroupOffsets(group: ClassicGroup, tx: Tx): number {
    const now = this.#now();
    const retention = this.#config.offsetsRetentionMs;
    let base: ((o: OffsetAndMetadata) => number) | null = null;
    if (group.protocolType !== null && group.protocolType !== '') {
      if (group.is('Empty')) base = (o) => group.stateTimestamp ?? Number(o.commitTimestamp);
      else if (group.usesConsumerGroupProtocol() && group.subscribedTopics !== null && group.is('Stable')) base = (o) => Number(o.commitTimestamp);
    } else {
      base = (o) => Number(o.commitTimestamp);
    }
    const offsets = this.#offsets.get(group.groupId);
    let all = true;
    let n = 0;
    if (offsets) {
      for (const [topic, parts] of offsets) {
        const skip = base === null || group.isSubscribedToTopic(topic);
        for (const [partition, o] of parts) {
          // An offset with a transactional commit pending is kept until the transaction ends.
          const isExpired =
            !skip &&
            (o.expireTimestamp >= 0n ? BigInt(now) >= o.expireTimestamp : now - base!(o) >= retention) &&
            !this.hasPendingTransactionalOffsets(group.groupId, topic, partition);
          if (isExpired) {
            tx.records.push({ type: 'offset', key: { group: group.groupId, topic, partition }, value: null });
            n++;
          } else {
            all = false;
          }
        }
      }
    }
    // A group with open transactions stays (Kafka's cleanupExpiredOffsets).
    if (all && group.is('Empty') && !this.#openTxnsByGroup.has(group.groupId)) tx.records.push({ type: 'group', key: { group: group.groupId }, value: null });
    return n;
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

  /**
   * The only way persisted state changes: at load, and after each append. `producerId` is
   * the batch's: an offset record of a producer's batch is a transactional commit, pending
   * until its marker (Kafka's OffsetMetadataManager.replay).
   */
  #replay(rec: GroupRecord, loading: boolean, producerId = -1n): void {
    if (rec.type === 'offset') {
      const { group: groupId, topic, partition } = rec.key;
      if (rec.value === null) {
        removeOffset(this.#offsets, groupId, topic, partition);
        // A tombstone also drops what open transactions staged for the partition.
        for (const pid of this.#openTxnsByGroup.get(groupId) ?? []) {
          const pending = this.#pendingTxnOffsets.get(pid);
          if (pending) removeOffset(pending, groupId, topic, partition);
        }
        return;
      }
      if (!this.#groups.has(groupId)) this.#groups.set(groupId, new ClassicGroup(groupId, this.#now));
      const v = rec.value;
      const stored: StoredOffset = {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: v.commitTimestamp,
        expireTimestamp: v.expireTimestamp,
        order: this.#replayOrder++,
      };
      if (producerId < 0n) {
        putOffset(this.#offsets, groupId, topic, partition, stored);
        return;
      }
      let pending = this.#pendingTxnOffsets.get(producerId);
      if (!pending) this.#pendingTxnOffsets.set(producerId, (pending = new Map()));
      putOffset(pending, groupId, topic, partition, stored);
      let open = this.#openTxnsByGroup.get(groupId);
      if (!open) this.#openTxnsByGroup.set(groupId, (open = new Set()));
      open.add(producerId);
      return;
    }
    const groupId = rec.key.group;
    const live = this.#groups.get(groupId);
    if (rec.value === null) {
      if (live) this.#removeGroup(live);
      return;
    }
    if (!live || loading) {
      this.#groups.set(groupId, this.#groupFromRecord(groupId, rec.value));
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
    const g = new ClassicGroup(groupId, this.#now, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null);
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
      this.#cancel(this.#heartbeatKey(group.groupId, m.memberId));
      group.completeJoin(m, joinError(m.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      group.completeSync(m, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
    for (const id of group.pendingJoin) this.#cancel(this.#heartbeatKey(group.groupId, id));
    this.#cancel(this.#joinKey(group.groupId));
    this.#cancel(this.#syncKey(group.groupId));
    group.transitionTo('Dead');
    this.#groups.delete(group.groupId);
  }

  // ---- Execution: one operation at a time per partition ----

  /**
   * Runs `op` once earlier operations on the partition are appended and replayed, appends
   * the records it yields, replays them, then answers. `op` may answer with a value, a
   * promise (long polls), or a function of the append's error code (NONE when it worked).
   */
  #execute<R>(groupId: string, op: (tx: Tx) => R | Promise<R> | ((appendError: number) => R)): Promise<R> {
    if (this.#closed) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const partition = this.partitionFor(groupId);
    if (this.#partitionLoading(partition)) return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
    // The answer travels boxed: a long-poll promise must not hold up the partition's queue.
    return this.#serialize(partition, async () => {
      const tx: Tx = { records: [], after: [], failed: [] };
      const answer = op(tx);
      const appendError = await this.#commit(partition, tx);
      return { answer: typeof answer === 'function' ? (answer as (e: number) => R)(appendError) : answer };
    }).then((boxed) => boxed.answer);
  }

  #serialize<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(partition) ?? Promise.resolve();
    const next = prev.then(fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#chains.set(partition, tail);
    void tail.then(() => {
      if (this.#chains.get(partition) === tail) this.#chains.delete(partition);
    });
    return next;
  }

  async #commit(partition: number, tx: Tx): Promise<number> {
    if (tx.records.length > 0) {
      try {
        const batch = buildBatch({
          baseTimestamp: BigInt(this.#now()),
          records: tx.records.map((r) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r) })),
          // A transactional commit: the producer's batch, no sequence (as Kafka's coordinator runtime writes it).
          ...(tx.producer && { producerId: tx.producer.producerId, producerEpoch: tx.producer.producerEpoch, baseSequence: -1, isTransactional: true }),
        });
        const started = this.#now();
        await this.#log.append(partition, batch);
        const ms = this.#now() - started;
        // Every later operation on the partition (JoinGroup, SyncGroup, Heartbeat answers) waits
        // behind this append, so a slow one shows up to clients as a stuck rebalance.
        if (ms >= SLOW_APPEND_MS) this.#logger.warn({ partition, ms, records: tx.records.length }, 'slow __consumer_offsets append');
      } catch (err) {
        const code = appendErrorCode(err);
        this.#logger.warn({ err, partition }, 'could not append to __consumer_offsets');
        for (const f of tx.failed) f(code);
        return code;
      }
      for (const r of tx.records) this.#replay(r, false, tx.producer?.producerId ?? -1n);
    }
    for (const a of tx.after) a();
    return ErrorCode.NONE;
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
  #schedule(key: string, delayMs: number, groupId: string, fn: (group: ClassicGroup, tx: Tx) => void): void {
    if (this.#closed) return;
    this.#cancel(key);
    const token = {};
    const handle = setTimeout(() => {
      if (this.#timers.get(key)?.token !== token) return;
      void this.#execute(groupId, (tx) => {
        // Rescheduled or cancelled while waiting for its turn: skip.
        if (this.#timers.get(key)?.token !== token) return;
        this.#timers.delete(key);
        const group = this.#groups.get(groupId);
        if (group) fn(group, tx);
      }).catch((err: unknown) => {
        if (!(err instanceof KafkaError)) this.#logger.error({ err, groupId }, 'group timer failed');
      });
    }, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    handle.unref();
    this.#timers.set(key, { handle, token });
  }

  #cancel(key: string): void {
    const t = this.#timers.get(key);
    if (t) {
      clearTimeout(t.handle);
      this.#timers.delete(key);
    }
  }

  // ---- Introspection for tests and tools ----

  groupState(groupId: string): GroupState | undefined {
    return this.#groups.get(groupId)?.state;
  }

  /** Number of armed timers (tests check nothing leaks). */
  get timerCount(): number {
    return this.#timers.size;
  }
}

