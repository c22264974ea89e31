import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { listenerSecurity } from '../../../src/config/security.js';
import { createLogger } from '../../../src/log.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { signedJwtValidator } from '../../../src/security/oauthbearer-jwt.js';
import { RawClient } from '../../support/raw-client.js';

const SIGNED = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWKS = JSON.stringify({
  keys: [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig', alg: 'RS256' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' },
  ],
});
const nowS = () => Math.floor(Date.now() / 1000);

function jwt(claims: Record<string, unknown>, opts: { alg?: string; kid?: string; key?: KeyObject } = {}): string {
  const alg = opts.alg ?? 'RS256';
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg, typ: 'JWT', ...(opts.kid === undefined ? { kid: 'rsa-1' } : opts.kid === '' ? {} : { kid: opts.kid }) })}.${part(claims)}`;
  if (alg === 'none') return `${input}.`;
  const key = opts.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey);
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

const valid = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', iat: nowS(), exp: nowS() + 600, iss: 'https://issuer', aud: 'kafka', ...extra });

let dir: string;
let jwksFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-jwks-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JWKS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': SIGNED,
    'sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwksFile).href,
    'sasl.oauthbearer.expected.audience': 'kafka,other',
    'sasl.oauthbearer.expected.issuer': 'https://issuer',
    ...extra,
  };
}

function validator(extra: Record<string, string> = {}) {
  const sec = listenerSecurity({ name: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 }, settings(extra));
  return signedJwtValidator(sec, createLogger({ level: 'silent' }));
}

describe('signed JWT validation against a JWKS', () => {
  it('accepts RS256 and ES256 tokens signed by a key of the JWKS, with the principal from sub and the expiry from exp', () => {
    const validate = validator();
    const claims = valid();
    expect(validate(jwt(claims))).toEqual({ principal: 'alice', expiryMs: claims.exp * 1000 });
    expect(validate(jwt(valid({ sub: 'bob' }), { alg: 'ES256', kid: 'ec-1' }))).toMatchObject({ principal: 'bob' });
    expect(validate(jwt(valid(), { alg: 'ES256', kid: '' }))).toMatchObject({ principal: 'alice' });
    expect(validator({ 'sasl.oauthbearer.sub.claim.name': 'client_id' })(jwt(valid({ client_id: 'svc' })))).toMatchObject({ principal: 'svc' });
  });

  it.each([
    ['unsigned', jwt(valid(), { alg: 'none' })],
    ['signed by a key the JWKS does not hold', jwt(valid(), { key: impostor.privateKey })],
    ['naming an unknown key id', jwt(valid(), { kid: 'rsa-2' })],
    ['expired beyond the clock skew', jwt(valid({ exp: nowS() - 31 }))],
    ['not valid before a time to come', jwt(valid({ nbf: nowS() + 600 }))],
    ['without iat', jwt(valid({ iat: undefined }))],
    ['without exp', jwt(valid({ exp: undefined }))],
    ['from another issuer', jwt(valid({ iss: 'https://elsewhere' }))],
    ['for another audience', jwt(valid({ aud: ['billing'] }))],
    ['without an audience', jwt(valid({ aud: undefined }))],
    ['without a subject', jwt(valid({ sub: ' ' }))],
    ['with an empty scope', jwt(valid({ scope: ['read', ''] }))],
    ['with a tampered payload', (() => { const [h, , s] = jwt(valid()).split('.'); return `${h}.${Buffer.from(JSON.stringify(valid({ sub: 'root' }))).toString('base64url')}.${s}`; })()],
    ['garbage', 'not.a.jwt'],
  ])('refuses a token %s with invalid_token', (_what, token) => {
    expect(validator()(token)).toEqual({ status: 'invalid_token' });
  });

  it('accepts a token expired within sasl.oauthbearer.clock.skew.seconds; refuses an audience when none is expected', () => {
    expect(validator()(jwt(valid({ exp: nowS() - 5 })))).toMatchObject({ principal: 'alice' });
    expect(validator({ 'sasl.oauthbearer.clock.skew.seconds': '0' })(jwt(valid({ exp: nowS() - 5 })))).toEqual({ status: 'invalid_token' });
    const noAudience = { 'sasl.oauthbearer.expected.audience': '' };
    expect(validator(noAudience)(jwt(valid()))).toEqual({ status: 'invalid_token' });
    expect(validator(noAudience)(jwt(valid({ aud: undefined })))).toMatchObject({ principal: 'alice' });
  });

  it('loads the JWKS from a loopback http endpoint', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JWKS));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const validate = validator({ 'sasl.oauthbearer.jwks.endpoint.url': `http://127.0.0.1:${port}/jwks` });
      let result = validate(jwt(valid()));
      // The first fetch is under way when the validator is made.
      while ('status' in result) {
        await new Promise((r) => setTimeout(r, 10));
        result = validate(jwt(valid()));
      }
      expect(result).toMatchObject({ principal: 'alice' });
    } finally {
      server.close();
    }
  });

  it('a listener with the signed validator and no JWKS URL stops startup', () => {
    expect(() => validator({ 'sasl.oauthbearer.jwks.endpoint.url': '' })).toThrow(/sasl.oauthbearer.jwks.endpoint.url/);
  });
});

describe('a broker validating signed OAUTHBEARER tokens', () => {
  it('lets kafkajs in with a signed token, refuses an unsigned one, and ends the session at exp', async () => {
    const broker = await startBroker({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'connection.failed.authentication.delay.ms': 0, ...settings() } });
    try {
      const kafka = new Kafka({ brokers: [broker.bootstrap], sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: jwt(valid()) }) }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic: 'jwt-topic' }] })).toBe(true);
      await admin.disconnect();

      const authenticate = async (token: string) => {
        const raw = await RawClient.connect('127.0.0.1', broker.port);
        await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' });
        const before = Date.now();
        const first = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`) });
        const second = first.authBytes.length > 0 ? await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from([1]) }) : undefined;
        await raw.close();
        return { before, first, second };
      };
      const unsigned = await authenticate(jwt(valid(), { alg: 'none' }));
      expect(unsigned.first.authBytes.toString()).toBe('{"status":"invalid_token"}');
      expect(unsigned.second.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);

      const exp = nowS() + 120;
      const { before, first } = await authenticate(jwt(valid({ exp })));
      expect(first.errorCode).toBe(ErrorCode.NONE);
      expect(first.sessionLifetimeMs).toBeGreaterThan(0n);
      expect(before + Number(first.sessionLifetimeMs)).toBeLessThanOrEqual(exp * 1000);
    } finally {
      await broker.close();
    }
  });
});
