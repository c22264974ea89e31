/**
 * OffsetCommit (key 8), v0-v10. Offsets are records in __consumer_offsets (Kafka's
 * OffsetCommitKey/OffsetCommitValue); the answer comes once they are appended. A group's
 * generation and member are checked as Kafka's classic groups check them; generation -1 on
 * an empty or unknown group is a "simple" commit (admin client, manual assignment). Topics
 * the broker does not know are UNKNOWN_TOPIC_OR_PARTITION. v1 partitions may carry a commit
 * timestamp, v2-v4 a retention time (stored as an expire timestamp, value version 1).
 * Metadata longer than 4096 bytes (offset.metadata.max.bytes) is OFFSET_METADATA_TOO_LARGE.
 * v10 names topics by id; an id the broker does not know is UNKNOWN_TOPIC_ID, as in Kafka's
 * KafkaApis.handleOffsetCommitRequest.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type OffsetCommitRequest, type OffsetCommitResponse, defaultOffsetCommitResponse, codec } from '../../protocol/generated/008-offset-commit.js';
import { authorized, Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';

function allFailed(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    ...defaultOffsetCommitResponse(),
    topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}

/** v10 requests carry ids: the name each resolves to ('' for an unknown id, as Kafka leaves it). */
function withNames(req: OffsetCommitRequest, ctx: RequestContext): OffsetCommitRequest {
  if (ctx.apiVersion < 10) return req;
  return { ...req, topics: req.topics.map((t) => ({ ...t, name: ctx.broker.topics.byId(t.topicId)?.name ?? '' })) };
}

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  ...schemaVersions(ApiKey.OffsetCommit),
  codec,
  async handle(request, ctx) {
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, request.groupId);
    if (request.groupId === '') return allFailed(request, ErrorCode.INVALID_GROUP_ID);
    const req = withNames(request, ctx);
    const unknownCode = ctx.apiVersion >= 10 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const readable = new Set(req.topics.filter((t) => authorized(ctx, Operation.READ, ResourceType.TOPIC, t.name)));
    const known = req.topics.filter((t) => readable.has(t) && ctx.broker.topics.get(t.name) !== undefined);
    let codes: number | number[][] = [];
    if (known.length > 0) {
      codes = await ctx.broker.groups.commitOffsets({
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: ctx.apiVersion >= 2 && ctx.apiVersion <= 4 ? req.retentionTimeMs : -1n,
        apiVersion: ctx.apiVersion,
        topics: known.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ ...p, commitTimestamp: ctx.apiVersion === 1 ? p.commitTimestamp : -1n })),
        })),
      });
    }
    if (typeof codes === 'number') return allFailed(req, codes);
    const byTopic = new Map(known.map((t, i) => [t, (codes as number[][])[i]!]));
    const answer = (t: OffsetCommitRequest['topics'][number]) => {
      const c = byTopic.get(t);
      const refused = readable.has(t) ? unknownCode : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      return { name: t.name, topicId: t.topicId, partitions: t.partitions.map((p, i) => ({ partitionIndex: p.partitionIndex, errorCode: c ? c[i]! : refused })) };
    };
    // Kafka lists the topics it refused before those the group coordinator answered.
    return { ...defaultOffsetCommitResponse(), topics: [...req.topics.filter((t) => !byTopic.has(t)), ...known].map(answer) };
  },
  errorResponse(req, errorCode) {
    return allFailed(req, errorCode);
  },
});
