/**
 * Metadata (key 3), v0-v13. One broker that leads every partition. Topics are looked up by
 * name, or by id in v12 (v10 and v11 carry ids but refuse them, as Kafka does); unknown
 * topics are auto-created when both the broker (auto.create.topics.enable) and the request
 * (v4+) allow it, and are answered ready at once, where Kafka first answers
 * LEADER_NOT_AVAILABLE while the topic is being created. The top-level errorCode (v13) is 0
 * unless the whole request failed: Kafka sends REBOOTSTRAP_REQUIRED there (KIP-1102) only when
 * it cannot serve the client's metadata, which a single broker always can.
 */
import {
  CLUSTER_OPERATIONS,
  OPERATIONS_OMITTED,
  TOPIC_OPERATIONS,
} from '../../cluster/authorized-operations.js';
import { partitionLeadership } from '../../cluster/partition-leadership.js';
import type { TopicInfo } from '../../cluster/topic-manager.js';
import { invalidTopicName } from '../../cluster/topic-names.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
  defaultMetadataResponse,
  defaultMetadataResponseTopic,
  codec,
} from '../../protocol/generated/003-metadata.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

function topicResponse(broker: BrokerServices, t: TopicInfo, includeOps: boolean): MetadataResponseTopic {
  const partitions = [];
  for (let p = 0; p < t.partitions; p++) partitions.push(partitionLeadership(broker, t.name, p));
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions,
    topicAuthorizedOperations: includeOps ? TOPIC_OPERATIONS : OPERATIONS_OMITTED,
  };
}

function topicError(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { ...defaultMetadataResponseTopic(), errorCode, name, topicId };
}

function baseResponse(broker: BrokerServices, req: MetadataRequest, ctx: RequestContext): MetadataResponse {
  return {
    ...defaultMetadataResponse(),
    brokers: [{ nodeId: broker.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    clusterAuthorizedOperations:
      req.includeClusterAuthorizedOperations && ctx.apiVersion >= 8 && ctx.apiVersion <= 10 ? CLUSTER_OPERATIONS : OPERATIONS_OMITTED,
  };
}

async function lookup(broker: BrokerServices, name: string, autoCreate: boolean, includeOps: boolean): Promise<MetadataResponseTopic> {
  const existing = broker.topics.get(name);
  if (existing) return topicResponse(broker, existing, includeOps);
  if (invalidTopicName(name) !== undefined) return topicError(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!autoCreate) return topicError(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    return topicResponse(broker, await broker.topics.autoCreate(name), includeOps);
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    // Created by a concurrent request meanwhile: answer with what is there now.
    if (err.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      const now = broker.topics.get(name);
      if (now) return topicResponse(broker, now, includeOps);
    }
    return topicError(name, ZERO_UUID, err.code);
  }
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  ...schemaVersions(ApiKey.Metadata),
  codec,
  async handle(req, ctx) {
    const { broker } = ctx;
    const res = baseResponse(broker, req, ctx);
    const includeOps = req.includeTopicAuthorizedOperations && ctx.apiVersion >= 8;
    // v0 used an empty list for "all topics"; later versions use null.
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    if (all) {
      res.topics = broker.topics.list().map((t) => topicResponse(broker, t, includeOps));
      return res;
    }
    const wanted = req.topics!;
    // v10 and v11 carry topic ids but Kafka does not look topics up by them: the whole request is refused.
    if (ctx.apiVersion < 12 && wanted.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Topic ids are not supported in Metadata v${ctx.apiVersion}`);
    }
    // As Kafka decides: any non-zero id makes it a request by id, and names are then ignored.
    const ids = [...new Set(wanted.map((t) => t.topicId).filter((id) => id !== ZERO_UUID))];
    if (ids.length > 0) {
      const known = ids.map((id) => broker.topics.byId(id));
      ids.forEach((id, i) => known[i] === undefined && res.topics.push(topicError(null, id, ErrorCode.UNKNOWN_TOPIC_ID)));
      for (const t of known) if (t !== undefined) res.topics.push(topicResponse(broker, t, includeOps));
      return res;
    }
    const autoCreate = broker.config.values['auto.create.topics.enable'] && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
    for (const t of wanted) res.topics.push(await lookup(broker, t.name ?? '', autoCreate, includeOps));
    return res;
  },
  errorResponse(req, errorCode) {
    // As Kafka's MetadataRequest.getErrorResponse: no brokers, cluster or controller, and a
    // missing name answered as "" (the field is not nullable before v12); the error also at the
    // top level (v13+).
    return { ...defaultMetadataResponse(), errorCode, topics: (req.topics ?? []).map((t) => topicError(t.name ?? '', t.topicId, errorCode)) };
  },
});
