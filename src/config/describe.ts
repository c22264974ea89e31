import { BROKER_CONFIG_BY_NAME } from './broker-configs.js';
import { CLIENT_METRICS_DOC, GROUP_DOC, kafkaOnlyDoc } from './docs.js';
import { LiveBrokerConfig } from './dynamic-broker.js';
import {
  KAFKA_BROKER_KEYS,
  KAFKA_TOPIC_KEYS,
  KAFKA_TYPE_CODE,
  kafkaValueProblem,
} from './kafka-keys.js';
import { KAFKA_CLIENT_METRICS_CONFIG_KEYS, KAFKA_GROUP_CONFIG_KEYS, KAFKA_TOPIC_CONFIG_KEYS } from './kafka-config-defs.js';
import { effectiveGroupConfig, type BrokerSetting } from './group-configs.js';
import type { BrokerConfig } from './load.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, type TopicConfigName, type TopicConfigValues, topicDefault } from './topic-configs.js';
import {
  CONFIG_TYPE_CODE,
  formatConfigValue,
  parseConfigValue,
  type ConfigValue,
} from './values.js';
import { ConfigError } from '../errors.js';

/**
 * What DescribeConfigs needs from the config tables, free of protocol types: the handler maps
 * these entries onto the generated response structs. Names, types and synonyms are Kafka's
 * (kafka-config-defs.ts); sources and synonyms follow Kafka's ConfigHelper: a setting's
 * synonyms are its broker names in precedence order (this broker's dynamic value, the
 * cluster's dynamic default, the static config, the default), starting at the setting itself.
 */

/** DescribeConfigs configSource codes. */
export const CONFIG_SOURCE = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;
export type ConfigSource = (typeof CONFIG_SOURCE)[keyof typeof CONFIG_SOURCE];

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isSensitive: boolean;
  source: ConfigSource;
  /** For DescribeConfigs v0, which has isDefault instead of a source. */
  isDefault: boolean;
  synonyms: ConfigSynonym[];
  /** DescribeConfigs configType code (0: unknown). */
  typeCode: number;
  documentation: string;
}

/** A topic's own settings, parsed: Skiff's typed values, or the checked string of a setting Skiff only stores. */
export type TopicOverrides = Partial<TopicConfigValues> & Readonly<Record<string, ConfigValue>>;

function described(
  name: string,
  value: string | null,
  synonyms: ConfigSynonym[],
  rest: Pick<DescribedConfig, 'readOnly' | 'isSensitive' | 'typeCode' | 'documentation'>,
): DescribedConfig {
  const source = synonyms[0]?.source ?? CONFIG_SOURCE.DEFAULT_CONFIG;
  return { name, value: rest.isSensitive ? null : value, source, isDefault: source === CONFIG_SOURCE.DEFAULT_CONFIG, synonyms, ...rest };
}

function staticValues(config: BrokerConfig): BrokerConfig['values'] {
  return config instanceof LiveBrokerConfig ? config.base.values : config.values;
}

/** A broker setting's default as a string: Skiff's own default for settings Skiff reads, else Kafka's. */
function brokerDefault(name: string): string | null {
  const def = BROKER_CONFIG_BY_NAME.get(name);
  if (def !== undefined) return formatConfigValue(def.type, def.default as ConfigValue);
  return KAFKA_BROKER_KEYS.get(name)?.default ?? null;
}

/** The value of every broker setting by layer, highest precedence first. */
function brokerLayers(config: BrokerConfig): Array<[ConfigSource, (name: string) => string | null | undefined]> {
  const dynamic = config instanceof LiveBrokerConfig ? config.dynamic : undefined;
  const statics = staticValues(config);
  return [
    [CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG, (n) => dynamic?.perBroker.get(n)],
    [CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG, (n) => dynamic?.clusterDefault.get(n)],
    [
      CONFIG_SOURCE.STATIC_BROKER_CONFIG,
      (n) => {
        const def = BROKER_CONFIG_BY_NAME.get(n);
        if (def === undefined) return config.kafkaOnly?.get(n);
        return config.explicit.has(def.name) ? formatConfigValue(def.type, statics[def.name] as ConfigValue) : undefined;
      },
    ],
    [CONFIG_SOURCE.DEFAULT_CONFIG, brokerDefault],
  ];
}

/** Kafka's configSynonyms: every layer's value of every synonym, from the first entry for `name` on. */
function brokerSynonyms(config: BrokerConfig, name: string, sensitive: boolean): ConfigSynonym[] {
  const names = KAFKA_BROKER_KEYS.get(name)?.synonyms ?? [name];
  const out: ConfigSynonym[] = [];
  for (const [source, get] of brokerLayers(config)) {
    for (const n of names) {
      const value = get(n);
      if (value !== undefined && value !== null) out.push({ name: n, value: sensitive ? null : value, source });
    }
  }
  const first = out.findIndex((s) => s.name === name);
  return first < 0 ? [] : out.slice(first);
}

/** Any broker setting's effective value as a string: dynamic, then static, then default. */
export function brokerSetting(config: BrokerConfig): BrokerSetting {
  const layers = brokerLayers(config);
  return (name) => {
    const def = BROKER_CONFIG_BY_NAME.get(name);
    if (def !== undefined) return formatConfigValue(def.type, config.values[def.name] as ConfigValue);
    for (const [, get] of layers) {
      const value = get(name);
      if (value !== undefined) return value;
    }
    return null;
  };
}

function describeBrokerEntry(config: BrokerConfig, name: string, perBroker: boolean): DescribedConfig {
  const kafka = KAFKA_BROKER_KEYS.get(name);
  const skiff = BROKER_CONFIG_BY_NAME.get(name);
  // Kafka treats a setting it has no type for as sensitive: it could hold anything.
  const isSensitive = kafka !== undefined ? kafka.type === 'PASSWORD' : skiff !== undefined ? skiff.sensitive : true;
  let synonyms = brokerSynonyms(config, name, isSensitive);
  if (!perBroker) synonyms = synonyms.filter((s) => s.source === CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG);
  const value = perBroker ? brokerSetting(config)(name) : (synonyms[0]?.value ?? null);
  return described(name, value, synonyms, {
    readOnly: kafka === undefined || kafka.dynamic === 'read-only',
    isSensitive,
    typeCode: kafka !== undefined ? KAFKA_TYPE_CODE[kafka.type] : skiff !== undefined ? CONFIG_TYPE_CODE[skiff.type] : 0,
    documentation: skiff?.doc ?? (kafka !== undefined ? kafkaOnlyDoc('broker') : ''),
  });
}

/**
 * The broker's settings: for this broker (`perBroker`), Kafka's every broker setting, Skiff's
 * own when given (as Kafka adds the names its config file gives) and any other name set
 * dynamically; for the cluster default (""), only the settings that have a dynamic default.
 */
export function describeBrokerConfigs(config: BrokerConfig, names?: readonly string[], perBroker = true): DescribedConfig[] {
  const dynamic = config instanceof LiveBrokerConfig ? config.dynamic : undefined;
  let all: Set<string>;
  if (perBroker) {
    all = new Set([...KAFKA_BROKER_KEYS.keys(), ...config.explicit, ...(dynamic?.perBroker.keys() ?? []), ...(dynamic?.clusterDefault.keys() ?? [])]);
  } else {
    all = new Set(dynamic?.clusterDefault.keys() ?? []);
  }
  const wanted = [...all].filter((n) => names === undefined || names.includes(n)).sort();
  return wanted.map((name) => describeBrokerEntry(config, name, perBroker));
}

/**
 * Parses a topic's own settings (CreateTopics, AlterConfigs, or what storage kept), rejecting
 * unknown names and bad values. Settings Kafka has and Skiff does not act on (remote storage,
 * throttled replicas, compression levels) are checked against Kafka's definition and kept.
 */
export function parseTopicConfigs(raw: Readonly<Record<string, string | null>>): TopicOverrides {
  const out: Record<string, ConfigValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (def !== undefined) {
      out[name] = parseConfigValue(def, value);
      continue;
    }
    const kafka = KAFKA_TOPIC_KEYS.get(name);
    if (kafka === undefined) throw new ConfigError(name, 'unknown topic config');
    if (value === null) throw new ConfigError(name, 'expected a value, got null');
    const problem = kafkaValueProblem(kafka, value);
    if (problem !== undefined) throw new ConfigError(name, problem);
    out[name] = kafka.type === 'LIST' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '').join(',') : value.trim();
  }
  return out as TopicOverrides;
}

/** A topic's effective settings: its own overrides over the broker-derived defaults. */
export function effectiveTopicConfigs(overrides: TopicOverrides, config: BrokerConfig): TopicConfigValues {
  const out: Record<string, ConfigValue> = {};
  for (const def of TOPIC_CONFIGS) {
    const own = overrides[def.name as TopicConfigName];
    out[def.name] = own !== undefined ? own : topicDefault(def, config.values).value;
  }
  return out as TopicConfigValues;
}

/**
 * A topic's settings (all of Kafka's): the topic's own value first, then its broker synonyms
 * as Kafka lists them.
 */
export function describeTopicConfigs(overrides: TopicOverrides, config: BrokerConfig, names?: readonly string[]): DescribedConfig[] {
  const wanted = names === undefined ? undefined : new Set(names);
  const setting = brokerSetting(config);
  const out: DescribedConfig[] = [];
  for (const kafka of KAFKA_TOPIC_CONFIG_KEYS) {
    const name = kafka.name;
    if (wanted !== undefined && !wanted.has(name)) continue;
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    const primary = kafka.synonyms?.[0];
    const own = overrides[name];
    const format = (v: ConfigValue): string | null => (def !== undefined ? formatConfigValue(def.type, v) : (v as string));
    let value: string | null;
    if (own !== undefined) value = format(own);
    else if (def !== undefined) value = format(topicDefault(def, config.values).value);
    else value = (primary === undefined ? null : setting(primary)) ?? kafka.default;
    const synonyms = primary === undefined ? [] : brokerSynonyms(config, primary, false);
    if (own !== undefined) synonyms.unshift({ name, value, source: CONFIG_SOURCE.TOPIC_CONFIG });
    out.push(
      described(name, value, synonyms, {
        readOnly: false,
        isSensitive: false,
        typeCode: KAFKA_TYPE_CODE[kafka.type],
        documentation: def?.doc ?? kafkaOnlyDoc('topic'),
      }),
    );
  }
  return out;
}

/** A group's settings: its own values over the broker's group.* settings (GroupConfig). */
export function describeGroupConfigs(own: Readonly<Record<string, string>>, config: BrokerConfig, names?: readonly string[]): DescribedConfig[] {
  const effective = effectiveGroupConfig(own, brokerSetting(config));
  const out: DescribedConfig[] = [];
  for (const key of KAFKA_GROUP_CONFIG_KEYS) {
    if (names !== undefined && !names.includes(key.name)) continue;
    const brokerName = key.synonyms?.[0];
    const synonyms =
      brokerName !== undefined
        ? brokerSynonyms(config, brokerName, false)
        : key.default !== null
          ? [{ name: key.name, value: key.default, source: CONFIG_SOURCE.DEFAULT_CONFIG }]
          : [];
    const value = effective[key.name] ?? null;
    if (own[key.name] !== undefined) synonyms.unshift({ name: key.name, value, source: CONFIG_SOURCE.GROUP_CONFIG });
    out.push(described(key.name, value, synonyms, { readOnly: false, isSensitive: false, typeCode: KAFKA_TYPE_CODE[key.type], documentation: GROUP_DOC[key.name] ?? kafkaOnlyDoc('group') }));
  }
  return out;
}

/** A client metrics subscription's settings: its own values, else the defaults. */
export function describeClientMetricsConfigs(own: Readonly<Record<string, string>>, names?: readonly string[]): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const key of KAFKA_CLIENT_METRICS_CONFIG_KEYS) {
    if (names !== undefined && !names.includes(key.name)) continue;
    const value = own[key.name] ?? key.default;
    const synonyms: ConfigSynonym[] = own[key.name] !== undefined ? [{ name: key.name, value, source: CONFIG_SOURCE.CLIENT_METRICS_CONFIG }] : [];
    out.push(described(key.name, value, synonyms, { readOnly: false, isSensitive: false, typeCode: KAFKA_TYPE_CODE[key.type], documentation: CLIENT_METRICS_DOC[key.name] ?? '' }));
  }
  return out;
}
