/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer: the
 * credential math, and the server's two-step exchange (client-first -> server-first,
 * client-final -> server-final). No channel binding, as in Kafka.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, SaslError, type SaslServer } from './sasl-errors.js';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's ScramMechanism type codes (AlterUserScramCredentials, DescribeUserScramCredentials). */
export const SCRAM_TYPE: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Kafka's bounds on iterations (ScramMechanism.minIterations, and the controller's maximum). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

function digestOf(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(digestOf(mechanism), key).update(text).digest();
}

/** The salted password (Hi in RFC 5802). */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const length = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, length, digestOf(mechanism));
}

/** The stored credential from a salted password: what the broker keeps (never the password). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return {
    salt,
    storedKey: createHash(digestOf(mechanism)).update(clientKey).digest(),
    serverKey: hmac(mechanism, salted, 'Server Key'),
    iterations,
  };
}

export function credentialFromPassword(mechanism: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(mechanism, saltedPassword(mechanism, password, salt, iterations), salt, iterations);
}

/** Parses "k=v,k=v" SCRAM attributes (values may contain '='). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new SaslError(`Invalid SCRAM attribute "${part}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslError(`Invalid SCRAM user name "${name}"`);
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;
/** A delegation token's credential by token id, with its owner's name and its expiry. */
export type TokenCredentialLookup = (tokenId: string, mechanism: ScramMechanism) => { credential: ScramCredential; ownerName: string; expiryMs: number } | undefined;

/** Kafka's ScramExtensions: "key=value" pairs after the nonce; tokenauth=true names a delegation token. */
function tokenAuthRequested(extensions: readonly string[]): boolean {
  for (const e of extensions) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new SaslError(`Invalid SCRAM extension "${e}"`);
    if (e.slice(0, eq) === 'tokenauth' && e.slice(eq + 1).toLowerCase() === 'true') return true;
  }
  return false;
}

export class ScramServer implements SaslServer {
  complete = false;
  authorizationId = '';
  tokenAuthenticated = false;
  credentialExpiryMs: number | undefined;
  #step: 'client-first' | 'client-final' | 'done' = 'client-first';
  #clientFirstBare = '';
  #serverFirst = '';
  #gs2Header = '';
  #nonce = '';
  #credential: ScramCredential | undefined;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
    private readonly tokenLookup?: TokenCredentialLookup,
  ) {}

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    switch (this.#step) {
      case 'client-first':
        return Buffer.from(this.#clientFirst(text), 'utf8');
      case 'client-final':
        return Buffer.from(this.#clientFinal(text), 'utf8');
      default:
        throw new SaslError('Unexpected SCRAM message after the exchange completed');
    }
  }

  #clientFirst(text: string): string {
    // gs2-header: "n" or "y" (no channel binding), then an optional "a=authzid", then the bare message.
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (match === null) throw new SaslError('Invalid SCRAM client first message (channel binding is not supported)');
    const bare = match[3]!;
    // n=user,r=nonce, then optional extensions (Kafka's tokenauth=true for delegation tokens).
    const [n, r, ...extensions] = bare.split(',');
    if (!n?.startsWith('n=') || !r?.startsWith('r=') || r.length === 2) throw new SaslError('Invalid SCRAM client first message');
    const user = decodeSaslName(n.slice(2));
    const nonce = r.slice(2);
    if (user === '') throw new SaslError('Invalid SCRAM client first message');
    const authzid = match[2] === undefined ? '' : decodeSaslName(match[2].slice(2));
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    let credential: ScramCredential | undefined;
    if (tokenAuthRequested(extensions)) {
      // The user name is the token id; the client becomes the token's owner.
      const token = this.tokenLookup?.(user, this.mechanism);
      if (token === undefined) throw new SaslError(`Token Authentication failed: Invalid tokenId : ${user}`);
      credential = token.credential;
      this.authorizationId = token.ownerName;
      this.tokenAuthenticated = true;
      this.credentialExpiryMs = token.expiryMs;
    } else {
      credential = this.lookup(user, this.mechanism);
      this.authorizationId = user;
    }
    if (credential === undefined) throw new SaslError('Authentication failed: Invalid user credentials');
    this.#credential = credential;
    this.#gs2Header = text.slice(0, text.length - bare.length);
    this.#clientFirstBare = bare;
    this.#nonce = nonce + randomBytes(24).toString('base64url');
    this.#serverFirst = `r=${this.#nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.#step = 'client-final';
    return this.#serverFirst;
  }

  #clientFinal(text: string): string {
    this.#step = 'done';
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslError('Invalid SCRAM client final message');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const proofText = text.slice(proofAt + 3);
    if (attrs.get('c') !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) throw new SaslError('Invalid SCRAM channel binding');
    // Exactly the combined nonce, as RFC 5802 and Kafka 4's ScramSaslServer want: librdkafka
    // before 2.6.1 sends its own nonce again in front of it and is refused by both.
    if (attrs.get('r') !== this.#nonce) throw new SaslError('Invalid client nonce in the final client message.');
    if (!BASE64.test(proofText)) throw new SaslError('Invalid SCRAM client proof');
    const credential = this.#credential!;
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const proof = Buffer.from(proofText, 'base64');
    const signature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== signature.length) throw new SaslError('Invalid client credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    const computed = createHash(digestOf(this.mechanism)).update(clientKey).digest();
    if (!timingSafeEqual(computed, credential.storedKey)) throw new SaslError('Invalid client credentials');
    this.complete = true;
    return `v=${hmac(this.mechanism, credential.serverKey, authMessage).toString('base64')}`;
  }
}
