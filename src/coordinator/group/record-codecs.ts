/**
 * The key/value codec shared by the KIP-848 consumer, share and streams group records of
 * __consumer_offsets: the key's leading int16 is the record type, the key struct is version
 * 0; a value starts with its int16 version (0, the one Kafka 4.3 writes). A value is read
 * with the highest version known here, as newer versions may only add tagged fields.
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';

export interface Generated<T> {
  size(x: T, v: number): number;
  write(w: Writer, x: T, v: number): void;
  read(r: Reader, v: number): T;
}

export interface RecordCodec<T extends string> {
  type: T;
  keyType: number;
  key: Generated<unknown>;
  value: Generated<unknown>;
  maxValueVersion: number;
}

/** One record type's generated key and value codecs; the record's `type` says which K and V apply. */
export function codec<T extends string, K, V>(type: T, keyType: number, key: Generated<K>, value: Generated<V>, maxValueVersion: number): RecordCodec<T> {
  return { type, keyType, key: key as Generated<unknown>, value: value as Generated<unknown>, maxValueVersion };
}

interface AnyRecord {
  type: string;
  key: unknown;
  value: unknown;
}

export interface RecordFamily<R extends AnyRecord> {
  encodeKey(rec: R): Buffer;
  encodeValue(rec: R): Buffer | null;
  /** `kr` is positioned after the key's type; null for a key type outside this family. */
  decode(keyType: number, kr: Reader, value: Buffer | null): R | null;
}

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

export function recordFamily<R extends AnyRecord>(codecs: readonly RecordCodec<R['type']>[]): RecordFamily<R> {
  const byType = new Map<string, RecordCodec<R['type']>>(codecs.map((c) => [c.type, c]));
  const byKeyType = new Map(codecs.map((c) => [c.keyType, c]));
  return {
    encodeKey(rec) {
      const c = byType.get(rec.type)!;
      const w = Writer.alloc(2 + c.key.size(rec.key, KEY_VERSION));
      w.int16(c.keyType);
      c.key.write(w, rec.key, KEY_VERSION);
      return w.finish();
    },
    encodeValue(rec) {
      if (rec.value === null) return null;
      const c = byType.get(rec.type)!;
      const w = Writer.alloc(2 + c.value.size(rec.value, VALUE_VERSION));
      w.int16(VALUE_VERSION);
      c.value.write(w, rec.value, VALUE_VERSION);
      return w.finish();
    },
    decode(keyType, kr, value) {
      const c = byKeyType.get(keyType);
      if (!c) return null;
      const key = c.key.read(kr, KEY_VERSION);
      kr.expectEnd(`${c.type} key`);
      if (value === null) return { type: c.type, key, value: null } as R;
      const vr = new Reader(value);
      const vv = vr.int16();
      if (vv < 0) throw new DecodeError(`${c.type} value version ${vv}`);
      return { type: c.type, key, value: c.value.read(vr, Math.min(vv, c.maxValueVersion)) } as R;
    },
  };
}
