/**
 * Config value types and the one place raw values (YAML scalars, CLI strings, server.properties
 * style strings, CreateTopics/AlterConfigs strings) become typed values.
 */
import { ConfigError } from '../errors.js';

/** Kafka's ConfigDef types, named as DescribeConfigs reports them (KIP-569). */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'password';

export type ConfigValueOf<T extends ConfigType> = T extends 'boolean'
  ? boolean
  : T extends 'int' | 'short' | 'long' | 'double'
    ? number
    : T extends 'list'
      ? readonly string[]
      : string;

export type ConfigValue = boolean | number | string | readonly string[] | null;

/** DescribeConfigs configType codes. */
export const CONFIG_TYPE_CODE = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
} as const satisfies Record<ConfigType, number>;

/**
 * Java's Long.MAX_VALUE means "no limit" in many Kafka settings. Longs are JS numbers here, so
 * it is read as the largest safe integer and written back as 9223372036854775807.
 */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
export const LONG_MAX_TEXT = '9223372036854775807';
export const INT_MAX = 2_147_483_647;

export interface ValueRules {
  min?: number;
  max?: number;
  /** Accepted strings (each item, for lists), compared case-insensitively and stored as listed. */
  validValues?: readonly string[];
  /** Extra check; returns a description of what is wrong, or undefined. */
  check?: (value: never) => string | undefined;
}

export interface ValueSpec extends ValueRules {
  readonly name: string;
  readonly type: ConfigType;
  readonly nullable: boolean;
}

const EXPECTED: Record<ConfigType, string> = {
  boolean: 'boolean (true or false)',
  string: 'string',
  password: 'string',
  int: 'int (a 32-bit integer)',
  short: 'short (a 16-bit integer)',
  long: 'long (an integer)',
  double: 'double (a number)',
  list: 'list (an array or a comma-separated string)',
};

/** Turns a raw value into the spec's type, or throws a ConfigError naming key, type and value. */
export function parseConfigValue(spec: ValueSpec, raw: unknown): ConfigValue {
  if (raw === null || raw === undefined) {
    if (spec.nullable) return null;
    throw mismatch(spec, raw);
  }
  return validate(spec, coerce(spec, raw));
}

function coerce(spec: ValueSpec, raw: unknown): Exclude<ConfigValue, null> {
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const text = raw.trim().toLowerCase();
        if (text === 'true') return true;
        if (text === 'false') return false;
      }
      throw mismatch(spec, raw);
    }
    case 'int':
      return integer(spec, raw, -2_147_483_648, INT_MAX);
    case 'short':
      return integer(spec, raw, -32_768, 32_767);
    case 'long':
      return long(spec, raw);
    case 'double': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : raw;
      if (typeof n === 'number' && Number.isFinite(n)) return n;
      if (typeof n === 'bigint') return Number(n);
      throw mismatch(spec, raw);
    }
    case 'string':
    case 'password':
      if (typeof raw === 'string') return raw;
      if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'bigint') return String(raw);
      throw mismatch(spec, raw);
    case 'list': {
      const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined;
      if (items === undefined) throw mismatch(spec, raw);
      const out: string[] = [];
      for (const item of items) {
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'bigint') {
          throw mismatch(spec, raw);
        }
        const text = String(item).trim();
        if (text !== '') out.push(text);
      }
      return out;
    }
  }
}

function integer(spec: ValueSpec, raw: unknown, min: number, max: number): number {
  let n: number | undefined;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'bigint') n = Number(raw);
  else if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) n = Number(raw.trim());
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) throw mismatch(spec, raw);
  return n;
}

function long(spec: ValueSpec, raw: unknown): number {
  let big: bigint | undefined;
  if (typeof raw === 'bigint') big = raw;
  else if (typeof raw === 'number' && Number.isInteger(raw)) {
    // A YAML parser without bigint support turns Long.MAX_VALUE into 2^63 exactly.
    if (raw === 2 ** 63) return LONG_MAX;
    big = Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
  } else if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) big = BigInt(raw.trim());
  if (big === undefined) throw mismatch(spec, raw);
  if (big === 9_223_372_036_854_775_807n) return LONG_MAX;
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ConfigError(
      spec.name,
      `expected ${EXPECTED.long} within ±${Number.MAX_SAFE_INTEGER} or ${LONG_MAX_TEXT}, got ${show(raw)}`,
    );
  }
  return Number(big);
}

function validate(spec: ValueSpec, value: Exclude<ConfigValue, null>): Exclude<ConfigValue, null> {
  if (typeof value === 'number') {
    if (spec.min !== undefined && value < spec.min) {
      throw new ConfigError(spec.name, `must be at least ${spec.min}, got ${value}`);
    }
    if (spec.max !== undefined && value > spec.max) {
      throw new ConfigError(spec.name, `must be at most ${spec.max}, got ${value}`);
    }
  }
  if (spec.validValues !== undefined) {
    const allowed = spec.validValues;
    const canonical = (item: string): string => {
      const match = allowed.find((v) => v.toLowerCase() === item.toLowerCase());
      if (match === undefined) {
        throw new ConfigError(spec.name, `expected one of ${allowed.join(', ')}, got ${show(item)}`);
      }
      return match;
    };
    if (typeof value === 'string') value = canonical(value);
    else if (Array.isArray(value)) value = value.map(canonical);
  }
  const problem = spec.check?.(value as never);
  if (problem !== undefined) throw new ConfigError(spec.name, problem);
  return value;
}

/** The canonical string form, as DescribeConfigs and server.properties show it. */
export function formatConfigValue(type: ConfigType, value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (type === 'long' && value === LONG_MAX) return LONG_MAX_TEXT;
  return String(value);
}

function mismatch(spec: ValueSpec, raw: unknown): ConfigError {
  return new ConfigError(spec.name, `expected ${EXPECTED[spec.type]}, got ${show(raw)}`);
}

function show(raw: unknown): string {
  if (raw === null) return 'null';
  if (raw === undefined) return 'nothing';
  if (typeof raw === 'string') return `"${raw}" (string)`;
  if (typeof raw === 'bigint') return `${raw} (number)`;
  if (Array.isArray(raw)) return `${JSON.stringify(raw)} (array)`;
  if (typeof raw === 'object') return `${JSON.stringify(raw)} (object)`;
  return `${String(raw)} (${typeof raw})`;
}
