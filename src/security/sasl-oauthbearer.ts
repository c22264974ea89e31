/**
 * SASL/OAUTHBEARER (RFC 7628), with a token validator: Kafka's default broker-side one for
 * unsecured JWTs here (OAuthBearerUnsecuredValidatorCallbackHandler), or the signed-JWT one of
 * oauthbearer-jwt.ts. The unsecured token must be an unsigned JWS
 * ("alg":"none", empty signature) whose claims name the principal (sub) and an expiry (exp)
 * not yet past, within the allowed clock skew, with the required scopes. Options come from the
 * listener's oauthbearer.sasl.jaas.config as in Kafka (unsecuredValidatorPrincipalClaimName,
 * unsecuredValidatorScopeClaimName, unsecuredValidatorRequiredScope,
 * unsecuredValidatorAllowableClockSkewMs). A rejected token is answered with an RFC 7628 error
 * challenge; the client's acknowledgement (a single 0x01) then fails the exchange. The session
 * ends when the token expires, as Kafka's SaslServerAuthenticator ends it.
 */
import { SaslAuthenticationError, SaslError, type SaslServer } from './sasl-errors.js';

export interface UnsecuredValidatorOptions {
  principalClaim: string;
  scopeClaim: string;
  requiredScope: readonly string[];
  clockSkewMs: number;
}

export function unsecuredValidatorOptions(options: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const skew = Number(options.get('unsecuredValidatorAllowableClockSkewMs') ?? 0);
  return {
    principalClaim: options.get('unsecuredValidatorPrincipalClaimName') ?? 'sub',
    scopeClaim: options.get('unsecuredValidatorScopeClaimName') ?? 'scope',
    requiredScope: (options.get('unsecuredValidatorRequiredScope') ?? '').split(/[\s,]+/).filter((s) => s !== ''),
    clockSkewMs: Number.isFinite(skew) && skew >= 0 ? skew : 0,
  };
}

/** A valid token's principal and expiry (ms), or the RFC 7628 error status to answer. */
export type TokenValidation = { principal: string; expiryMs: number } | { status: string; scope?: string };
export type TokenValidator = (jws: string) => TokenValidation;

const SEPARATOR = '\u0001';
/** The client's initial response: GS2 header, then key=value pairs each ended by 0x01, then 0x01. */
const INITIAL_RESPONSE = /^n,(?:a=([^,]*))?,((?:\u0001[A-Za-z]+=[\u0021-\u007E \t\r\n]*)*)\u0001\u0001$/s;

export class OAuthBearerServer implements SaslServer {
  complete = false;
  authorizationId = '';
  credentialExpiryMs: number | undefined;
  #error: string | undefined;

  constructor(private readonly validate: TokenValidator) {}

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    if (text === SEPARATOR && this.#error !== undefined) throw new SaslAuthenticationError(this.#error);
    this.#error = undefined;
    const match = INITIAL_RESPONSE.exec(text);
    if (match === null) throw new SaslError('Invalid OAUTHBEARER client first message');
    const pairs = new Map<string, string>();
    for (const kv of match[2]!.split(SEPARATOR).filter((s) => s !== '')) {
      const eq = kv.indexOf('=');
      pairs.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    const auth = /^Bearer +(\S+) *$/i.exec(pairs.get('auth') ?? '');
    if (auth === null) throw new SaslError('Invalid OAUTHBEARER client first message: no auth=Bearer <token>');
    const validation = this.validate(auth[1]!);
    if ('status' in validation) {
      this.#error = JSON.stringify({ status: validation.status, ...(validation.scope ? { scope: validation.scope } : {}) });
      return Buffer.from(this.#error, 'utf8');
    }
    this.authorizationId = validation.principal;
    this.credentialExpiryMs = validation.expiryMs;
    const authzid = match[1] ?? '';
    if (authzid !== '' && authzid !== this.authorizationId) {
      this.#error = JSON.stringify({ status: 'invalid_authorization_id' });
      return Buffer.from(this.#error, 'utf8');
    }
    this.complete = true;
    return Buffer.alloc(0);
  }
}

/** Kafka's OAuthBearerUnsecuredValidatorCallbackHandler. */
export function unsecuredValidator(options: UnsecuredValidatorOptions, now: () => number = Date.now): TokenValidator {
  return (jws) => {
    const parts = jws.split('.');
    if (parts.length !== 3 || parts[2] !== '') return { status: 'invalid_token' };
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { status: 'invalid_token' };
    }
    if (typeof header !== 'object' || header === null || header.alg !== 'none') return { status: 'invalid_token' };
    const principal = claims[options.principalClaim];
    const exp = claims.exp;
    const iat = claims.iat;
    if (typeof principal !== 'string' || principal.trim() === '' || typeof exp !== 'number') return { status: 'invalid_token' };
    const at = now();
    const skew = options.clockSkewMs;
    if (exp * 1000 <= at - skew) return { status: 'invalid_token' };
    if (iat !== undefined && (typeof iat !== 'number' || iat > exp || iat * 1000 > at + skew)) return { status: 'invalid_token' };
    const granted = claims[options.scopeClaim];
    const scopes = typeof granted === 'string' ? granted.split(' ') : Array.isArray(granted) ? granted.map(String) : [];
    const missing = options.requiredScope.filter((s) => !scopes.includes(s));
    if (missing.length > 0) return { status: 'insufficient_scope', scope: options.requiredScope.join(' ') };
    return { principal, expiryMs: exp * 1000 };
  };
}
