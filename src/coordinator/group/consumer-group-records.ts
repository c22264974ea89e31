/**
 * The KIP-848 consumer group records of __consumer_offsets, in Kafka's formats: the key's
 * leading int16 is the record type (3-8, 16), the key struct is version 0; a value starts
 * with its int16 version (0, the one Kafka 4.3 writes). Read with the highest version known
 * here; newer versions may only add tagged fields.
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
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

interface Codec {
  type: ConsumerGroupRecord['type'];
  keyType: number;
  sizeKey(k: unknown, v: number): number;
  writeKey(w: Writer, k: unknown, v: number): void;
  readKey(r: Reader, v: number): unknown;
  sizeValue(x: unknown, v: number): number;
  writeValue(w: Writer, x: unknown, v: number): void;
  readValue(r: Reader, v: number): unknown;
  maxValueVersion: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const CODECS: readonly Codec[] = [
  {
    type: 'consumerGroupMetadata',
    keyType: 3,
    sizeKey: m3.sizeConsumerGroupMetadataKey as any,
    writeKey: m3.writeConsumerGroupMetadataKey as any,
    readKey: m3.readConsumerGroupMetadataKey,
    sizeValue: v3.sizeConsumerGroupMetadataValue as any,
    writeValue: v3.writeConsumerGroupMetadataValue as any,
    readValue: v3.readConsumerGroupMetadataValue,
    maxValueVersion: v3.ConsumerGroupMetadataValueVersions.max,
  },
  {
    type: 'consumerGroupPartitionMetadata',
    keyType: 4,
    sizeKey: m4.sizeConsumerGroupPartitionMetadataKey as any,
    writeKey: m4.writeConsumerGroupPartitionMetadataKey as any,
    readKey: m4.readConsumerGroupPartitionMetadataKey,
    sizeValue: v4.sizeConsumerGroupPartitionMetadataValue as any,
    writeValue: v4.writeConsumerGroupPartitionMetadataValue as any,
    readValue: v4.readConsumerGroupPartitionMetadataValue,
    maxValueVersion: v4.ConsumerGroupPartitionMetadataValueVersions.max,
  },
  {
    type: 'consumerGroupMemberMetadata',
    keyType: 5,
    sizeKey: m5.sizeConsumerGroupMemberMetadataKey as any,
    writeKey: m5.writeConsumerGroupMemberMetadataKey as any,
    readKey: m5.readConsumerGroupMemberMetadataKey,
    sizeValue: v5.sizeConsumerGroupMemberMetadataValue as any,
    writeValue: v5.writeConsumerGroupMemberMetadataValue as any,
    readValue: v5.readConsumerGroupMemberMetadataValue,
    maxValueVersion: v5.ConsumerGroupMemberMetadataValueVersions.max,
  },
  {
    type: 'consumerGroupTargetAssignmentMetadata',
    keyType: 6,
    sizeKey: m6.sizeConsumerGroupTargetAssignmentMetadataKey as any,
    writeKey: m6.writeConsumerGroupTargetAssignmentMetadataKey as any,
    readKey: m6.readConsumerGroupTargetAssignmentMetadataKey,
    sizeValue: v6.sizeConsumerGroupTargetAssignmentMetadataValue as any,
    writeValue: v6.writeConsumerGroupTargetAssignmentMetadataValue as any,
    readValue: v6.readConsumerGroupTargetAssignmentMetadataValue,
    maxValueVersion: v6.ConsumerGroupTargetAssignmentMetadataValueVersions.max,
  },
  {
    type: 'consumerGroupTargetAssignmentMember',
    keyType: 7,
    sizeKey: m7.sizeConsumerGroupTargetAssignmentMemberKey as any,
    writeKey: m7.writeConsumerGroupTargetAssignmentMemberKey as any,
    readKey: m7.readConsumerGroupTargetAssignmentMemberKey,
    sizeValue: v7.sizeConsumerGroupTargetAssignmentMemberValue as any,
    writeValue: v7.writeConsumerGroupTargetAssignmentMemberValue as any,
    readValue: v7.readConsumerGroupTargetAssignmentMemberValue,
    maxValueVersion: v7.ConsumerGroupTargetAssignmentMemberValueVersions.max,
  },
  {
    type: 'consumerGroupCurrentMemberAssignment',
    keyType: 8,
    sizeKey: m8.sizeConsumerGroupCurrentMemberAssignmentKey as any,
    writeKey: m8.writeConsumerGroupCurrentMemberAssignmentKey as any,
    readKey: m8.readConsumerGroupCurrentMemberAssignmentKey,
    sizeValue: v8.sizeConsumerGroupCurrentMemberAssignmentValue as any,
    writeValue: v8.writeConsumerGroupCurrentMemberAssignmentValue as any,
    readValue: v8.readConsumerGroupCurrentMemberAssignmentValue,
    maxValueVersion: v8.ConsumerGroupCurrentMemberAssignmentValueVersions.max,
  },
  {
    type: 'consumerGroupRegularExpression',
    keyType: 16,
    sizeKey: m16.sizeConsumerGroupRegularExpressionKey as any,
    writeKey: m16.writeConsumerGroupRegularExpressionKey as any,
    readKey: m16.readConsumerGroupRegularExpressionKey,
    sizeValue: v16.sizeConsumerGroupRegularExpressionValue as any,
    writeValue: v16.writeConsumerGroupRegularExpressionValue as any,
    readValue: v16.readConsumerGroupRegularExpressionValue,
    maxValueVersion: v16.ConsumerGroupRegularExpressionValueVersions.max,
  },
];
/* eslint-enable @typescript-eslint/no-explicit-any */

const BY_TYPE = new Map(CODECS.map((c) => [c.type, c]));
const BY_KEY_TYPE = new Map(CODECS.map((c) => [c.keyType, c]));
const KEY_VERSION = 0;
const VALUE_VERSION = 0;

export function encodeConsumerGroupKey(rec: ConsumerGroupRecord): Buffer {
  const c = BY_TYPE.get(rec.type)!;
  const w = Writer.alloc(2 + c.sizeKey(rec.key, KEY_VERSION));
  w.int16(c.keyType);
  c.writeKey(w, rec.key, KEY_VERSION);
  return w.finish();
}

export function encodeConsumerGroupValue(rec: ConsumerGroupRecord): Buffer | null {
  if (rec.value === null) return null;
  const c = BY_TYPE.get(rec.type)!;
  const w = Writer.alloc(2 + c.sizeValue(rec.value, VALUE_VERSION));
  w.int16(VALUE_VERSION);
  c.writeValue(w, rec.value, VALUE_VERSION);
  return w.finish();
}

/** `kr` is positioned after the key's type; null for a type that is not a consumer group record. */
export function decodeConsumerGroupRecord(keyType: number, kr: Reader, value: Buffer | null): ConsumerGroupRecord | null {
  const c = BY_KEY_TYPE.get(keyType);
  if (!c) return null;
  const key = c.readKey(kr, KEY_VERSION);
  kr.expectEnd(`${c.type} key`);
  if (value === null) return { type: c.type, key, value: null } as ConsumerGroupRecord;
  const vr = new Reader(value);
  const vv = vr.int16();
  if (vv < 0) throw new DecodeError(`${c.type} value version ${vv}`);
  return { type: c.type, key, value: c.readValue(vr, Math.min(vv, c.maxValueVersion)) } as ConsumerGroupRecord;
}
