/**
 * DescribeConfigs (key 32), v0-v4, built from src/config/describe.ts as Kafka's ConfigHelper
 * builds it:
 *   TOPIC (2): all of Kafka's topic settings, effective values with their sources; an illegal
 *     name → INVALID_TOPIC_EXCEPTION, an unknown topic → UNKNOWN_TOPIC_OR_PARTITION (no message).
 *   BROKER (4): named by this node's id, every broker setting Kafka has (read-only unless Kafka
 *     changes it at runtime), Skiff's own and any set dynamically; "" (the cluster default)
 *     lists the dynamic cluster defaults; any other id → INVALID_REQUEST.
 *   BROKER_LOGGER (8): named by this node's id, root and Skiff's per-area loggers with their
 *     levels (DYNAMIC_BROKER_LOGGER_CONFIG); "" or another id → INVALID_REQUEST.
 *   CLIENT_METRICS (16): a subscription's settings (defaults when it has none); "" →
 *     INVALID_REQUEST.
 *   GROUP (32): a group's settings over the broker's group.* settings; "" → INVALID_REQUEST.
 * configurationKeys null or empty means every setting; synonyms only with includeSynonyms
 * (v1+); documentation only with includeDocumentation (v3+), Skiff's own text; the config type
 * (v3+) from Kafka's definitions; v0 carries isDefault instead of a source. A resource type
 * Kafka does not know fails the whole request with INVALID_REQUEST, as in Kafka.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  defaultDescribeConfigsResourceResult,
  defaultDescribeConfigsResponse,
  codec,
} from '../../protocol/generated/032-describe-configs.js';
import {
  CONFIG_SOURCE,
  type DescribedConfig,
  describeBrokerConfigs,
  describeClientMetricsConfigs,
  describeGroupConfigs,
  describeTopicConfigs,
  parseTopicConfigs,
} from '../../config/describe.js';
import { invalidTopicName } from '../../cluster/topic-names.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { authorized, authorizedOnCluster, Operation, ResourceType } from '../authorize.js';
import { KafkaError } from '../../errors.js';

export const RESOURCE_TYPE = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;
const RESOURCE_TYPE_NAME = new Map<number, string>(Object.entries(RESOURCE_TYPE).map(([k, v]) => [v, k]));

/**
 * Kafka's check for the config APIs (DESCRIBE_CONFIGS or ALTER_CONFIGS): a topic or group on
 * itself, broker, broker-logger and client-metrics resources on the cluster. NONE when allowed.
 */
export function configsDeniedCode(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): number {
  switch (resourceType) {
    case RESOURCE_TYPE.TOPIC:
      return authorized(ctx, operation, ResourceType.TOPIC, resourceName) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case RESOURCE_TYPE.GROUP:
      return authorized(ctx, operation, ResourceType.GROUP, resourceName) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    case RESOURCE_TYPE.BROKER:
    case RESOURCE_TYPE.BROKER_LOGGER:
    case RESOURCE_TYPE.CLIENT_METRICS:
      return authorizedOnCluster(ctx, operation) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    default:
      return ErrorCode.NONE;
  }
}

const DENIED_MESSAGE: Readonly<Record<number, string>> = {
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: 'Topic authorization failed.',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'Group authorization failed.',
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: 'Cluster authorization failed.',
};

/** Kafka's resourceNameToBrokerId. */
export function brokerIdOf(name: string, what = 'Broker id'): number {
  if (!/^[+-]?\d+$/.test(name) || !Number.isSafeInteger(Number(name)) || Math.abs(Number(name)) > 2 ** 31 - 1) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `${what} must be an integer, but it is: ${name}`);
  }
  return Number(name);
}

function entry(c: DescribedConfig, version: number, includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsResourceResult {
  return {
    name: c.name,
    value: c.isSensitive ? null : c.value,
    readOnly: c.readOnly,
    // v0 only: later versions carry the source instead (and cannot carry isDefault).
    isDefault: version === 0 && c.isDefault,
    configSource: c.source,
    isSensitive: c.isSensitive,
    synonyms: includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: c.isSensitive ? null : s.value, source: s.source })) : [],
    configType: c.typeCode,
    documentation: includeDocumentation ? c.documentation : null,
  };
}

function wanted(resource: DescribeConfigsResource): string[] | undefined {
  return resource.configurationKeys === null || resource.configurationKeys.length === 0 ? undefined : resource.configurationKeys;
}

function describeOne(ctx: RequestContext, resource: DescribeConfigsResource, includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsResourceResult[] {
  const { broker } = ctx;
  const names = wanted(resource);
  const build = (list: DescribedConfig[]) => list.map((c) => entry(c, ctx.apiVersion, includeSynonyms, includeDocumentation));
  switch (resource.resourceType) {
    case RESOURCE_TYPE.TOPIC: {
      const bad = invalidTopicName(resource.resourceName);
      if (bad !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
      const t = broker.topics.get(resource.resourceName);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '');
      return build(describeTopicConfigs(parseTopicConfigs(t.configs), broker.config, names));
    }
    case RESOURCE_TYPE.BROKER: {
      if (resource.resourceName === '') return build(describeBrokerConfigs(broker.config, names, false));
      if (brokerIdOf(resource.resourceName) !== broker.nodeId) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resource.resourceName}`);
      }
      return build(describeBrokerConfigs(broker.config, names));
    }
    case RESOURCE_TYPE.BROKER_LOGGER: {
      if (resource.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
      if (brokerIdOf(resource.resourceName) !== broker.nodeId) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} but received ${resource.resourceName}`);
      }
      return broker.loggers
        .list()
        .filter((l) => names === undefined || names.includes(l.name))
        .map((l) => ({
          ...defaultDescribeConfigsResourceResult(),
          name: l.name,
          value: l.level,
          configSource: CONFIG_SOURCE.DYNAMIC_BROKER_LOGGER_CONFIG,
          isSensitive: false,
          readOnly: false,
          synonyms: [],
        }));
    }
    case RESOURCE_TYPE.CLIENT_METRICS:
      if (resource.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
      return build(describeClientMetricsConfigs(broker.dynamicConfigs.clientMetrics(resource.resourceName), names));
    case RESOURCE_TYPE.GROUP:
      if (resource.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
      return build(describeGroupConfigs(broker.dynamicConfigs.group(resource.resourceName), broker.config, names));
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${RESOURCE_TYPE_NAME.get(resource.resourceType)}`);
  }
}

function failed(resource: DescribeConfigsResource, errorCode: number, errorMessage: string | null): DescribeConfigsResult {
  return { errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] };
}

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  ...schemaVersions(ApiKey.DescribeConfigs),
  codec,
  handle(req, ctx) {
    const unknownType = req.resources.find((r) => !RESOURCE_TYPE_NAME.has(r.resourceType));
    if (unknownType) {
      const message = `Unexpected resource type UNKNOWN for resource ${unknownType.resourceName}`;
      return { ...defaultDescribeConfigsResponse(), results: req.resources.map((r) => failed(r, ErrorCode.INVALID_REQUEST, message)) };
    }
    const includeSynonyms = ctx.apiVersion >= 1 && req.includeSynonyms;
    const includeDocumentation = ctx.apiVersion >= 3 && req.includeDocumentation;
    const deniedCodes = req.resources.map((r) => configsDeniedCode(ctx, Operation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName));
    const allowed = req.resources.filter((_, i) => deniedCodes[i] === ErrorCode.NONE);
    // As Kafka: the described resources first, then the ones the principal may not describe.
    const denied = req.resources.flatMap((r, i) => (deniedCodes[i] === ErrorCode.NONE ? [] : [failed(r, deniedCodes[i]!, DENIED_MESSAGE[deniedCodes[i]!] ?? null)]));
    const described = allowed.map((resource): DescribeConfigsResult => {
      try {
        const configs = describeOne(ctx, resource, includeSynonyms, includeDocumentation);
        return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName, configs };
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        return failed(resource, err.code, err.message === '' ? null : err.message);
      }
    });
    return { ...defaultDescribeConfigsResponse(), results: [...described, ...denied] };
  },
  errorResponse(req, errorCode) {
    return { ...defaultDescribeConfigsResponse(), results: req.resources.map((r) => failed(r, errorCode, null)) };
  },
});
