/**
 * StreamsGroupHeartbeat (key 88), v0: the KIP-1071 streams group protocol
 * (src/coordinator/group/streams-group-manager.ts). As Kafka's KafkaApis, the handler creates
 * the internal topics (repartition and changelog topics) the coordinator finds missing, when
 * the principal may create them; otherwise the member is told which it may not create.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type StreamsGroupHeartbeatRequest,
  type StreamsGroupHeartbeatResponse,
  defaultStreamsGroupHeartbeatResponse,
  codec,
} from '../../protocol/generated/088-streams-group-heartbeat.js';
import { KafkaError } from '../../errors.js';
import { type InternalTopic, StreamsStatus } from '../../coordinator/group/streams-topology.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { authorized, authorizedOnCluster, Operation, requireAuthorized, ResourceType } from '../authorize.js';

/** Kafka's autoTopicCreationManager.createStreamsInternalTopics: best effort, the member heartbeats again. */
async function createInternalTopics(ctx: RequestContext, topics: InternalTopic[]): Promise<void> {
  for (const t of topics) {
    if (ctx.broker.topics.get(t.name)) continue;
    try {
      await ctx.broker.topics.create({ name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, configs: t.configs });
    } catch (err) {
      // Created meanwhile by another member's heartbeat, or refused: the next heartbeat reports it.
      if (!(err instanceof KafkaError)) throw err;
    }
  }
}

export const streamsGroupHeartbeatHandler = defineHandler<StreamsGroupHeartbeatRequest, StreamsGroupHeartbeatResponse>({
  ...schemaVersions(ApiKey.StreamsGroupHeartbeat),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId);
    const r = await ctx.broker.groups.streamsGroupHeartbeat({
      ...req,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
    });
    let status = r.status;
    if (r.internalTopicsToCreate.length > 0) {
      const mayCreate = authorizedOnCluster(ctx, Operation.CREATE);
      const denied = mayCreate ? [] : r.internalTopicsToCreate.filter((t) => !authorized(ctx, Operation.CREATE, ResourceType.TOPIC, t.name)).map((t) => t.name);
      if (denied.length > 0) {
        status = [...(status ?? []), { statusCode: StreamsStatus.MISSING_INTERNAL_TOPICS, statusDetail: `Unauthorized to CREATE on topics ${denied.sort().join(', ')}.` }];
      } else {
        await createInternalTopics(ctx, r.internalTopicsToCreate);
      }
    }
    return {
      ...defaultStreamsGroupHeartbeatResponse(),
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      status,
      activeTasks: r.activeTasks,
      standbyTasks: r.standbyTasks,
      warmupTasks: r.warmupTasks,
      endpointInformationEpoch: r.endpointInformationEpoch,
      partitionsByUserEndpoint: r.partitionsByUserEndpoint,
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultStreamsGroupHeartbeatResponse(), errorCode };
  },
});
