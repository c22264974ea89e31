/**
 * What the coordinator and the offsets manager need from a group, whatever its type
 * (Kafka's Group interface): offset validation, expiration and deletion rules.
 */
import type { GroupRecord } from './records.js';

export type GroupType = 'classic' | 'consumer' | 'share';

export interface OffsetAndMetadata {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1: none (only OffsetCommit v2-v4 with a retention time set one). */
  expireTimestamp: bigint;
}

/** Who commits: a classic member's generation, or a consumer group member's epoch. */
export interface OffsetCommitter {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  apiVersion: number;
}

/** Per-partition check of a commit (KIP-1251): the error for the partition, NONE to accept it. */
export type PartitionCheck = (topicId: string | undefined, partition: number) => number;

export interface Group {
  readonly type: GroupType;
  readonly groupId: string;
  /** Dead groups answer as if absent (a classic group between its tombstone and removal). */
  isDead(): boolean;
  /** The state as ListGroups and DescribeGroups name it. */
  stateName(): string;
  /** No members: the group goes once its offsets have expired. */
  isEmpty(): boolean;
  /** OffsetCommit, or TxnOffsetCommit when `transactional`: an error, NONE, or a check of each partition. */
  validateOffsetCommit(c: OffsetCommitter, transactional: boolean): number | PartitionCheck;
  /** OffsetFetch v9+ names the member; older versions pass null. */
  validateOffsetFetch(memberId: string | null, memberEpoch: number): number;
  validateOffsetDelete(): number;
  validateDeleteGroup(): number;
  isSubscribedToTopic(topic: string): boolean;
  /** The time an offset's retention counts from, or null when no offset of the group may expire now. */
  offsetExpirationBase(): ((o: OffsetAndMetadata) => number) | null;
  /** Tombstones for every record of the group itself (offsets aside). */
  tombstones(): GroupRecord[];
}
