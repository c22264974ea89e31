import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { OAuthBearerServer, unsecuredValidator, unsecuredValidatorOptions } from '../../../src/security/sasl-oauthbearer.js';
import { SaslAuthenticationError } from '../../../src/security/sasl-errors.js';

const NOW = 1_800_000_000_000;

function unsecuredJwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(claims)}.`;
}

function initialResponse(token: string, authzid = ''): Buffer {
  return Buffer.from(`n,${authzid ? `a=${authzid}` : ''},\u0001auth=Bearer ${token}\u0001\u0001`);
}

function server(options: Record<string, string> = {}): OAuthBearerServer {
  return new OAuthBearerServer(unsecuredValidator(unsecuredValidatorOptions(new Map(Object.entries(options))), () => NOW));
}

describe('OAUTHBEARER with the unsecured validator', () => {
  it('takes the principal from sub of a valid unsigned token', () => {
    const s = server();
    expect(s.evaluate(initialResponse(unsecuredJwt({ sub: 'alice', exp: NOW / 1000 + 60, iat: NOW / 1000 })))).toEqual(Buffer.alloc(0));
    expect(s).toMatchObject({ complete: true, authorizationId: 'alice' });
  });

  it.each([
    ['an expired token', unsecuredJwt({ sub: 'alice', exp: NOW / 1000 - 1 }), '{"status":"invalid_token"}'],
    ['a signed token', unsecuredJwt({ sub: 'alice', exp: NOW / 1000 + 60 }, { alg: 'HS256' }), '{"status":"invalid_token"}'],
    ['no principal', unsecuredJwt({ exp: NOW / 1000 + 60 }), '{"status":"invalid_token"}'],
    ['not a JWT', 'garbage', '{"status":"invalid_token"}'],
  ])('answers %s with an error challenge, then fails on the client acknowledgement', (_what, token, challenge) => {
    const s = server();
    expect(s.evaluate(initialResponse(token)).toString()).toBe(challenge);
    expect(s.complete).toBe(false);
    expect(() => s.evaluate(Buffer.from([1]))).toThrow(SaslAuthenticationError);
  });

  it('checks required scopes and the principal claim name from the JAAS options', () => {
    const options = { unsecuredValidatorRequiredScope: 'write', unsecuredValidatorPrincipalClaimName: 'user' };
    const s = server(options);
    expect(s.evaluate(initialResponse(unsecuredJwt({ user: 'bob', exp: NOW / 1000 + 60, scope: 'read' }))).toString()).toBe('{"status":"insufficient_scope","scope":"write"}');
    const ok = server(options);
    ok.evaluate(initialResponse(unsecuredJwt({ user: 'bob', exp: NOW / 1000 + 60, scope: 'read write' })));
    expect(ok.authorizationId).toBe('bob');
  });

  it('kafkajs authenticates with an unsecured token and produces', async () => {
    const broker = await startBroker({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER' } });
    try {
      const token = unsecuredJwt({ sub: 'carol', exp: Math.floor(Date.now() / 1000) + 600 });
      const kafka = new Kafka({
        brokers: [broker.bootstrap],
        sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      const [meta] = await producer.send({ topic: 'oauth', messages: [{ value: 'v' }] });
      expect(meta!.errorCode).toBe(0);
      await producer.disconnect();
    } finally {
      await broker.close();
    }
  });

  it('refuses to start with a validator class Skiff does not provide', async () => {
    await expect(
      startBroker({
        config: {
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
          'sasl.enabled.mechanisms': 'OAUTHBEARER',
          'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'com.example.CustomValidatorCallbackHandler',
        },
      }),
    ).rejects.toThrow(/com.example.CustomValidatorCallbackHandler is not supported/);
  });
});
