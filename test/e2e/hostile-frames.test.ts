import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultApiVersionsRequest, type ApiVersionsResponse } from '../../src/protocol/generated/018-api-versions.js';
import { defaultMetadataRequest } from '../../src/protocol/generated/003-metadata.js';
import { RawClient } from '../support/raw-client.js';

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ memory: true, config: { 'socket.request.max.bytes': 1024 * 1024 } });
});
afterAll(() => broker.close());

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function header(apiKey: number, apiVersion: number, correlationId = 1): Buffer {
  const b = Buffer.alloc(10);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(apiVersion, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(-1, 8); // null client id
  return b;
}

/** Sends one frame on a fresh connection and resolves with the answer's bytes after its size. */
function exchange(request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => s.write(request));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        s.end();
        resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      }
    });
    s.on('error', reject);
  });
}

/** A connection the broker should close; then a fresh one must still be served. */
async function expectClosedThenHealthy(send: (c: RawClient) => void): Promise<void> {
  const hostile = await RawClient.connect('127.0.0.1', broker.port);
  send(hostile);
  await hostile.closed;
  const healthy = await RawClient.connect('127.0.0.1', broker.port);
  const res = await healthy.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  expect(res.errorCode).toBe(ErrorCode.NONE);
  await healthy.close();
}

describe('hostile frames close the connection; the broker and other connections carry on', () => {
  it('oversize frame is refused before its body arrives', async () => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(1024 * 1024 + 1);
    await expectClosedThenHealthy((c) => c.writeRaw(size));
  });

  it('negative size', async () => {
    await expectClosedThenHealthy((c) => c.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xf0])));
  });

  it('unknown api key', async () => {
    await expectClosedThenHealthy((c) => c.writeRaw(frame(header(9999, 0))));
  });

  it('unsupported version of a known api', async () => {
    await expectClosedThenHealthy((c) => c.writeRaw(frame(header(ApiKey.Metadata, 99))));
  });

  it('truncated body', async () => {
    // Metadata v1 wants an int32 array count after the header: give it 2 bytes.
    await expectClosedThenHealthy((c) => c.writeRaw(frame(Buffer.concat([header(ApiKey.Metadata, 1), Buffer.from([0, 0])]))));
  });

  it('array count far larger than the frame', async () => {
    const body = Buffer.alloc(4);
    body.writeInt32BE(0x7fffffff);
    await expectClosedThenHealthy((c) => c.writeRaw(frame(Buffer.concat([header(ApiKey.Metadata, 1), body]))));
  });

  it('bytes after a valid request are ignored, as Kafka ignores them', async () => {
    const body = Buffer.alloc(4);
    body.writeInt32BE(-1); // all topics
    // Read by hand: the raw client only accepts answers to requests it built itself.
    const answer = await exchange(frame(Buffer.concat([header(ApiKey.Metadata, 1, 77), body, Buffer.from('junk')])));
    expect(answer.readInt32BE(0)).toBe(77);
    expect(answer.readInt32BE(4)).toBe(1); // one broker follows
  });

  it('random garbage', async () => {
    const junk = Buffer.alloc(200);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
    junk.writeInt32BE(196, 0);
    await expectClosedThenHealthy((c) => c.writeRaw(junk));
  });

  it('a frame shorter than a request header', async () => {
    await expectClosedThenHealthy((c) => c.writeRaw(frame(Buffer.from([0, 3]))));
  });

  it('ApiVersions at a version newer than ours is answered at v0 with UNSUPPORTED_VERSION and our ranges', async () => {
    // Read by hand: the answer is v0 whatever version was asked, which no codec call expects.
    const answer = await exchange(frame(Buffer.concat([header(ApiKey.ApiVersions, 99, 42), Buffer.from([0, 0])])));
    expect(answer.readInt32BE(0)).toBe(42); // correlation id, header v0
    expect(answer.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const count = answer.readInt32BE(6);
    const keys = new Map<number, [number, number]>();
    for (let i = 0; i < count; i++) {
      const at = 10 + i * 6;
      keys.set(answer.readInt16BE(at), [answer.readInt16BE(at + 2), answer.readInt16BE(at + 4)]);
    }
    expect(keys.get(ApiKey.ApiVersions)).toEqual([0, 4]);
    // Produce is listed from v0 as Kafka 4 lists it (KAFKA-18659), though v0-v2 are refused.
    expect(keys.get(ApiKey.Produce)?.[0]).toBe(0);
    expect(answer.length).toBe(10 + count * 6); // v0 has no throttle time
  });

  it('pipelined requests on a healthy connection are answered in order', async () => {
    const c = await RawClient.connect('127.0.0.1', broker.port);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 ? c.request(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: [] }) : c.request(ApiKey.ApiVersions, 0, defaultApiVersionsRequest()),
      ),
    );
    expect(answers).toHaveLength(50);
    await c.close();
  });
});
