/**
 * ListConfigResources (key 74), v0-v1 (KIP-1142; v0 was ListClientMetricsResources, KIP-714).
 * v0 lists the client metrics subscriptions. v1 lists the resource types asked for, every type
 * when none is: topics, this broker, its loggers (the broker id, as Kafka names them), client
 * metrics subscriptions and groups (with members or with settings of their own). A type Kafka does not list answers UNSUPPORTED_VERSION
 * with nothing, as Kafka's KafkaApis does.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ConfigResource,
  type ListConfigResourcesRequest,
  type ListConfigResourcesResponse,
  defaultListConfigResourcesResponse,
  codec,
} from '../../protocol/generated/074-list-config-resources.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { RESOURCE_TYPE } from './032-describe-configs.js';

const LISTED = [RESOURCE_TYPE.TOPIC, RESOURCE_TYPE.BROKER, RESOURCE_TYPE.BROKER_LOGGER, RESOURCE_TYPE.CLIENT_METRICS, RESOURCE_TYPE.GROUP] as number[];

function resourcesOf(broker: BrokerServices, resourceType: number): ConfigResource[] {
  const of = (names: string[]) => names.map((resourceName) => ({ resourceName, resourceType }));
  switch (resourceType) {
    case RESOURCE_TYPE.TOPIC:
      return of(broker.topics.list().map((t) => t.name));
    case RESOURCE_TYPE.BROKER:
    case RESOURCE_TYPE.BROKER_LOGGER:
      return of([String(broker.nodeId)]);
    case RESOURCE_TYPE.CLIENT_METRICS:
      return of(broker.clientMetrics.names());
    default:
      // Groups the coordinator knows and groups with settings of their own, as Kafka lists both.
      return of([...new Set([...broker.groups.listGroups([], []).map((g) => g.groupId), ...broker.dynamicConfigs.groupNames()])]);
  }
}

export const listConfigResourcesHandler = defineHandler<ListConfigResourcesRequest, ListConfigResourcesResponse>({
  ...schemaVersions(ApiKey.ListConfigResources),
  codec,
  handle(req, ctx) {
    const types = ctx.apiVersion === 0 ? [RESOURCE_TYPE.CLIENT_METRICS as number] : req.resourceTypes.length === 0 ? LISTED : req.resourceTypes;
    if (types.some((t) => !LISTED.includes(t))) return { ...defaultListConfigResourcesResponse(), errorCode: ErrorCode.UNSUPPORTED_VERSION, configResources: [] };
    return { ...defaultListConfigResourcesResponse(), configResources: [...new Set(types)].flatMap((t) => resourcesOf(ctx.broker, t)) };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListConfigResourcesResponse(), errorCode, configResources: [] };
  },
});
