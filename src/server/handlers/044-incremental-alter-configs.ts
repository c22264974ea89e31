/**
 * IncrementalAlterConfigs (key 44), v0-v1: SET, DELETE, APPEND and SUBTRACT on single
 * settings, applied in order over the resource's current overrides, as Kafka's controller
 * applies them (ConfigurationControlManager): APPEND adds the comma-separated items not
 * already in the list, SUBTRACT removes them, both starting from the effective value when the
 * topic has no override, and both refused with INVALID_CONFIG "Can't APPEND to key <k>
 * because its type is not LIST." for a setting that is not a list. The other checks are those
 * of AlterConfigs (see 033-alter-configs.ts): duplicate resources and keys, null values (here
 * for every operation but DELETE), topic name, setting values, then existence. BROKER
 * resources: DELETE of a setting Skiff has no dynamic value for changes nothing and succeeds;
 * anything that would set a value is refused with INVALID_REQUEST "Cannot update these
 * configs dynamically: Set(...)", as Kafka refuses a static setting.
 *
 * Differences from Kafka: BROKER_LOGGER changes are refused with INVALID_REQUEST (Skiff's
 * log level is set at startup only); GROUP and CLIENT_METRICS resources are refused with
 * INVALID_REQUEST "Unsupported resource type: ..." (Skiff keeps no such configs).
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
import { BROKER_CONFIG_BY_NAME } from '../../config/broker-configs.js';
import { TOPIC_CONFIG_BY_NAME } from '../../config/topic-configs.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { RESOURCE_TYPE } from './032-describe-configs.js';
import {
  alterEachResource,
  checkBrokerName,
  checkConfigNames,
  checkTopicChange,
  checkTopicName,
  refuseBrokerChange,
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

function alterBroker(broker: BrokerServices, resource: AlterConfigsResource): void {
  checkBrokerName(broker, resource.resourceName);
  const setting: string[] = [];
  for (const c of resource.configs) {
    if (c.configOperation < OP.SET || c.configOperation > OP.SUBTRACT) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${c.configOperation}`);
    }
    if (c.configOperation === OP.DELETE) continue;
    const def = BROKER_CONFIG_BY_NAME.get(c.name);
    if ((c.configOperation === OP.APPEND || c.configOperation === OP.SUBTRACT) && def !== undefined && def.type !== 'list') {
      const verb = c.configOperation === OP.APPEND ? 'append' : 'subtract';
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${c.name}`);
    }
    setting.push(c.name);
  }
  refuseBrokerChange(setting);
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
          alterBroker(broker, resource);
          break;
        case RESOURCE_TYPE.BROKER_LOGGER:
          // Kafka's RuntimeLoggerManager wants this node's id; "" is not an integer.
          if (resource.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: ');
          checkBrokerName(broker, resource.resourceName);
          throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Skiff does not change log levels at runtime');
        default:
          throw unsupportedType(resource.resourceType);
      }
    });
    return { ...defaultIncrementalAlterConfigsResponse(), responses };
  },
  errorResponse(req, errorCode) {
    return { ...defaultIncrementalAlterConfigsResponse(), responses: req.resources.map((r) => resourceResult(r, errorCode, null)) };
  },
});
