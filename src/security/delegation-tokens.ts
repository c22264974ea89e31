/**
 * Delegation tokens (KIP-48) with the rules of Kafka's DelegationTokenControlManager: a token
 * is a random id, its owner, who asked for it, its renewers and three timestamps; its HMAC
 * (HmacSHA512 of the id under delegation.token.secret.key) is the password a client
 * authenticates with over SCRAM. Kafka keeps tokens in its metadata log; Skiff writes them to
 * skiff-delegation-tokens.json in the data dir (as SCRAM credentials), without the HMACs,
 * which follow from the secret key. Without a secret key every operation answers
 * DELEGATION_TOKEN_AUTH_DISABLED, as in Kafka.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { SegmentStore } from '../storage/index.js';
import { credentialFromPassword, MIN_ITERATIONS, type ScramCredential, type ScramMechanism } from './scram.js';

export const DELEGATION_TOKENS_FILE = 'skiff-delegation-tokens.json';

export interface TokenInfo {
  readonly tokenId: string;
  /** Principals as Kafka prints them: "User:alice". */
  readonly owner: string;
  readonly requester: string;
  readonly renewers: readonly string[];
  readonly issueTimestamp: number;
  readonly maxTimestamp: number;
  readonly expiryTimestamp: number;
}

export interface DelegationTokenSettings {
  /** delegation.token.secret.key; null or empty: tokens are disabled. */
  secretKey: string | null;
  /** delegation.token.max.lifetime.ms */
  maxLifetimeMs: number;
  /** delegation.token.expiry.time.ms: the lifetime of a token until renewed. */
  expiryTimeMs: number;
  /** delegation.token.expiry.check.interval.ms: how often expired tokens are removed. */
  checkIntervalMs: number;
}

export type TokenResult<T> = { errorCode: typeof ErrorCode.NONE; value: T } | { errorCode: number; value?: undefined };

/** now + duration without passing the largest timestamp (Kafka saturates at Long.MAX_VALUE). */
function later(now: number, duration: number): number {
  return Math.min(now + duration, Number.MAX_SAFE_INTEGER);
}

/** Kafka's allowedToRenew: the owner and the named renewers may renew and expire a token. */
function mayRenew(token: TokenInfo, principal: string): boolean {
  return token.owner === principal || token.renewers.includes(principal);
}

/** Kafka's TokenInformation.ownerOrRenewer: who may always describe a token. */
export function ownerOrRenewer(token: TokenInfo, principal: string): boolean {
  return token.owner === principal || token.requester === principal || token.renewers.includes(principal);
}

export class DelegationTokenStore {
  readonly #tokens = new Map<string, TokenInfo>();
  /** base64 HMAC to token id: renew and expire name a token by its HMAC. */
  readonly #byHmac = new Map<string, string>();
  /** SCRAM credentials of each token, made on first use (PBKDF2 is not free). */
  readonly #credentials = new Map<string, Map<ScramMechanism, ScramCredential>>();
  #chain: Promise<unknown> = Promise.resolve();
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(
    private readonly settings: DelegationTokenSettings,
    private readonly store: SegmentStore | null,
    private readonly now: () => number,
  ) {}

  /** `store` null: in memory only. Starts the expiry sweep; close() stops it. */
  static async open(settings: DelegationTokenSettings, store: SegmentStore | null, now: () => number = Date.now): Promise<DelegationTokenStore> {
    const tokens = new DelegationTokenStore(settings, store, now);
    const buf = store ? await store.readWhole(DELEGATION_TOKENS_FILE) : undefined;
    if (buf !== undefined) tokens.#load(buf.toString('utf8'));
    if (tokens.enabled) {
      // Node's timers take at most 2^31-1 ms (a longer one would fire at once).
      tokens.#sweeper = setInterval(() => void tokens.sweep().catch(() => undefined), Math.min(settings.checkIntervalMs, 2 ** 31 - 1));
      tokens.#sweeper.unref();
    }
    return tokens;
  }

  get enabled(): boolean {
    return this.settings.secretKey !== null && this.settings.secretKey !== '';
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  hmacOf(tokenId: string): Buffer {
    return createHmac('sha512', Buffer.from(this.settings.secretKey ?? '', 'utf8')).update(tokenId, 'utf8').digest();
  }

  /** Every token, expired ones included until the sweep removes them (as Kafka). */
  tokens(): Iterable<TokenInfo> {
    return this.#tokens.values();
  }

  async create(owner: string, requester: string, renewers: readonly string[], requestedMaxLifetimeMs: number): Promise<TokenResult<TokenInfo>> {
    if (!this.enabled) return { errorCode: ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED };
    const now = this.now();
    const maxLifetime = requestedMaxLifetimeMs > 0 ? Math.min(this.settings.maxLifetimeMs, requestedMaxLifetimeMs) : this.settings.maxLifetimeMs;
    const maxTimestamp = later(now, maxLifetime);
    const token: TokenInfo = {
      tokenId: randomUUID(),
      owner,
      requester,
      renewers: [...renewers],
      issueTimestamp: now,
      maxTimestamp,
      expiryTimestamp: Math.min(maxTimestamp, later(now, this.settings.expiryTimeMs)),
    };
    await this.#change(() => this.#put(token));
    return { errorCode: ErrorCode.NONE, value: token };
  }

  /** RenewDelegationToken: the new expiry timestamp. Kafka checks expiry before ownership here. */
  async renew(principal: string, hmac: Buffer, renewPeriodMs: number): Promise<TokenResult<number>> {
    const found = this.#find(hmac);
    if (found.value === undefined) return found;
    const token = found.value;
    if (this.#expired(token)) return { errorCode: ErrorCode.DELEGATION_TOKEN_EXPIRED };
    if (!mayRenew(token, principal)) return { errorCode: ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH };
    const period = renewPeriodMs > 0 ? Math.min(this.settings.expiryTimeMs, renewPeriodMs) : this.settings.expiryTimeMs;
    const expiryTimestamp = Math.min(token.maxTimestamp, later(this.now(), period));
    await this.#change(() => this.#put({ ...token, expiryTimestamp }));
    return { errorCode: ErrorCode.NONE, value: expiryTimestamp };
  }

  /** ExpireDelegationToken: the new expiry timestamp; a negative period removes the token at once. */
  async expire(principal: string, hmac: Buffer, expiryPeriodMs: number): Promise<TokenResult<number>> {
    const found = this.#find(hmac);
    if (found.value === undefined) return found;
    const token = found.value;
    if (!mayRenew(token, principal)) return { errorCode: ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH };
    const now = this.now();
    if (expiryPeriodMs < 0) {
      await this.#change(() => this.#remove(token.tokenId));
      return { errorCode: ErrorCode.NONE, value: now };
    }
    if (this.#expired(token)) return { errorCode: ErrorCode.DELEGATION_TOKEN_EXPIRED };
    const expiryTimestamp = Math.min(token.maxTimestamp, later(now, expiryPeriodMs));
    await this.#change(() => this.#put({ ...token, expiryTimestamp }));
    return { errorCode: ErrorCode.NONE, value: expiryTimestamp };
  }

  /** Removes every token past its expiry or maximum timestamp. */
  async sweep(): Promise<void> {
    const expired = [...this.#tokens.values()].filter((t) => this.#expired(t));
    if (expired.length > 0) await this.#change(() => expired.forEach((t) => this.#remove(t.tokenId)));
  }

  /**
   * The SCRAM credential of a live token and its owner, for tokenauth=true authentication: the
   * password is the token's HMAC in base64. An expired token no longer authenticates, even
   * before the sweep removes it (Kafka lets it until then).
   */
  scramCredential(tokenId: string, mechanism: ScramMechanism): { credential: ScramCredential; token: TokenInfo } | undefined {
    const token = this.#tokens.get(tokenId);
    if (!this.enabled || token === undefined || this.#expired(token)) return undefined;
    let byMechanism = this.#credentials.get(tokenId);
    if (byMechanism === undefined) this.#credentials.set(tokenId, (byMechanism = new Map()));
    let credential = byMechanism.get(mechanism);
    if (credential === undefined) {
      credential = credentialFromPassword(mechanism, this.hmacOf(tokenId).toString('base64'), MIN_ITERATIONS);
      byMechanism.set(mechanism, credential);
    }
    return { credential, token };
  }

  #find(hmac: Buffer): TokenResult<TokenInfo> {
    if (!this.enabled) return { errorCode: ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED };
    const tokenId = this.#byHmac.get(hmac.toString('base64'));
    const token = tokenId === undefined ? undefined : this.#tokens.get(tokenId);
    if (token === undefined) return { errorCode: ErrorCode.DELEGATION_TOKEN_NOT_FOUND };
    return { errorCode: ErrorCode.NONE, value: token };
  }

  #expired(token: TokenInfo): boolean {
    const now = this.now();
    return token.expiryTimestamp < now || token.maxTimestamp < now;
  }

  #put(token: TokenInfo): void {
    this.#tokens.set(token.tokenId, token);
    if (this.enabled) this.#byHmac.set(this.hmacOf(token.tokenId).toString('base64'), token.tokenId);
  }

  #remove(tokenId: string): void {
    this.#tokens.delete(tokenId);
    this.#credentials.delete(tokenId);
    if (this.enabled) this.#byHmac.delete(this.hmacOf(tokenId).toString('base64'));
  }

  /** Applies a change and persists every token; resolves once durable. */
  #change(apply: () => void): Promise<void> {
    const run = this.#chain.then(async () => {
      apply();
      if (this.store) await this.store.writeAtomic(DELEGATION_TOKENS_FILE, JSON.stringify({ version: 0, tokens: [...this.#tokens.values()] }) + '\n');
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #load(text: string): void {
    const parsed = JSON.parse(text) as { tokens?: TokenInfo[] };
    if (!Array.isArray(parsed.tokens)) throw new Error(`${DELEGATION_TOKENS_FILE} is corrupt`);
    for (const t of parsed.tokens) {
      if (typeof t.tokenId !== 'string' || typeof t.owner !== 'string' || !Array.isArray(t.renewers) || !Number.isSafeInteger(t.expiryTimestamp)) {
        throw new Error(`${DELEGATION_TOKENS_FILE} is corrupt: ${JSON.stringify(t).slice(0, 200)}`);
      }
      this.#put(t);
    }
  }
}
