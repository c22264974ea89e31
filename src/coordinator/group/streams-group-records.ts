/**
 * The streams group records of __consumer_offsets (KIP-1071), in Kafka's formats: the key's
 * leading int16 is the record type (17 group metadata, 19 member metadata, 20 target
 * assignment metadata, 21 target assignment of a member, 22 current assignment of a member,
 * 23 topology; 18 was a partition metadata record Kafka no longer writes), the key struct is
 * version 0; a value starts with its int16 version (0). Read with the highest version known
 * here; newer versions may only add tagged fields.
 */
import type { Reader } from '../../protocol/codec/reader.js';
import { codec, recordFamily } from './record-codecs.js';
import * as k17 from '../../protocol/generated/group-coordinator/streams-group-metadata-key.js';
import * as v17 from '../../protocol/generated/group-coordinator/streams-group-metadata-value.js';
import * as k19 from '../../protocol/generated/group-coordinator/streams-group-member-metadata-key.js';
import * as v19 from '../../protocol/generated/group-coordinator/streams-group-member-metadata-value.js';
import * as k20 from '../../protocol/generated/group-coordinator/streams-group-target-assignment-metadata-key.js';
import * as v20 from '../../protocol/generated/group-coordinator/streams-group-target-assignment-metadata-value.js';
import * as k21 from '../../protocol/generated/group-coordinator/streams-group-target-assignment-member-key.js';
import * as v21 from '../../protocol/generated/group-coordinator/streams-group-target-assignment-member-value.js';
import * as k22 from '../../protocol/generated/group-coordinator/streams-group-current-member-assignment-key.js';
import * as v22 from '../../protocol/generated/group-coordinator/streams-group-current-member-assignment-value.js';
import * as k23 from '../../protocol/generated/group-coordinator/streams-group-topology-key.js';
import * as v23 from '../../protocol/generated/group-coordinator/streams-group-topology-value.js';

export type { StreamsGroupTopologyValue } from '../../protocol/generated/group-coordinator/streams-group-topology-value.js';

export type StreamsGroupRecord =
  | { type: 'streamsGroupMetadata'; key: k17.StreamsGroupMetadataKey; value: v17.StreamsGroupMetadataValue | null }
  | { type: 'streamsGroupMemberMetadata'; key: k19.StreamsGroupMemberMetadataKey; value: v19.StreamsGroupMemberMetadataValue | null }
  | { type: 'streamsGroupTargetAssignmentMetadata'; key: k20.StreamsGroupTargetAssignmentMetadataKey; value: v20.StreamsGroupTargetAssignmentMetadataValue | null }
  | { type: 'streamsGroupTargetAssignmentMember'; key: k21.StreamsGroupTargetAssignmentMemberKey; value: v21.StreamsGroupTargetAssignmentMemberValue | null }
  | { type: 'streamsGroupCurrentMemberAssignment'; key: k22.StreamsGroupCurrentMemberAssignmentKey; value: v22.StreamsGroupCurrentMemberAssignmentValue | null }
  | { type: 'streamsGroupTopology'; key: k23.StreamsGroupTopologyKey; value: v23.StreamsGroupTopologyValue | null };

const FAMILY = recordFamily<StreamsGroupRecord>([
  codec('streamsGroupMetadata', 17,
    { size: k17.sizeStreamsGroupMetadataKey, write: k17.writeStreamsGroupMetadataKey, read: k17.readStreamsGroupMetadataKey },
    { size: v17.sizeStreamsGroupMetadataValue, write: v17.writeStreamsGroupMetadataValue, read: v17.readStreamsGroupMetadataValue },
    v17.StreamsGroupMetadataValueVersions.max),
  codec('streamsGroupMemberMetadata', 19,
    { size: k19.sizeStreamsGroupMemberMetadataKey, write: k19.writeStreamsGroupMemberMetadataKey, read: k19.readStreamsGroupMemberMetadataKey },
    { size: v19.sizeStreamsGroupMemberMetadataValue, write: v19.writeStreamsGroupMemberMetadataValue, read: v19.readStreamsGroupMemberMetadataValue },
    v19.StreamsGroupMemberMetadataValueVersions.max),
  codec('streamsGroupTargetAssignmentMetadata', 20,
    { size: k20.sizeStreamsGroupTargetAssignmentMetadataKey, write: k20.writeStreamsGroupTargetAssignmentMetadataKey, read: k20.readStreamsGroupTargetAssignmentMetadataKey },
    { size: v20.sizeStreamsGroupTargetAssignmentMetadataValue, write: v20.writeStreamsGroupTargetAssignmentMetadataValue, read: v20.readStreamsGroupTargetAssignmentMetadataValue },
    v20.StreamsGroupTargetAssignmentMetadataValueVersions.max),
  codec('streamsGroupTargetAssignmentMember', 21,
    { size: k21.sizeStreamsGroupTargetAssignmentMemberKey, write: k21.writeStreamsGroupTargetAssignmentMemberKey, read: k21.readStreamsGroupTargetAssignmentMemberKey },
    { size: v21.sizeStreamsGroupTargetAssignmentMemberValue, write: v21.writeStreamsGroupTargetAssignmentMemberValue, read: v21.readStreamsGroupTargetAssignmentMemberValue },
    v21.StreamsGroupTargetAssignmentMemberValueVersions.max),
  codec('streamsGroupCurrentMemberAssignment', 22,
    { size: k22.sizeStreamsGroupCurrentMemberAssignmentKey, write: k22.writeStreamsGroupCurrentMemberAssignmentKey, read: k22.readStreamsGroupCurrentMemberAssignmentKey },
    { size: v22.sizeStreamsGroupCurrentMemberAssignmentValue, write: v22.writeStreamsGroupCurrentMemberAssignmentValue, read: v22.readStreamsGroupCurrentMemberAssignmentValue },
    v22.StreamsGroupCurrentMemberAssignmentValueVersions.max),
  codec('streamsGroupTopology', 23,
    { size: k23.sizeStreamsGroupTopologyKey, write: k23.writeStreamsGroupTopologyKey, read: k23.readStreamsGroupTopologyKey },
    { size: v23.sizeStreamsGroupTopologyValue, write: v23.writeStreamsGroupTopologyValue, read: v23.readStreamsGroupTopologyValue },
    v23.StreamsGroupTopologyValueVersions.max),
]);

export function encodeStreamsGroupKey(rec: StreamsGroupRecord): Buffer {
  return FAMILY.encodeKey(rec);
}

export function encodeStreamsGroupValue(rec: StreamsGroupRecord): Buffer | null {
  return FAMILY.encodeValue(rec);
}

/** `kr` is positioned after the key's type; null for a type that is not a streams group record. */
export function decodeStreamsGroupRecord(keyType: number, kr: Reader, value: Buffer | null): StreamsGroupRecord | null {
  return FAMILY.decode(keyType, kr, value);
}
