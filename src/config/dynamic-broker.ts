import { BROKER_CONFIG_BY_NAME, type BrokerConfigName, type BrokerConfigValues } from './broker-configs.js';
import { KAFKA_BROKER_KEYS, invalidValueMessage, kafkaValueProblem } from './kafka-keys.js';
import type { BrokerConfig } from './load.js';
import { ConfigError } from '../errors.js';
import { parseConfigValue, type ConfigValue } from './values.js';

/**
 * Broker settings changed at runtime (AlterConfigs / IncrementalAlterConfigs on a BROKER
 * resource), layered over the static config as Kafka layers them: this broker's own dynamic
 * value, then the cluster-wide dynamic default, then the static config, then the default.
 * Which settings may change, and where, comes from Kafka's DynamicBrokerConfig (through the
 * generated table); Skiff's own `skiff.*` settings are all static.
 */

/** "broker": this node's own settings (resource name = node id); "default": the cluster default (""). */
export type DynamicLevel = 'broker' | 'default';

export interface DynamicBrokerLayers {
  readonly perBroker: ReadonlyMap<string, string>;
  readonly clusterDefault: ReadonlyMap<string, string>;
}

/** Java's Set.toString, which Kafka's messages show. */
function javaSet(names: readonly string[]): string {
  return `[${names.join(', ')}]`;
}

/**
 * Kafka's checks on a would-be set of dynamic settings for one level (DynamicBrokerConfig
 * validateConfigs, then the value types and ranges); the message of the first failure, which
 * Kafka answers with INVALID_REQUEST.
 */
export function dynamicBrokerProblem(level: DynamicLevel, configs: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(configs);
  const isStatic = (name: string): boolean =>
    name.startsWith('skiff.') || KAFKA_BROKER_KEYS.get(name)?.dynamic === 'read-only';
  const nonDynamic = names.filter(isStatic);
  if (nonDynamic.length > 0) return `Cannot update these configs dynamically: ${javaSet(nonDynamic)}`;
  const perBrokerOnly = names.filter((n) => KAFKA_BROKER_KEYS.get(n)?.dynamic === 'per-broker');
  if (level === 'default' && perBrokerOnly.length > 0) {
    return `Cannot update these configs at default cluster level, broker id must be specified: ${javaSet(perBrokerOnly)}`;
  }
  for (const [name, value] of Object.entries(configs)) {
    const kafka = KAFKA_BROKER_KEYS.get(name);
    const problem = kafka === undefined ? undefined : kafkaValueProblem(kafka, value);
    if (problem !== undefined) return invalidValueMessage(name, value, problem);
    const def = BROKER_CONFIG_BY_NAME.get(name);
    if (def === undefined) continue;
    try {
      parseConfigValue(def, value);
    } catch (err) {
      if (err instanceof ConfigError) return invalidValueMessage(name, value, err.detail);
      throw err;
    }
  }
  return undefined;
}

/**
 * The broker config the running broker reads: `values` always holds the effective settings
 * (dynamic over static), so code that reads them per use follows changes at once.
 */
export class LiveBrokerConfig implements BrokerConfig {
  #values: BrokerConfigValues;
  #perBroker: Map<string, string>;
  #clusterDefault: Map<string, string>;

  constructor(
    readonly base: BrokerConfig,
    perBroker: Readonly<Record<string, string>> = {},
    clusterDefault: Readonly<Record<string, string>> = {},
  ) {
    this.#perBroker = new Map(Object.entries(perBroker));
    this.#clusterDefault = new Map(Object.entries(clusterDefault));
    this.#values = this.#merge();
  }

  get values(): BrokerConfigValues {
    return this.#values;
  }

  get explicit(): ReadonlySet<BrokerConfigName> {
    return this.base.explicit;
  }

  get kafkaOnly(): ReadonlyMap<string, string> | undefined {
    return this.base.kafkaOnly;
  }

  get dynamic(): DynamicBrokerLayers {
    return { perBroker: this.#perBroker, clusterDefault: this.#clusterDefault };
  }

  /** The dynamic settings of one level, as stored. */
  settings(level: DynamicLevel): Record<string, string> {
    return Object.fromEntries(level === 'broker' ? this.#perBroker : this.#clusterDefault);
  }

  /** Replaces one level's dynamic settings (already checked with dynamicBrokerProblem). */
  replace(level: DynamicLevel, configs: Readonly<Record<string, string>>): void {
    const map = new Map(Object.entries(configs));
    if (level === 'broker') this.#perBroker = map;
    else this.#clusterDefault = map;
    this.#values = this.#merge();
  }

  #merge(): BrokerConfigValues {
    const values: Record<string, ConfigValue> = { ...this.base.values };
    for (const layer of [this.#clusterDefault, this.#perBroker]) {
      for (const [name, raw] of layer) {
        const def = BROKER_CONFIG_BY_NAME.get(name);
        if (def === undefined) continue;
        try {
          values[name] = parseConfigValue(def, raw);
        } catch {
          // Checked when set; a value kept from another version that no longer parses is ignored.
        }
      }
    }
    return values as BrokerConfigValues;
  }
}
