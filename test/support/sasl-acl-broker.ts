/**
 * A broker on a SASL_PLAIN listener with StandardAuthorizer and User:admin as super user, for
 * tests of ACL checks: each user's password is `<user>-secret`, and `as(user)` opens a raw
 * connection authenticated as that user (closed with the broker after the file's tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { RawClient } from './raw-client.js';

/** Broker config for that listener and authorizer; `users` must include 'admin'. */
export function saslAclConfig(users: string[]): Record<string, string> {
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required ${users.map((u) => `user_${u}="${u}-secret"`).join(' ')};`;
  return {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
  };
}

/** Registers beforeAll/afterAll hooks in the calling scope; `users` must include 'admin'. */
export function useSaslAclBroker(dirPrefix: string, users: string[], opts: { logLevel?: string } = {}): { as(user: string): Promise<RawClient> } {
  const open: RawClient[] = [];
  let dataDir: string;
  let broker: RunningBroker | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
    broker = await startBroker({ dataDir, ...opts, config: saslAclConfig(users) });
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    async as(user: string): Promise<RawClient> {
      if (!broker) throw new Error('broker not started yet (call as() inside tests or a later beforeAll)');
      const raw = await RawClient.connect('127.0.0.1', broker.port);
      open.push(raw);
      await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
      const auth = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${user}-secret`) });
      expect(auth.errorCode).toBe(ErrorCode.NONE);
      return raw;
    },
  };
}
