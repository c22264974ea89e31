/** Run-time support that every generated codec module shares. */
import { DecodeError, EncodeError } from './errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** A tagged field this version of Skiff does not know; kept so it can be written back. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/**
 * The codecs of one API key, exported by its generated module as `codec`. A handler carries
 * its API's codec, so the broker loads only the modules of the APIs it serves; API_CODECS
 * (generated/api-codecs.ts) holds every one, for tools and tests that handle any API.
 */
export interface ApiCodec<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  decodeRequest(r: Reader, version: number): Req;
  sizeRequest(v: Req, version: number): number;
  writeRequest(w: Writer, v: Req, version: number): void;
  encodeRequest(v: Req, version: number): Buffer;
  decodeResponse(r: Reader, version: number): Res;
  sizeResponse(v: Res, version: number): number;
  writeResponse(w: Writer, v: Res, version: number): void;
  encodeResponse(v: Res, version: number): Buffer;
  defaultRequest(): Req;
  defaultResponse(): Res;
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
