/**
 * DescribeShareGroupOffsets (key 90), v0-v1: each share-partition's start offset, from the
 * share coordinator's state (ShareStateStore). With no topics named, every partition the group
 * has state for. DESCRIBE on the group is needed (GROUP_AUTHORIZATION_FAILED for the group) and
 * on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions), as in Kafka's KafkaApis. A
 * partition without state, an unknown partition or topic, and a group that does not exist have
 * start offset -1 and no error, as on Kafka 4.3.1. Lag (v1) is the high watermark less the start
 * offset: Kafka also takes off the records past the start offset already acknowledged, which the
 * share coordinator does not report here, so while some are this lag is larger than Kafka's.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeShareGroupOffsetsRequest,
  type DescribeShareGroupOffsetsRequestGroup,
  type DescribeShareGroupOffsetsResponse,
  type DescribeShareGroupOffsetsResponseGroup,
  type DescribeShareGroupOffsetsResponsePartition,
  defaultDescribeShareGroupOffsetsResponse,
  codec,
} from '../../protocol/generated/090-describe-share-group-offsets.js';
import { KafkaError } from '../../errors.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { defineHandler, schemaVersions, type RequestContext } from '../handler.js';

const UNKNOWN = -1n;

/** What Kafka answers for a partition the group has no share state for. */
const NO_STATE: DescribeShareGroupOffsetsResponsePartition = { partitionIndex: 0, startOffset: UNKNOWN, leaderEpoch: 0, lag: UNKNOWN, errorCode: ErrorCode.NONE, errorMessage: null };

function partitionError(partitionIndex: number, errorCode: number, errorMessage: string | null = null): DescribeShareGroupOffsetsResponsePartition {
  return { partitionIndex, startOffset: UNKNOWN, leaderEpoch: -1, lag: UNKNOWN, errorCode, errorMessage };
}

function groupError(groupId: string, errorCode: number, errorMessage: string | null = null): DescribeShareGroupOffsetsResponseGroup {
  return { groupId, topics: [], errorCode, errorMessage };
}

async function describeGroup(req: DescribeShareGroupOffsetsRequestGroup, ctx: RequestContext): Promise<DescribeShareGroupOffsetsResponseGroup> {
  const { groupId } = req;
  if (!authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, groupId)) return groupError(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const groups = ctx.broker.groups;
  const unavailable = groups.shareGroupUnavailable(groupId);
  if (unavailable !== ErrorCode.NONE) return groupError(groupId, unavailable);
  const shareGroups = await groups.shareGroups();
  const target = shareGroups.describeOffsetsTarget(groupId);
  if (target.errorCode !== ErrorCode.NONE) return groupError(groupId, target.errorCode, target.errorMessage);
  // The topics asked for, or every one the group has share state for.
  const asked =
    req.topics ??
    [...new Set(target.partitions.map((p) => p.topicName))].sort().map((topicName) => ({
      topicName,
      partitions: target.partitions.filter((p) => p.topicName === topicName).map((p) => p.partition).sort((a, b) => a - b),
    }));
  const store = shareGroups.store;
  const topics = await Promise.all(
    asked.map(async (t) => {
      const topic = ctx.broker.topics.get(t.topicName);
      const topicId = topic?.topicId ?? ZERO_UUID;
      if (!authorized(ctx, Operation.DESCRIBE, ResourceType.TOPIC, t.topicName)) {
        return { topicName: t.topicName, topicId: ZERO_UUID, partitions: t.partitions.map((p) => partitionError(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) };
      }
      const partitions = await Promise.all(
        t.partitions.map(async (p): Promise<DescribeShareGroupOffsetsResponsePartition> => {
          if (!topic || p < 0 || p >= topic.partitions) return { ...NO_STATE, partitionIndex: p };
          try {
            const s = await store.readSummary(groupId, { topicId, topicName: t.topicName, partition: p });
            if (!s) return { ...NO_STATE, partitionIndex: p };
            const highWatermark = ctx.broker.topics.partition(t.topicName, p)?.highWatermark;
            const lag = s.startOffset < 0n || highWatermark === undefined ? UNKNOWN : highWatermark > s.startOffset ? highWatermark - s.startOffset : 0n;
            return { partitionIndex: p, startOffset: s.startOffset, leaderEpoch: s.leaderEpoch, lag, errorCode: ErrorCode.NONE, errorMessage: null };
          } catch (err) {
            if (err instanceof KafkaError) return partitionError(p, err.code, err.message);
            throw err;
          }
        }),
      );
      return { topicName: t.topicName, topicId, partitions };
    }),
  );
  return { groupId, topics, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const describeShareGroupOffsetsHandler = defineHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>({
  ...schemaVersions(ApiKey.DescribeShareGroupOffsets),
  codec,
  async handle(req, ctx) {
    return { ...defaultDescribeShareGroupOffsetsResponse(), groups: await Promise.all(req.groups.map((g) => describeGroup(g, ctx))) };
  },
  errorResponse(req, errorCode) {
    return { ...defaultDescribeShareGroupOffsetsResponse(), groups: req.groups.map((g) => groupError(g.groupId, errorCode)) };
  },
});
