/**
 * ElectLeaders (key 43), v0-v2. Every partition of a single node already has its only replica
 * as leader, so, as Kafka's controller answers on a one-node cluster, a preferred (0) or unclean
 * (1) election of an existing partition gets ELECTION_NOT_NEEDED; a missing topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION; another election type INVALID_REQUEST for every partition and at
 * the top level. A null partition list means every partition: Kafka then lists each topic with
 * only the partitions that were elected, none here. v0 has no election type: preferred.
 *
 * In a virtual cluster the controller elects (ClusterController.electLeader) and answers as
 * Kafka's does: ELECTION_NOT_NEEDED when the preferred replica already leads (preferred) or the
 * partition has a leader (unclean), PREFERRED_LEADER_NOT_AVAILABLE or
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica may take over.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  type PartitionResult,
  defaultElectLeadersResponse,
  codec,
} from '../../protocol/generated/043-elect-leaders.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

const PREFERRED = 0;
const UNCLEAN = 1;

export const electLeadersHandler = defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  ...schemaVersions(ApiKey.ElectLeaders),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER);
    const { broker } = ctx;
    const known = req.electionType === PREFERRED || req.electionType === UNCLEAN;
    const cluster = broker.cluster;
    if (cluster && known) {
      const type = req.electionType === PREFERRED ? 'preferred' : 'unclean';
      const elect = (topic: string, partitionId: number): PartitionResult => ({ partitionId, ...cluster.electLeader(topic, partitionId, type) });
      const replicaElectionResults =
        req.topicPartitions === null
          ? // Every partition: those that needed no election are left out of the answer.
            cluster.topics().map((t) => ({ topic: t.name, partitionResult: t.partitions.map((_, p) => elect(t.name, p)).filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) }))
          : req.topicPartitions.map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => elect(t.topic, p)) }));
      return { ...defaultElectLeadersResponse(), replicaElectionResults };
    }
    if (req.topicPartitions === null) {
      return { ...defaultElectLeadersResponse(), replicaElectionResults: broker.topics.list().map((t) => ({ topic: t.name, partitionResult: [] })) };
    }
    const result = (topic: string, partitionId: number): PartitionResult => {
      if (!known) return { partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown election type ${req.electionType}` };
      const info = broker.topics.get(topic);
      if (!info) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` };
      if (partitionId < 0 || partitionId >= info.partitions) {
        return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partitionId}` };
      }
      return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
    };
    return {
      ...defaultElectLeadersResponse(),
      errorCode: known ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST,
      replicaElectionResults: req.topicPartitions.map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => result(t.topic, p)) })),
    };
  },
  errorResponse(req, errorCode, ctx) {
    return {
      ...defaultElectLeadersResponse(),
      // v0 has no top-level error code.
      errorCode: ctx.apiVersion === 0 ? ErrorCode.NONE : errorCode,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
      })),
    };
  },
});
