/**
 * Metadata (key 3), v0-v12. One broker that leads every partition. Topics are looked up by
 * name, or by id from v10; unknown topics are auto-created when both the broker
 * (auto.create.topics.enable) and the request (v4+) allow it, and are answered ready at
 * once, where Kafka first answers LEADER_NOT_AVAILABLE while the topic is being created.
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
import type { Broker } from '../../broker.js';
import { defineHandler, KafkaError, type RequestContext, schemaVersions } from '../handler.js';

function topicResponse(broker: Broker, t: TopicInfo, includeOps: boolean): MetadataResponseTopic {
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

function baseResponse(broker: Broker, req: MetadataRequest, ctx: RequestContext): MetadataResponse {
  return {
    ...defaultMetadataResponse(),
    brokers: [{ nodeId: broker.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    clusterAuthorizedOperations:
      req.includeClusterAuthorizedOperations && ctx.apiVersion >= 8 && ctx.apiVersion <= 10 ? CLUSTER_OPERATIONS : OPERATIONS_OMITTED,
  };
}

async function lookup(broker: Broker, name: string, autoCreate: boolean, includeOps: boolean): Promise<MetadataResponseTopic> {
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
    // v10 and v11 carry topic ids but their responses cannot name a topic null, so Kafka refuses them.
    if (ctx.apiVersion < 12 && req.topics!.some((t) => t.name === null)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Topic name can not be null for version ${ctx.apiVersion}`);
    }
    const autoCreate = broker.config.values['auto.create.topics.enable'] && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
    for (const wanted of req.topics!) {
      if (wanted.name === null) {
        const t = broker.topics.byId(wanted.topicId);
        res.topics.push(t ? topicResponse(broker, t, includeOps) : topicError(null, wanted.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
      } else {
        res.topics.push(await lookup(broker, wanted.name, autoCreate, includeOps));
      }
    }
    return res;
  },
  errorResponse(req, errorCode, ctx) {
    const res = baseResponse(ctx.broker, req, ctx);
    // As Kafka's getErrorResponse: a topic asked for by id is named "" (no version allows null there).
    res.topics = (req.topics ?? []).map((t) => topicError(t.name ?? '', t.topicId, errorCode));
    return res;
  },
});
