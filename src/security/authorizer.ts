/**
 * An authorizer with the semantics of Kafka's StandardAuthorizer: super.users may do
 * anything; otherwise a DENY binding that matches the principal, host, operation and resource
 * wins over any ALLOW; an ALLOW of the operation (or of ALL, or for DESCRIBE one of READ,
 * WRITE, DELETE, ALTER, for DESCRIBE_CONFIGS ALTER_CONFIGS) allows; a resource with no
 * binding at all is allowed only with allow.everyone.if.no.acl.found. Bindings are literal
 * (the name, or '*' for all) or prefixed. They are kept in skiff-acls.json in the data dir,
 * replaced atomically on every change.
 */
import { ConfigError } from '../errors.js';
import type { SecuritySettings } from '../config/security.js';
import type { SegmentStore } from '../storage/index.js';
import { Operation, PatternType, Permission, WILDCARD, filterMatches, sameBinding, type AclBinding, type AclFilter } from './acl.js';

export const ACLS_FILE = 'skiff-acls.json';

/** Kafka's authorizers that Skiff stands in for. */
const KNOWN_AUTHORIZERS = new Set(['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer']);

/**
 * The principal of requests the broker makes to itself (the embedded fixtures API). No client
 * can authenticate as it: TLS and SASL principals are all of type User.
 */
export const INTERNAL_PRINCIPAL = 'Internal:skiff';

export interface Requester {
  principal: string;
  host: string;
}

const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER]);

export class Authorizer {
  #acls: AclBinding[] = [];
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: SegmentStore | null,
    private readonly superUsers: ReadonlySet<string>,
    private readonly allowIfNoAcl: boolean,
  ) {}

  /** The authorizer authorizer.class.name asks for, or undefined when it is unset. */
  static async open(settings: SecuritySettings, store: SegmentStore | null): Promise<Authorizer | undefined> {
    const className = settings['authorizer.class.name']?.trim() ?? '';
    if (className === '') return undefined;
    if (!KNOWN_AUTHORIZERS.has(className)) {
      throw new ConfigError('authorizer.class.name', `Skiff provides ${[...KNOWN_AUTHORIZERS].join(' and ')} (the same semantics), not ${className}`);
    }
    const superUsers = new Set((settings['super.users'] ?? '').split(';').map((s) => s.trim()).filter((s) => s !== ''));
    const allow = (settings['allow.everyone.if.no.acl.found'] ?? 'false').trim().toLowerCase() === 'true';
    const authorizer = new Authorizer(store, superUsers, allow);
    const buf = store ? await store.readWhole(ACLS_FILE) : undefined;
    if (buf !== undefined) {
      const parsed = JSON.parse(buf.toString('utf8')) as { acls?: AclBinding[] };
      if (!Array.isArray(parsed.acls)) throw new Error(`${ACLS_FILE} is corrupt`);
      authorizer.#acls = parsed.acls;
    }
    return authorizer;
  }

  authorize(who: Requester, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(who.principal) || who.principal === INTERNAL_PRINCIPAL) return true;
    let anyForResource = false;
    let allowed = false;
    for (const acl of this.#acls) {
      if (acl.resourceType !== resourceType || !patternMatches(acl, resourceName)) continue;
      anyForResource = true;
      if (acl.principal !== who.principal && acl.principal !== 'User:*') continue;
      if (acl.host !== WILDCARD && acl.host !== who.host) continue;
      if (acl.permissionType === Permission.DENY) {
        if (acl.operation === Operation.ALL || acl.operation === operation) return false;
      } else if (
        acl.operation === Operation.ALL ||
        acl.operation === operation ||
        (operation === Operation.DESCRIBE && IMPLIES_DESCRIBE.has(acl.operation)) ||
        (operation === Operation.DESCRIBE_CONFIGS && acl.operation === Operation.ALTER_CONFIGS)
      ) {
        allowed = true;
      }
    }
    return anyForResource ? allowed : this.allowIfNoAcl;
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: may the principal do `operation` on some
   * resource of the type? Yes when it may on an arbitrary name (super users, no ACLs with
   * allow.everyone.if.no.acl.found), or when one of its ALLOW bindings (literal or prefixed)
   * is not covered by a DENY of the same name or of a prefix of it; a DENY on '*' says no.
   */
  authorizeByResourceType(who: Requester, operation: number, resourceType: number): boolean {
    if (this.authorize(who, operation, resourceType, 'hardcode')) return true;
    const denied = { literal: new Set<string>(), prefixed: new Set<string>() };
    const allowed: AclBinding[] = [];
    let wildcardAllowed = false;
    for (const acl of this.#acls) {
      if (acl.resourceType !== resourceType) continue;
      if (acl.host !== WILDCARD && acl.host !== who.host) continue;
      if (acl.principal !== who.principal && acl.principal !== 'User:*') continue;
      if (acl.operation !== operation && acl.operation !== Operation.ALL) continue;
      const literal = acl.patternType === PatternType.LITERAL;
      if (acl.permissionType === Permission.DENY) {
        if (literal && acl.resourceName === WILDCARD) return false;
        (literal ? denied.literal : denied.prefixed).add(acl.resourceName);
      } else if (acl.permissionType === Permission.ALLOW) {
        if (literal && acl.resourceName === WILDCARD) wildcardAllowed = true;
        else allowed.push(acl);
      }
    }
    return wildcardAllowed || allowed.some((acl) => {
      if (acl.patternType === PatternType.LITERAL && denied.literal.has(acl.resourceName)) return false;
      for (let end = 1; end <= acl.resourceName.length; end++) if (denied.prefixed.has(acl.resourceName.slice(0, end))) return false;
      return true;
    });
  }

  acls(filter: AclFilter): AclBinding[] {
    return this.#acls.filter((acl) => filterMatches(filter, acl));
  }

  /** Adds bindings (an existing one is not added twice); durable when it resolves. */
  create(bindings: readonly AclBinding[]): Promise<void> {
    return this.#change(() => {
      for (const b of bindings) if (!this.#acls.some((a) => sameBinding(a, b))) this.#acls.push({ ...b });
    });
  }

  /** Removes every binding matching one of the filters; resolves with each filter's removed bindings. */
  delete(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    let removed: AclBinding[][] = [];
    return this.#change(() => {
      removed = filters.map((f) => this.#acls.filter((acl) => filterMatches(f, acl)));
      this.#acls = this.#acls.filter((acl) => !filters.some((f) => filterMatches(f, acl)));
    }).then(() => removed);
  }

  #change(apply: () => void): Promise<void> {
    const run = this.#chain.then(async () => {
      apply();
      if (this.store) await this.store.writeAtomic(ACLS_FILE, JSON.stringify({ version: 0, acls: this.#acls }) + '\n');
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
}

function patternMatches(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName);
  return acl.resourceName === name || acl.resourceName === WILDCARD;
}
