/**
 * StreamsGroupHeartbeat (key 88), v0: the KIP-1071 streams group protocol
 * (src/coordinator/group/streams-group-manager.ts). As Kafka's KafkaApis, the handler creates
 * the internal topics (repartition and changelog topics) the coordinator finds missing, when
 * the principal may create them; otherwise the member is told which it may not create. A
 * topology naming Kafka's internal topics or invalid topic names is refused first, as there.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type StreamsGroupHeartbeatRequest,
  type StreamsGroupHeartbeatResponse,
  defaultStreamsGroupHeartbeatResponse,
  codec,
} from '../../protocol/generated/088-streams-group-heartbeat.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { INTERNAL_TOPICS, invalidTopicName } from '../../cluster/topic-names.js';
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
    if (req.topology) {
      // Checked as KafkaApis does before the coordinator sees the topology.
      const names = [
        ...new Set(req.topology.subtopologies.flatMap((s) => [...s.sourceTopics, ...s.repartitionSinkTopics, ...s.repartitionSourceTopics.map((t) => t.name), ...s.stateChangelogTopics.map((t) => t.name)])),
      ];
      const invalidTopology = (errorMessage: string) => ({ ...defaultStreamsGroupHeartbeatResponse(), errorCode: ErrorCode.STREAMS_INVALID_TOPOLOGY, errorMessage });
      const internal = names.filter((n) => INTERNAL_TOPICS.has(n));
      if (internal.length > 0) return invalidTopology(`Use of Kafka internal topics ${internal.join(',')} in a Kafka Streams topology is prohibited.`);
      const invalid = names.filter((n) => invalidTopicName(n) !== undefined);
      if (invalid.length > 0) return invalidTopology(`Topic names ${invalid.join(',')} are not valid topic names.`);
      if (names.some((n) => !authorized(ctx, Operation.DESCRIBE, ResourceType.TOPIC, n))) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    }
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
