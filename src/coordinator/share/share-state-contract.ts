/**
 * The seam between share groups' membership (the group coordinator: ShareGroupHeartbeat,
 * ShareGroupDescribe, the share-group offsets admin APIs) and their delivery state (the share
 * coordinator over __share_group_state and the share partitions behind ShareFetch and
 * ShareAcknowledge). Kafka splits them the same way: the group coordinator calls the share
 * coordinator's persister, and the share partition manager listens for members leaving.
 */

export interface SharePartitionRef {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
}

/** What DescribeShareGroupOffsets reports for a partition that has share state. */
export interface SharePartitionSummary {
  /** The share-partition start offset: every record below it is done for this group. */
  readonly startOffset: bigint;
  readonly stateEpoch: number;
  readonly leaderEpoch: number;
}

/** Implemented by the share coordinator; used by the group coordinator and the admin handlers. */
export interface ShareStateStore {
  /**
   * Creates the state of partitions that a share group starts to consume (its target assignment
   * gained them), at the offset the group's `share.auto.offset.reset` names; partitions that
   * already have state keep it.
   */
  ensureInitialized(groupId: string, partitions: readonly SharePartitionRef[]): Promise<void>;
  /** The state of one partition, or undefined when the group never consumed it. */
  readSummary(groupId: string, partition: SharePartitionRef): Promise<SharePartitionSummary | undefined>;
  /** The partitions a group has state for (DescribeShareGroupOffsets with no topics named). */
  partitionsOf(groupId: string): readonly SharePartitionRef[];
  /** AlterShareGroupOffsets: start over at `startOffset`, forgetting in-flight records. */
  resetTo(groupId: string, partition: SharePartitionRef, startOffset: bigint): Promise<void>;
  /** DeleteShareGroupOffsets and DeleteGroups: the partition's state is gone. */
  delete(groupId: string, partition: SharePartitionRef): Promise<void>;
}

/** Implemented by the share partitions; told by the group coordinator. */
export interface ShareGroupListener {
  /** A member left or was fenced: its acquired records become available again, its session ends. */
  onMemberLeft(groupId: string, memberId: string): void;
  /** The group was deleted. */
  onGroupDeleted(groupId: string): void;
}
