/**
 * Share groups (KIP-932): ShareGroupHeartbeat, ShareGroupDescribe and the share-group offsets
 * admin APIs, the share half of Kafka 4.3's GroupMetadataManager. A heartbeat runs the
 * consumer group's three steps, simpler:
 *
 * 1. the member's subscription is updated; a changed subscription, subscribed topics whose
 *    partitions changed, or initialized partitions nobody is assigned yet bump the group epoch;
 * 2. when the group epoch is ahead of the target assignment's, the simple assignor
 *    (share-assignor.ts) computes a new one over the partitions whose share state is
 *    initialized;
 * 3. the member takes its target at once: nothing is revoked, since members of a share group
 *    compete for records, not partitions.
 *
 * Partitions of subscribed topics without share state are recorded as initializing, the share
 * coordinator is asked to create their state (ShareStateStore.ensureInitialized), and once it
 * has they are recorded as initialized, so the next heartbeat assigns them: Kafka answers the
 * heartbeat after the same round trip. Members are fenced when their session expires; the
 * share partitions then hear of it (ShareGroupListener.onMemberLeft).
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import { KafkaError } from '../../errors.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import type { SharePartitionRef, ShareGroupListener, ShareStateStore } from '../share/share-state-contract.js';
import { LEAVE_GROUP_MEMBER_EPOCH, NO_PARTITIONS, type TopicPartitions, partitionsFromList, partitionsToList, samePartitions } from './consumer-group.js';
import type { Group } from './group-type.js';
import type { GroupRecord } from './records.js';
import type { Tx } from './runtime.js';
import { type GroupManagerDeps, GroupTypeManager } from './group-type-manager.js';
import { MemberTimers } from './member-timers.js';
import { topicsMetadataHash } from './metadata-hash.js';
import { memberTombstones } from './group-tombstones.js';
import { SHARE_ASSIGNOR_NAME, assignShareGroup } from './share-assignor.js';
import { NO_STATE_PARTITIONS, type ShareMember, ShareGroup, type StatePartitions, type StateTopic, newShareMember } from './share-group.js';
import type { ShareGroupRecord } from './share-group-records.js';

export interface ShareGroupConfig {
  /** group.share.session.timeout.ms */
  sessionTimeoutMs: number;
  /** group.share.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.share.max.size */
  maxSize: number;
  /** A group's own share.session.timeout.ms and share.heartbeat.interval.ms (GROUP configs). */
  groupSettings?: (groupId: string) => { sessionTimeoutMs: number; heartbeatIntervalMs: number } | undefined;
}

/** Partitions asked of the share coordinator that have not answered within this are asked again (Kafka's default). */
const INITIALIZE_RETRY_INTERVAL_MS = 30_000;

export interface ShareHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Array<{ topicId: string; partitions: number[] }> | null;
}

export interface ShareGroupDescription {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    memberId: string;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    assignment: { topicPartitions: Array<{ topicId: string; topicName: string; partitions: number[] }> };
  }>;
}

/** Partitions per topic id, with the topic's name (the records name topics). */
type PartitionsByTopic = Map<string, StateTopic>;

function error(errorCode: number, errorMessage: string | null = null): ShareHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((s, i) => s === y[i]);
}

/** `a` with `b`'s partitions added (Kafka's combineInitMaps). */
function combine<T extends StateTopic>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, StateTopic>): PartitionsByTopic {
  const out: PartitionsByTopic = new Map([...a].map(([id, t]) => [id, { name: t.name, partitions: new Set(t.partitions) }]));
  for (const [id, t] of b) out.set(id, { name: t.name, partitions: new Set([...(out.get(id)?.partitions ?? []), ...t.partitions]) });
  return out;
}

/** `a` without `b`'s partitions; topics left with none go. */
function without<T extends StateTopic>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, StateTopic>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [id, t] of a) {
    const gone = b.get(id)?.partitions;
    const rest = gone ? new Set([...t.partitions].filter((p) => !gone.has(p))) : t.partitions;
    if (rest.size > 0) out.set(id, { ...t, partitions: rest });
  }
  return out;
}

function refs(partitions: PartitionsByTopic): SharePartitionRef[] {
  return [...partitions].flatMap(([topicId, t]) => [...t.partitions].sort((x, y) => x - y).map((partition) => ({ topicId, topicName: t.name, partition })));
}

export class ShareGroupManager extends GroupTypeManager<ShareGroup> {
  readonly #config: ShareGroupConfig;
  readonly #store: ShareStateStore;
  readonly #listener: ShareGroupListener | undefined;
  readonly #timers: MemberTimers<ShareMember, ShareGroup>;

  constructor(deps: GroupManagerDeps, opts: {
    config: ShareGroupConfig;
    store: ShareStateStore;
    listener?: ShareGroupListener;
  }) {
    super(deps, (g): g is ShareGroup => g instanceof ShareGroup);
    this.#config = opts.config;
    this.#store = opts.store;
    this.#listener = opts.listener;
    this.#timers = new MemberTimers({
      groupType: 'share',
      kinds: ['session'],
      runtime: this.runtime,
      partitionFor: this.partitionFor,
      logger: this.logger,
      group: (groupId) => this.ownGroup(groupId),
      fence: (tx, group, member) => this.#fence(tx, group, member),
    });
  }

  get store(): ShareStateStore {
    return this.#store;
  }



  /** The share group (a new one, not yet stored, when absent and `create`), or GROUP_ID_NOT_FOUND with Kafka's message. */
  #lookup(groupId: string, create: boolean): { group: ShareGroup } | { errorCode: number; errorMessage: string } {
    const existing = this.groups.get(groupId);
    if (existing instanceof ShareGroup) return { group: existing };
    if (existing !== undefined && !existing.isDead()) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` };
    if (!create) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Share group ${groupId} not found.` };
    // Not in the map until its first record is replayed. Kafka 4.3.1 gives a new group's first
    // member epoch 2, as for consumer groups: the count starts from 1.
    const group = new ShareGroup(groupId);
    group.groupEpoch = 1;
    return { group };
  }

  // ---- ShareGroupHeartbeat ----

  async heartbeat(p: ShareHeartbeatParams): Promise<ShareHeartbeatResult> {
    const invalid = this.#validate(p);
    if (invalid) return invalid;
    const { result, initialize } = await this.execute(p.groupId, (tx) => {
      const out = p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ? { result: this.#leave(p, tx), initialize: null } : this.#heartbeat(p, tx);
      return (appendError: number) => (appendError === ErrorCode.NONE ? out : { result: error(appendError), initialize: null });
    });
    if (initialize === null) return result;
    const failed = await this.#initialize(p.groupId, initialize);
    return failed === ErrorCode.NONE ? result : error(failed);
  }

  /** Kafka's throwIfShareGroupHeartbeatRequestIsInvalid. */
  #validate(p: ShareHeartbeatParams): ShareHeartbeatResult | null {
    const invalid = (m: string) => error(ErrorCode.INVALID_REQUEST, m);
    // Kafka 4.3.1 answers an empty member id without a message.
    if (p.memberId === '') return error(ErrorCode.INVALID_REQUEST);
    if (p.groupId === '') return invalid("GroupId can't be empty.");
    if (p.rackId === '') return invalid("RackId can't be empty.");
    if (p.memberEpoch === 0) {
      if (p.subscribedTopicNames === null || p.subscribedTopicNames.length === 0) return invalid('SubscribedTopicNames must be set in first request.');
    } else if (p.memberEpoch < LEAVE_GROUP_MEMBER_EPOCH) {
      return invalid('MemberEpoch is invalid.');
    }
    return null;
  }

  #heartbeat(p: ShareHeartbeatParams, tx: Tx<GroupRecord>): { result: ShareHeartbeatResult; initialize: PartitionsByTopic | null } {
    const fail = (r: ShareHeartbeatResult) => ({ result: r, initialize: null });
    const joining = p.memberEpoch === 0;
    const found = this.#lookup(p.groupId, joining);
    if (!('group' in found)) return fail(error(found.errorCode, found.errorMessage));
    const group = found.group;
    if (group.members.size >= this.#config.maxSize && !group.members.has(p.memberId)) {
      return fail(error(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${this.#config.maxSize} members.`));
    }
    const known = group.members.get(p.memberId);
    if (!known && !joining) return fail(error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`));
    const member = known ?? newShareMember(p.memberId);
    if (known && !joining) {
      if (p.memberEpoch > known.memberEpoch) {
        return fail(error(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a greater member epoch (${p.memberEpoch}) than the one known by the group coordinator (${known.memberEpoch}). The member must abandon all its partitions and rejoin.`));
      }
      if (p.memberEpoch < known.memberEpoch && p.memberEpoch !== known.previousMemberEpoch) {
        return fail(error(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The share group member has a smaller member epoch (${p.memberEpoch}) than the one known by the group coordinator (${known.memberEpoch}), and it does not match the previous member epoch (${known.previousMemberEpoch}). The member must abandon all its partitions and rejoin.`,
        ));
      }
    }
    if (!known) this.logger.info({ groupId: p.groupId, memberId: p.memberId }, 'member joins the share group');

    // 1. The member's subscription.
    const updated: ShareMember = {
      ...member,
      rackId: p.rackId ?? member.rackId,
      subscribedTopicNames: p.subscribedTopicNames ?? member.subscribedTopicNames,
      clientId: p.clientId,
      clientHost: p.clientHost,
    };
    const subscriptionChanged = !sameStrings(member.subscribedTopicNames, updated.subscribedTopicNames);
    if (!known || subscriptionChanged || member.rackId !== updated.rackId || member.clientId !== updated.clientId || member.clientHost !== updated.clientHost) {
      tx.records.push(this.#memberRecord(group.groupId, updated));
    }
    const members = new Map(group.members);
    members.set(updated.memberId, updated);
    const subscribed = new Set([...members.values()].flatMap((m) => m.subscribedTopicNames));
    const metadataHash = this.#metadataHash(subscribed);
    let groupEpoch = group.groupEpoch;
    if (subscriptionChanged || metadataHash !== group.metadataHash || (group.groupEpoch <= group.assignmentEpoch && this.#initializedAssignmentPending(group, subscribed))) {
      groupEpoch++;
      tx.records.push({ type: 'shareGroupMetadata', key: { groupId: group.groupId }, value: { epoch: groupEpoch, metadataHash } });
      this.logger.info({ groupId: group.groupId, groupEpoch }, 'bumped share group epoch');
    }

    // 2. The target assignment.
    let targetEpoch = group.assignmentEpoch;
    let target = group.targetAssignment.get(updated.memberId) ?? NO_PARTITIONS;
    if (groupEpoch > group.assignmentEpoch) {
      target = this.#updateTargetAssignment(tx, group, groupEpoch, members).get(updated.memberId) ?? NO_PARTITIONS;
      targetEpoch = groupEpoch;
    }

    // 3. The member takes its target (Kafka's ShareGroupAssignmentBuilder).
    let reconciled = updated;
    if (subscriptionChanged || updated.memberEpoch !== targetEpoch || !samePartitions(updated.assignedPartitions, target)) {
      reconciled = { ...updated, previousMemberEpoch: updated.memberEpoch, memberEpoch: targetEpoch, assignedPartitions: target };
      tx.records.push(this.#currentAssignmentRecord(group.groupId, reconciled));
    }
    this.#scheduleSessionTimeout(group.groupId, updated.memberId);

    const full = joining || p.subscribedTopicNames !== null || !samePartitions(member.assignedPartitions, reconciled.assignedPartitions);
    const result: ShareHeartbeatResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: updated.memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.#settings(group.groupId).heartbeatIntervalMs,
      assignment: full ? partitionsToList(reconciled.assignedPartitions) : null,
    };
    return { result, initialize: this.#maybeInitialize(tx, group, subscribed) };
  }

  /** Kafka's initializedAssignmentPending: a partition with share state that no member's target holds. */
  #initializedAssignmentPending(group: ShareGroup, subscribed: ReadonlySet<string>): boolean {
    if (group.members.size === 0) return false;
    const assigned = new Set<string>();
    for (const a of group.targetAssignment.values()) for (const [t, ps] of a) for (const p of ps) assigned.add(`${t}:${p}`);
    for (const [topicId, t] of group.statePartitions.initialized) {
      const topic = this.topics.byId(topicId);
      if (!topic || !subscribed.has(topic.name)) continue;
      for (const p of t.partitions) if (p < topic.partitions && !assigned.has(`${topicId}:${p}`)) return true;
    }
    return false;
  }

  /**
   * Kafka's maybeCreateInitializeShareGroupStateRequest: partitions of subscribed topics with no
   * share state, not asked for recently, are recorded as initializing and returned.
   */
  #maybeInitialize(tx: Tx<GroupRecord>, group: ShareGroup, subscribed: ReadonlySet<string>): PartitionsByTopic | null {
    const state = group.statePartitions;
    const now = this.now();
    const wanted: PartitionsByTopic = new Map();
    for (const name of [...subscribed].sort()) {
      const topic = this.topics.byName(name);
      if (!topic) continue;
      const done = state.initialized.get(topic.topicId)?.partitions;
      const asking = state.initializing.get(topic.topicId);
      const recent = asking && now - asking.since < INITIALIZE_RETRY_INTERVAL_MS ? asking.partitions : undefined;
      const missing = new Set<number>();
      for (let p = 0; p < topic.partitions; p++) if (!done?.has(p) && !recent?.has(p)) missing.add(p);
      if (missing.size > 0) wanted.set(topic.topicId, { name, partitions: missing });
    }
    if (wanted.size === 0) return null;
    const initializing = combine(state.initializing, wanted);
    tx.records.push(this.#statePartitionsRecord(group.groupId, { ...state, initializing: new Map([...initializing].map(([id, t]) => [id, { ...t, since: now }])) }));
    return wanted;
  }

  /**
   * Asks the share coordinator for the partitions' state, then records them as initialized (or,
   * when it fails, no longer initializing). NONE, or the error the caller answers with.
   */
  async #initialize(groupId: string, partitions: PartitionsByTopic, create: (ref: SharePartitionRef) => Promise<void> = () => Promise.resolve()): Promise<number> {
    let failure: number = ErrorCode.NONE;
    try {
      await this.#store.ensureInitialized(groupId, refs(partitions));
      for (const ref of refs(partitions)) await create(ref);
    } catch (err) {
      failure = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
      this.logger.warn({ err, groupId }, 'could not initialize the share state of a share group');
    }
    await this.execute(groupId, (tx) => {
      const group = this.ownGroup(groupId);
      if (!group) return;
      const state = group.statePartitions;
      tx.records.push(
        this.#statePartitionsRecord(groupId, {
          ...state,
          initializing: without(state.initializing, partitions),
          initialized: failure === ErrorCode.NONE ? combine(state.initialized, partitions) : state.initialized,
        }),
      );
    }).catch((err: unknown) => {
      if (failure === ErrorCode.NONE) failure = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    });
    return failure;
  }

  #updateTargetAssignment(tx: Tx<GroupRecord>, group: ShareGroup, groupEpoch: number, members: ReadonlyMap<string, ShareMember>): Map<string, TopicPartitions> {
    const assignable = new Map<string, number[]>();
    const specMembers = [...members.values()].map((m) => {
      const ids = new Set<string>();
      for (const name of m.subscribedTopicNames) {
        const t = this.topics.byName(name);
        if (!t) continue;
        ids.add(t.topicId);
        const initialized = group.statePartitions.initialized.get(t.topicId)?.partitions ?? new Set<number>();
        assignable.set(t.topicId, [...initialized].filter((p) => p < t.partitions).sort((a, b) => a - b));
      }
      return { memberId: m.memberId, topics: ids };
    });
    const result = assignShareGroup({ members: specMembers, assignable, previous: (id) => group.targetAssignment.get(id) });
    for (const [memberId, assignment] of result) {
      const before = group.targetAssignment.get(memberId);
      if (!before || !samePartitions(before, assignment)) tx.records.push({ type: 'shareGroupTargetAssignmentMember', key: { groupId: group.groupId, memberId }, value: { topicPartitions: partitionsToList(assignment) } });
    }
    tx.records.push({ type: 'shareGroupTargetAssignmentMetadata', key: { groupId: group.groupId }, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.now()) } });
    this.logger.info({ groupId: group.groupId, groupEpoch, members: members.size }, 'computed a new share group target assignment');
    return result;
  }

  /** Changes when a subscribed topic is created, deleted or gains partitions. */
  #metadataHash(topics: ReadonlySet<string>): bigint {
    return topicsMetadataHash(this.topics, topics, false);
  }

  // ---- Leaving and fencing ----

  #leave(p: ShareHeartbeatParams, tx: Tx<GroupRecord>): ShareHeartbeatResult {
    const found = this.#lookup(p.groupId, false);
    if (!('group' in found)) return error(found.errorCode, found.errorMessage);
    const member = found.group.members.get(p.memberId);
    if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    this.logger.info({ groupId: p.groupId, memberId: p.memberId }, 'member left the share group');
    this.#fence(tx, found.group, member);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, heartbeatIntervalMs: 0, assignment: null };
  }

  /** Kafka's shareGroupFenceMember: the member's records go, the group epoch moves on, its share sessions end. */
  #fence(tx: Tx<GroupRecord>, group: ShareGroup, member: ShareMember): void {
    const { groupId } = group;
    const { memberId } = member;
    tx.records.push(...memberTombstones('shareGroup', groupId, memberId));
    const rest = [...group.members.values()].filter((m) => m.memberId !== memberId);
    const metadataHash = this.#metadataHash(new Set(rest.flatMap((m) => m.subscribedTopicNames)));
    tx.records.push({ type: 'shareGroupMetadata', key: { groupId }, value: { epoch: group.groupEpoch + 1, metadataHash } });
    this.#timers.cancelAll(groupId, memberId);
    tx.after.push(() => this.#listener?.onMemberLeft(groupId, memberId));
  }

  // ---- Timers ----

  #settings(groupId: string): { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
    return this.#config.groupSettings?.(groupId) ?? { sessionTimeoutMs: this.#config.sessionTimeoutMs, heartbeatIntervalMs: this.#config.heartbeatIntervalMs };
  }

  #scheduleSessionTimeout(groupId: string, memberId: string): void {
    this.#timers.scheduleSession(groupId, memberId, this.#settings(groupId).sessionTimeoutMs);
  }

  /** Members of a loaded partition must heartbeat within their session timeout, as after any restart. */
  loaded(partition: number): void {
    for (const g of this.groups.values()) {
      if (!(g instanceof ShareGroup) || this.partitionFor(g.groupId) !== partition) continue;
      for (const m of g.members.values()) this.#scheduleSessionTimeout(g.groupId, m.memberId);
    }
  }

  // ---- Records ----

  #memberRecord(groupId: string, m: ShareMember): GroupRecord {
    return {
      type: 'shareGroupMemberMetadata',
      key: { groupId, memberId: m.memberId },
      value: { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames] },
    };
  }

  #currentAssignmentRecord(groupId: string, m: ShareMember): GroupRecord {
    return {
      type: 'shareGroupCurrentMemberAssignment',
      key: { groupId, memberId: m.memberId },
      // Share members are always STABLE (0).
      value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: 0, assignedPartitions: partitionsToList(m.assignedPartitions) },
    };
  }

  #statePartitionsRecord(groupId: string, s: StatePartitions): GroupRecord {
    const infos = (m: ReadonlyMap<string, StateTopic>) => [...m].map(([topicId, t]) => ({ topicId, topicName: t.name, partitions: [...t.partitions].sort((a, b) => a - b) }));
    return {
      type: 'shareGroupStatePartitionMetadata',
      key: { groupId },
      value: {
        initializingTopics: infos(s.initializing),
        initializedTopics: infos(s.initialized),
        deletingTopics: [...s.deleting].map(([topicId, topicName]) => ({ topicId, topicName })),
      },
    };
  }

  /** Kafka's GroupMetadataManager.replay for the share group records. */
  replay(rec: ShareGroupRecord): void {
    const groupId = rec.key.groupId;
    let group = this.ownGroup(groupId);
    if (rec.value === null) {
      if (!group) return;
      switch (rec.type) {
        case 'shareGroupMetadata':
          this.groups.delete(groupId);
          for (const memberId of group.members.keys()) this.#timers.cancelAll(groupId, memberId);
          return;
        case 'shareGroupMemberMetadata':
          group.members.delete(rec.key.memberId);
          return;
        case 'shareGroupCurrentMemberAssignment': {
          const m = group.members.get(rec.key.memberId);
          if (m) group.members.set(m.memberId, { ...m, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, assignedPartitions: NO_PARTITIONS });
          return;
        }
        case 'shareGroupTargetAssignmentMember':
          group.targetAssignment.delete(rec.key.memberId);
          return;
        case 'shareGroupTargetAssignmentMetadata':
          group.assignmentEpoch = 0;
          return;
        case 'shareGroupStatePartitionMetadata':
          group.statePartitions = NO_STATE_PARTITIONS;
          return;
      }
    }
    if (!group) {
      group = new ShareGroup(groupId);
      this.groups.set(groupId, group);
    }
    switch (rec.type) {
      case 'shareGroupMetadata':
        group.groupEpoch = rec.value.epoch;
        group.metadataHash = rec.value.metadataHash;
        return;
      case 'shareGroupMemberMetadata': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newShareMember(rec.key.memberId);
        group.members.set(m.memberId, { ...m, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost, subscribedTopicNames: v.subscribedTopicNames });
        return;
      }
      case 'shareGroupCurrentMemberAssignment': {
        const v = rec.value;
        const m = group.members.get(rec.key.memberId) ?? newShareMember(rec.key.memberId);
        group.members.set(m.memberId, { ...m, memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, assignedPartitions: partitionsFromList(v.assignedPartitions) });
        return;
      }
      case 'shareGroupTargetAssignmentMember':
        group.targetAssignment.set(rec.key.memberId, partitionsFromList(rec.value.topicPartitions));
        return;
      case 'shareGroupTargetAssignmentMetadata':
        group.assignmentEpoch = rec.value.assignmentEpoch;
        return;
      case 'shareGroupStatePartitionMetadata': {
        const v = rec.value;
        // Initializing partitions count from now: after a restart they are asked again once the retry interval passes.
        const since = this.now();
        group.statePartitions = {
          initializing: new Map(v.initializingTopics.map((t) => [t.topicId, { name: t.topicName, partitions: new Set(t.partitions), since }])),
          initialized: new Map(v.initializedTopics.map((t) => [t.topicId, { name: t.topicName, partitions: new Set(t.partitions) }])),
          deleting: new Map(v.deletingTopics.map((t) => [t.topicId, t.topicName])),
        };
        return;
      }
    }
  }

  // ---- ShareGroupDescribe ----

  describe(groupId: string): ShareGroupDescription {
    const base = { errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    const group = this.ownGroup(groupId);
    if (!group) {
      const other = this.groups.get(groupId);
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: other && !other.isDead() ? `Group ${groupId} is not a share group.` : `Group ${groupId} not found.` };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      groupState: group.stateName(),
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: SHARE_ASSIGNOR_NAME,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        assignment: { topicPartitions: partitionsToList(m.assignedPartitions).map((t) => ({ ...t, topicName: this.topics.byId(t.topicId)?.name ?? '' })) },
      })),
    };
  }

  // ---- DeleteGroups ----

  /**
   * DeleteGroups of a share group: Kafka deletes the share state of every partition the group
   * has (initialized or initializing) before the group's tombstones; the share partitions then
   * forget the group.
   */
  async deleteGroup(group: ShareGroup): Promise<number> {
    if (!group.isEmpty()) return ErrorCode.NON_EMPTY_GROUP;
    const { initialized, initializing } = group.statePartitions;
    try {
      for (const ref of refs(combine(initialized, initializing))) await this.#store.delete(group.groupId, ref);
    } catch (err) {
      this.logger.warn({ err, groupId: group.groupId }, 'could not delete the share state of a share group');
      return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    return this.execute(group.groupId, (tx) => {
      const current = this.ownGroup(group.groupId);
      if (!current) return ErrorCode.GROUP_ID_NOT_FOUND;
      if (!current.isEmpty()) return ErrorCode.NON_EMPTY_GROUP;
      tx.records.push(...current.tombstones());
      tx.after.push(() => this.#listener?.onGroupDeleted(group.groupId));
      return (appendError: number) => appendError;
    });
  }

  // ---- Share-group offsets admin APIs ----

  /** The group for DescribeShareGroupOffsets: an error, or the partitions it has share state for when `all`. */
  describeOffsetsTarget(groupId: string): { errorCode: number; errorMessage: string | null; partitions: SharePartitionRef[] } {
    // A group that does not exist has no share state: Kafka 4.3.1 answers nothing, without an error.
    const found = this.#lookup(groupId, true);
    if (!('group' in found)) return { errorCode: found.errorCode, errorMessage: found.errorMessage, partitions: [] };
    return { errorCode: ErrorCode.NONE, errorMessage: null, partitions: [...this.#store.partitionsOf(groupId)] };
  }

  /**
   * AlterShareGroupOffsets: Kafka's alterShareGroupOffsets. The group (created when absent) must
   * be empty; each known partition is recorded as initializing, its state reset at the offset
   * given, then recorded as initialized. Per-partition codes in request order, or a group error.
   */
  async alterOffsets(
    groupId: string,
    topics: ReadonlyArray<{ topicName: string; partitions: ReadonlyArray<{ partitionIndex: number; startOffset: bigint }> }>,
  ): Promise<{ errorCode: number; errorMessage: string | null; topics: Array<{ topicId: string; codes: number[] }> }> {
    const offsets = new Map<string, bigint>();
    type Answer = { errorCode: number; errorMessage: string | null; topics: Array<{ topicId: string; codes: number[] }>; wanted: PartitionsByTopic | null };
    const answer = await this.execute<Answer>(groupId, (tx) => {
      const found = this.#lookup(groupId, true);
      if (!('group' in found)) return { errorCode: found.errorCode, errorMessage: found.errorMessage, topics: [], wanted: null };
      const group = found.group;
      if (!this.groups.has(groupId)) {
        // A group made here starts at epoch 1 with an assignment of that epoch, as Kafka 4.3.1 writes it.
        tx.records.push(
          { type: 'shareGroupMetadata', key: { groupId }, value: { epoch: group.groupEpoch, metadataHash: 0n } },
          { type: 'shareGroupTargetAssignmentMetadata', key: { groupId }, value: { assignmentEpoch: group.groupEpoch, assignmentTimestamp: BigInt(this.now()) } },
        );
      }
      if (!group.isEmpty()) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: 'The group is not empty.', topics: [], wanted: null };
      const wanted: PartitionsByTopic = new Map();
      const out = topics.map((t) => {
        const topic = this.topics.byName(t.topicName);
        return {
          topicId: topic?.topicId ?? ZERO_UUID,
          codes: t.partitions.map((p): number => {
            if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            const partitions = new Set([...(wanted.get(topic.topicId)?.partitions ?? []), p.partitionIndex]);
            wanted.set(topic.topicId, { name: t.topicName, partitions });
            offsets.set(`${topic.topicId}:${p.partitionIndex}`, p.startOffset);
            return ErrorCode.NONE;
          }),
        };
      });
      if (wanted.size > 0) {
        const state = group.statePartitions;
        const now = this.now();
        const initializing = combine(state.initializing, wanted);
        tx.records.push(this.#statePartitionsRecord(groupId, { ...state, initializing: new Map([...initializing].map(([id, t]) => [id, { ...t, since: now }])) }));
      }
      return (appendError: number) =>
        appendError === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, errorMessage: null, topics: out, wanted } : { errorCode: appendError, errorMessage: null, topics: [], wanted: null };
    });
    const { wanted, ...result } = answer;
    if (wanted === null || wanted.size === 0) return result;
    const failed = await this.#initialize(groupId, wanted, (ref) => this.#store.resetTo(groupId, ref, offsets.get(`${ref.topicId}:${ref.partition}`)!));
    if (failed === ErrorCode.NONE) return result;
    return { ...result, topics: result.topics.map((t) => ({ ...t, codes: t.codes.map((c) => (c === ErrorCode.NONE ? failed : c)) })) };
  }

  /**
   * DeleteShareGroupOffsets: Kafka's deleteShareGroupOffsets. The group must exist and be empty;
   * a topic the group has share state for is recorded as deleting, its state deleted, then the
   * topic leaves the group's state partitions. Per-topic codes in request order, or a group error.
   */
  async deleteOffsets(groupId: string, topicNames: readonly string[]): Promise<{ errorCode: number; errorMessage: string | null; topics: Array<{ topicId: string; errorCode: number; errorMessage: string | null }> }> {
    type Answer = { errorCode: number; errorMessage: string | null; topics: Array<{ topicId: string; errorCode: number; errorMessage: string | null }>; deleting: PartitionsByTopic | null };
    const answer = await this.execute<Answer>(groupId, (tx) => {
      const found = this.#lookup(groupId, false);
      if (!('group' in found)) return { errorCode: found.errorCode, errorMessage: this.groups.has(groupId) ? found.errorMessage : `Group ${groupId} not found.`, topics: [], deleting: null };
      const group = found.group;
      if (!group.isEmpty()) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: 'The group is not empty.', topics: [], deleting: null };
      const state = group.statePartitions;
      const deleting: PartitionsByTopic = new Map();
      const out = topicNames.map((name): Answer['topics'][number] => {
        const topic = this.topics.byName(name);
        const initialized = topic && state.initialized.get(topic.topicId);
        if (!topic || !initialized) {
          return { topicId: topic?.topicId ?? ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
        }
        deleting.set(topic.topicId, initialized);
        return { topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      });
      if (deleting.size > 0) {
        tx.records.push(
          this.#statePartitionsRecord(groupId, {
            initializing: without(state.initializing, deleting),
            initialized: new Map([...state.initialized].filter(([id]) => !deleting.has(id))),
            deleting: new Map([...state.deleting, ...[...deleting].map(([id, t]): [string, string] => [id, t.name])]),
          }),
        );
      }
      return (appendError: number) =>
        appendError === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, errorMessage: null, topics: out, deleting } : { errorCode: appendError, errorMessage: null, topics: [], deleting: null };
    });
    const { deleting, ...result } = answer;
    if (deleting === null || deleting.size === 0) return result;
    let failed: number = ErrorCode.NONE;
    try {
      for (const ref of refs(deleting)) await this.#store.delete(groupId, ref);
    } catch (err) {
      failed = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
      this.logger.warn({ err, groupId }, 'could not delete the share state of a share group');
    }
    // Deleted or not, the topics leave the deleting list (Kafka's completeDeleteShareGroupOffsets); a failed one keeps no state here.
    await this.execute(groupId, (tx) => {
      const group = this.ownGroup(groupId);
      if (!group) return;
      const state = group.statePartitions;
      tx.records.push(this.#statePartitionsRecord(groupId, { ...state, deleting: new Map([...state.deleting].filter(([id]) => !deleting.has(id))) }));
    }).catch(() => undefined);
    if (failed === ErrorCode.NONE) return result;
    return { ...result, topics: result.topics.map((t) => (t.errorCode === ErrorCode.NONE ? { ...t, errorCode: failed, errorMessage: null } : t)) };
  }
}
