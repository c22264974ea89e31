/**
 * AlterShareGroupOffsets (key 91), v0: sets where a share group starts reading partitions
 * (kafka-share-groups --reset-offsets). The group must be empty (NON_EMPTY_GROUP otherwise);
 * one that does not exist yet is created, as in Kafka. READ on the group is needed
 * (GROUP_AUTHORIZATION_FAILED for the request) and on each topic (TOPIC_AUTHORIZATION_FAILED
 * for its partitions); an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterShareGroupOffsetsRequest,
  type AlterShareGroupOffsetsResponse,
  defaultAlterShareGroupOffsetsResponse,
  codec,
} from '../../protocol/generated/091-alter-share-group-offsets.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { defineHandler, schemaVersions } from '../handler.js';


export const alterShareGroupOffsetsHandler = defineHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>({
  ...schemaVersions(ApiKey.AlterShareGroupOffsets),
  codec,
  async handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null = null) => ({ ...defaultAlterShareGroupOffsetsResponse(), errorCode, errorMessage });
    if (!authorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const groups = ctx.broker.groups;
    const unavailable = groups.shareGroupUnavailable(req.groupId);
    if (unavailable !== ErrorCode.NONE) return fail(unavailable);
    const readable = req.topics.filter((t) => authorized(ctx, Operation.READ, ResourceType.TOPIC, t.topicName));
    const r = await (await groups.shareGroups()).alterOffsets(req.groupId, readable);
    if (r.errorCode !== ErrorCode.NONE) return fail(r.errorCode, r.errorMessage);
    const byTopic = new Map(readable.map((t, i) => [t, r.topics[i]!]));
    // Kafka answers the topics it does not know first.
    const unknown = (t: (typeof req.topics)[number]) => ctx.broker.topics.get(t.topicName) === undefined;
    return {
      ...defaultAlterShareGroupOffsetsResponse(),
      responses: [...req.topics.filter(unknown), ...req.topics.filter((t) => !unknown(t))].map((t) => {
        const done = byTopic.get(t);
        return {
          topicName: t.topicName,
          topicId: done?.topicId ?? ZERO_UUID,
          partitions: t.partitions.map((p, i) => {
            const errorCode = done ? done.codes[i]! : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
            return { partitionIndex: p.partitionIndex, errorCode, errorMessage: errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'This server does not host this topic-partition.' : null };
          }),
        };
      }),
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultAlterShareGroupOffsetsResponse(), errorCode };
  },
});
