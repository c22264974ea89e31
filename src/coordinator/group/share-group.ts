/**
 * A share group (KIP-932) in memory: Kafka's ShareGroup and ShareGroupMember. As with
 * consumer groups, only replay changes it. A share member never revokes anything (records,
 * not partitions, are what its peers compete for), so it is always Stable and its epoch goes
 * straight to the target assignment's. The group is Empty without members, Stable with.
 *
 * Beside members and assignments, the group keeps which partitions have share state
 * (ShareGroupStatePartitionMetadata): initializing (asked of the share coordinator),
 * initialized (assignable), deleting.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import { NO_PARTITIONS, type TopicPartitions } from './consumer-group.js';
import type { Group, OffsetAndMetadata, PartitionCheck } from './group-type.js';
import type { GroupRecord } from './records.js';
import { groupTombstones } from './group-tombstones.js';

export interface ShareMember {
  readonly memberId: string;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly assignedPartitions: TopicPartitions;
}

export function newShareMember(memberId: string): ShareMember {
  return { memberId, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], memberEpoch: 0, previousMemberEpoch: 0, assignedPartitions: NO_PARTITIONS };
}

/** Partitions of one topic with share state, and the topic's name when it was recorded. */
export interface StateTopic {
  readonly name: string;
  readonly partitions: ReadonlySet<number>;
}

export interface StatePartitions {
  /** topic id → partitions asked of the share coordinator, and when (replay time after a restart). */
  readonly initializing: ReadonlyMap<string, StateTopic & { readonly since: number }>;
  readonly initialized: ReadonlyMap<string, StateTopic>;
  /** topic id → name. */
  readonly deleting: ReadonlyMap<string, string>;
}

export const NO_STATE_PARTITIONS: StatePartitions = { initializing: new Map(), initialized: new Map(), deleting: new Map() };

export class ShareGroup implements Group {
  readonly type = 'share';
  groupEpoch = 0;
  metadataHash = 0n;
  assignmentEpoch = 0;
  readonly members = new Map<string, ShareMember>();
  readonly targetAssignment = new Map<string, TopicPartitions>();
  statePartitions: StatePartitions = NO_STATE_PARTITIONS;

  constructor(readonly groupId: string) {}

  stateName(): string {
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }

  isDead(): boolean {
    return false;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }

  subscribedTopicNames(): Set<string> {
    return new Set([...this.members.values()].flatMap((m) => m.subscribedTopicNames));
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopicNames().has(topic);
  }

  /**
   * A share group has no committed offsets: OffsetCommit and OffsetDelete find no consumer group;
   * OffsetFetch answers none, without an error (what Kafka 4.3.1 answers, member or not).
   */
  validateOffsetCommit(): number | PartitionCheck {
    return ErrorCode.GROUP_ID_NOT_FOUND;
  }

  validateOffsetFetch(): number {
    return ErrorCode.NONE;
  }

  validateOffsetDelete(): number {
    return ErrorCode.GROUP_ID_NOT_FOUND;
  }

  validateDeleteGroup(): number {
    return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.NON_EMPTY_GROUP;
  }

  offsetExpirationBase(): ((o: OffsetAndMetadata) => number) | null {
    return null;
  }

  /** Kafka's ShareGroup.createGroupTombstoneRecords order. */
  tombstones(): GroupRecord[] {
    const groupId = this.groupId;
    return groupTombstones('shareGroup', groupId, this.members.keys(), this.targetAssignment.keys(), [{ type: 'shareGroupStatePartitionMetadata', key: { groupId }, value: null }]);
  }
}
