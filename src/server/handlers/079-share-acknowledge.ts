/**
 * ShareAcknowledge (key 79), v1-v2 (v2: renew acknowledgements, KIP-1222, and the lock
 * duration in the answer). Acknowledgements of an existing share session: epoch 0 cannot
 * open one (INVALID_SHARE_SESSION_EPOCH), -1 closes it after the acknowledgements, releasing
 * what the member still holds on its partitions; any other epoch must be the session's.
 * Accept (1) acknowledges, release (2) makes records available again, reject (3) archives,
 * renew (4) extends the acquisition lock; each partition answers with its own error.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponse,
  type ShareAcknowledgeTopicResponse,
  codec,
  defaultPartitionData,
  defaultShareAcknowledgeResponse,
} from '../../protocol/generated/079-share-acknowledge.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { applyAcknowledgements, checkGroupAndMember, existingSession, isFinalEpoch, lockTimeoutMs, sharePartitions } from '../share-requests.js';

export const shareAcknowledgeHandler = defineHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse>({
  ...schemaVersions(ApiKey.ShareAcknowledge),
  codec,
  async handle(req, ctx) {
    const res = defaultShareAcknowledgeResponse();
    const problem = checkGroupAndMember(ctx, req.groupId, req.memberId);
    if (problem !== ErrorCode.NONE) return { ...res, errorCode: problem };
    const groupId = req.groupId!;
    const memberId = req.memberId!;
    if (ctx.apiVersion >= 2) res.acquisitionLockTimeoutMs = lockTimeoutMs(ctx, groupId);
    const session = existingSession(ctx, groupId, memberId, req.shareSessionEpoch);
    if (typeof session === 'number') return { ...res, errorCode: session };
    const manager = sharePartitions(ctx);
    if (!isFinalEpoch(req.shareSessionEpoch)) manager.sessions.advance(session);
    const acks = await applyAcknowledgements(ctx, groupId, memberId, req.topics, ctx.apiVersion >= 2 && req.isRenewAck);
    if (isFinalEpoch(req.shareSessionEpoch)) await manager.closeSession(session);
    const byTopic = new Map<string, ShareAcknowledgeTopicResponse>();
    for (const a of acks) {
      let t = byTopic.get(a.topicId);
      if (!t) byTopic.set(a.topicId, (t = { topicId: a.topicId, partitions: [] }));
      t.partitions.push({ ...defaultPartitionData(), partitionIndex: a.partition, errorCode: a.errorCode });
    }
    res.responses = [...byTopic.values()];
    return res;
  },
  errorResponse(_req, errorCode) {
    return { ...defaultShareAcknowledgeResponse(), errorCode };
  },
});
