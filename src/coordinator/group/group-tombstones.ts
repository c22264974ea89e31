/**
 * The tombstones the consumer, share and streams groups write for a member that leaves and
 * for a group that is deleted; the three record families differ only in their type prefix.
 */
import type { GroupRecord } from './records.js';

export type MemberRecordFamily = 'consumerGroup' | 'shareGroup' | 'streamsGroup';

/** A member's removal: its current assignment, its target assignment, then its metadata. */
export function memberTombstones(family: MemberRecordFamily, groupId: string, memberId: string): GroupRecord[] {
  return [
    { type: `${family}CurrentMemberAssignment`, key: { groupId, memberId }, value: null },
    { type: `${family}TargetAssignmentMember`, key: { groupId, memberId }, value: null },
    { type: `${family}MemberMetadata`, key: { groupId, memberId }, value: null },
  ] as GroupRecord[];
}

/**
 * Kafka's createGroupTombstoneRecords order: assignments, targets, target metadata, members,
 * the type's own records (`own`), then the group.
 */
export function groupTombstones(
  family: MemberRecordFamily,
  groupId: string,
  memberIds: Iterable<string>,
  targetIds: Iterable<string>,
  own: readonly GroupRecord[],
): GroupRecord[] {
  const ids = [...memberIds];
  return [
    ...ids.map((memberId) => ({ type: `${family}CurrentMemberAssignment`, key: { groupId, memberId }, value: null }) as GroupRecord),
    ...[...targetIds].map((memberId) => ({ type: `${family}TargetAssignmentMember`, key: { groupId, memberId }, value: null }) as GroupRecord),
    { type: `${family}TargetAssignmentMetadata`, key: { groupId }, value: null } as GroupRecord,
    ...ids.map((memberId) => ({ type: `${family}MemberMetadata`, key: { groupId, memberId }, value: null }) as GroupRecord),
    ...own,
    { type: `${family}Metadata`, key: { groupId }, value: null } as GroupRecord,
  ];
}
