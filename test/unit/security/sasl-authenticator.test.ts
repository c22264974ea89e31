import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { encodeRequestFrame } from '../../../src/protocol/frame.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { codec as handshakeCodec } from '../../../src/protocol/generated/017-sasl-handshake.js';
import { codec as authenticateCodec } from '../../../src/protocol/generated/036-sasl-authenticate.js';
import { defaultRequestHeader } from '../../../src/protocol/generated/headers.js';
import { ScramCredentialStore } from '../../../src/security/scram-credentials.js';
import { DelegationTokenStore } from '../../../src/security/delegation-tokens.js';
import type { ConnectionContext, DispatchResult } from '../../../src/server/connection.js';
import { SaslAuthenticator } from '../../../src/server/sasl-authenticator.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';

async function setUp(delayMs: number): Promise<{ auth: SaslAuthenticator; conn: ConnectionContext }> {
  const auth = new SaslAuthenticator(
    {
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': String(delayMs),
      'connections.max.reauth.ms': '60000',
    },
    'SASL_PLAINTEXT://127.0.0.1:0',
    await ScramCredentialStore.open(null),
    await DelegationTokenStore.open({ secretKey: null, maxLifetimeMs: 1, expiryTimeMs: 1, checkIntervalMs: 1 }, null),
    createLogger({ level: 'silent' }),
  );
  const conn: ConnectionContext = {
    id: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    closed: false,
    signal: new AbortController().signal,
    listenerName: 'SASL_PLAINTEXT',
    securityProtocol: 'SASL_PLAINTEXT',
    principal: 'User:ANONYMOUS',
    authenticated: false,
  };
  return { auth, conn };
}

/** A request frame as the connection hands it to dispatch: without its size prefix. */
function frame(codec: typeof handshakeCodec | typeof authenticateCodec, apiKey: number, version: number, body: unknown): Buffer {
  const header = { ...defaultRequestHeader(), requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'test' };
  return encodeRequestFrame(codec, header, body).subarray(4);
}

const noNext = (): DispatchResult => {
  throw new Error('nothing but SASL expected');
};

afterEach(() => {
  vi.useRealTimers();
});

describe('SaslAuthenticator', () => {
  it('sets the principal on success and answers with the session lifetime (connections.max.reauth.ms)', async () => {
    const { auth, conn } = await setUp(0);
    await auth.handle(frame(handshakeCodec, ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' }), conn, noNext);
    const result = await auth.handle(frame(authenticateCodec, ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('\0alice\0alice-secret') }), conn, noNext);
    expect(conn).toMatchObject({ authenticated: true, principal: 'User:alice' });
    if (result.kind !== 'response') throw new Error(`expected a response, got ${result.kind}`);
    // v1's response header is the correlation id alone.
    const reader = new Reader((result.chunks[0] as Buffer).subarray(4));
    expect(authenticateCodec.decodeResponse(reader, 1)).toMatchObject({ errorCode: 0, sessionLifetimeMs: 60000n });
  });

  it('holds the failure answer for connection.failed.authentication.delay.ms, then closes', async () => {
    vi.useFakeTimers();
    const { auth, conn } = await setUp(5000);
    await auth.handle(frame(handshakeCodec, ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' }), conn, noNext);
    const pending = auth.handle(frame(authenticateCodec, ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('\0alice\0wrong') }), conn, noNext);
    let settled: DispatchResult | undefined;
    void Promise.resolve(pending).then((r) => (settled = r));
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toMatchObject({ kind: 'response', close: 'authentication failed' });
    expect(conn.authenticated).toBe(false);
  });
});
