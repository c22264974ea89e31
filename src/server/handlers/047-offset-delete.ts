/**
 * OffsetDelete (key 47), v0. Removes committed offsets of a group with tombstones. An
 * unknown group is GROUP_ID_NOT_FOUND; a non-empty group that does not use the consumer
 * protocol is NON_EMPTY_GROUP; partitions of topics the group's members subscribe to are
 * GROUP_SUBSCRIBED_TO_TOPIC. Unknown topics are UNKNOWN_TOPIC_OR_PARTITION, as Kafka's
 * request handler answers them before the coordinator sees the request.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type OffsetDeleteRequest, type OffsetDeleteResponse, defaultOffsetDeleteResponse, codec } from '../../protocol/generated/047-offset-delete.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  ...schemaVersions(ApiKey.OffsetDelete),
  codec,
  async handle(req, ctx) {
    if (!authorized(ctx, Operation.DELETE, ResourceType.GROUP, req.groupId)) return { ...defaultOffsetDeleteResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if (req.groupId === '') return { ...defaultOffsetDeleteResponse(), errorCode: ErrorCode.INVALID_GROUP_ID };
    const readable = new Set(req.topics.filter((t) => authorized(ctx, Operation.READ, ResourceType.TOPIC, t.name)));
    const known = req.topics.filter((t) => readable.has(t) && ctx.broker.topics.get(t.name) !== undefined);
    const codes = await ctx.broker.groups.deleteOffsets(
      req.groupId,
      known.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
    );
    if (typeof codes === 'number') return { ...defaultOffsetDeleteResponse(), errorCode: codes };
    const byTopic = new Map(known.map((t, i) => [t, codes[i]!]));
    return {
      ...defaultOffsetDeleteResponse(),
      topics: req.topics.map((t) => {
        if (!readable.has(t)) return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
        const c = byTopic.get(t);
        return { name: t.name, partitions: t.partitions.map((p, i) => ({ partitionIndex: p.partitionIndex, errorCode: c ? c[i]! : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })) };
      }),
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultOffsetDeleteResponse(), errorCode };
  },
});
