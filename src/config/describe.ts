import { BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, type BrokerConfigDefs } from './broker-configs.js';
import type { BrokerConfig } from './load.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, type TopicConfigName, type TopicConfigValues, topicDefault } from './topic-configs.js';
import {
  CONFIG_TYPE_CODE,
  formatConfigValue,
  parseConfigValue,
  type ConfigType,
  type ConfigValue,
} from './values.js';
import { ConfigError } from '../errors.js';

/**
 * What DescribeConfigs needs from the config tables, free of protocol types: the handler maps
 * these entries onto the generated response structs.
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
  type: ConfigType;
  typeCode: number;
  documentation: string;
}

/**
 * The broker's settings. Skiff changes none of them at runtime, so all are read-only, as
 * Kafka reports its static settings.
 */
export function describeBrokerConfigs(config: BrokerConfig, names?: readonly string[]): DescribedConfig[] {
  const wanted = names === undefined ? undefined : new Set(names);
  const out: DescribedConfig[] = [];
  for (const def of BROKER_CONFIGS as readonly BrokerConfigDefs[]) {
    if (wanted !== undefined && !wanted.has(def.name)) continue;
    const source = config.explicit.has(def.name) ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG;
    const value = def.sensitive ? null : formatConfigValue(def.type, config.values[def.name] as ConfigValue);
    out.push({
      name: def.name,
      value,
      readOnly: true,
      isSensitive: def.sensitive,
      source,
      isDefault: source === CONFIG_SOURCE.DEFAULT_CONFIG,
      synonyms: [{ name: def.name, value, source }],
      type: def.type,
      typeCode: CONFIG_TYPE_CODE[def.type],
      documentation: def.doc,
    });
  }
  return out;
}

/**
 * Parses a topic's own settings (CreateTopics, AlterConfigs, or what storage kept), rejecting
 * unknown names and bad values with the same messages as broker settings.
 */
export function parseTopicConfigs(raw: Readonly<Record<string, string | null>>): Partial<TopicConfigValues> {
  const out: Record<string, ConfigValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (def === undefined) throw new ConfigError(name, 'unknown topic config');
    out[name] = parseConfigValue(def, value);
  }
  return out as Partial<TopicConfigValues>;
}

/** A topic's effective settings: its own overrides over the broker-derived defaults. */
export function effectiveTopicConfigs(overrides: Partial<TopicConfigValues>, config: BrokerConfig): TopicConfigValues {
  const out: Record<string, ConfigValue> = {};
  for (const def of TOPIC_CONFIGS) {
    const own = overrides[def.name as TopicConfigName];
    out[def.name] = own !== undefined ? own : topicDefault(def, config.values).value;
  }
  return out as TopicConfigValues;
}

/**
 * A topic's settings with sources and synonyms in Kafka's order: the topic's own value, then
 * broker settings given in config, then broker defaults.
 */
export function describeTopicConfigs(
  overrides: Partial<TopicConfigValues>,
  config: BrokerConfig,
  names?: readonly string[],
): DescribedConfig[] {
  const wanted = names === undefined ? undefined : new Set(names);
  const out: DescribedConfig[] = [];
  for (const def of TOPIC_CONFIGS) {
    if (wanted !== undefined && !wanted.has(def.name)) continue;
    const synonyms: ConfigSynonym[] = [];
    const own = overrides[def.name as TopicConfigName];
    if (own !== undefined) {
      synonyms.push({ name: def.name, value: formatConfigValue(def.type, own), source: CONFIG_SOURCE.TOPIC_CONFIG });
    }
    for (const pass of [CONFIG_SOURCE.STATIC_BROKER_CONFIG, CONFIG_SOURCE.DEFAULT_CONFIG] as const) {
      // Kafka lists a default only for the primary synonym (log.retention.ms, not .hours).
      const candidates = pass === CONFIG_SOURCE.DEFAULT_CONFIG ? def.synonyms.slice(0, 1) : def.synonyms;
      for (const synonym of candidates) {
        const brokerDef = BROKER_CONFIG_BY_NAME.get(synonym.name)!;
        const isExplicit = config.explicit.has(synonym.name);
        const brokerValue = config.values[synonym.name] as ConfigValue;
        if (brokerValue === null || isExplicit !== (pass === CONFIG_SOURCE.STATIC_BROKER_CONFIG)) continue;
        synonyms.push({ name: synonym.name, value: formatConfigValue(brokerDef.type, brokerValue), source: pass });
      }
    }
    const fromBroker = topicDefault(def, config.values);
    const value = own !== undefined ? own : fromBroker.value;
    const source =
      own !== undefined
        ? CONFIG_SOURCE.TOPIC_CONFIG
        : fromBroker.from !== undefined && config.explicit.has(fromBroker.from.name)
          ? CONFIG_SOURCE.STATIC_BROKER_CONFIG
          : CONFIG_SOURCE.DEFAULT_CONFIG;
    out.push({
      name: def.name,
      value: formatConfigValue(def.type, value),
      readOnly: false,
      isSensitive: false,
      source,
      isDefault: source === CONFIG_SOURCE.DEFAULT_CONFIG,
      synonyms,
      type: def.type,
      typeCode: CONFIG_TYPE_CODE[def.type],
      documentation: def.doc,
    });
  }
  return out;
}
