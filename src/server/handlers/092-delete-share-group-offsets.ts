/**
 * DeleteShareGroupOffsets (key 92), v0: forgets a share group's state for whole topics
 * (kafka-share-groups --delete-offsets); a later member starts them over per
 * share.auto.offset.reset. The group must exist (GROUP_ID_NOT_FOUND) and be empty
 * (NON_EMPTY_GROUP); a topic it has no share state for is UNKNOWN_TOPIC_OR_PARTITION. DELETE on
 * the group and READ on each topic are needed, as in Kafka's KafkaApis.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DeleteShareGroupOffsetsRequest,
  type DeleteShareGroupOffsetsResponse,
  defaultDeleteShareGroupOffsetsResponse,
  codec,
} from '../../protocol/generated/092-delete-share-group-offsets.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { defineHandler, schemaVersions } from '../handler.js';


export const deleteShareGroupOffsetsHandler = defineHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>({
  ...schemaVersions(ApiKey.DeleteShareGroupOffsets),
  codec,
  async handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null = null) => ({ ...defaultDeleteShareGroupOffsetsResponse(), errorCode, errorMessage });
    if (!authorized(ctx, Operation.DELETE, ResourceType.GROUP, req.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const groups = ctx.broker.groups;
    const unavailable = groups.shareGroupUnavailable(req.groupId);
    if (unavailable !== ErrorCode.NONE) return fail(unavailable);
    const readable = req.topics.filter((t) => authorized(ctx, Operation.READ, ResourceType.TOPIC, t.topicName));
    const r = await (await groups.shareGroups()).deleteOffsets(req.groupId, readable.map((t) => t.topicName));
    if (r.errorCode !== ErrorCode.NONE) return fail(r.errorCode, r.errorMessage);
    const byTopic = new Map(readable.map((t, i) => [t, r.topics[i]!]));
    return {
      ...defaultDeleteShareGroupOffsetsResponse(),
      responses: req.topics.map((t) => {
        const done = byTopic.get(t);
        return done
          ? { topicName: t.topicName, ...done }
          : { topicName: t.topicName, topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
      }),
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDeleteShareGroupOffsetsResponse(), errorCode };
  },
});
