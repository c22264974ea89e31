import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import {
  BROKER_CONFIGS,
  BROKER_CONFIG_BY_NAME,
  type BrokerConfigName,
  type BrokerConfigValues,
} from './broker-configs.js';
import { connectableHost, parseListeners, type ListenerEndpoint } from './listeners.js';
import { failedAuthenticationDelayMs, isSecuritySetting, listenerSecurity, maxReauthMs, type SecuritySettings } from './security.js';
import { KAFKA_BROKER_KEYS, kafkaValueProblem } from './kafka-keys.js';
import { TOPIC_CONFIG_BY_NAME } from './topic-configs.js';
import { parseConfigValue, type ConfigValue } from './values.js';
import { ConfigError } from '../errors.js';

/** One source of settings; later layers win. */
export interface ConfigLayer {
  /** Named in warnings and errors: a file path, "--override", "startBroker options". */
  source: string;
  /** Kafka property names (flat) to raw values. */
  values: Readonly<Record<string, unknown>>;
}

export interface BrokerConfig {
  readonly values: BrokerConfigValues;
  /** Settings some layer gave (DescribeConfigs: STATIC_BROKER_CONFIG rather than DEFAULT_CONFIG). */
  readonly explicit: ReadonlySet<BrokerConfigName>;
  /** Security settings as given (src/config/security.ts resolves them per listener). */
  readonly security: SecuritySettings;
  /** Kafka settings Skiff does not act on, as given (checked against Kafka's definition; described). */
  readonly kafkaOnly?: ReadonlyMap<string, string>;
}

export interface ResolveOptions {
  /** Receives one warning per unknown key. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Builds the broker config from layers over the defaults. Every check lives here: types and
 * ranges per setting (through parseConfigValue) and the rules that span settings.
 */
export function resolveConfig(layers: readonly ConfigLayer[], opts: ResolveOptions = {}): BrokerConfig {
  const values: Record<string, ConfigValue> = {};
  for (const def of BROKER_CONFIGS) values[def.name] = def.default as ConfigValue;
  const explicit = new Set<BrokerConfigName>();
  const security: Record<string, string> = {};
  const kafkaOnly = new Map<string, string>();

  for (const layer of layers) {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (raw === undefined) continue;
      if (isSecuritySetting(key)) {
        security[key] = Array.isArray(raw) ? raw.map(String).join(',') : String(raw);
        continue;
      }
      const def = BROKER_CONFIG_BY_NAME.get(key);
      const kafka = def === undefined ? KAFKA_BROKER_KEYS.get(key) : undefined;
      if (kafka !== undefined) {
        const text = Array.isArray(raw) ? raw.join(',') : String(raw);
        const problem = kafkaValueProblem(kafka, text);
        if (problem !== undefined) throw new ConfigError(key, problem, layer.source);
        kafkaOnly.set(key, text);
        continue;
      }
      if (def === undefined) {
        warnUnknown(key, layer.source, opts.logger);
        continue;
      }
      try {
        values[key] = parseConfigValue(def, raw);
      } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(key, err.detail, layer.source);
        throw err;
      }
      explicit.add(def.name);
    }
  }

  const config = { values: values as BrokerConfigValues, explicit, security, kafkaOnly };
  checkAcrossSettings(config.values, explicit);
  for (const endpoint of parseListeners(config.values.listeners)) listenerSecurity(endpoint, security);
  failedAuthenticationDelayMs(security);
  maxReauthMs(security);
  return config;
}

function warnUnknown(key: string, source: string, logger: ResolveOptions['logger']): void {
  const topicDef = TOPIC_CONFIG_BY_NAME.get(key);
  const hint =
    topicDef !== undefined && topicDef.synonyms.length > 0
      ? `${key} is a topic setting; the broker-wide default is ${topicDef.synonyms[0]!.name}`
      : undefined;
  logger?.warn({ key, source, hint }, `unknown config key ignored: ${key}${hint ? ` (${hint})` : ''}`);
}

function checkAcrossSettings(values: BrokerConfigValues, explicit: ReadonlySet<BrokerConfigName>): void {
  if (values['group.min.session.timeout.ms'] > values['group.max.session.timeout.ms']) {
    throw new ConfigError(
      'group.min.session.timeout.ms',
      `must not exceed group.max.session.timeout.ms (${values['group.max.session.timeout.ms']}), got ${values['group.min.session.timeout.ms']}`,
    );
  }
  checkConsumerGroupBounds(values);
  // Skiff's default (Kafka's is -1) must not make a larger socket.request.max.bytes an error.
  const queued = values['queued.max.request.bytes'];
  if (explicit.has('queued.max.request.bytes') && queued > 0 && queued < values['socket.request.max.bytes']) {
    throw new ConfigError('queued.max.request.bytes', `must be larger or equal to socket.request.max.bytes (${values['socket.request.max.bytes']}), got ${queued}`);
  }
  if (values['max.connections.per.ip'] === 0 && values['max.connections.per.ip.overrides'].trim() === '') {
    throw new ConfigError('max.connections.per.ip', 'can be set to zero only if max.connections.per.ip.overrides is set');
  }
  if (values['log.dirs'].length === 0 && !values['skiff.memory']) {
    throw new ConfigError('log.dirs', 'needs a directory (or set skiff.memory: true)');
  }
  bindEndpoint(values);
}

/** Kafka's GroupCoordinatorConfig checks of the KIP-848 consumer and KIP-932 share group settings, in its order and words. */
function checkConsumerGroupBounds(values: BrokerConfigValues): void {
  for (const kind of ['consumer', 'share'] as const) {
    const v = (name: 'session.timeout.ms' | 'heartbeat.interval.ms', which: '' | 'min.' | 'max.') => values[`group.${kind}.${which}${name}`];
    const rules: Array<[boolean, BrokerConfigName, string]> = [];
    for (const name of ['heartbeat.interval.ms', 'session.timeout.ms'] as const) {
      rules.push(
        [v(name, 'max.') >= v(name, 'min.'), `group.${kind}.max.${name}`, `must be greater than or equal to group.${kind}.min.${name}`],
        [v(name, '') >= v(name, 'min.'), `group.${kind}.${name}`, `must be greater than or equal to group.${kind}.min.${name}`],
        [v(name, '') <= v(name, 'max.'), `group.${kind}.${name}`, `must be less than or equal to group.${kind}.max.${name}`],
      );
    }
    rules.push([v('heartbeat.interval.ms', '') < v('session.timeout.ms', ''), `group.${kind}.heartbeat.interval.ms`, `must be less than group.${kind}.session.timeout.ms`]);
    for (const [ok, key, message] of rules) if (!ok) throw new ConfigError(key, message);
  }
}

/**
 * The main listener: the one --host/--port replace and the embedded API dials. The PLAINTEXT
 * one when there is one, else the first.
 */
export function bindEndpoint(values: BrokerConfigValues): ListenerEndpoint {
  const endpoints = parseListeners(values.listeners);
  const main = endpoints.find((e) => e.name === 'PLAINTEXT') ?? endpoints[0];
  if (main === undefined) throw new ConfigError('listeners', 'needs at least one NAME://host:port entry');
  return main;
}

/** Flattens nested YAML maps into Kafka property names: { log: { retention: { ms: 1 } } }. */
export function flattenConfig(tree: unknown, source: string): Record<string, unknown> {
  if (tree === null || tree === undefined) return {};
  if (!isMapping(tree)) {
    throw new ConfigError('(top level)', 'expected a mapping of Kafka property names to values', source);
  }
  const out: Record<string, unknown> = {};
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (isMapping(value)) {
        walk(value, name);
      } else if (Object.hasOwn(out, name)) {
        throw new ConfigError(name, 'given twice (flat and nested)', source);
      } else {
        out[name] = value;
      }
    }
  };
  walk(tree, '');
  return out;
}

/** Reads a YAML config file into a layer. */
export async function loadConfigFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  // Loaded on demand: most runs have no config file and startup should stay quick. Outside
  // the try below, so a loading failure is not reported as a YAML syntax error.
  const { parse } = await import('yaml');
  let tree: unknown;
  try {
    // Big integers as bigint, so Long.MAX_VALUE (9223372036854775807) survives exactly.
    tree = parse(text, { intAsBigInt: true });
  } catch (err) {
    throw new Error(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return { source: path, values: flattenConfig(tree, path) };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * The address clients of a listener are told to use (Metadata, FindCoordinator): its entry in
 * advertised.listeners (or that list's first entry), else the bound listener, with a wildcard
 * bind address replaced by loopback. Without a name, the main listener's.
 */
export function advertisedEndpoint(values: BrokerConfigValues, listenerName?: string): ListenerEndpoint {
  const bound = parseListeners(values.listeners).find((e) => e.name === listenerName) ?? bindEndpoint(values);
  const advertised = values['advertised.listeners'];
  if (advertised !== null) {
    const endpoints = parseListeners(advertised);
    const chosen = endpoints.find((e) => e.name === bound.name) ?? endpoints[0];
    if (chosen !== undefined) return { ...chosen, host: connectableHost(chosen.host) };
  }
  return { ...bound, host: connectableHost(bound.host) };
}
