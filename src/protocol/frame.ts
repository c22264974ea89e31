/**
 * Request and response framing above the size prefix: which header version an API and
 * version use, reading a request header, and encoding a whole response or request body.
 * Encoders take the API's codec (a handler's, or one from API_CODECS), so framing loads no
 * API module itself.
 *
 * src/protocol is the lowest layer: wire formats only, no files or sockets, and nothing else
 * in src/ imported (make deps-check).
 */
import { DecodeError } from './codec/errors.js';
import { Reader } from './codec/reader.js';
import { Writer } from './codec/writer.js';
import { type Chunk, ChunkWriter } from './codec/chunk-writer.js';
import type { ApiCodec } from './codec/generated-support.js';
import { requestHeaderVersion, responseHeaderVersion } from './generated/api-keys.js';
import {
  type RequestHeader,
  readRequestHeader,
  sizeRequestHeader,
  sizeResponseHeader,
  writeRequestHeader,
  writeResponseHeader,
} from './generated/headers.js';

export interface DecodedRequestHeader {
  header: RequestHeader;
  headerVersion: number;
  /** Reader positioned at the start of the request body. */
  body: Reader;
}

/**
 * Reads the header of a request frame (without its size prefix). The header version is
 * chosen from the API key and version, so an unknown key still gets a v1 header read.
 */
export function readRequestFrame(frame: Buffer): DecodedRequestHeader {
  if (frame.length < 8) throw new DecodeError(`request of ${frame.length} bytes is shorter than a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const body = new Reader(frame);
  const header = readRequestHeader(body, headerVersion);
  return { header, headerVersion, body };
}

/** The body of a response: header and message, ready for the 4-byte size prefix. */
export function encodeResponse(codec: ApiCodec, apiVersion: number, correlationId: number, response: unknown): Buffer {
  const hv = responseHeaderVersion(codec.apiKey, apiVersion);
  const header = { correlationId };
  const size = sizeResponseHeader(header, hv) + codec.sizeResponse(response, apiVersion);
  const w = Writer.alloc(size);
  writeResponseHeader(w, header, hv);
  codec.writeResponse(w, response, apiVersion);
  return w.finish();
}

/**
 * Like encodeResponse, but record slices of at least PASS_THROUGH_MIN bytes are passed
 * through by reference; `passThroughBytes` is their total (ChunkWriter.passThroughBytes).
 */
export function encodeResponseChunks(
  codec: ApiCodec,
  apiVersion: number,
  correlationId: number,
  response: unknown,
  passThroughBytes: number,
): Chunk[] {
  const hv = responseHeaderVersion(codec.apiKey, apiVersion);
  const header = { correlationId };
  const size = sizeResponseHeader(header, hv) + codec.sizeResponse(response, apiVersion);
  const w = new ChunkWriter(size - passThroughBytes);
  writeResponseHeader(w, header, hv);
  codec.writeResponse(w, response, apiVersion);
  return w.chunks();
}

/** A whole request frame including its size prefix, as a client sends it; `codec` is the header's API's. */
export function encodeRequestFrame(codec: ApiCodec, header: RequestHeader, request: unknown): Buffer {
  if (codec.apiKey !== header.requestApiKey) throw new Error(`codec of api key ${codec.apiKey} for a request of api key ${header.requestApiKey}`);
  const hv = requestHeaderVersion(header.requestApiKey, header.requestApiVersion);
  const size = sizeRequestHeader(header, hv) + codec.sizeRequest(request, header.requestApiVersion);
  const w = Writer.alloc(4 + size);
  w.int32(size);
  writeRequestHeader(w, header, hv);
  codec.writeRequest(w, request, header.requestApiVersion);
  return w.finish();
}
