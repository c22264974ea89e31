/**
 * The group coordinator: Kafka's GroupCoordinatorService for one node that owns every
 * __consumer_offsets partition. It wires the parts Kafka's coordinator is split into:
 *
 * - runtime.ts: per-partition serialization, append then replay, snapshots restored when an
 *   append fails, timers, loading (CoordinatorRuntime);
 * - one manager per group type: classic-group-manager.ts (JoinGroup, SyncGroup, Heartbeat,
 *   LeaveGroup), consumer-group-manager.ts (KIP-848: ConsumerGroupHeartbeat and Describe),
 *   share-group-manager.ts (KIP-932: ShareGroupHeartbeat, Describe and the share-group offsets),
 *   streams-group-manager.ts (KIP-1071: StreamsGroupHeartbeat and Describe);
 * - offsets-manager.ts: committed and transactional offsets of every group type.
 *
 * Every group lives in one map keyed by group id, whatever its type; requests for a group
 * of another type than theirs are refused as Kafka refuses them.
 */
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { KafkaError } from '../../errors.js';
import type { TxnOffsetsParticipant } from '../txn/transaction-coordinator.js';
import { partitionForKey } from '../partitioner.js';
import { assignorByConfigName } from './assignors.js';
import { ClassicGroupManager, type GroupDescription, type JoinParams, type MemberIdentity, type SyncParams } from './classic-group-manager.js';
import { type ConsumerGroupDescription, type ConsumerGroupSettings, ConsumerGroupManager, type HeartbeatParams, type HeartbeatResult } from './consumer-group-manager.js';
import type { GroupManagerDeps, TopicsView } from './group-type-manager.js';
import { ClassicGroup, type GroupState, type JoinResult, type SyncResult } from './group.js';
import type { MigrationPolicy } from './group-migration.js';
import type { Group, PartitionCheck } from './group-type.js';
import { type FetchedOffsets, OffsetsManager } from './offsets-manager.js';
import type { StreamsGroupDescription, StreamsGroupSettings, StreamsGroupManager, StreamsHeartbeatParams, StreamsHeartbeatResult } from './streams-group-manager.js';
import {
  type GroupRecord,
  type LazyGroupType,
  decodeGroupRecord,
  encodeRecordKey,
  encodeRecordValue,
  isShareGroupRecord,
  isStreamsGroupRecord,
  lazyGroupTypeOfKey,
  loadRecordFamily,
} from './records.js';
import { CoordinatorRuntime, MAX_TIMER_MS, type Operation, type OffsetsTopicLog } from './runtime.js';
import type { ShareGroupListener, ShareStateStore } from '../share/share-state-contract.js';
import type { ShareGroup } from './share-group.js';
import type { ShareGroupDescription, ShareGroupManager, ShareHeartbeatParams, ShareHeartbeatResult } from './share-group-manager.js';

export { UNKNOWN_MEMBER_ID } from './group.js';
export type { JoinResult, SyncResult, GroupState } from './group.js';
export type { OffsetsTopicLog } from './runtime.js';
export type { JoinParams, SyncParams, MemberIdentity, GroupDescription } from './classic-group-manager.js';
export type { OffsetAndMetadata } from './group-type.js';
export type { FetchedOffsets, FetchedPartition } from './offsets-manager.js';
export type { ConsumerGroupDescription, ConsumerGroupSettings, HeartbeatParams, HeartbeatResult } from './consumer-group-manager.js';
export type { TopicsView } from './group-type-manager.js';
export type { ShareGroupDescription, ShareHeartbeatParams, ShareHeartbeatResult } from './share-group-manager.js';
export type { StreamsGroupDescription, StreamsGroupSettings, StreamsHeartbeatParams, StreamsHeartbeatResult } from './streams-group-manager.js';

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
  /** group.consumer.* (KIP-848 consumer groups). */
  consumerSessionTimeoutMs: number;
  consumerHeartbeatIntervalMs: number;
  consumerMaxSize: number;
  /** Assignor names, the default first. */
  consumerAssignors: readonly string[];
  /** A consumer group's effective GROUP configs (session timeout, heartbeat interval); the broker-wide ones when unset. */
  consumerGroupSettings?: (groupId: string) => ConsumerGroupSettings | undefined;
  /** group.consumer.migration.policy */
  consumerMigrationPolicy: MigrationPolicy;
  /** group.share.* (KIP-932 share groups). */
  shareSessionTimeoutMs: number;
  shareHeartbeatIntervalMs: number;
  shareMaxSize: number;
  /** A share group's share.session.timeout.ms and share.heartbeat.interval.ms. */
  shareGroupSettings?: (groupId: string) => ConsumerGroupSettings | undefined;
  /** group.streams.max.size */
  streamsMaxSize: number;
  /** A streams group's effective settings (its streams.* GROUP configs over the broker's group.streams.*). */
  streamsGroupSettings: (groupId: string) => StreamsGroupSettings;
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
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
  consumerMaxSize: 2 ** 31 - 1,
  consumerAssignors: ['uniform', 'range'],
  consumerMigrationPolicy: 'bidirectional',
  streamsMaxSize: 2 ** 31 - 1,
  // Kafka 4.3's group.streams.* defaults.
  streamsGroupSettings: () => ({ sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000, numStandbyReplicas: 0, initialRebalanceDelayMs: 3_000, assignmentIntervalMs: 1_000 }),
  shareSessionTimeoutMs: 45_000,
  shareHeartbeatIntervalMs: 5_000,
  shareMaxSize: 200,
};

/** Without a share coordinator (tests of other group types): share groups cannot get share state. */
const NO_SHARE_STATE: ShareStateStore = {
  ensureInitialized: () => Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)),
  readSummary: () => Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)),
  partitionsOf: () => [],
  resetTo: () => Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)),
  delete: () => Promise.reject(new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)),
};

/** No topics: a coordinator built without a topic view (tests of the classic protocol). */
const NO_TOPICS: TopicsView = { byName: () => undefined, byId: () => undefined, names: () => [] };

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

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const NO_TIMESTAMP = -1n;

export class GroupCoordinator implements TxnOffsetsParticipant {
  readonly #config: GroupCoordinatorConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Every group, whatever its type (Kafka's GroupMetadataManager.groups). */
  readonly #groups = new Map<string, Group>();
  /** The partitions of __consumer_offsets this coordinator serves; undefined: all (a single broker). */
  #owned: Set<number> | undefined;
  readonly #runtime: CoordinatorRuntime<GroupRecord>;
  readonly #offsets: OffsetsManager;
  readonly #classic: ClassicGroupManager;
  readonly #consumer: ConsumerGroupManager;
  /**
   * Share and streams groups load on first use (their first request, or the first record of
   * their type a load replays): most brokers never see one, and their managers and record
   * codecs are ~240 kB of source every start would otherwise parse.
   */
  readonly #share: LazyManager<ShareGroupManager>;
  readonly #streams: LazyManager<StreamsGroupManager>;
  readonly #topics: TopicsView;
  #retentionTimer: NodeJS.Timeout | undefined;

  constructor(opts: {
    log: OffsetsTopicLog;
    config?: Partial<GroupCoordinatorConfig>;
    logger: Logger;
    now?: () => number;
    topics?: TopicsView;
    /** The share coordinator's side of share groups (part B of KIP-932). */
    shareState?: ShareStateStore;
    shareListener?: ShareGroupListener;
  }) {
    this.#config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...opts.config };
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#topics = opts.topics ?? NO_TOPICS;
    const now = this.#now;
    this.#offsets = new OffsetsManager({
      now,
      offsetMetadataMaxBytes: this.#config.offsetMetadataMaxBytes,
      offsetsRetentionMs: this.#config.offsetsRetentionMs,
      ensureGroup: (groupId) => {
        if (!this.#groups.has(groupId)) this.#groups.set(groupId, new ClassicGroup(groupId, now));
      },
    });
    this.#runtime = new CoordinatorRuntime<GroupRecord>({
      log: opts.log,
      logger: opts.logger,
      now,
      codec: { key: encodeRecordKey, value: encodeRecordValue, decode: decodeGroupRecord },
      shard: {
        replay: (rec, producerId, loading) => this.#replay(rec, producerId, loading),
        replayEndTransactionMarker: (producerId, commit) => this.#offsets.replayEndTransactionMarker(producerId, commit),
        beforeReplay: (key) => {
          const type = lazyGroupTypeOfKey(key);
          const manager = type === undefined ? undefined : this.#lazyManager(type);
          return manager === undefined || manager.current !== undefined ? undefined : manager.load();
        },
        loaded: (partition) => {
          this.#classic.loaded(partition);
          this.#consumer.loaded(partition);
          this.#share.current?.loaded(partition);
          this.#streams.current?.loaded(partition);
        },
      },
    });
    const deps: GroupManagerDeps = {
      runtime: this.#runtime,
      groups: this.#groups,
      topics: this.#topics,
      logger: opts.logger,
      now,
      partitionFor: (groupId) => this.partitionFor(groupId),
    };
    this.#classic = new ClassicGroupManager(deps, {
      config: this.#config,
      consumerGroups: {
        join: (group, p, tx) => this.#consumer.classicJoin(group, p, tx),
        sync: (group, p) => this.#consumer.classicSync(group, p),
        heartbeat: (group, p) => this.#consumer.classicHeartbeat(group, p),
        leave: (group, members, tx) => this.#consumer.classicLeave(group, members, tx),
      },
    });
    const assignors = this.#config.consumerAssignors.map((name) => {
      const a = assignorByConfigName(name);
      if (!a) throw new Error(`group.consumer.assignors: unknown assignor ${name} (uniform and range are served)`);
      return a;
    });
    this.#consumer = new ConsumerGroupManager(deps, {
      config: {
        sessionTimeoutMs: this.#config.consumerSessionTimeoutMs,
        heartbeatIntervalMs: this.#config.consumerHeartbeatIntervalMs,
        maxSize: this.#config.consumerMaxSize,
        assignors,
        groupSettings: this.#config.consumerGroupSettings,
        migrationPolicy: this.#config.consumerMigrationPolicy,
        classicMaxSize: this.#config.maxGroupSize,
      },
      adoptClassicGroup: (group, previous, tx, rebalance) => this.#classic.adoptConvertedGroup(group, previous, tx, rebalance),
    });
    this.#streams = new LazyManager('streams', async () => {
      const { StreamsGroupManager } = await import('./streams-group-manager.js');
      return new StreamsGroupManager(deps, {
        config: { maxSize: this.#config.streamsMaxSize, settings: this.#config.streamsGroupSettings },
      });
    });
    this.#share = new LazyManager('share', async () => {
      const { ShareGroupManager } = await import('./share-group-manager.js');
      return new ShareGroupManager(deps, {
        config: {
          sessionTimeoutMs: this.#config.shareSessionTimeoutMs,
          heartbeatIntervalMs: this.#config.shareHeartbeatIntervalMs,
          maxSize: this.#config.shareMaxSize,
          groupSettings: this.#config.shareGroupSettings,
        },
        store: opts.shareState ?? NO_SHARE_STATE,
        listener: opts.shareListener,
      });
    });
  }

  #lazyManager(type: LazyGroupType): LazyManager<unknown> {
    return type === 'share' ? this.#share : this.#streams;
  }

  get config(): Readonly<GroupCoordinatorConfig> {
    return this.#config;
  }

  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.#runtime.partitions);
  }

  /** Creates __consumer_offsets when it does not exist yet; FindCoordinator and AddOffsetsToTxn call it. */
  ensureTopic(): Promise<void> {
    return this.#runtime.ensureTopic();
  }

  /**
   * True while the partition owning the group is being replayed, or its log opened
   * (COORDINATOR_LOAD_IN_PROGRESS; FindCoordinator answers COORDINATOR_NOT_AVAILABLE).
   */
  isLoading(groupId: string): boolean {
    return this.#runtime.isLoading(this.partitionFor(groupId));
  }

  /**
   * In a virtual cluster a broker coordinates only the groups of the __consumer_offsets
   * partitions it leads (becomeCoordinator / resignCoordinator follow the leadership).
   */
  serveLedPartitionsOnly(): void {
    this.#owned ??= new Set();
  }

  #notOwned(groupId: string): boolean {
    return this.#owned !== undefined && !this.#owned.has(this.partitionFor(groupId));
  }

  /** This broker now leads the partition: its groups are replayed from the log, which replication kept current. */
  async becomeCoordinator(partition: number): Promise<void> {
    this.#unload(partition);
    this.#owned?.add(partition);
    await this.loadPartition(partition);
  }

  /** Leadership moved away: the partition's groups are forgotten, their members find the new coordinator. */
  resignCoordinator(partition: number): void {
    this.#owned?.delete(partition);
    this.#unload(partition);
  }

  #unload(partition: number): void {
    for (const groupId of [...this.#groups.keys()]) {
      if (this.partitionFor(groupId) !== partition) continue;
      this.#groups.delete(groupId);
      this.#offsets.forget(groupId);
    }
  }

  get isReady(): boolean {
    return this.#runtime.isReady;
  }

  /** Replays every partition of the topic, then arms member heartbeats and offset expiration. */
  async load(): Promise<void> {
    for (let p = 0; p < this.#runtime.partitions; p++) {
      await this.loadPartition(p);
    }
    this.#retentionTimer = setInterval(() => void this.expireOffsets().catch((err: unknown) => this.#logger.error({ err }, 'offset expiration failed')),
      Math.min(this.#config.offsetsRetentionCheckIntervalMs, MAX_TIMER_MS));
    this.#retentionTimer.unref();
  }

  async loadPartition(partition: number): Promise<void> {
    const started = this.#now();
    const count = await this.#runtime.loadPartition(partition);
    if (count > 0) this.#logger.info({ partition, records: count, ms: this.#now() - started }, 'loaded __consumer_offsets partition');
  }

  async close(): Promise<void> {
    clearInterval(this.#retentionTimer);
    const closing = this.#runtime.close();
    this.#classic.close();
    await closing;
  }

  // ---- Classic groups ----

  join(p: JoinParams): Promise<JoinResult> {
    return this.#classic.join(p);
  }

  sync(p: SyncParams): Promise<SyncResult> {
    return this.#classic.sync(p);
  }

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): Promise<number> {
    return this.#classic.heartbeat(p);
  }

  leave(groupId: string, members: MemberIdentity[]): Promise<{ errorCode: number; members: Array<MemberIdentity & { errorCode: number }> }> {
    return this.#classic.leave(groupId, members);
  }

  // ---- Consumer groups (KIP-848) ----

  consumerGroupHeartbeat(p: HeartbeatParams): Promise<HeartbeatResult> {
    return this.#consumer.heartbeat(p);
  }

  consumerGroupDescribe(groupId: string): ConsumerGroupDescription {
    const base = { errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    if (this.#runtime.closed) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (this.isLoading(groupId)) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return this.#consumer.describe(groupId);
  }

  // ---- Share groups (KIP-932) ----

  async shareGroupHeartbeat(p: ShareHeartbeatParams): Promise<ShareHeartbeatResult> {
    if (this.#notOwned(p.groupId)) throw new KafkaError(ErrorCode.NOT_COORDINATOR);
    return (await this.#share.load()).heartbeat(p);
  }

  async shareGroupDescribe(groupId: string): Promise<ShareGroupDescription> {
    const unavailable = this.shareGroupUnavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    return (await this.#share.load()).describe(groupId);
  }

  /** The share groups' side of the share-group offsets admin APIs (DescribeShareGroupOffsets, Alter, Delete). */
  shareGroups(): Promise<Pick<ShareGroupManager, 'describeOffsetsTarget' | 'alterOffsets' | 'deleteOffsets' | 'store'>> {
    return this.#share.load();
  }

  /** A group-level error for the share-group offsets APIs before they reach the group (NONE to go on). */
  shareGroupUnavailable(groupId: string): number {
    if (this.#runtime.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.#notOwned(groupId)) return ErrorCode.NOT_COORDINATOR;
    if (this.isLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  // ---- Streams groups (KIP-1071) ----

  async streamsGroupHeartbeat(p: StreamsHeartbeatParams): Promise<StreamsHeartbeatResult> {
    if (this.#notOwned(p.groupId)) throw new KafkaError(ErrorCode.NOT_COORDINATOR);
    return (await this.#streams.load()).heartbeat(p);
  }

  async streamsGroupDescribe(groupId: string): Promise<StreamsGroupDescription> {
    const base = { errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, topology: null, members: [] };
    if (this.#runtime.closed) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (this.#notOwned(groupId)) return { ...base, errorCode: ErrorCode.NOT_COORDINATOR };
    if (this.isLoading(groupId)) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return (await this.#streams.load()).describe(groupId);
  }

  // ---- Offsets ----

  /** Error codes in the request's topic and partition order (a single code when the whole commit fails). */
  commitOffsets(p: CommitParams): Promise<number | number[][]> {
    return this.#execute<number | number[][]>(p.groupId, (tx) => {
      const group = this.#groups.get(p.groupId);
      if (!group) {
        if (p.generationId >= 0) return p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
        // A simple (admin or manually assigned) group: created when its first offset is replayed.
      }
      const check = group?.validateOffsetCommit(p, false) ?? ErrorCode.NONE;
      if (typeof check === 'number' && check !== ErrorCode.NONE) return check;
      const expireTimestamp = p.retentionTimeMs === -1n ? NO_TIMESTAMP : BigInt(this.#now()) + p.retentionTimeMs;
      const codes = this.#offsets.commit(tx, p.groupId, p.topics, expireTimestamp, this.#byTopicName(check));
      return (appendError: number) => withAppendError(codes, appendError);
    });
  }

  /**
   * Committed offsets of a group: the partitions asked for, or every one when topics is null.
   * With requireStable (OffsetFetch v7+), a partition with offsets pending in an open
   * transaction answers UNSTABLE_OFFSET_COMMIT instead, as Kafka's fetchOffsets does.
   */
  fetchOffsets(
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
    requireStable = false,
    member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
  ): FetchedOffsets {
    if (this.#runtime.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    if (this.#notOwned(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    if (this.isLoading(groupId)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] };
    const group = this.#groups.get(groupId);
    // OffsetFetch v9+ from a member: its epoch must be the current one (STALE_MEMBER_EPOCH otherwise).
    const invalid = group?.validateOffsetFetch(member.memberId, member.memberEpoch) ?? ErrorCode.NONE;
    if (invalid !== ErrorCode.NONE) return { errorCode: invalid, topics: [] };
    return this.#offsets.fetch(groupId, topics, requireStable, group !== undefined && !group.isDead());
  }

  /** True when an open transaction holds offsets for the group's partition (Kafka's hasPendingTransactionalOffsets). */
  hasPendingTransactionalOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.#offsets.hasPendingTransactionalOffsets(groupId, topic, partition);
  }

  // ---- Transactional offsets (TxnOffsetsParticipant) ----

  /**
   * TxnOffsetCommit: Kafka's commitTransactionalOffset. The group and member are checked as
   * Kafka's validateOffsetCommit does for transactional commits (no member needed, no
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
      }
      const check = group?.validateOffsetCommit(p, true) ?? ErrorCode.NONE;
      if (typeof check === 'number' && check !== ErrorCode.NONE) return check;
      // Checked again right before the append: an EndTxn that started since the handler's
      // check would otherwise put its marker before these offsets.
      const stillOpen = p.verify?.() ?? ErrorCode.NONE;
      if (stillOpen !== ErrorCode.NONE) return stillOpen;
      const codes = this.#offsets.commit(tx, p.groupId, p.topics, NO_TIMESTAMP, this.#byTopicName(check));
      tx.producer = { producerId: p.producerId, producerEpoch: p.producerEpoch };
      return (appendError: number) => withAppendError(codes, appendError);
    });
  }

  /**
   * The transaction's marker is in __consumer_offsets-`partition` (written by the transaction
   * coordinator): replay it after whatever the partition is doing.
   */
  completeTransaction(partition: number, producerId: bigint, _producerEpoch: number, commit: boolean): Promise<void> {
    return this.#runtime.completeTransaction(partition, producerId, commit);
  }

  /** OffsetDelete: a top-level error, or per-partition codes in request order. */
  deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<number | number[][]> {
    return this.#execute(groupId, (tx) => {
      const group = this.#groups.get(groupId);
      if (!group || group.isDead()) return ErrorCode.GROUP_ID_NOT_FOUND;
      const invalid = group.validateOffsetDelete();
      if (invalid !== ErrorCode.NONE) return invalid;
      const codes = this.#offsets.delete(tx, group, topics);
      return (appendError: number) => (appendError === ErrorCode.NONE ? codes : appendError);
    });
  }

  // ---- Describe, list, delete ----

  describeGroup(groupId: string): GroupDescription {
    const base = { groupId, protocolType: '', protocolData: '', members: [] };
    if (this.#runtime.closed) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupState: '' };
    if (this.#notOwned(groupId)) return { ...base, errorCode: ErrorCode.NOT_COORDINATOR, groupState: '' };
    if (this.isLoading(groupId)) return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groupState: '' };
    const group = this.#groups.get(groupId);
    if (!(group instanceof ClassicGroup)) return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
    return this.#classic.describe(group);
  }

  /** Groups whose state and type pass the filters (case-insensitive; empty filter: all). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.#groups.values()) {
      if (g.isDead() || this.isLoading(g.groupId) || this.#notOwned(g.groupId)) continue;
      if (types.size > 0 && !types.has(g.type)) continue;
      if (states.size > 0 && !states.has(g.stateName().toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g instanceof ClassicGroup ? (g.protocolType ?? '') : g.type, groupState: g.stateName(), groupType: g.type });
    }
    return out;
  }

  deleteGroup(groupId: string): Promise<number> {
    const group = this.#groups.get(groupId);
    // A share group's share state goes first (through the share coordinator), then its records.
    // A share group exists only once its manager is loaded.
    if (group?.type === 'share' && !this.#notOwned(groupId)) return this.#share.current!.deleteGroup(group as ShareGroup);
    return this.#execute(groupId, (tx) => {
      const group = this.#groups.get(groupId);
      if (!group) return ErrorCode.GROUP_ID_NOT_FOUND;
      const invalid = group.validateDeleteGroup();
      if (invalid !== ErrorCode.NONE) return invalid;
      this.#offsets.deleteAll(tx, groupId);
      tx.records.push(...group.tombstones());
      return (appendError: number) => appendError;
    });
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
          if (!group) continue;
          const r = this.#offsets.expire(tx, group);
          expired += r.expired;
          // A group with open transactions stays (Kafka's cleanupExpiredOffsets).
          if (r.allExpired && group.isEmpty() && !this.#offsets.hasOpenTransactions(id)) tx.records.push(...group.tombstones());
        }
      });
    }
    return expired;
  }

  /** A per-partition commit check by topic name (KIP-1251 checks go by topic id). */
  #byTopicName(check: number | PartitionCheck): ((topic: string, partition: number) => number) | undefined {
    if (typeof check === 'number') return undefined;
    return (topic, partition) => check(this.#topics.byName(topic)?.topicId, partition);
  }

  // ---- Replay ----

  /** The only way persisted state changes: at load, and after each append. */
  #replay(rec: GroupRecord, producerId: bigint, loading: boolean): void {
    if (rec.type === 'offset') this.#offsets.replay(rec, producerId);
    else if (rec.type === 'group') this.#classic.replay(rec, loading);
    // Loaded by then: before a load replays the type's first record (beforeReplay), or by the request that wrote it.
    else if (isShareGroupRecord(rec)) this.#share.current!.replay(rec);
    else if (isStreamsGroupRecord(rec)) this.#streams.current!.replay(rec);
    else this.#consumer.replay(rec);
  }

  #execute<R>(groupId: string, op: Operation<GroupRecord, R>): Promise<R> {
    if (this.#notOwned(groupId)) return Promise.reject(new KafkaError(ErrorCode.NOT_COORDINATOR));
    return this.#runtime.execute(this.partitionFor(groupId), op);
  }

  // ---- Introspection for tests and tools ----

  groupState(groupId: string): GroupState | undefined {
    const g = this.#groups.get(groupId);
    return g instanceof ClassicGroup ? g.state : undefined;
  }

  /** Members of a group of any type (0 when there is none). */
  memberCount(groupId: string): number {
    const g = this.#groups.get(groupId);
    return g !== undefined && 'members' in g && g.members instanceof Map ? g.members.size : 0;
  }

  /** Number of armed timers (tests check nothing leaks). */
  get timerCount(): number {
    return this.#runtime.timerCount;
  }
}

/** Per-partition codes, or the append's error for every partition that had none. */
function withAppendError(codes: number[][], appendError: number): number[][] {
  return appendError === ErrorCode.NONE ? codes : codes.map((ps) => ps.map((c) => (c === ErrorCode.NONE ? appendError : c)));
}

/**
 * A group type's manager, loaded on first use with its record codecs. A load that fails (a
 * module that cannot be read) is not kept: the next use tries again.
 */
class LazyManager<M> {
  current: M | undefined;
  #loading: Promise<M> | undefined;

  constructor(
    readonly type: LazyGroupType,
    readonly create: () => Promise<M>,
  ) {}

  load(): Promise<M> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    this.#loading ??= Promise.all([this.create(), loadRecordFamily(this.type)]).then(
      ([manager]) => (this.current = manager),
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }
}
