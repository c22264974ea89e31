/**
 * DescribeQuorum (key 55), v0-v2. Skiff answers as Kafka's combined single node: one voter,
 * itself, leading __cluster_metadata partition 0 at epoch 1 with no observers. Skiff keeps no
 * metadata log, so the high watermark and the voter's log end offset are 1 (the node's own
 * registration) and the voter is always caught up (both timestamps now, v1+). Its directory id
 * (v2) is derived from the cluster id and node id, so it is stable across restarts as Kafka's
 * meta.properties directory id is; nodes (v2) list the voter with this listener under
 * Kafka's controller listener name. A request for anything but that one partition gets
 * UNKNOWN_TOPIC_OR_PARTITION for every partition asked, as Kafka's raft client answers.
 */
import { createHash } from 'node:crypto';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import {
  type DescribeQuorumRequest,
  type DescribeQuorumResponse,
  defaultDescribeQuorumResponse,
  defaultDescribeQuorumResponsePartitionData,
  codec,
} from '../../protocol/generated/055-describe-quorum.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorizedOnCluster, Operation } from '../authorize.js';

const METADATA_TOPIC = '__cluster_metadata';
const CONTROLLER_LISTENER = 'CONTROLLER';
const LEADER_EPOCH = 1;
const METADATA_OFFSET = 1n;

export function directoryId(clusterId: string, nodeId: number): string {
  const bytes = createHash('sha256').update(`${clusterId}/${nodeId}`).digest().subarray(0, 16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('base64url');
}

function errorAnswer(req: DescribeQuorumRequest, errorCode: number, errorMessage: string): DescribeQuorumResponse {
  return {
    ...defaultDescribeQuorumResponse(),
    topics: req.topics.map((t) => ({
      topicName: t.topicName,
      partitions: t.partitions.map((p) => ({ ...defaultDescribeQuorumResponsePartitionData(), partitionIndex: p.partitionIndex, errorCode, errorMessage })),
    })),
  };
}

export const describeQuorumHandler = defineHandler<DescribeQuorumRequest, DescribeQuorumResponse>({
  ...schemaVersions(ApiKey.DescribeQuorum),
  codec,
  handle(req, ctx) {
    const { broker, apiVersion } = ctx;
    // Kafka answers a denied DescribeQuorum with only the top-level error.
    if (!authorizedOnCluster(ctx, Operation.DESCRIBE)) return { ...defaultDescribeQuorumResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const only = req.topics.length === 1 && req.topics[0]!.partitions.length === 1 ? req.topics[0]! : undefined;
    if (!only || only.topicName !== METADATA_TOPIC || only.partitions[0]!.partitionIndex !== 0) {
      return errorAnswer(req, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    }
    const now = apiVersion >= 1 ? BigInt(Date.now()) : -1n;
    const voter = {
      replicaId: broker.nodeId,
      replicaDirectoryId: apiVersion >= 2 ? directoryId(broker.clusterId, broker.nodeId) : ZERO_UUID,
      logEndOffset: METADATA_OFFSET,
      lastFetchTimestamp: now,
      lastCaughtUpTimestamp: now,
    };
    return {
      ...defaultDescribeQuorumResponse(),
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            {
              ...defaultDescribeQuorumResponsePartitionData(),
              leaderId: broker.nodeId,
              leaderEpoch: LEADER_EPOCH,
              highWatermark: METADATA_OFFSET,
              currentVoters: [voter],
              observers: [],
            },
          ],
        },
      ],
      nodes: apiVersion >= 2 ? [{ nodeId: broker.nodeId, listeners: [{ name: CONTROLLER_LISTENER, host: broker.advertised.host, port: broker.advertised.port }] }] : [],
    };
  },
  errorResponse(req, errorCode) {
    return errorAnswer(req, errorCode, '');
  },
});
