/**
 * A request answered by a broker's dispatch in this process, without a socket: encoded and
 * decoded with the generated codecs, so it takes exactly the path a client's request takes.
 * The embedded fixtures and the virtual cluster's replica fetchers send theirs this way.
 */
import type { Chunk } from '../protocol/codec/chunk-writer.js';
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import { Reader } from '../protocol/codec/reader.js';
import { encodeRequestFrame } from '../protocol/frame.js';
import { responseHeaderVersion } from '../protocol/generated/api-keys.js';
import { defaultRequestHeader, readResponseHeader } from '../protocol/generated/headers.js';
import type { ConnectionContext, Dispatch } from './connection.js';

let correlationIds = 0;

export async function requestInProcess<Req, Res>(dispatch: Dispatch, conn: ConnectionContext, clientId: string, codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
  correlationIds = (correlationIds + 1) | 0;
  const header = { ...defaultRequestHeader(), requestApiKey: codec.apiKey, requestApiVersion: version, correlationId: correlationIds, clientId };
  const frame = encodeRequestFrame(codec, header, body);
  // The dispatcher takes a frame without its size prefix, as the connection hands it over.
  const result = await dispatch(frame.subarray(4), conn);
  if (result.kind !== 'response') throw new Error(`api key ${codec.apiKey}: no response (${result.kind === 'close' ? result.reason : 'none'})`);
  const r = new Reader(concatChunks(result.chunks));
  readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
  return codec.decodeResponse(r, version);
}

/** A response's bytes, file regions read in (a broker with a data dir may answer fetch with them). */
function concatChunks(chunks: readonly Chunk[]): Buffer {
  return Buffer.concat(
    chunks.map((c) => {
      if (Buffer.isBuffer(c)) return c;
      const out = Buffer.allocUnsafe(c.length);
      let done = 0;
      while (done < c.length) {
        const n = c.source.peekSync(c.position + done, out.subarray(done));
        if (n === 0) throw new Error('file region shorter than announced');
        done += n;
      }
      return out;
    }),
  );
}
