/**
 * The KIP-848 consumer group records of __consumer_offsets, in Kafka's formats: the key's
 * leading int16 is the record type (3-8, 16), the key struct is version 0; a value starts
 * with its int16 version (0, the one Kafka 4.3 writes). Read with the highest version known
 * here; newer versions may only add tagged fields.
 */
import type { Reader } from '../../protocol/codec/reader.js';
import { codec, recordFamily } from './record-codecs.js';
import * as m3 from '../../protocol/generated/group-coordinator/consumer-group-metadata-key.js';
import * as v3 from '../../protocol/generated/group-coordinator/consumer-group-metadata-value.js';
import * as m4 from '../../protocol/generated/group-coordinator/consumer-group-partition-metadata-key.js';
import * as v4 from '../../protocol/generated/group-coordinator/consumer-group-partition-metadata-value.js';
import * as m5 from '../../protocol/generated/group-coordinator/consumer-group-member-metadata-key.js';
import * as v5 from '../../protocol/generated/group-coordinator/consumer-group-member-metadata-value.js';
import * as m6 from '../../protocol/generated/group-coordinator/consumer-group-target-assignment-metadata-key.js';
import * as v6 from '../../protocol/generated/group-coordinator/consumer-group-target-assignment-metadata-value.js';
import * as m7 from '../../protocol/generated/group-coordinator/consumer-group-target-assignment-member-key.js';
import * as v7 from '../../protocol/generated/group-coordinator/consumer-group-target-assignment-member-value.js';
import * as m8 from '../../protocol/generated/group-coordinator/consumer-group-current-member-assignment-key.js';
import * as v8 from '../../protocol/generated/group-coordinator/consumer-group-current-member-assignment-value.js';
import * as m16 from '../../protocol/generated/group-coordinator/consumer-group-regular-expression-key.js';
import * as v16 from '../../protocol/generated/group-coordinator/consumer-group-regular-expression-value.js';

export type ConsumerGroupRecord =
  | { type: 'consumerGroupMetadata'; key: m3.ConsumerGroupMetadataKey; value: v3.ConsumerGroupMetadataValue | null }
  | { type: 'consumerGroupPartitionMetadata'; key: m4.ConsumerGroupPartitionMetadataKey; value: v4.ConsumerGroupPartitionMetadataValue | null }
  | { type: 'consumerGroupMemberMetadata'; key: m5.ConsumerGroupMemberMetadataKey; value: v5.ConsumerGroupMemberMetadataValue | null }
  | { type: 'consumerGroupTargetAssignmentMetadata'; key: m6.ConsumerGroupTargetAssignmentMetadataKey; value: v6.ConsumerGroupTargetAssignmentMetadataValue | null }
  | { type: 'consumerGroupTargetAssignmentMember'; key: m7.ConsumerGroupTargetAssignmentMemberKey; value: v7.ConsumerGroupTargetAssignmentMemberValue | null }
  | { type: 'consumerGroupCurrentMemberAssignment'; key: m8.ConsumerGroupCurrentMemberAssignmentKey; value: v8.ConsumerGroupCurrentMemberAssignmentValue | null }
  | { type: 'consumerGroupRegularExpression'; key: m16.ConsumerGroupRegularExpressionKey; value: v16.ConsumerGroupRegularExpressionValue | null };

const FAMILY = recordFamily<ConsumerGroupRecord>([
  codec(
    'consumerGroupMetadata',
    3,
    { size: m3.sizeConsumerGroupMetadataKey, write: m3.writeConsumerGroupMetadataKey, read: m3.readConsumerGroupMetadataKey },
    { size: v3.sizeConsumerGroupMetadataValue, write: v3.writeConsumerGroupMetadataValue, read: v3.readConsumerGroupMetadataValue },
    v3.ConsumerGroupMetadataValueVersions.max,
  ),
  codec(
    'consumerGroupPartitionMetadata',
    4,
    { size: m4.sizeConsumerGroupPartitionMetadataKey, write: m4.writeConsumerGroupPartitionMetadataKey, read: m4.readConsumerGroupPartitionMetadataKey },
    { size: v4.sizeConsumerGroupPartitionMetadataValue, write: v4.writeConsumerGroupPartitionMetadataValue, read: v4.readConsumerGroupPartitionMetadataValue },
    v4.ConsumerGroupPartitionMetadataValueVersions.max,
  ),
  codec(
    'consumerGroupMemberMetadata',
    5,
    { size: m5.sizeConsumerGroupMemberMetadataKey, write: m5.writeConsumerGroupMemberMetadataKey, read: m5.readConsumerGroupMemberMetadataKey },
    { size: v5.sizeConsumerGroupMemberMetadataValue, write: v5.writeConsumerGroupMemberMetadataValue, read: v5.readConsumerGroupMemberMetadataValue },
    v5.ConsumerGroupMemberMetadataValueVersions.max,
  ),
  codec(
    'consumerGroupTargetAssignmentMetadata',
    6,
    { size: m6.sizeConsumerGroupTargetAssignmentMetadataKey, write: m6.writeConsumerGroupTargetAssignmentMetadataKey, read: m6.readConsumerGroupTargetAssignmentMetadataKey },
    { size: v6.sizeConsumerGroupTargetAssignmentMetadataValue, write: v6.writeConsumerGroupTargetAssignmentMetadataValue, read: v6.readConsumerGroupTargetAssignmentMetadataValue },
    v6.ConsumerGroupTargetAssignmentMetadataValueVersions.max,
  ),
  codec(
    'consumerGroupTargetAssignmentMember',
    7,
    { size: m7.sizeConsumerGroupTargetAssignmentMemberKey, write: m7.writeConsumerGroupTargetAssignmentMemberKey, read: m7.readConsumerGroupTargetAssignmentMemberKey },
    { size: v7.sizeConsumerGroupTargetAssignmentMemberValue, write: v7.writeConsumerGroupTargetAssignmentMemberValue, read: v7.readConsumerGroupTargetAssignmentMemberValue },
    v7.ConsumerGroupTargetAssignmentMemberValueVersions.max,
  ),
  codec(
    'consumerGroupCurrentMemberAssignment',
    8,
    { size: m8.sizeConsumerGroupCurrentMemberAssignmentKey, write: m8.writeConsumerGroupCurrentMemberAssignmentKey, read: m8.readConsumerGroupCurrentMemberAssignmentKey },
    { size: v8.sizeConsumerGroupCurrentMemberAssignmentValue, write: v8.writeConsumerGroupCurrentMemberAssignmentValue, read: v8.readConsumerGroupCurrentMemberAssignmentValue },
    v8.ConsumerGroupCurrentMemberAssignmentValueVersions.max,
  ),
  codec(
    'consumerGroupRegularExpression',
    16,
    { size: m16.sizeConsumerGroupRegularExpressionKey, write: m16.writeConsumerGroupRegularExpressionKey, read: m16.readConsumerGroupRegularExpressionKey },
    { size: v16.sizeConsumerGroupRegularExpressionValue, write: v16.writeConsumerGroupRegularExpressionValue, read: v16.readConsumerGroupRegularExpressionValue },
    v16.ConsumerGroupRegularExpressionValueVersions.max,
  ),
]);

export function encodeConsumerGroupKey(rec: ConsumerGroupRecord): Buffer {
  return FAMILY.encodeKey(rec);
}

export function encodeConsumerGroupValue(rec: ConsumerGroupRecord): Buffer | null {
  return FAMILY.encodeValue(rec);
}

/** `kr` is positioned after the key's type; null for a type that is not a consumer group record. */
export function decodeConsumerGroupRecord(keyType: number, kr: Reader, value: Buffer | null): ConsumerGroupRecord | null {
  return FAMILY.decode(keyType, kr, value);
}
