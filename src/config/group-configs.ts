import { KAFKA_BROKER_KEYS, KAFKA_GROUP_KEYS, invalidValueMessage, kafkaValueProblem } from './kafka-keys.js';
import { KAFKA_GROUP_CONFIG_KEYS } from './kafka-config-defs.js';

/**
 * Per-group settings (GROUP resources, Kafka's GroupConfig): each overrides a broker-wide
 * group.* setting for one group, within the broker's group.*.min.* / group.*.max.* bounds.
 */

export type GroupConfigs = Readonly<Record<string, string>>;

/** Reads a broker setting's effective value as a string (dynamic, static or default). */
export type BrokerSetting = (name: string) => string | null;

/** A group setting's bounds are the broker's group.<kind>.min.<rest> and group.<kind>.max.<rest>. */
function bound(name: string, which: 'min' | 'max'): string | undefined {
  const dot = name.indexOf('.');
  const candidate = `group.${name.slice(0, dot)}.${which}.${name.slice(dot + 1)}`;
  return KAFKA_BROKER_KEYS.has(candidate) ? candidate : undefined;
}

/** Kafka's exceptions to the naming pattern above. */
const SPECIAL_MAX: Readonly<Record<string, string>> = { 'streams.num.standby.replicas': 'group.streams.max.standby.replicas' };

/** ISO-8601 durations as Java's Duration.parse reads them (PnDTnHnMn.nS, each part optional). */
const ISO_DURATION = /^[-+]?P(?:[-+]?\d+D)?(?:T(?:[-+]?\d+H)?(?:[-+]?\d+M)?(?:[-+]?\d+(?:[.,]\d{0,9})?S)?)?$/i;

/** Kafka's validators of the string-valued share group settings (GroupConfig); the failure message, or undefined. */
const STRING_CHECKS: Readonly<Record<string, (value: string) => string | undefined>> = {
  'share.auto.offset.reset': (value) => {
    const v = value.trim().toLowerCase();
    if (v === 'earliest' || v === 'latest') return undefined;
    const duration = v.startsWith('by_duration:') ? value.trim().slice('by_duration:'.length) : undefined;
    if (duration !== undefined && ISO_DURATION.test(duration) && !/^P$|T$/i.test(duration) && !duration.startsWith('-')) return undefined;
    return `Invalid value \`${value}\` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.`;
  },
  'share.isolation.level': (value) =>
    value === 'read_committed' || value === 'read_uncommitted' ? undefined : invalidValueMessage('share.isolation.level', value, 'String must be one of: read_committed, read_uncommitted'),
};

/** Kafka checks these pairs last: a session must outlast a heartbeat interval. */
const SESSION_OVER_HEARTBEAT = ['consumer', 'share', 'streams'] as const;

/**
 * Kafka's GroupConfig.validate over the group's would-be settings (unknown names, types and
 * ranges, then the broker's bounds); the message of the first failure (Kafka answers
 * INVALID_CONFIG), or undefined.
 */
export function groupConfigProblem(configs: GroupConfigs, broker: BrokerSetting): string | undefined {
  for (const name of Object.keys(configs)) {
    if (!KAFKA_GROUP_KEYS.has(name)) return `Unknown group config name: ${name}`;
  }
  for (const [name, value] of Object.entries(configs)) {
    const problem = kafkaValueProblem(KAFKA_GROUP_KEYS.get(name)!, value);
    if (problem !== undefined) return invalidValueMessage(name, value, problem);
    const stringProblem = STRING_CHECKS[name]?.(value);
    if (stringProblem !== undefined) return stringProblem;
  }
  const value = (name: string): number => Number(configs[name] ?? KAFKA_GROUP_KEYS.get(name)!.default);
  for (const key of KAFKA_GROUP_CONFIG_KEYS) {
    const min = bound(key.name, 'min');
    const max = SPECIAL_MAX[key.name] ?? bound(key.name, 'max');
    const minValue = min === undefined ? null : broker(min);
    const maxValue = max === undefined ? null : broker(max);
    if (minValue !== null && value(key.name) < Number(minValue)) return `${key.name} must be greater than or equal to ${min}`;
    if (maxValue !== null && value(key.name) > Number(maxValue)) return `${key.name} must be less than or equal to ${max}`;
  }
  for (const kind of SESSION_OVER_HEARTBEAT) {
    if (value(`${kind}.session.timeout.ms`) <= value(`${kind}.heartbeat.interval.ms`)) {
      return `${kind}.session.timeout.ms must be greater than ${kind}.heartbeat.interval.ms`;
    }
  }
  return undefined;
}

/**
 * A group's effective settings: its own values over the broker-wide synonyms
 * (group.consumer.session.timeout.ms, ...) over Kafka's defaults. For the group coordinators.
 */
export function effectiveGroupConfig(own: GroupConfigs, broker: BrokerSetting): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of KAFKA_GROUP_CONFIG_KEYS) {
    const synonym = key.synonyms?.[0];
    out[key.name] = own[key.name] ?? (synonym === undefined ? null : broker(synonym)) ?? key.default ?? '';
  }
  return out;
}
