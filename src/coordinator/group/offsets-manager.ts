/**
 * Committed offsets of every group type (Kafka's OffsetMetadataManager): the records an
 * offset commit, deletion or expiration yields, OffsetFetch, and their replay, including
 * transactional commits pending until their transaction's marker.
 */
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Group, OffsetAndMetadata } from './group-type.js';
import type { GroupRecord } from './records.js';
import type { Tx } from './runtime.js';

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

export interface CommittedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
  /** -1: now. */
  commitTimestamp?: bigint;
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

const NO_TIMESTAMP = -1n;

function offsetTombstone(group: string, topic: string, partition: number): GroupRecord {
  return { type: 'offset', key: { group, topic, partition }, value: null };
}

export class OffsetsManager {
  readonly #offsets: OffsetsByGroup = new Map();
  /**
   * Offsets of open transactions, by producer id (Kafka's pendingTransactionalOffsets): put
   * there by replaying a transactional OffsetCommit record, moved to #offsets by the commit
   * marker's replay, dropped by the abort marker's.
   */
  readonly #pendingTxnOffsets = new Map<bigint, OffsetsByGroup>();
  /** groupId → producer ids with pending offsets for it (Kafka's openTransactionsByGroup). */
  readonly #openTxnsByGroup = new Map<string, Set<bigint>>();
  #replayOrder = 0;

  constructor(
    private readonly opts: {
      now: () => number;
      offsetMetadataMaxBytes: number;
      offsetsRetentionMs: number;
      /** A commit for a group nobody created makes a simple (classic, empty) group, as in Kafka. */
      ensureGroup: (groupId: string) => void;
    },
  ) {}

  /** The records of a commit; error codes in request order. `check` refuses single partitions. */
  commit(
    tx: Tx<GroupRecord>,
    groupId: string,
    topics: Array<{ name: string; partitions: CommittedPartition[] }>,
    expireTimestamp: bigint,
    check?: (topic: string, partition: number) => number,
  ): number[][] {
    const now = BigInt(this.opts.now());
    return topics.map((t) =>
      t.partitions.map((part) => {
        const refused = check?.(t.name, part.partitionIndex) ?? ErrorCode.NONE;
        if (refused !== ErrorCode.NONE) return refused;
        const metadata = part.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.opts.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        const ts = part.commitTimestamp ?? NO_TIMESTAMP;
        tx.records.push({
          type: 'offset',
          key: { group: groupId, topic: t.name, partition: part.partitionIndex },
          value: {
            offset: part.committedOffset,
            leaderEpoch: part.committedLeaderEpoch,
            metadata,
            commitTimestamp: ts === NO_TIMESTAMP ? now : ts,
            expireTimestamp,
            topicId: ZERO_UUID,
          },
        });
        return ErrorCode.NONE as number;
      }),
    );
  }

  /**
   * Committed offsets of a group: the partitions asked for, or every one when topics is null.
   * With requireStable (OffsetFetch v7+), a partition with offsets pending in an open
   * transaction answers UNSTABLE_OFFSET_COMMIT instead, as Kafka's fetchOffsets does.
   */
  fetch(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, requireStable: boolean, live: boolean): FetchedOffsets {
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

  hasOpenTransactions(groupId: string): boolean {
    return this.#openTxnsByGroup.has(groupId);
  }

  /** OffsetDelete's records; per-partition codes in request order. */
  delete(tx: Tx<GroupRecord>, group: Group, topics: Array<{ name: string; partitions: number[] }>): number[][] {
    const groupId = group.groupId;
    const offsets = this.#offsets.get(groupId);
    return topics.map((t) => {
      const subscribed = group.isSubscribedToTopic(t.name);
      return t.partitions.map((partition) => {
        if (subscribed) return ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC as number;
        if (offsets?.get(t.name)?.has(partition) || this.hasPendingTransactionalOffsets(groupId, t.name, partition)) tx.records.push(offsetTombstone(groupId, t.name, partition));
        return ErrorCode.NONE as number;
      });
    });
  }

  /** Tombstones for every offset of the group, pending ones too (one per partition, as Kafka's deleteAllOffsets). */
  deleteAll(tx: Tx<GroupRecord>, groupId: string): void {
    for (const [topic, parts] of this.#offsets.get(groupId) ?? []) {
      for (const partition of parts.keys()) tx.records.push(offsetTombstone(groupId, topic, partition));
    }
    const pendingParts = new Set<string>();
    for (const pid of this.#openTxnsByGroup.get(groupId) ?? []) {
      for (const [topic, parts] of this.#pendingTxnOffsets.get(pid)?.get(groupId) ?? []) {
        for (const partition of parts.keys()) {
          const k = `${partition}\u0000${topic}`;
          if (getOffset(this.#offsets, groupId, topic, partition) || pendingParts.has(k)) continue;
          pendingParts.add(k);
          tx.records.push(offsetTombstone(groupId, topic, partition));
        }
      }
    }
  }

  /**
   * offsets.retention.minutes: tombstones for the group's expired offsets. Returns how many
   * expired, and whether none is left (Kafka's cleanupExpiredOffsets).
   */
  expire(tx: Tx<GroupRecord>, group: Group): { expired: number; allExpired: boolean } {
    const now = this.opts.now();
    const retention = this.opts.offsetsRetentionMs;
    const base = group.offsetExpirationBase();
    const offsets = this.#offsets.get(group.groupId);
    let allExpired = true;
    let expired = 0;
    for (const [topic, parts] of offsets ?? []) {
      const skip = base === null || group.isSubscribedToTopic(topic);
      for (const [partition, o] of parts) {
        // An offset with a transactional commit pending is kept until the transaction ends.
        const isExpired =
          !skip &&
          (o.expireTimestamp >= 0n ? BigInt(now) >= o.expireTimestamp : now - base!(o) >= retention) &&
          !this.hasPendingTransactionalOffsets(group.groupId, topic, partition);
        if (isExpired) {
          tx.records.push(offsetTombstone(group.groupId, topic, partition));
          expired++;
        } else {
          allExpired = false;
        }
      }
    }
    return { expired, allExpired };
  }

  /** Offset records (Kafka's OffsetMetadataManager.replay); `producerId` ≥ 0 marks a transactional commit. */
  replay(rec: Extract<GroupRecord, { type: 'offset' }>, producerId: bigint): void {
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
    this.opts.ensureGroup(groupId);
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
  }

  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
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
}
