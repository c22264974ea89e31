/**
 * AlterConfigs (key 33), v0-v2: the legacy API that replaces every override of a resource
 * with the ones given. The checks follow Kafka's ConfigAdminManager (broker side) and the
 * controller's validation:
 *   - a resource named twice: INVALID_REQUEST "Each resource must appear at most once." for
 *     both; a key named twice: "Error due to duplicate config keys"; a null value: "Null value
 *     not supported for : <keys>";
 *   - TOPIC (2): "" → INVALID_REQUEST, an illegal name → INVALID_TOPIC_EXCEPTION, a bad or
 *     unknown setting → INVALID_CONFIG, a missing topic → UNKNOWN_TOPIC_OR_PARTITION "The topic
 *     '<name>' does not exist."; otherwise the overrides are replaced (validateOnly: checked
 *     only);
 *   - BROKER (4): the name must be "" (the cluster default) or this node's id (INVALID_REQUEST
 *     otherwise); that level's dynamic settings are replaced. A setting Kafka cannot change at
 *     runtime (and every skiff.* one) is refused with INVALID_REQUEST "Cannot update these
 *     configs dynamically: [...]", a per-broker one at the cluster level with "Cannot update
 *     these configs at default cluster level, broker id must be specified: [...]", a bad value
 *     with "Invalid value <v> for configuration <k>: <why>" (see config/dynamic-broker.ts);
 *   - GROUP (32): the group's settings are replaced, checked as Kafka's GroupConfig checks
 *     them (INVALID_CONFIG);
 *   - CLIENT_METRICS (16): the subscription's settings are replaced (an empty set removes it),
 *     checked as Kafka's ClientMetricsConfigs checks them;
 *   - any other type: INVALID_REQUEST "Unknown resource type <n>" (BROKER_LOGGER included, as
 *     in Kafka).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterConfigsRequest,
  type AlterConfigsResourceResponse,
  type AlterConfigsResponse,
  defaultAlterConfigsResponse,
  codec,
} from '../../protocol/generated/033-alter-configs.js';
import { KafkaError } from '../../errors.js';
import { brokerSetting, parseTopicConfigs } from '../../config/describe.js';
import { clientMetricsProblem } from '../../config/client-metrics-configs.js';
import { dynamicBrokerProblem, type DynamicLevel } from '../../config/dynamic-broker.js';
import { groupConfigProblem } from '../../config/group-configs.js';
import { invalidTopicName } from '../../cluster/topic-names.js';
import type { TopicInfo } from '../../cluster/topic-manager.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { configsDeniedCode, RESOURCE_TYPE } from './032-describe-configs.js';
import { Operation } from '../authorize.js';

export interface ResourceRef {
  resourceType: number;
  resourceName: string;
}

export function resourceResult(r: ResourceRef, errorCode: number, errorMessage: string | null): AlterConfigsResourceResponse {
  return { errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
}

/** The resources that appear more than once, by identity. */
export function duplicateResources<R extends ResourceRef>(resources: readonly R[]): Set<R> {
  const byKey = new Map<string, R>();
  const out = new Set<R>();
  for (const r of resources) {
    const key = `${r.resourceType}:${r.resourceName}`;
    const before = byKey.get(key);
    if (before) {
      out.add(before);
      out.add(r);
    }
    byKey.set(key, r);
  }
  return out;
}

export function checkConfigNames(names: readonly string[], nullValued: readonly string[]): void {
  if (new Set(names).size !== names.length) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  if (nullValued.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nullValued.join(', ')}`);
}

/** Kafka's ConfigAdminManager.validateResourceNameIsCurrentNodeId. */
export function checkBrokerName(broker: BrokerServices, name: string): void {
  if (name === '') return;
  if (!/^[+-]?\d+$/.test(name) || Math.abs(Number(name)) > 2 ** 31 - 1) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  }
  if (Number(name) !== broker.nodeId) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId}, but received ${name}`);
  }
}

/** The level a BROKER resource name stands for (checked with checkBrokerName). */
export function brokerLevel(name: string): DynamicLevel {
  return name === '' ? 'default' : 'broker';
}

/** Checks a level's would-be dynamic broker settings, then keeps them (unless validateOnly). */
export async function changeBrokerSettings(broker: BrokerServices, level: DynamicLevel, next: Record<string, string>, changed: readonly string[], validateOnly: boolean): Promise<void> {
  const checked: Record<string, string> = {};
  for (const name of changed) if (next[name] !== undefined) checked[name] = next[name];
  const problem = dynamicBrokerProblem(level, checked);
  if (problem !== undefined) throw new KafkaError(ErrorCode.INVALID_REQUEST, problem);
  if (!validateOnly) await broker.dynamicConfigs.setBroker(level, next);
}

/** Checks a group's would-be settings, then keeps them (unless validateOnly). */
export async function changeGroupSettings(broker: BrokerServices, name: string, next: Record<string, string>, validateOnly: boolean): Promise<void> {
  if (name === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
  const problem = groupConfigProblem(next, brokerSetting(broker.config));
  if (problem !== undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
  if (!validateOnly) await broker.dynamicConfigs.setGroup(name, next);
}

/** Checks a client metrics subscription's would-be settings, then keeps them (unless validateOnly). */
export async function changeClientMetrics(broker: BrokerServices, name: string, next: Record<string, string>, validateOnly: boolean): Promise<void> {
  const problem = clientMetricsProblem(name, next);
  if (problem !== undefined) throw new KafkaError(ErrorCode[problem.code], problem.message);
  if (!validateOnly) await broker.dynamicConfigs.setClientMetrics(name, next);
}

/** The controller's checks on a topic resource before its settings are looked at. */
export function checkTopicName(name: string): void {
  if (name === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const bad = invalidTopicName(name);
  if (bad !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
}

/** Validates a topic's would-be overrides, then that the topic exists (Kafka's order). */
export function checkTopicChange(broker: BrokerServices, name: string, overrides: Record<string, string>): TopicInfo {
  // A bad value throws ConfigError: INVALID_CONFIG with the key in its message.
  parseTopicConfigs(overrides);
  const t = broker.topics.get(name);
  if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  return t;
}

/**
 * Kafka's per-resource answer for both AlterConfigs APIs: a resource named twice is refused,
 * every other one gets `alter`'s outcome (a KafkaError becomes that resource's error).
 */
export async function alterEachResource<R extends ResourceRef & { configs: readonly unknown[] }>(
  resources: readonly R[],
  alter: (resource: R) => Promise<void> | void,
  deniedCode: (resource: R) => number = () => ErrorCode.NONE,
): Promise<AlterConfigsResourceResponse[]> {
  const duplicates = duplicateResources(resources);
  const responses: AlterConfigsResourceResponse[] = [];
  for (const resource of resources) {
    if (duplicates.has(resource)) {
      responses.push(resourceResult(resource, ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'));
      continue;
    }
    const denied = deniedCode(resource);
    if (denied !== ErrorCode.NONE) {
      responses.push(resourceResult(resource, denied, null));
      continue;
    }
    try {
      await alter(resource);
      responses.push(resourceResult(resource, ErrorCode.NONE, null));
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      responses.push(resourceResult(resource, err.code, err.message));
    }
  }
  return responses;
}

export function unsupportedType(resourceType: number): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resourceType}`);
}

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  ...schemaVersions(ApiKey.AlterConfigs),
  codec,
  async handle(req, ctx) {
    const { broker } = ctx;
    const responses = await alterEachResource(req.resources, async (resource) => {
      checkConfigNames(
        resource.configs.map((c) => c.name),
        resource.configs.filter((c) => c.value === null).map((c) => c.name),
      );
      const configs: Record<string, string> = {};
      for (const c of resource.configs) configs[c.name] = c.value!;
      switch (resource.resourceType) {
        case RESOURCE_TYPE.BROKER:
          checkBrokerName(broker, resource.resourceName);
          await changeBrokerSettings(broker, brokerLevel(resource.resourceName), configs, Object.keys(configs), req.validateOnly);
          break;
        case RESOURCE_TYPE.TOPIC:
          checkTopicName(resource.resourceName);
          checkTopicChange(broker, resource.resourceName, configs);
          await broker.topics.replaceConfigs(resource.resourceName, configs, req.validateOnly);
          break;
        case RESOURCE_TYPE.GROUP:
          await changeGroupSettings(broker, resource.resourceName, configs, req.validateOnly);
          break;
        case RESOURCE_TYPE.CLIENT_METRICS:
          await changeClientMetrics(broker, resource.resourceName, configs, req.validateOnly);
          break;
        default:
          throw unsupportedType(resource.resourceType);
      }
    }, (r) => configsDeniedCode(ctx, Operation.ALTER_CONFIGS, r.resourceType, r.resourceName));
    return { ...defaultAlterConfigsResponse(), responses };
  },
  errorResponse(req, errorCode) {
    return { ...defaultAlterConfigsResponse(), responses: req.resources.map((r) => resourceResult(r, errorCode, null)) };
  },
});
