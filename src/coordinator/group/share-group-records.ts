/**
 * The share group records of __consumer_offsets (KIP-932), in Kafka's formats: the key's
 * leading int16 is the record type (10-15), the key struct is version 0; a value starts with
 * its int16 version (0, the one Kafka 4.3 writes). Read with the highest version known here;
 * newer versions may only add tagged fields.
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
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

interface Generated<T> {
  size(x: T, v: number): number;
  write(w: Writer, x: T, v: number): void;
  read(r: Reader, v: number): T;
}

interface Codec {
  type: ShareGroupRecord['type'];
  keyType: number;
  key: Generated<unknown>;
  value: Generated<unknown>;
  maxValueVersion: number;
}

function codec<K, V>(type: ShareGroupRecord['type'], keyType: number, key: Generated<K>, value: Generated<V>, maxValueVersion: number): Codec {
  return { type, keyType, key: key as Generated<unknown>, value: value as Generated<unknown>, maxValueVersion };
}

const CODECS: readonly Codec[] = [
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
];

const BY_TYPE = new Map(CODECS.map((c) => [c.type, c]));
const BY_KEY_TYPE = new Map(CODECS.map((c) => [c.keyType, c]));
const KEY_VERSION = 0;
const VALUE_VERSION = 0;

export function isShareGroupRecord(rec: { type: string }): rec is ShareGroupRecord {
  return BY_TYPE.has(rec.type as ShareGroupRecord['type']);
}

export function encodeShareGroupKey(rec: ShareGroupRecord): Buffer {
  const c = BY_TYPE.get(rec.type)!;
  const w = Writer.alloc(2 + c.key.size(rec.key, KEY_VERSION));
  w.int16(c.keyType);
  c.key.write(w, rec.key, KEY_VERSION);
  return w.finish();
}

export function encodeShareGroupValue(rec: ShareGroupRecord): Buffer | null {
  if (rec.value === null) return null;
  const c = BY_TYPE.get(rec.type)!;
  const w = Writer.alloc(2 + c.value.size(rec.value, VALUE_VERSION));
  w.int16(VALUE_VERSION);
  c.value.write(w, rec.value, VALUE_VERSION);
  return w.finish();
}

/** `kr` is positioned after the key's type; null for a type that is not a share group record. */
export function decodeShareGroupRecord(keyType: number, kr: Reader, value: Buffer | null): ShareGroupRecord | null {
  const c = BY_KEY_TYPE.get(keyType);
  if (!c) return null;
  const key = c.key.read(kr, KEY_VERSION);
  kr.expectEnd(`${c.type} key`);
  if (value === null) return { type: c.type, key, value: null } as ShareGroupRecord;
  const vr = new Reader(value);
  const vv = vr.int16();
  if (vv < 0) throw new DecodeError(`${c.type} value version ${vv}`);
  return { type: c.type, key, value: c.value.read(vr, Math.min(vv, c.maxValueVersion)) } as ShareGroupRecord;
}
