/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer: one message "authzid NUL user NUL
 * password", checked against the listener's user_<name>="<password>" JAAS options. Its errors
 * are sent to the client as they are, with Kafka's words.
 */
import { timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslServer } from './sasl-errors.js';

export type PlainUsers = ReadonlyMap<string, string>;

export class PlainServer implements SaslServer {
  complete = false;
  authorizationId = '';

  constructor(private readonly users: PlainUsers) {}

  evaluate(token: Buffer): Buffer {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(user);
    if (expected === undefined || !sameText(expected, password)) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.authorizationId = user;
    this.complete = true;
    return Buffer.alloc(0);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
