/** Run-time support that every generated codec module shares. */
import { DecodeError, EncodeError } from './errors.js';
import type { Writer } from './writer.js';

/** A tagged field this version of Skiff does not know; kept so it can be written back. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

export const NO_TAGGED_FIELDS: readonly TaggedField[] = Object.freeze([]);
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** Writes the unknown tagged fields whose tag is below `before`; returns the next index. */
export function writeTaggedFieldsBefore(w: Writer, unknown: readonly TaggedField[], from: number, before: number): number {
  let i = from;
  for (; i < unknown.length && unknown[i]!.tag < before; i++) {
    const t = unknown[i]!;
    w.unsignedVarint(t.tag);
    w.unsignedVarint(t.data.length);
    w.rawBytes(t.data);
  }
  return i;
}

export function checkDecodeVersion(name: string, version: number, min: number, max: number): void {
  if (!(version >= min && version <= max)) throw new DecodeError(`${name} has no version ${version}`);
}

export function checkEncodeVersion(name: string, version: number, min: number, max: number): void {
  if (!(version >= min && version <= max)) throw new EncodeError(`${name} has no version ${version}`);
}
