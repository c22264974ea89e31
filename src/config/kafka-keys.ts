import {
  KAFKA_BROKER_CONFIG_KEYS,
  KAFKA_CLIENT_METRICS_CONFIG_KEYS,
  KAFKA_GROUP_CONFIG_KEYS,
  KAFKA_TOPIC_CONFIG_KEYS,
  type KafkaConfigKey,
} from './kafka-config-defs.js';
import { LONG_MAX, LONG_MAX_TEXT } from './values.js';

/**
 * Lookups over the definitions generated from Kafka's jars (kafka-config-defs.ts) and the
 * value checks Kafka's ConfigDef applies to a string, with its messages, for settings whose
 * meaning Skiff does not implement but still accepts, stores and describes.
 */

const byName = (keys: readonly KafkaConfigKey[]): ReadonlyMap<string, KafkaConfigKey> => new Map(keys.map((k) => [k.name, k]));

export const KAFKA_BROKER_KEYS = byName(KAFKA_BROKER_CONFIG_KEYS);
export const KAFKA_TOPIC_KEYS = byName(KAFKA_TOPIC_CONFIG_KEYS);
export const KAFKA_GROUP_KEYS = byName(KAFKA_GROUP_CONFIG_KEYS);
export const KAFKA_CLIENT_METRICS_KEYS = byName(KAFKA_CLIENT_METRICS_CONFIG_KEYS);

/** DescribeConfigs configType codes (KIP-569), by Kafka's ConfigDef type. */
export const KAFKA_TYPE_CODE: Record<KafkaConfigKey['type'], number> = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
};

const INTEGER_BOUNDS: Partial<Record<KafkaConfigKey['type'], readonly [bigint, bigint]>> = {
  SHORT: [-32768n, 32767n],
  INT: [-2147483648n, 2147483647n],
  LONG: [-9223372036854775808n, 9223372036854775807n],
};

/** Kafka's ConfigDef.parseType and range check on a string; the reason when it fails. */
export function kafkaValueProblem(key: KafkaConfigKey, raw: string): string | undefined {
  const value = raw.trim();
  let n: number;
  switch (key.type) {
    case 'BOOLEAN':
      return /^(true|false)$/i.test(value) ? undefined : 'Expected value to be either true or false';
    case 'SHORT':
    case 'INT':
    case 'LONG': {
      const [lo, hi] = INTEGER_BOUNDS[key.type]!;
      if (!/^[+-]?\d+$/.test(value) || BigInt(value) < lo || BigInt(value) > hi) return `Not a number of type ${key.type}`;
      n = value === LONG_MAX_TEXT ? LONG_MAX : Number(value);
      break;
    }
    case 'DOUBLE':
      n = Number(value);
      if (value === '' || Number.isNaN(n)) return 'Not a number of type DOUBLE';
      break;
    default:
      return undefined;
  }
  if (key.min !== undefined && n < key.min) return `Value must be at least ${formatBound(key, key.min)}`;
  if (key.max !== undefined && n > key.max) return `Value must be no more than ${formatBound(key, key.max)}`;
  return undefined;
}

function formatBound(key: KafkaConfigKey, bound: number): string {
  if (key.type === 'DOUBLE') return Number.isInteger(bound) ? bound.toFixed(1) : String(bound);
  return bound >= LONG_MAX ? LONG_MAX_TEXT : String(bound);
}

/** Kafka's ConfigException text for a bad value. */
export function invalidValueMessage(name: string, value: string, problem: string): string {
  return `Invalid value ${value} for configuration ${name}: ${problem}`;
}
