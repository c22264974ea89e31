import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { saltedPassword } from '../../../src/security/scram.js';
import { DelegationTokenStore } from '../../../src/security/delegation-tokens.js';
import { RawClient } from '../../support/raw-client.js';

const SECRET = 'token-secret';
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret" user_carol="carol-secret";';
const DAY = 86_400_000;

function config(secret: string | undefined): Record<string, unknown> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'connection.failed.authentication.delay.ms': 0,
    ...(secret === undefined ? {} : { 'delegation.token.secret.key': secret }),
  };
}

function portOf(broker: RunningBroker, name: string): number {
  return broker.listeners.find((l) => l.name === name)!.port;
}

async function plain(broker: RunningBroker, user: string): Promise<RawClient> {
  const raw = await RawClient.connect('127.0.0.1', portOf(broker, 'SASL_PLAINTEXT'));
  await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
  const auth = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${user}-secret`) });
  expect(auth.errorCode).toBe(ErrorCode.NONE);
  return raw;
}

/** A SCRAM exchange as Kafka's Java client makes it with a token: the token id as user, the HMAC in base64 as password, tokenauth=true. */
async function scramWithToken(
  broker: RunningBroker,
  tokenId: string,
  hmac: Buffer,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' = 'SCRAM-SHA-256',
): Promise<{ raw: RawClient; errorCode: number; sessionLifetimeMs: bigint }> {
  const digest = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const raw = await RawClient.connect('127.0.0.1', portOf(broker, 'SASL_PLAINTEXT'));
  await raw.request(ApiKey.SaslHandshake, 1, { mechanism });
  const nonce = randomBytes(12).toString('base64url');
  const first = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`n,,n=${tokenId},r=${nonce},tokenauth=true`) });
  if (first.errorCode !== ErrorCode.NONE) return { raw, errorCode: first.errorCode, sessionLifetimeMs: 0n };
  const serverFirst = first.authBytes.toString();
  const fields = Object.fromEntries(serverFirst.split(',').map((kv: string) => [kv[0], kv.slice(2)]));
  const withoutProof = `c=biws,r=${fields.r}`;
  const salted = saltedPassword(mechanism, hmac.toString('base64'), Buffer.from(fields.s, 'base64'), Number(fields.i));
  const clientKey = createHmac(digest, salted).update('Client Key').digest();
  const storedKey = createHash(digest).update(clientKey).digest();
  const signature = createHmac(digest, storedKey).update(`n=${tokenId},r=${nonce},tokenauth=true,${serverFirst},${withoutProof}`).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
  const final = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`${withoutProof},p=${proof}`) });
  return { raw, errorCode: final.errorCode, sessionLifetimeMs: final.sessionLifetimeMs };
}

const create = (raw: RawClient, body: Record<string, unknown> = {}) =>
  raw.request(ApiKey.CreateDelegationToken, 3, { ownerPrincipalType: null, ownerPrincipalName: null, renewers: [], maxLifetimeMs: -1n, ...body });
const describeTokens = (raw: RawClient, owners: Array<{ principalType: string; principalName: string }> | null = null) =>
  raw.request(ApiKey.DescribeDelegationToken, 3, { owners });
const user = (name: string) => ({ principalType: 'User', principalName: name });

let dataDir: string;
let broker: RunningBroker;
const clients: RawClient[] = [];
const as = async (name: string) => {
  const raw = await plain(broker, name);
  clients.push(raw);
  return raw;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-delegation-tokens-'));
  broker = await startBroker({ dataDir, config: config(SECRET) });
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('delegation tokens', () => {
  it('ApiVersions lists keys 38-41', async () => {
    const raw = await RawClient.connect('127.0.0.1', portOf(broker, 'PLAINTEXT'));
    const versions = await raw.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    await raw.close();
    const keys = versions.apiKeys.map((k: { apiKey: number }) => k.apiKey);
    for (const key of [38, 39, 40, 41]) expect(keys).toContain(key);
  });

  it('are refused over PLAINTEXT with DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', async () => {
    const raw = await RawClient.connect('127.0.0.1', portOf(broker, 'PLAINTEXT'));
    try {
      const created = await create(raw);
      expect(created).toMatchObject({ errorCode: ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, principalName: 'ANONYMOUS', expiryTimestampMs: -1n });
      expect((await raw.request(ApiKey.RenewDelegationToken, 2, { hmac: Buffer.alloc(1), renewPeriodMs: -1n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
      expect((await raw.request(ApiKey.ExpireDelegationToken, 2, { hmac: Buffer.alloc(1), expiryTimePeriodMs: -1n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
      expect((await describeTokens(raw)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    } finally {
      await raw.close();
    }
  });

  it('are created with the HMAC of their id under the secret key and the configured lifetimes', async () => {
    const alice = await as('alice');
    const created = await create(alice, { renewers: [user('bob')] });
    expect(created).toMatchObject({ errorCode: ErrorCode.NONE, principalType: 'User', principalName: 'alice', tokenRequesterPrincipalName: 'alice' });
    expect(created.hmac).toEqual(createHmac('sha512', SECRET).update(created.tokenId).digest());
    expect(created.expiryTimestampMs - created.issueTimestampMs).toBe(BigInt(DAY));
    expect(created.maxTimestampMs - created.issueTimestampMs).toBe(BigInt(7 * DAY));
    const short = await create(alice, { maxLifetimeMs: 60_000n });
    expect(short.maxTimestampMs - short.issueTimestampMs).toBe(60_000n);
    expect(short.expiryTimestampMs).toBe(short.maxTimestampMs);
  });

  it('authenticate over SCRAM with tokenauth=true as their owner, who may then not manage tokens', async () => {
    const alice = await as('alice');
    const { tokenId, hmac, expiryTimestampMs } = await create(alice);
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const before = BigInt(Date.now());
      const { raw, errorCode, sessionLifetimeMs } = await scramWithToken(broker, tokenId, hmac, mechanism);
      clients.push(raw);
      expect(errorCode).toBe(ErrorCode.NONE);
      // The session ends when the token expires.
      expect(sessionLifetimeMs).toBeGreaterThan(0n);
      expect(before + sessionLifetimeMs).toBeLessThanOrEqual(expiryTimestampMs);
      expect((await create(raw)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
      expect((await describeTokens(raw)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    }
    // The principal is User:alice: an ACL for alice lets the token's connection describe the topic.
    const admin = await as('admin');
    await admin.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'alice-topic', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const acl = { resourceType: 2, resourceName: 'alice-topic', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 8, permissionType: 3 };
    expect((await admin.request(ApiKey.CreateAcls, 3, { creations: [acl] })).results[0].errorCode).toBe(ErrorCode.NONE);
    const { raw } = await scramWithToken(broker, tokenId, hmac);
    clients.push(raw);
    const metadata = await raw.request(ApiKey.Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'alice-topic' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(metadata.topics[0].errorCode).toBe(ErrorCode.NONE);
  });

  it('refuse a wrong HMAC and an unknown token id', async () => {
    const alice = await as('alice');
    const { tokenId } = await create(alice);
    const wrong = await scramWithToken(broker, tokenId, randomBytes(64));
    clients.push(wrong.raw);
    expect(wrong.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    const unknown = await scramWithToken(broker, 'no-such-token', randomBytes(64));
    clients.push(unknown.raw);
    expect(unknown.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  });

  it('are renewed and expired by their owner and renewers only', async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    const carol = await as('carol');
    const { hmac, maxTimestampMs } = await create(alice, { renewers: [user('bob')] });
    const renewed = await bob.request(ApiKey.RenewDelegationToken, 2, { hmac, renewPeriodMs: 1000n });
    expect(renewed.errorCode).toBe(ErrorCode.NONE);
    expect(Number(renewed.expiryTimestampMs) - Date.now()).toBeLessThanOrEqual(1000);
    expect((await carol.request(ApiKey.RenewDelegationToken, 2, { hmac, renewPeriodMs: 1000n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH);
    expect((await carol.request(ApiKey.ExpireDelegationToken, 2, { hmac, expiryTimePeriodMs: 0n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH);
    expect((await alice.request(ApiKey.RenewDelegationToken, 2, { hmac: randomBytes(64), renewPeriodMs: 1000n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
    // Renewing asks for no more than delegation.token.expiry.time.ms, and never past the maximum.
    const capped = await alice.request(ApiKey.RenewDelegationToken, 2, { hmac, renewPeriodMs: BigInt(30 * DAY) });
    expect(Number(capped.expiryTimestampMs) - Date.now()).toBeLessThanOrEqual(DAY);
    expect(capped.expiryTimestampMs).toBeLessThanOrEqual(maxTimestampMs);
    const expired = await alice.request(ApiKey.ExpireDelegationToken, 2, { hmac, expiryTimePeriodMs: -1n });
    expect(expired.errorCode).toBe(ErrorCode.NONE);
    expect((await alice.request(ApiKey.RenewDelegationToken, 2, { hmac, renewPeriodMs: 1000n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
  });

  it('an expired token is refused for renewal and authentication', async () => {
    const alice = await as('alice');
    const { tokenId, hmac } = await create(alice);
    expect((await alice.request(ApiKey.ExpireDelegationToken, 2, { hmac, expiryTimePeriodMs: 0n })).errorCode).toBe(ErrorCode.NONE);
    await new Promise((r) => setTimeout(r, 5));
    expect((await alice.request(ApiKey.RenewDelegationToken, 2, { hmac, renewPeriodMs: 1000n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_EXPIRED);
    const { raw, errorCode } = await scramWithToken(broker, tokenId, hmac);
    clients.push(raw);
    expect(errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  });

  it('are described to their owner, requester and renewers, and to whom the ACLs let see them', async () => {
    const [alice, bob, carol, admin] = [await as('alice'), await as('bob'), await as('carol'), await as('admin')];
    const { tokenId } = await create(alice, { renewers: [user('bob')] });
    const ids = async (raw: RawClient, owners: Array<{ principalType: string; principalName: string }> | null = null) =>
      ((await describeTokens(raw, owners)).tokens as Array<{ tokenId: string }>).map((t) => t.tokenId);
    expect(await ids(alice)).toContain(tokenId);
    expect(await ids(bob)).toContain(tokenId);
    expect(await ids(carol)).not.toContain(tokenId);
    expect(await ids(admin)).toContain(tokenId);
    expect(await ids(admin, [user('carol')])).not.toContain(tokenId);
    expect(await ids(admin, [user('bob')])).toContain(tokenId);
    expect(await ids(admin, [])).toEqual([]);
    const described = (await describeTokens(alice)).tokens.find((t: { tokenId: string }) => t.tokenId === tokenId);
    expect(described).toMatchObject({ principalName: 'alice', tokenRequesterPrincipalName: 'alice', renewers: [user('bob')] });
    expect(described.hmac).toEqual(createHmac('sha512', SECRET).update(tokenId).digest());
    // DESCRIBE_TOKENS on User:alice lets carol see alice's tokens.
    const acl = { resourceType: 7, resourceName: 'User:alice', resourcePatternType: 3, principal: 'User:carol', host: '*', operation: 14, permissionType: 3 };
    expect((await admin.request(ApiKey.CreateAcls, 3, { creations: [acl] })).results[0].errorCode).toBe(ErrorCode.NONE);
    expect(await ids(carol)).toContain(tokenId);
  });

  it('for another owner need CREATE_TOKENS on that user (KIP-373); renewers must be users', async () => {
    const carol = await as('carol');
    const admin = await as('admin');
    const forAlice = { ownerPrincipalType: 'User', ownerPrincipalName: 'alice' };
    expect(await create(carol, forAlice)).toMatchObject({ errorCode: ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED, principalName: 'alice', tokenRequesterPrincipalName: 'carol' });
    expect(await create(admin, forAlice)).toMatchObject({ errorCode: ErrorCode.NONE, principalName: 'alice', tokenRequesterPrincipalName: 'admin' });
    const acl = { resourceType: 7, resourceName: 'User:alice', resourcePatternType: 3, principal: 'User:carol', host: '*', operation: 13, permissionType: 3 };
    expect((await admin.request(ApiKey.CreateAcls, 3, { creations: [acl] })).results[0].errorCode).toBe(ErrorCode.NONE);
    expect(await create(carol, forAlice)).toMatchObject({ errorCode: ErrorCode.NONE, principalName: 'alice', tokenRequesterPrincipalName: 'carol' });
    expect((await create(carol, { renewers: [{ principalType: 'Group', principalName: 'ops' }] })).errorCode).toBe(ErrorCode.INVALID_PRINCIPAL_TYPE);
  });

  it('survive a restart in the data dir', async () => {
    const alice = await plain(broker, 'alice');
    const { tokenId, hmac } = await create(alice);
    await alice.close();
    for (const c of clients.splice(0)) await c.close();
    await broker.close();
    broker = await startBroker({ dataDir, config: config(SECRET) });
    const { raw, errorCode } = await scramWithToken(broker, tokenId, hmac);
    clients.push(raw);
    expect(errorCode).toBe(ErrorCode.NONE);
  });
});

describe('without delegation.token.secret.key', () => {
  it('every token request gets DELEGATION_TOKEN_AUTH_DISABLED', async () => {
    const disabled = await startBroker({ config: config(undefined) });
    try {
      const alice = await plain(disabled, 'alice');
      expect(await create(alice)).toMatchObject({ errorCode: ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED, principalName: 'alice', tokenId: '' });
      expect((await alice.request(ApiKey.RenewDelegationToken, 2, { hmac: Buffer.alloc(1), renewPeriodMs: -1n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      expect((await alice.request(ApiKey.ExpireDelegationToken, 2, { hmac: Buffer.alloc(1), expiryTimePeriodMs: -1n })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      expect((await describeTokens(alice)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      await alice.close();
    } finally {
      await disabled.close();
    }
  });
});

describe('the expiry sweep', () => {
  it('removes tokens past their expiry or maximum timestamp', async () => {
    let now = 1_000_000;
    const tokens = await DelegationTokenStore.open({ secretKey: SECRET, maxLifetimeMs: 10_000, expiryTimeMs: 1_000, checkIntervalMs: 60_000 }, null, () => now);
    try {
      const short = (await tokens.create('User:alice', 'User:alice', [], -1)).value!;
      const renewed = (await tokens.create('User:alice', 'User:alice', [], -1)).value!;
      now += 900;
      expect((await tokens.renew('User:alice', tokens.hmacOf(renewed.tokenId), -1)).value).toBe(now + 1_000);
      now += 200;
      await tokens.sweep();
      expect([...tokens.tokens()].map((t) => t.tokenId)).toEqual([renewed.tokenId]);
      expect(tokens.scramCredential(short.tokenId, 'SCRAM-SHA-256')).toBeUndefined();
      expect(tokens.scramCredential(renewed.tokenId, 'SCRAM-SHA-256')).toBeDefined();
    } finally {
      tokens.close();
    }
  });
});
