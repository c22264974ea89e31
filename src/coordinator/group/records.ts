/**
 * The records of __consumer_offsets in Kafka's own formats. A record key starts with an
 * int16 that names its type (0 and 1: offset commit, 2: group metadata, 3-8 and 16: consumer
 * groups, 10-15: share groups, 17 and 19-23: streams groups), then the key struct; a value
 * starts with its own int16 version. A null value is a tombstone.
 *
 * Versions written are the ones Kafka writes today (GroupCoordinatorRecordHelpers):
 * OffsetCommitKey as type 1, OffsetCommitValue v3 (v1 when an expire timestamp is set, which
 * only OffsetCommit v2-v4 with a retention time can ask for), GroupMetadataValue v3.
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import {
  type GroupMetadataKey,
  readGroupMetadataKey,
  sizeGroupMetadataKey,
  writeGroupMetadataKey,
} from '../../protocol/generated/group-coordinator/group-metadata-key.js';
import {
  type GroupMetadataValue,
  GroupMetadataValueVersions,
  readGroupMetadataValue,
  sizeGroupMetadataValue,
  writeGroupMetadataValue,
} from '../../protocol/generated/group-coordinator/group-metadata-value.js';
import {
  type OffsetCommitKey,
  readOffsetCommitKey,
  sizeOffsetCommitKey,
  writeOffsetCommitKey,
} from '../../protocol/generated/group-coordinator/offset-commit-key.js';
import {
  type OffsetCommitValue,
  OffsetCommitValueVersions,
  readOffsetCommitValue,
  sizeOffsetCommitValue,
  writeOffsetCommitValue,
} from '../../protocol/generated/group-coordinator/offset-commit-value.js';

import * as cg from './consumer-group-records.js';
import type * as sg from './share-group-records.js';
import type * as stg from './streams-group-records.js';

export type { GroupMetadataValue, MemberMetadata } from '../../protocol/generated/group-coordinator/group-metadata-value.js';
export type { OffsetCommitValue } from '../../protocol/generated/group-coordinator/offset-commit-value.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type GroupRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; key: GroupMetadataKey; value: GroupMetadataValue | null }
  | cg.ConsumerGroupRecord
  | sg.ShareGroupRecord
  | stg.StreamsGroupRecord;

/**
 * Share and streams groups are loaded on first use (their records' codecs with their managers,
 * ~130 kB of generated code no start needs): the group coordinator loads a type's codecs before
 * it replays or writes the first record of that type (`loadRecordFamily`).
 */
export type LazyGroupType = 'share' | 'streams';

const lazyFamilies: { share?: typeof sg; streams?: typeof stg } = {};

/** The lazily loaded group type a stored key belongs to, by its record type; undefined for the others. */
export function lazyGroupTypeOfKey(key: Buffer): LazyGroupType | undefined {
  if (key.length < 2) return undefined;
  const type = key.readInt16BE(0);
  if (type >= 10 && type <= 15) return 'share';
  // 18 is a streams record type Kafka no longer writes: skipped, as by the streams codecs.
  if (type === 17 || (type >= 19 && type <= 23)) return 'streams';
  return undefined;
}

export function isLazyFamilyLoaded(type: LazyGroupType): boolean {
  return lazyFamilies[type] !== undefined;
}

export async function loadRecordFamily(type: LazyGroupType): Promise<void> {
  if (type === 'share') lazyFamilies.share ??= await import('./share-group-records.js');
  else lazyFamilies.streams ??= await import('./streams-group-records.js');
}

function lazyFamily<T extends LazyGroupType>(type: T): NonNullable<(typeof lazyFamilies)[T]> {
  const family = lazyFamilies[type];
  // A coordinator loads the codecs before the first record of their type: reaching here without them is a bug.
  if (family === undefined) throw new Error(`${type} group records used before their codecs were loaded`);
  return family as NonNullable<(typeof lazyFamilies)[T]>;
}

export function isShareGroupRecord(rec: GroupRecord): rec is sg.ShareGroupRecord {
  return rec.type.startsWith('shareGroup');
}

export function isStreamsGroupRecord(rec: GroupRecord): rec is stg.StreamsGroupRecord {
  return rec.type.startsWith('streamsGroup');
}

/** The value version Kafka writes for an offset commit. */
export function offsetCommitValueVersion(value: OffsetCommitValue): number {
  return value.expireTimestamp >= 0n ? 1 : 3;
}

function versioned(version: number, size: number, write: (w: Writer) => void): Buffer {
  const w = Writer.alloc(2 + size);
  w.int16(version);
  write(w);
  return w.finish();
}

export function encodeRecordKey(rec: GroupRecord): Buffer {
  if (isShareGroupRecord(rec)) return lazyFamily('share').encodeShareGroupKey(rec);
  if (isStreamsGroupRecord(rec)) return lazyFamily('streams').encodeStreamsGroupKey(rec);
  if (rec.type !== 'offset' && rec.type !== 'group') return cg.encodeConsumerGroupKey(rec);
  if (rec.type === 'offset') {
    return versioned(OFFSET_COMMIT_KEY_VERSION, sizeOffsetCommitKey(rec.key, OFFSET_COMMIT_KEY_VERSION), (w) =>
      writeOffsetCommitKey(w, rec.key, OFFSET_COMMIT_KEY_VERSION),
    );
  }
  return versioned(GROUP_METADATA_KEY_VERSION, sizeGroupMetadataKey(rec.key, GROUP_METADATA_KEY_VERSION), (w) =>
    writeGroupMetadataKey(w, rec.key, GROUP_METADATA_KEY_VERSION),
  );
}

export function encodeRecordValue(rec: GroupRecord): Buffer | null {
  if (rec.value === null) return null;
  if (isShareGroupRecord(rec)) return lazyFamily('share').encodeShareGroupValue(rec);
  if (isStreamsGroupRecord(rec)) return lazyFamily('streams').encodeStreamsGroupValue(rec);
  if (rec.type !== 'offset' && rec.type !== 'group') return cg.encodeConsumerGroupValue(rec);
  if (rec.type === 'offset') {
    const value = rec.value;
    const v = offsetCommitValueVersion(value);
    return versioned(v, sizeOffsetCommitValue(value, v), (w) => writeOffsetCommitValue(w, value, v));
  }
  const value = rec.value;
  const v = GROUP_METADATA_VALUE_VERSION;
  return versioned(v, sizeGroupMetadataValue(value, v), (w) => writeGroupMetadataValue(w, value, v));
}

/** Decodes one stored record; null for a key type this coordinator does not own, which replay skips. */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupRecord | null {
  if (key.length < 2) throw new DecodeError(`record key of ${key.length} bytes`);
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = readOffsetCommitKey(kr, keyVersion);
    kr.expectEnd('offset commit key');
    if (value === null) return { type: 'offset', key: k, value: null };
    const vr = new Reader(value);
    const vv = vr.int16();
    if (vv < OffsetCommitValueVersions.min || vv > OffsetCommitValueVersions.max) throw new DecodeError(`offset commit value version ${vv}`);
    // Newer versions may carry more fields (Kafka reads with the highest version it knows and ignores the rest).
    return { type: 'offset', key: k, value: readOffsetCommitValue(vr, vv) };
  }
  if (keyVersion === 2) {
    const k = readGroupMetadataKey(kr, keyVersion);
    kr.expectEnd('group metadata key');
    if (value === null) return { type: 'group', key: k, value: null };
    const vr = new Reader(value);
    const vv = vr.int16();
    if (vv < GroupMetadataValueVersions.min || vv > GroupMetadataValueVersions.max) throw new DecodeError(`group metadata value version ${vv}`);
    return { type: 'group', key: k, value: readGroupMetadataValue(vr, vv) };
  }
  const lazy = lazyGroupTypeOfKey(key);
  if (lazy === 'share') return lazyFamily('share').decodeShareGroupRecord(keyVersion, kr, value);
  if (lazy === 'streams') return lazyFamily('streams').decodeStreamsGroupRecord(keyVersion, kr, value);
  return cg.decodeConsumerGroupRecord(keyVersion, kr, value);
}
