/**
 * SASL/OAUTHBEARER (RFC 7628) with Kafka's default broker-side validator for unsecured JWTs
 * (OAuthBearerUnsecuredValidatorCallbackHandler): the token must be an unsigned JWS
 * ("alg":"none", empty signature) whose claims name the principal (sub) and an expiry (exp)
 * not yet past, within the allowed clock skew, with the required scopes. Options come from the
 * listener's oauthbearer.sasl.jaas.config as in Kafka (unsecuredValidatorPrincipalClaimName,
 * unsecuredValidatorScopeClaimName, unsecuredValidatorRequiredScope,
 * unsecuredValidatorAllowableClockSkewMs). A rejected token is answered with an RFC 7628 error
 * challenge; the client's acknowledgement (a single 0x01) then fails the exchange.
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

const SEPARATOR = '\u0001';
/** The client's initial response: GS2 header, then key=value pairs each ended by 0x01, then 0x01. */
const INITIAL_RESPONSE = /^n,(?:a=([^,]*))?,((?:\u0001[A-Za-z]+=[\u0021-\u007E \t\r\n]*)*)\u0001\u0001$/s;

export class OAuthBearerServer implements SaslServer {
  complete = false;
  authorizationId = '';
  #error: string | undefined;

  constructor(
    private readonly options: UnsecuredValidatorOptions,
    private readonly now: () => number = Date.now,
  ) {}

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
    const problem = this.#validate(auth[1]!);
    if (problem !== undefined) {
      this.#error = JSON.stringify({ status: problem.status, ...(problem.scope ? { scope: problem.scope } : {}) });
      return Buffer.from(this.#error, 'utf8');
    }
    const authzid = match[1] ?? '';
    if (authzid !== '' && authzid !== this.authorizationId) {
      this.#error = JSON.stringify({ status: 'invalid_authorization_id' });
      return Buffer.from(this.#error, 'utf8');
    }
    this.complete = true;
    return Buffer.alloc(0);
  }

  #validate(jws: string): { status: string; scope?: string } | undefined {
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
    const principal = claims[this.options.principalClaim];
    const exp = claims.exp;
    const iat = claims.iat;
    if (typeof principal !== 'string' || principal.trim() === '' || typeof exp !== 'number') return { status: 'invalid_token' };
    const now = this.now();
    const skew = this.options.clockSkewMs;
    if (exp * 1000 <= now - skew) return { status: 'invalid_token' };
    if (iat !== undefined && (typeof iat !== 'number' || iat > exp || iat * 1000 > now + skew)) return { status: 'invalid_token' };
    const granted = claims[this.options.scopeClaim];
    const scopes = typeof granted === 'string' ? granted.split(' ') : Array.isArray(granted) ? granted.map(String) : [];
    const missing = this.options.requiredScope.filter((s) => !scopes.includes(s));
    if (missing.length > 0) return { status: 'insufficient_scope', scope: this.options.requiredScope.join(' ') };
    this.authorizationId = principal;
    return undefined;
  }
}
