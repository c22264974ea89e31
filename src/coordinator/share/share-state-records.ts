/**
 * The records of __share_group_state in Kafka's formats: a key starts with an int16 naming
 * its type (0: ShareSnapshot, the whole state of a share partition; 1: ShareUpdate, a change
 * to lay over the last snapshot), then the key struct; a value starts with its int16 version.
 * A null value is a tombstone (the state was deleted).
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { type ShareSnapshotKey, readShareSnapshotKey, sizeShareSnapshotKey, writeShareSnapshotKey } from '../../protocol/generated/share-coordinator/share-snapshot-key.js';
import { type ShareSnapshotValue, readShareSnapshotValue, sizeShareSnapshotValue, writeShareSnapshotValue } from '../../protocol/generated/share-coordinator/share-snapshot-value.js';
import { readShareUpdateKey, sizeShareUpdateKey, writeShareUpdateKey } from '../../protocol/generated/share-coordinator/share-update-key.js';
import { type ShareUpdateValue, readShareUpdateValue, sizeShareUpdateValue, writeShareUpdateValue } from '../../protocol/generated/share-coordinator/share-update-value.js';

export type { ShareSnapshotValue } from '../../protocol/generated/share-coordinator/share-snapshot-value.js';
export type { ShareUpdateValue } from '../../protocol/generated/share-coordinator/share-update-value.js';

export const SHARE_SNAPSHOT_KEY_TYPE = 0;
export const SHARE_UPDATE_KEY_TYPE = 1;
const VALUE_VERSION = 0;

/** Both key types have the same fields: the share partition. */
export type SharePartitionKey = ShareSnapshotKey;

export type ShareStateRecord =
  | { type: 'snapshot'; key: SharePartitionKey; value: ShareSnapshotValue | null }
  | { type: 'update'; key: SharePartitionKey; value: ShareUpdateValue | null };

function versioned(version: number, size: number, write: (w: Writer) => void): Buffer {
  const w = Writer.alloc(2 + size);
  w.int16(version);
  write(w);
  return w.finish();
}

export function encodeShareStateKey(rec: ShareStateRecord): Buffer {
  return rec.type === 'snapshot'
    ? versioned(SHARE_SNAPSHOT_KEY_TYPE, sizeShareSnapshotKey(rec.key, 0), (w) => writeShareSnapshotKey(w, rec.key, 0))
    : versioned(SHARE_UPDATE_KEY_TYPE, sizeShareUpdateKey(rec.key, 0), (w) => writeShareUpdateKey(w, rec.key, 0));
}

export function encodeShareStateValue(rec: ShareStateRecord): Buffer | null {
  if (rec.value === null) return null;
  if (rec.type === 'snapshot') {
    const v = rec.value;
    return versioned(VALUE_VERSION, sizeShareSnapshotValue(v, VALUE_VERSION), (w) => writeShareSnapshotValue(w, v, VALUE_VERSION));
  }
  const v = rec.value;
  return versioned(VALUE_VERSION, sizeShareUpdateValue(v, VALUE_VERSION), (w) => writeShareUpdateValue(w, v, VALUE_VERSION));
}

/** One stored record, or null for a key type this coordinator does not know (skipped, as Kafka does). */
export function decodeShareStateRecord(key: Buffer, value: Buffer | null): ShareStateRecord | null {
  if (key.length < 2) throw new DecodeError(`record key of ${key.length} bytes`);
  const kr = new Reader(key);
  const type = kr.int16();
  if (type !== SHARE_SNAPSHOT_KEY_TYPE && type !== SHARE_UPDATE_KEY_TYPE) return null;
  const k = type === SHARE_SNAPSHOT_KEY_TYPE ? readShareSnapshotKey(kr, 0) : readShareUpdateKey(kr, 0);
  kr.expectEnd('share state key');
  if (value === null) return type === SHARE_SNAPSHOT_KEY_TYPE ? { type: 'snapshot', key: k, value: null } : { type: 'update', key: k, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  // Newer versions may only add tagged fields: read with the version we know.
  if (version < 0) throw new DecodeError(`share state value version ${version}`);
  return type === SHARE_SNAPSHOT_KEY_TYPE ? { type: 'snapshot', key: k, value: readShareSnapshotValue(vr, VALUE_VERSION) } : { type: 'update', key: k, value: readShareUpdateValue(vr, VALUE_VERSION) };
}
