import { mkdtempSync, rmSync } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { saltedPassword } from '../../../src/security/scram.js';
import { encodeRequestFrame } from '../../../src/protocol/frame.js';
import { defaultRequestHeader } from '../../../src/protocol/generated/headers.js';
import { codec as handshakeCodec } from '../../../src/protocol/generated/017-sasl-handshake.js';
import { RawClient } from '../../support/raw-client.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

function securityConfig(): Record<string, unknown> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    'skiff.scram.credentials': 'SCRAM-SHA-256=[name=bob,password=bob-secret],SCRAM-SHA-512=[name=carol,password=carol-secret,iterations=8192]',
    // No wait in these tests; the delay is checked with fake timers in sasl-authenticator.test.ts.
    'connection.failed.authentication.delay.ms': 0,
  };
}

function portOf(broker: RunningBroker, name: string): number {
  return broker.listeners.find((l) => l.name === name)!.port;
}

let broker: RunningBroker;
let saslPort: number;
beforeAll(async () => {
  broker = await startBroker({ config: securityConfig() });
  saslPort = portOf(broker, 'SASL_PLAINTEXT');
});
afterAll(async () => {
  await broker.close();
});

function client(sasl: SASLOptions, port = saslPort): Kafka {
  return new Kafka({ brokers: [`127.0.0.1:${port}`], sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function roundTrip(kafka: Kafka, topic: string): Promise<string[]> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 2) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('kafkajs authenticates', () => {
  it.each([
    ['PLAIN', { mechanism: 'plain', username: 'alice', password: 'alice-secret' }],
    ['SCRAM-SHA-256', { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' }],
    ['SCRAM-SHA-512', { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-secret' }],
  ] as const)('with %s, then produces and consumes', async (name, sasl) => {
    expect(await roundTrip(client(sasl as SASLOptions), `sasl-${name.toLowerCase()}`)).toEqual(['one', 'two']);
  });

  it.each([
    ['PLAIN', { mechanism: 'plain', username: 'alice', password: 'wrong' }, 'Authentication failed: Invalid username or password'],
    ['SCRAM-SHA-256', { mechanism: 'scram-sha-256', username: 'bob', password: 'wrong' }, 'invalid credentials with SASL mechanism SCRAM-SHA-256'],
    ['SCRAM-SHA-512 (unknown user)', { mechanism: 'scram-sha-512', username: 'nobody', password: 'x' }, 'invalid credentials with SASL mechanism SCRAM-SHA-512'],
  ] as const)('fails with a wrong password: %s', async (_name, sasl, message) => {
    const admin = client(sasl as SASLOptions).admin();
    await expect(admin.connect()).rejects.toThrow(message);
    // The broker goes on serving everyone else.
    const ok = client({ mechanism: 'plain', username: 'admin', password: 'admin-secret' }).admin();
    await ok.connect();
    expect(await ok.listTopics()).toBeInstanceOf(Array);
    await ok.disconnect();
  });
});

/** ApiVersions, then SaslHandshake v1 for `mechanism`. */
async function handshake(raw: RawClient, mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }> {
  await raw.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  return raw.request(ApiKey.SaslHandshake, 1, { mechanism });
}

describe('the SASL state machine', () => {
  it('closes a connection that sends anything but ApiVersions or SASL before authenticating', async () => {
    const raw = await RawClient.connect('127.0.0.1', saslPort);
    await expect(raw.request(ApiKey.Metadata, 12, { topics: null })).rejects.toThrow('connection closed');
  });

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled ones, then closes', async () => {
    const raw = await RawClient.connect('127.0.0.1', saslPort);
    const res = await handshake(raw, 'GSSAPI');
    expect(res).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    await raw.closed;
  });

  it('answers a wrong password with SASL_AUTHENTICATION_FAILED and closes; a right one opens every API, after which SASL is ILLEGAL_SASL_STATE', async () => {
    const bad = await RawClient.connect('127.0.0.1', saslPort);
    expect((await handshake(bad, 'PLAIN')).errorCode).toBe(ErrorCode.NONE);
    const failed = await bad.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0nope') });
    expect(failed).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password' });
    await bad.closed;

    const good = await RawClient.connect('127.0.0.1', saslPort);
    await handshake(good, 'PLAIN');
    const ok = await good.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0alice-secret') });
    expect(ok).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 0n });
    const metadata = await good.request(ApiKey.Metadata, 12, { topics: null });
    expect(metadata.brokers[0].port).toBe(saslPort);
    expect((await good.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    expect((await good.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(0) })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await good.close();
  });

  it('answers SaslHandshake on a PLAINTEXT listener with ILLEGAL_SASL_STATE and keeps the connection', async () => {
    const raw = await RawClient.connect('127.0.0.1', portOf(broker, 'PLAINTEXT'));
    expect((await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    expect((await raw.request(ApiKey.Metadata, 12, { topics: null })).brokers).toHaveLength(1);
    await raw.close();
  });

  it('takes v0 handshake tokens unframed', async () => {
    const socket = connect(saslPort, '127.0.0.1');
    const frames = frameReader(socket);
    const header = { ...defaultRequestHeader(), requestApiKey: ApiKey.SaslHandshake, requestApiVersion: 0, correlationId: 7, clientId: 'test' };
    socket.write(encodeRequestFrame(handshakeCodec, header, { mechanism: 'PLAIN' }));
    const handshakeAnswer = await frames.next();
    // correlation id 7, error 0, one mechanism list
    expect(handshakeAnswer.readInt32BE(0)).toBe(7);
    expect(handshakeAnswer.readInt16BE(4)).toBe(ErrorCode.NONE);
    const token = Buffer.from('\0alice\0alice-secret');
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    socket.write(Buffer.concat([size, token]));
    // PLAIN's answer: an empty token, size-prefixed, with no Kafka header.
    expect((await frames.next()).length).toBe(0);
    socket.destroy();
  });

  it('closes, unread, a frame larger than sasl.server.max.receive.size before authentication', async () => {
    const raw = await RawClient.connect('127.0.0.1', saslPort);
    const size = Buffer.alloc(4);
    size.writeInt32BE(600_000);
    raw.writeRaw(size);
    await raw.closed;
  });

  it('fails a SCRAM exchange whose final message changes the nonce', async () => {
    const raw = await RawClient.connect('127.0.0.1', saslPort);
    await handshake(raw, 'SCRAM-SHA-256');
    const clientNonce = randomBytes(12).toString('base64');
    const first = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`n,,n=bob,r=${clientNonce}`) });
    expect(first.errorCode).toBe(ErrorCode.NONE);
    const serverFirst = first.authBytes.toString();
    const fields = Object.fromEntries(serverFirst.split(',').map((f: string) => [f[0], f.slice(2)]));
    expect(fields.r.startsWith(clientNonce)).toBe(true);
    // A correct proof, but for a tampered nonce.
    const nonce = `${fields.r}x`;
    const finalWithoutProof = `c=biws,r=${nonce}`;
    const proof = scramProof('bob-secret', Buffer.from(fields.s, 'base64'), Number(fields.i), `n=bob,r=${clientNonce},${serverFirst},${finalWithoutProof}`);
    const final = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`${finalWithoutProof},p=${proof}`) });
    expect(final).toMatchObject({
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
    });
    await raw.closed;
  });
});

describe('SCRAM as librdkafka before 2.6.1 speaks it', () => {
  it('refuses a final nonce that repeats the client nonce before the combined one, as Kafka 4 does', async () => {
    const raw = await RawClient.connect('127.0.0.1', saslPort);
    await handshake(raw, 'SCRAM-SHA-256');
    const clientNonce = randomBytes(12).toString('base64');
    const first = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`n,,n=bob,r=${clientNonce}`) });
    const serverFirst = first.authBytes.toString();
    const fields = Object.fromEntries(serverFirst.split(',').map((f: string) => [f[0], f.slice(2)]));
    const finalWithoutProof = `c=biws,r=${clientNonce}${fields.r}`;
    const proof = scramProof('bob-secret', Buffer.from(fields.s, 'base64'), Number(fields.i), `n=bob,r=${clientNonce},${serverFirst},${finalWithoutProof}`);
    const final = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`${finalWithoutProof},p=${proof}`) });
    expect(final).toMatchObject({
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
    });
    await raw.closed;
  });
});

function scramProof(password: string, salt: Buffer, iterations: number, authMessage: string): string {
  const salted = saltedPassword('SCRAM-SHA-256', password, salt, iterations);
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
}

/** Size-prefixed frames read off a socket, one at a time. */
function frameReader(socket: Socket): { next(): Promise<Buffer> } {
  let buffered = Buffer.alloc(0);
  const frames: Buffer[] = [];
  let waiting: ((frame: Buffer) => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      frames.push(buffered.subarray(4, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
    if (waiting !== undefined && frames.length > 0) {
      const resolve = waiting;
      waiting = undefined;
      resolve(frames.shift()!);
    }
  });
  return {
    next: () => (frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise((resolve) => (waiting = resolve))),
  };
}

describe('SCRAM credentials through the admin APIs', () => {
  it('are set by AlterUserScramCredentials, listed by Describe, used to log in, and kept across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-scram-'));
    try {
      let b = await startBroker({ dataDir, config: securityConfig() });
      const raw = await RawClient.connect('127.0.0.1', portOf(b, 'PLAINTEXT'));
      const salt = randomBytes(16);
      const res = await raw.request(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [{ name: 'ghost', mechanism: 1 }],
        upsertions: [
          { name: 'dave', mechanism: 1, iterations: 4096, salt, saltedPassword: saltedPassword('SCRAM-SHA-256', 'dave-secret', salt, 4096) },
          { name: 'erin', mechanism: 2, iterations: 100, salt, saltedPassword: Buffer.alloc(64) },
          { name: '', mechanism: 1, iterations: 4096, salt, saltedPassword: Buffer.alloc(32) },
          { name: 'frank', mechanism: 9, iterations: 4096, salt, saltedPassword: Buffer.alloc(32) },
        ],
      });
      expect(res.results).toEqual([
        { user: 'dave', errorCode: 0, errorMessage: null },
        { user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' },
        { user: 'erin', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' },
        { user: '', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' },
        { user: 'frank', errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' },
      ]);
      const twice = await raw.request(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [{ name: 'bob', mechanism: 1 }],
        upsertions: [{ name: 'bob', mechanism: 1, iterations: 4096, salt, saltedPassword: Buffer.alloc(32) }],
      });
      expect(twice.results).toEqual([{ user: 'bob', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' }]);
      await raw.close();
      await b.close();

      b = await startBroker({ dataDir, config: securityConfig() });
      const again = await RawClient.connect('127.0.0.1', portOf(b, 'PLAINTEXT'));
      const described = await again.request(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'dave' }, { name: 'nobody' }, { name: 'carol' }, { name: 'carol' }] });
      expect(described.results).toEqual([
        { user: 'dave', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }] },
        { user: 'nobody', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: nobody', credentialInfos: [] },
        { user: 'carol', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: carol', credentialInfos: [] },
      ]);
      await again.close();
      const kafka = client({ mechanism: 'scram-sha-256', username: 'dave', password: 'dave-secret' }, portOf(b, 'SASL_PLAINTEXT'));
      expect(await roundTrip(kafka, 'dave-topic')).toEqual(['one', 'two']);
      await b.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('KIP-368 re-authentication (connections.max.reauth.ms)', () => {
  it('re-authenticates as the same principal, refuses a change of principal, and closes an expired session', async () => {
    const b = await startBroker({ config: { ...securityConfig(), 'connections.max.reauth.ms': 60_000 } });
    const login = async (raw: RawClient, user: string, password: string): Promise<{ errorCode: number; sessionLifetimeMs: bigint }> => {
      expect((await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.NONE);
      return raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${password}`) });
    };
    try {
      const port = portOf(b, 'SASL_PLAINTEXT');
      const raw = await RawClient.connect('127.0.0.1', port);
      expect(await login(raw, 'alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 60_000n });
      expect(await login(raw, 'alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE });
      expect((await raw.request(ApiKey.Metadata, 12, { topics: null })).brokers).toHaveLength(1);
      const changed = await login(raw, 'admin', 'admin-secret');
      expect(changed).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Cannot change principals during re-authentication from User:alice: User:admin' });
      await raw.closed;
    } finally {
      await b.close();
    }

    const short = await startBroker({ config: { ...securityConfig(), 'connections.max.reauth.ms': 1 } });
    try {
      const raw = await RawClient.connect('127.0.0.1', portOf(short, 'SASL_PLAINTEXT'));
      await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
      await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0alice-secret') });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(raw.request(ApiKey.Metadata, 12, { topics: null })).rejects.toThrow('connection closed');
    } finally {
      await short.close();
    }
  });
});
