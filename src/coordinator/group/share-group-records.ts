/**
 * The share group records of __consumer_offsets (KIP-932), in Kafka's formats: the key's
 * leading int16 is the record type (10-15), the key struct is version 0; a value starts with
 * its int16 version (0, the one Kafka 4.3 writes). Read with the highest version known here;
 * newer versions may only add tagged fields.
 */
import type { Reader } from '../../protocol/codec/reader.js';
import { codec, recordFamily } from './record-codecs.js';
import * as m10 from '../../protocol/generated/group-coordinator/share-group-member-metadata-key.js';
import * as v10 from '../../protocol/generated/group-coordinator/share-group-member-metadata-value.js';
import * as m11 from '../../protocol/generated/group-coordinator/share-group-metadata-key.js';
import * as v11 from '../../protocol/generated/group-coordinator/share-group-metadata-value.js';
import * as m12 from '../../protocol/generated/group-coordinator/share-group-target-assignment-metadata-key.js';
import * as v12 from '../../protocol/generated/group-coordinator/share-group-target-assignment-metadata-value.js';
import * as m13 from '../../protocol/generated/group-coordinator/share-group-target-assignment-member-key.js';
import * as v13 from '../../protocol/generated/group-coordinator/share-group-target-assignment-member-value.js';
import * as m14 from '../../protocol/generated/group-coordinator/share-group-current-member-assignment-key.js';
import * as v14 from '../../protocol/generated/group-coordinator/share-group-current-member-assignment-value.js';
import * as m15 from '../../protocol/generated/group-coordinator/share-group-state-partition-metadata-key.js';
import * as v15 from '../../protocol/generated/group-coordinator/share-group-state-partition-metadata-value.js';

export type ShareGroupStatePartitionMetadataValue = v15.ShareGroupStatePartitionMetadataValue;

export type ShareGroupRecord =
  | { type: 'shareGroupMemberMetadata'; key: m10.ShareGroupMemberMetadataKey; value: v10.ShareGroupMemberMetadataValue | null }
  | { type: 'shareGroupMetadata'; key: m11.ShareGroupMetadataKey; value: v11.ShareGroupMetadataValue | null }
  | { type: 'shareGroupTargetAssignmentMetadata'; key: m12.ShareGroupTargetAssignmentMetadataKey; value: v12.ShareGroupTargetAssignmentMetadataValue | null }
  | { type: 'shareGroupTargetAssignmentMember'; key: m13.ShareGroupTargetAssignmentMemberKey; value: v13.ShareGroupTargetAssignmentMemberValue | null }
  | { type: 'shareGroupCurrentMemberAssignment'; key: m14.ShareGroupCurrentMemberAssignmentKey; value: v14.ShareGroupCurrentMemberAssignmentValue | null }
  | { type: 'shareGroupStatePartitionMetadata'; key: m15.ShareGroupStatePartitionMetadataKey; value: v15.ShareGroupStatePartitionMetadataValue | null };

const FAMILY = recordFamily<ShareGroupRecord>([
  codec(
    'shareGroupMemberMetadata',
    10,
    { size: m10.sizeShareGroupMemberMetadataKey, write: m10.writeShareGroupMemberMetadataKey, read: m10.readShareGroupMemberMetadataKey },
    { size: v10.sizeShareGroupMemberMetadataValue, write: v10.writeShareGroupMemberMetadataValue, read: v10.readShareGroupMemberMetadataValue },
    v10.ShareGroupMemberMetadataValueVersions.max,
  ),
  codec(
    'shareGroupMetadata',
    11,
    { size: m11.sizeShareGroupMetadataKey, write: m11.writeShareGroupMetadataKey, read: m11.readShareGroupMetadataKey },
    { size: v11.sizeShareGroupMetadataValue, write: v11.writeShareGroupMetadataValue, read: v11.readShareGroupMetadataValue },
    v11.ShareGroupMetadataValueVersions.max,
  ),
  codec(
    'shareGroupTargetAssignmentMetadata',
    12,
    { size: m12.sizeShareGroupTargetAssignmentMetadataKey, write: m12.writeShareGroupTargetAssignmentMetadataKey, read: m12.readShareGroupTargetAssignmentMetadataKey },
    { size: v12.sizeShareGroupTargetAssignmentMetadataValue, write: v12.writeShareGroupTargetAssignmentMetadataValue, read: v12.readShareGroupTargetAssignmentMetadataValue },
    v12.ShareGroupTargetAssignmentMetadataValueVersions.max,
  ),
  codec(
    'shareGroupTargetAssignmentMember',
    13,
    { size: m13.sizeShareGroupTargetAssignmentMemberKey, write: m13.writeShareGroupTargetAssignmentMemberKey, read: m13.readShareGroupTargetAssignmentMemberKey },
    { size: v13.sizeShareGroupTargetAssignmentMemberValue, write: v13.writeShareGroupTargetAssignmentMemberValue, read: v13.readShareGroupTargetAssignmentMemberValue },
    v13.ShareGroupTargetAssignmentMemberValueVersions.max,
  ),
  codec(
    'shareGroupCurrentMemberAssignment',
    14,
    { size: m14.sizeShareGroupCurrentMemberAssignmentKey, write: m14.writeShareGroupCurrentMemberAssignmentKey, read: m14.readShareGroupCurrentMemberAssignmentKey },
    { size: v14.sizeShareGroupCurrentMemberAssignmentValue, write: v14.writeShareGroupCurrentMemberAssignmentValue, read: v14.readShareGroupCurrentMemberAssignmentValue },
    v14.ShareGroupCurrentMemberAssignmentValueVersions.max,
  ),
  codec(
    'shareGroupStatePartitionMetadata',
    15,
    { size: m15.sizeShareGroupStatePartitionMetadataKey, write: m15.writeShareGroupStatePartitionMetadataKey, read: m15.readShareGroupStatePartitionMetadataKey },
    { size: v15.sizeShareGroupStatePartitionMetadataValue, write: v15.writeShareGroupStatePartitionMetadataValue, read: v15.readShareGroupStatePartitionMetadataValue },
    v15.ShareGroupStatePartitionMetadataValueVersions.max,
  ),
]);

export function encodeShareGroupKey(rec: ShareGroupRecord): Buffer {
  return FAMILY.encodeKey(rec);
}

export function encodeShareGroupValue(rec: ShareGroupRecord): Buffer | null {
  return FAMILY.encodeValue(rec);
}

/** `kr` is positioned after the key's type; null for a type that is not a share group record. */
export function decodeShareGroupRecord(keyType: number, kr: Reader, value: Buffer | null): ShareGroupRecord | null {
  return FAMILY.decode(keyType, kr, value);
}
