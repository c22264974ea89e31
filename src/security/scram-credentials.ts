/**
 * SCRAM credentials by user and mechanism: set by AlterUserScramCredentials (or at startup by
 * skiff.scram.credentials), listed by DescribeUserScramCredentials, read by the SCRAM
 * exchange. Kafka keeps them in its metadata log; Skiff writes them to
 * skiff-scram-credentials.json in the data dir, replaced atomically on every change, so they
 * survive a restart. Only salted keys are kept, never passwords.
 */
import { ConfigError } from '../errors.js';
import type { SegmentStore } from '../storage/index.js';
import { credentialFromPassword, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';

export const SCRAM_CREDENTIALS_FILE = 'skiff-scram-credentials.json';

export type ScramChange =
  | { user: string; mechanism: ScramMechanism; credential: ScramCredential }
  | { user: string; mechanism: ScramMechanism; credential: null };

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export class ScramCredentialStore {
  readonly #users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: SegmentStore | null) {}

  /** `store` null: in memory only. `initial`: skiff.scram.credentials, applied over what was stored. */
  static async open(store: SegmentStore | null, initial?: string): Promise<ScramCredentialStore> {
    const creds = new ScramCredentialStore(store);
    const buf = store ? await store.readWhole(SCRAM_CREDENTIALS_FILE) : undefined;
    if (buf !== undefined) creds.#load(buf.toString('utf8'));
    if (initial !== undefined && initial.trim() !== '') await creds.apply(parseInitialCredentials(initial));
    return creds;
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.#users.get(user)?.get(mechanism);
  }

  /** Every user with at least one credential, and its mechanisms with their iterations. */
  users(): ReadonlyMap<string, ReadonlyMap<ScramMechanism, ScramCredential>> {
    return this.#users;
  }

  /** Applies changes and persists them; resolves once they are durable. */
  apply(changes: readonly ScramChange[]): Promise<void> {
    const run = this.#chain.then(async () => {
      for (const c of changes) {
        let byMechanism = this.#users.get(c.user);
        if (c.credential === null) {
          byMechanism?.delete(c.mechanism);
          if (byMechanism?.size === 0) this.#users.delete(c.user);
          continue;
        }
        if (byMechanism === undefined) this.#users.set(c.user, (byMechanism = new Map()));
        byMechanism.set(c.mechanism, c.credential);
      }
      if (this.store) await this.store.writeAtomic(SCRAM_CREDENTIALS_FILE, this.#serialize());
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #serialize(): string {
    const users: Record<string, Record<string, StoredCredential>> = {};
    for (const [user, byMechanism] of this.#users) {
      users[user] = {};
      for (const [mechanism, c] of byMechanism) {
        users[user][mechanism] = {
          salt: c.salt.toString('base64'),
          storedKey: c.storedKey.toString('base64'),
          serverKey: c.serverKey.toString('base64'),
          iterations: c.iterations,
        };
      }
    }
    return JSON.stringify({ version: 0, users }) + '\n';
  }

  #load(text: string): void {
    const parsed = JSON.parse(text) as { users?: Record<string, Record<string, StoredCredential>> };
    if (typeof parsed.users !== 'object' || parsed.users === null) throw new Error(`${SCRAM_CREDENTIALS_FILE} is corrupt`);
    for (const [user, byMechanism] of Object.entries(parsed.users)) {
      const map = new Map<ScramMechanism, ScramCredential>();
      for (const [mechanism, c] of Object.entries(byMechanism)) {
        if (!SCRAM_MECHANISMS.includes(mechanism as ScramMechanism) || !Number.isInteger(c.iterations)) {
          throw new Error(`${SCRAM_CREDENTIALS_FILE} is corrupt: ${mechanism} of ${user}`);
        }
        map.set(mechanism as ScramMechanism, {
          salt: Buffer.from(c.salt, 'base64'),
          storedKey: Buffer.from(c.storedKey, 'base64'),
          serverKey: Buffer.from(c.serverKey, 'base64'),
          iterations: c.iterations,
        });
      }
      this.#users.set(user, map);
    }
  }
}

/**
 * skiff.scram.credentials: kafka-storage format's --add-scram syntax, comma-separated,
 * e.g. SCRAM-SHA-256=[name=alice,password=alice-secret],SCRAM-SHA-512=[name=bob,password=b,iterations=8192].
 */
export function parseInitialCredentials(text: string, key = 'skiff.scram.credentials'): ScramChange[] {
  const out: ScramChange[] = [];
  const entry = /\s*(SCRAM-SHA-256|SCRAM-SHA-512)=\[([^\]]*)\]\s*(,|$)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while (end < text.length && (match = entry.exec(text)) !== null) {
    end = entry.lastIndex;
    const fields = new Map<string, string>();
    for (const part of match[2]!.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new ConfigError(key, `"${part}" is not key=value in ${match[0].trim()}`);
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    const user = fields.get('name');
    const password = fields.get('password');
    const iterations = Number(fields.get('iterations') ?? MIN_ITERATIONS);
    if (!user || !password) throw new ConfigError(key, `${match[0].trim()} needs name= and password=`);
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new ConfigError(key, `iterations must be ${MIN_ITERATIONS}-${MAX_ITERATIONS}, got ${fields.get('iterations')}`);
    }
    const mechanism = match[1] as ScramMechanism;
    out.push({ user, mechanism, credential: credentialFromPassword(mechanism, password, iterations) });
  }
  if (end < text.trim().length) throw new ConfigError(key, `expected SCRAM-SHA-256=[name=...,password=...] entries, got "${text.slice(end)}"`);
  return out;
}
