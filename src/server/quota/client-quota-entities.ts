/**
 * Client quota entities and keys as Kafka's controller validates them (AlterClientQuotas) and
 * matches them (DescribeClientQuotas filters), with Kafka's messages.
 *
 * An entity is a user, a client-id, both, or an ip; a null name is the type's default. Users
 * and client ids take byte rates (integers), request_percentage and controller_mutation_rate;
 * ips take connection_creation_rate. Every value must be above 0.
 */
import { isIP } from 'node:net';
import type { QuotaEntity } from '../../storage/index.js';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';

type KeyType = 'LONG' | 'INT' | 'DOUBLE';
const CLIENT_KEYS = new Map<string, KeyType>([
  [PRODUCER_BYTE_RATE, 'LONG'],
  [CONSUMER_BYTE_RATE, 'LONG'],
  [REQUEST_PERCENTAGE, 'DOUBLE'],
  ['controller_mutation_rate', 'DOUBLE'],
]);
const IP_KEYS = new Map<string, KeyType>([['connection_creation_rate', 'INT']]);
const LIMITS = { LONG: 2 ** 63, INT: 2 ** 31 } as const;

/** The order Kafka's answers list an entity's types in (its HashMap's). */
const TYPE_ORDER = [CLIENT_ID, USER, IP];

export interface EntityComponent {
  entityType: string;
  entityName: string | null;
}

/** The components of an entity, in Kafka's order. */
export function components(entity: QuotaEntity): EntityComponent[] {
  const rank = (t: string) => (TYPE_ORDER.includes(t) ? TYPE_ORDER.indexOf(t) : TYPE_ORDER.length);
  return Object.keys(entity)
    .sort((a, b) => rank(a) - rank(b))
    .map((entityType) => ({ entityType, entityName: entity[entityType] ?? null }));
}

/** An entity from its components; a type named twice keeps its last name, as Kafka's map does. */
export function entityOf(list: readonly EntityComponent[]): QuotaEntity {
  const out: Record<string, string | null> = {};
  for (const c of list) out[c.entityType] = c.entityName;
  return out;
}

/** Kafka's ClientQuotaEntity.toString(), which its messages quote. */
export function describeEntity(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${components(entity)
    .map((c) => `${c.entityType}=${c.entityName}`)
    .join(', ')}})`;
}

/** Why Kafka refuses this entity, or undefined. */
export function entityError(entity: QuotaEntity): string | undefined {
  const types = Object.keys(entity);
  if (types.length === 0) return 'Invalid empty client quota entity';
  const unknown = types.find((t) => !TYPE_ORDER.includes(t));
  if (unknown !== undefined) return `Unhandled client quota entity type: ${unknown}`;
  if (IP in entity && types.length > 1) return 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId';
  if (entity[USER] === '') return 'Empty user not supported';
  if (entity[CLIENT_ID] === '') return 'Empty client-id not supported';
  const ip = entity[IP];
  if (typeof ip === 'string' && isIP(ip) === 0) return `${ip} is not a valid IP or resolvable host.`;
  return undefined;
}

/** Why Kafka refuses setting `key` to `value` (remove=false) on this entity, or undefined. */
export function opError(entity: QuotaEntity, key: string, value: number, remove: boolean): string | undefined {
  const type = (IP in entity ? IP_KEYS : CLIENT_KEYS).get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (remove) return undefined;
  if (type !== 'DOUBLE') {
    if (!Number.isInteger(value)) return `${key} cannot be a fractional value.`;
    if (value >= LIMITS[type]) return `Proposed value for ${key} is too large for ${type === 'INT' ? 'an INT' : 'a LONG'}.`;
  }
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  return undefined;
}

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export interface FilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

export class FilterError extends Error {
  constructor(
    readonly unsupported: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** Throws FilterError where Kafka refuses a DescribeClientQuotas filter. */
export function checkFilter(filter: readonly FilterComponent[]): void {
  const seen = new Set<string>();
  for (const c of filter) {
    if (!TYPE_ORDER.includes(c.entityType)) throw new FilterError(true, `Unsupported entity type ${c.entityType}`);
    if (seen.has(c.entityType)) throw new FilterError(false, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT && c.match === null) throw new FilterError(false, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
    if (c.matchType === MATCH_DEFAULT && c.match !== null) throw new FilterError(false, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
    if (c.matchType < MATCH_EXACT || c.matchType > MATCH_SPECIFIED) throw new FilterError(false, `Unknown match type ${c.matchType}`);
  }
  if (seen.has(IP) && seen.size > 1) {
    throw new FilterError(false, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
}

/** Whether an entity passes a (checked) filter; strict admits no type the filter lacks. */
export function matches(entity: QuotaEntity, filter: readonly FilterComponent[], strict: boolean): boolean {
  if (strict && Object.keys(entity).length !== filter.length) return false;
  return filter.every((c) => {
    if (!(c.entityType in entity)) return false;
    const name = entity[c.entityType];
    if (c.matchType === MATCH_EXACT) return name === c.match;
    if (c.matchType === MATCH_DEFAULT) return name === null;
    return true;
  });
}
