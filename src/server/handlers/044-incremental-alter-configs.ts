/**
 * IncrementalAlterConfigs (key 44), v0-v1: SET, DELETE, APPEND and SUBTRACT on single
 * settings, applied in order over the resource's current settings, as Kafka's controller
 * applies them (ConfigurationControlManager): APPEND adds the comma-separated items not
 * already in the list, SUBTRACT removes them, both starting from the effective value when the
 * resource has no value of its own, and both refused for a setting that is not a list. The
 * other checks are those of AlterConfigs (see 033-alter-configs.ts): duplicate resources and
 * keys, null values (here for every operation but DELETE), then per resource type:
 *   TOPIC: topic name, setting values, then existence;
 *   BROKER: the dynamic settings of this broker or of the cluster default ("");
 *   BROKER_LOGGER: this node's id; SET a log4j level (DEBUG, ERROR, FATAL, INFO, TRACE, WARN;
 *     INVALID_CONFIG otherwise) on root or an area logger (another name: INVALID_CONFIG "Logger
 *     <name> does not exist!"), DELETE returns an area to root's level (root's own cannot be
 *     removed), APPEND / SUBTRACT are INVALID_REQUEST, as in Kafka's RuntimeLoggerManager; all
 *     checked before any is applied;
 *   GROUP and CLIENT_METRICS: the group's or subscription's settings (no APPEND / SUBTRACT,
 *     which Kafka's controller refuses for them as not LIST).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterConfigsResource,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsResponse,
  codec,
} from '../../protocol/generated/044-incremental-alter-configs.js';
import { brokerSetting } from '../../config/describe.js';
import { KAFKA_BROKER_KEYS } from '../../config/kafka-keys.js';
import { KAFKA_LOG_LEVELS, ROOT_LOGGER } from '../../log-levels.js';
import { TOPIC_CONFIG_BY_NAME } from '../../config/topic-configs.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { configsDeniedCode, RESOURCE_TYPE } from './032-describe-configs.js';
import { Operation } from '../authorize.js';
import {
  alterEachResource,
  brokerLevel,
  changeBrokerSettings,
  changeClientMetrics,
  changeGroupSettings,
  checkBrokerName,
  checkConfigNames,
  checkTopicChange,
  checkTopicName,
  resourceResult,
  unsupportedType,
} from './033-alter-configs.js';
import { KafkaError } from '../../errors.js';

export const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAME = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

function listItems(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : [...value];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

async function alterTopic(broker: BrokerServices, resource: AlterConfigsResource, validateOnly: boolean): Promise<void> {
  const name = resource.resourceName;
  checkTopicName(name);
  const existing = broker.topics.get(name);
  const overrides: Record<string, string> = { ...(existing?.configs ?? {}) };
  for (const c of resource.configs) {
    switch (c.configOperation) {
      case OP.SET:
        overrides[c.name] = c.value!;
        break;
      case OP.DELETE:
        delete overrides[c.name];
        break;
      case OP.APPEND:
      case OP.SUBTRACT: {
        if (TOPIC_CONFIG_BY_NAME.get(c.name)?.type !== 'list') {
          throw new KafkaError(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAME[c.configOperation]} to key ${c.name} because its type is not LIST.`);
        }
        const current = overrides[c.name] ?? (broker.topics.effectiveConfig(name) as unknown as Record<string, string | readonly string[]>)[c.name];
        let items = listItems(current);
        const given = c.value!.split(',');
        if (c.configOperation === OP.APPEND) {
          for (const v of given) if (!items.includes(v)) items.push(v);
        } else {
          items = items.filter((v) => !given.includes(v));
        }
        overrides[c.name] = items.join(',');
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation}`);
    }
  }
  const t = checkTopicChange(broker, name, overrides);
  const changes: Record<string, string | null> = {};
  for (const k of Object.keys(t.configs)) if (!(k in overrides)) changes[k] = null;
  for (const [k, v] of Object.entries(overrides)) if (t.configs[k] !== v) changes[k] = v;
  await broker.topics.alterConfigs(name, changes, validateOnly);
}

/** SET / DELETE / APPEND / SUBTRACT over a resource's own settings (BROKER, GROUP, CLIENT_METRICS). */
function applyOps(
  resource: AlterConfigsResource,
  current: Readonly<Record<string, string>>,
  isList: (name: string) => boolean,
  effective: (name: string) => string | null,
  notList: (op: number, name: string) => KafkaError,
): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const c of resource.configs) {
    switch (c.configOperation) {
      case OP.SET:
        next[c.name] = c.value!;
        break;
      case OP.DELETE:
        delete next[c.name];
        break;
      case OP.APPEND:
      case OP.SUBTRACT: {
        if (!isList(c.name)) throw notList(c.configOperation, c.name);
        let items = listItems(next[c.name] ?? effective(c.name) ?? undefined);
        const given = c.value!.split(',');
        if (c.configOperation === OP.APPEND) for (const v of given) if (!items.includes(v)) items.push(v);
        if (c.configOperation === OP.SUBTRACT) items = items.filter((v) => !given.includes(v));
        next[c.name] = items.join(',');
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${c.configOperation}`);
    }
  }
  return next;
}

/** The controller's refusal of APPEND / SUBTRACT on a setting that is not a list. */
function notAList(op: number, name: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAME[op]} to key ${name} because its type is not LIST.`);
}

async function alterBroker(broker: BrokerServices, resource: AlterConfigsResource, validateOnly: boolean): Promise<void> {
  checkBrokerName(broker, resource.resourceName);
  const level = brokerLevel(resource.resourceName);
  const next = applyOps(
    resource,
    broker.config.settings(level),
    (name) => KAFKA_BROKER_KEYS.get(name)?.type === 'LIST',
    brokerSetting(broker.config),
    (op, name) => new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${op === OP.APPEND ? 'append' : 'subtract'} is not allowed for config key: ${name}`),
  );
  const changed = resource.configs.filter((c) => c.configOperation !== OP.DELETE).map((c) => c.name);
  await changeBrokerSettings(broker, level, next, changed, validateOnly);
}

function alterLoggers(broker: BrokerServices, resource: AlterConfigsResource, validateOnly: boolean): void {
  // Kafka's RuntimeLoggerManager: this node's id (Integer.parseInt), then every change checked.
  const name = resource.resourceName;
  if (!/^[+-]?\d+$/.test(name) || Math.abs(Number(name)) > 2 ** 31 - 1) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  }
  if (Number(name) !== broker.nodeId) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected node id. Expected ${broker.nodeId}, but received ${name}`);
  }
  for (const c of resource.configs) {
    switch (c.configOperation) {
      case OP.SET:
        if (!broker.loggers.has(c.name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
        if (!(KAFKA_LOG_LEVELS as readonly string[]).includes(c.value!)) {
          throw new KafkaError(
            ErrorCode.INVALID_CONFIG,
            `Cannot set the log level of ${c.name} to ${c.value} as it is not a supported log level. Valid log levels are ${KAFKA_LOG_LEVELS.join(', ')}`,
          );
        }
        break;
      case OP.DELETE:
        if (c.name === ROOT_LOGGER) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Removing the log level of the root logger is not allowed');
        break;
      case OP.APPEND:
      case OP.SUBTRACT:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `${OP_NAME[c.configOperation]} operation is not allowed for the BROKER_LOGGER resource`);
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation} is not allowed for the BROKER_LOGGER resource`);
    }
  }
  if (validateOnly) return;
  for (const c of resource.configs) {
    if (c.configOperation === OP.SET) broker.loggers.set(c.name, c.value!);
    else broker.loggers.unset(c.name);
  }
  broker.log.info({ loggers: resource.configs.map((c) => ({ name: c.name, level: c.value })) }, 'log levels changed');
}

export const incrementalAlterConfigsHandler = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  ...schemaVersions(ApiKey.IncrementalAlterConfigs),
  codec,
  async handle(req, ctx) {
    const { broker } = ctx;
    const responses = await alterEachResource(req.resources, async (resource) => {
      checkConfigNames(
        resource.configs.map((c) => c.name),
        resource.configs.filter((c) => c.configOperation !== OP.DELETE && c.value === null).map((c) => c.name),
      );
      switch (resource.resourceType) {
        case RESOURCE_TYPE.TOPIC:
          await alterTopic(broker, resource, req.validateOnly);
          break;
        case RESOURCE_TYPE.BROKER:
          await alterBroker(broker, resource, req.validateOnly);
          break;
        case RESOURCE_TYPE.BROKER_LOGGER:
          alterLoggers(broker, resource, req.validateOnly);
          break;
        case RESOURCE_TYPE.GROUP: {
          const name = resource.resourceName;
          const next = applyOps(resource, broker.dynamicConfigs.group(name), () => false, () => null, notAList);
          await changeGroupSettings(broker, name, next, req.validateOnly);
          break;
        }
        case RESOURCE_TYPE.CLIENT_METRICS: {
          // Kafka's controller knows the types of topic and broker settings only: APPEND and
          // SUBTRACT are refused even on the list settings metrics and match.
          const name = resource.resourceName;
          const next = applyOps(resource, broker.dynamicConfigs.clientMetrics(name), () => false, () => null, notAList);
          await changeClientMetrics(broker, name, next, req.validateOnly);
          break;
        }
        default:
          throw unsupportedType(resource.resourceType);
      }
    }, (r) => configsDeniedCode(ctx, Operation.ALTER_CONFIGS, r.resourceType, r.resourceName));
    return { ...defaultIncrementalAlterConfigsResponse(), responses };
  },
  errorResponse(req, errorCode) {
    return { ...defaultIncrementalAlterConfigsResponse(), responses: req.resources.map((r) => resourceResult(r, errorCode, null)) };
  },
});
