/**
 * OAUTHBEARER with signed JWTs, as Kafka's OAuthBearerValidatorCallbackHandler validates them:
 * the signature checked with a key of the JWKS at sasl.oauthbearer.jwks.endpoint.url (file://,
 * http:// or https://, fetched again after sasl.oauthbearer.jwks.endpoint.refresh.ms, and
 * sooner when a token names a key it does not hold), exp and iat required, exp and nbf within
 * sasl.oauthbearer.clock.skew.seconds, iss equal to sasl.oauthbearer.expected.issuer when set,
 * aud one of sasl.oauthbearer.expected.audience (a token with an aud is refused when none is
 * expected, as jose4j refuses it), and the principal from sasl.oauthbearer.sub.claim.name.
 * Unsigned tokens ("alg":"none") are refused. Every refusal is RFC 7628's invalid_token.
 */
import { constants, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import type { ListenerSecurity } from '../config/security.js';
import type { Logger } from '../log.js';
import type { TokenValidation, TokenValidator } from './sasl-oauthbearer.js';

interface Algorithm {
  kty: 'RSA' | 'EC' | 'OKP';
  digest: string | null;
  crv?: string;
  pss?: boolean;
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', pss: true },
  PS384: { kty: 'RSA', digest: 'sha384', pss: true },
  PS512: { kty: 'RSA', digest: 'sha512', pss: true },
  ES256: { kty: 'EC', digest: 'sha256', crv: 'P-256' },
  ES384: { kty: 'EC', digest: 'sha384', crv: 'P-384' },
  ES512: { kty: 'EC', digest: 'sha512', crv: 'P-521' },
  EdDSA: { kty: 'OKP', digest: null },
};

interface VerificationKey {
  kid: string | undefined;
  kty: string;
  crv: string | undefined;
  alg: string | undefined;
  key: KeyObject;
}

/** Keys of the JWKS that can verify signatures (use "sig" or unset); others are skipped. */
function parseJwks(text: string): VerificationKey[] {
  const parsed = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new Error('not a JWKS: no "keys" array');
  const out: VerificationKey[] = [];
  for (const jwk of parsed.keys as Array<Record<string, unknown>>) {
    if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      out.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, kty: String(jwk.kty), crv: typeof jwk.crv === 'string' ? jwk.crv : undefined, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, key });
    } catch {
      // A key Node cannot use (a symmetric one, an unknown curve) verifies nothing.
    }
  }
  return out;
}

/** The JWKS, loaded at start and again when stale or missing a key; never more than one fetch at a time. */
class JwksKeys {
  #keys: VerificationKey[] = [];
  #loadedAt = 0;
  #loading: Promise<void> | undefined;

  constructor(
    private readonly url: URL,
    private readonly refreshMs: number,
    private readonly log: Logger,
  ) {
    if (url.protocol === 'file:') this.#install(readFileSync(fileURLToPath(url), 'utf8'));
    else this.#refresh();
  }

  /** jose4j's VerificationJwkSelector: the first key of the algorithm's type (and curve), with the token's kid when it names one. */
  select(kid: string | undefined, alg: string, algorithm: Algorithm): KeyObject | undefined {
    if (Date.now() - this.#loadedAt > this.refreshMs) this.#refresh();
    const found = this.#keys.find(
      (k) => k.kty === algorithm.kty && (kid === undefined || k.kid === kid) && (k.alg === undefined || k.alg === alg) && (algorithm.crv === undefined || k.crv === algorithm.crv),
    );
    // A key rotated in since the last fetch: fetch again, at most once per 10 s, for the next attempt.
    if (found === undefined && Date.now() - this.#loadedAt > 10_000) this.#refresh();
    return found?.key;
  }

  #refresh(): void {
    if (this.#loading !== undefined) return;
    this.#loadedAt = Date.now();
    this.#loading = this.#fetch()
      .then((text) => this.#install(text))
      .catch((err: unknown) => this.log.warn({ err, url: this.url.href }, 'could not load the OAUTHBEARER JWKS'))
      .finally(() => (this.#loading = undefined));
  }

  async #fetch(): Promise<string> {
    if (this.url.protocol === 'file:') return readFileSync(fileURLToPath(this.url), 'utf8');
    const res = await fetch(this.url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  }

  #install(text: string): void {
    this.#keys = parseJwks(text);
    this.#loadedAt = Date.now();
  }
}

export interface SignedJwtSettings {
  expectedAudience: readonly string[];
  expectedIssuer: string | undefined;
  clockSkewMs: number;
  scopeClaim: string;
  subClaim: string;
}

const INVALID: TokenValidation = { status: 'invalid_token' };

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function signatureValid(alg: Algorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const input: VerifyKeyObjectInput = alg.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.kty === 'EC'
      ? { key, dsaEncoding: 'ieee-p1363' }
      : { key };
  try {
    return verify(alg.digest, data, input, signature);
  } catch {
    return false;
  }
}

/** The claim checks of jose4j's JwtConsumer as Kafka builds it, then Kafka's ClaimValidationUtils. */
function checkClaims(claims: Record<string, unknown>, s: SignedJwtSettings, now: number): TokenValidation {
  const { exp, iat, nbf, iss, aud } = claims;
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp < 0 || iat < 0) return INVALID;
  if (now - s.clockSkewMs >= exp * 1000) return INVALID;
  if (nbf !== undefined && (typeof nbf !== 'number' || now + s.clockSkewMs < nbf * 1000)) return INVALID;
  if (s.expectedIssuer !== undefined && iss !== s.expectedIssuer) return INVALID;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : aud === undefined ? undefined : [];
  if (audiences === undefined ? s.expectedAudience.length > 0 : !audiences.some((a) => s.expectedAudience.includes(a as string))) return INVALID;
  const sub = claims[s.subClaim];
  if (typeof sub !== 'string' || sub.trim() === '') return INVALID;
  const scope = claims[s.scopeClaim];
  const scopes = typeof scope === 'string' ? [scope] : Array.isArray(scope) ? scope : [];
  if (scopes.some((x) => typeof x !== 'string' || x.trim() === '')) return INVALID;
  return { principal: sub.trim(), expiryMs: exp * 1000 };
}

function listOf(text: string | undefined): string[] {
  return (text ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function nonNegative(sec: ListenerSecurity, key: string, fallback: number): number {
  const text = sec.get(key);
  if (text === undefined) return fallback;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(sec.source(key), `expected a non-negative integer, got "${text}"`);
  return n;
}

/** The signed-JWT validator of a listener, from Kafka's sasl.oauthbearer.* settings; ConfigError when unusable. */
export function signedJwtValidator(sec: ListenerSecurity, log: Logger, now: () => number = Date.now): TokenValidator {
  const urlKey = 'sasl.oauthbearer.jwks.endpoint.url';
  const urlText = sec.get(urlKey)?.trim();
  if (urlText === undefined || urlText === '') throw new ConfigError(sec.source(urlKey), `listener ${sec.name}: the OAUTHBEARER validator needs a JWKS`);
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new ConfigError(sec.source(urlKey), `"${urlText}" is not a URL`);
  }
  if (!['file:', 'http:', 'https:'].includes(url.protocol)) throw new ConfigError(sec.source(urlKey), `expected a file, http or https URL, got "${urlText}"`);
  let keys: JwksKeys;
  try {
    keys = new JwksKeys(url, nonNegative(sec, 'sasl.oauthbearer.jwks.endpoint.refresh.ms', 3_600_000), log);
  } catch (err) {
    throw new ConfigError(sec.source(urlKey), `cannot read the JWKS at ${urlText}: ${(err as Error).message}`);
  }
  const settings: SignedJwtSettings = {
    expectedAudience: listOf(sec.get('sasl.oauthbearer.expected.audience')),
    expectedIssuer: sec.get('sasl.oauthbearer.expected.issuer')?.trim() || undefined,
    clockSkewMs: nonNegative(sec, 'sasl.oauthbearer.clock.skew.seconds', 30) * 1000,
    scopeClaim: sec.get('sasl.oauthbearer.scope.claim.name')?.trim() || 'scope',
    subClaim: sec.get('sasl.oauthbearer.sub.claim.name')?.trim() || 'sub',
  };
  return (jws) => {
    const parts = jws.split('.');
    if (parts.length !== 3 || parts[2] === '') return INVALID;
    const header = decodeJson(parts[0]!);
    const claims = decodeJson(parts[1]!);
    const algName = header?.alg;
    const alg = typeof algName === 'string' && Object.hasOwn(ALGORITHMS, algName) ? ALGORITHMS[algName]! : undefined;
    if (claims === undefined || alg === undefined) return INVALID;
    const key = keys.select(typeof header!.kid === 'string' ? header!.kid : undefined, algName as string, alg);
    if (key === undefined) return INVALID;
    if (!signatureValid(alg, key, Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2]!, 'base64url'))) return INVALID;
    return checkClaims(claims, settings, now());
  };
}
