/**
 * RemoveRaftVoter (key 81), v0. Kafka's KRaft leader checks, in order: the cluster id (when
 * given), that it leads the quorum (always so here), a voter id >= 0 with a directory id, and
 * then kraft.version: at level 0 (static voters) it answers UNSUPPORTED_VERSION. Skiff is a
 * one-node quorum that finalizes kraft.version 0, so a well-formed request ends there.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { type RemoveRaftVoterRequest, type RemoveRaftVoterResponse, defaultRemoveRaftVoterResponse, codec } from '../../protocol/generated/081-remove-raft-voter.js';
import { finalizedLevel } from '../features.js';
import { defineHandler, schemaVersions } from '../handler.js';

function answer(errorCode: number, errorMessage: string | null): RemoveRaftVoterResponse {
  return { ...defaultRemoveRaftVoterResponse(), errorCode, errorMessage };
}

export const removeRaftVoterHandler = defineHandler<RemoveRaftVoterRequest, RemoveRaftVoterResponse>({
  ...schemaVersions(ApiKey.RemoveRaftVoter),
  codec,
  handle(req, ctx) {
    const clusterId = ctx.broker.clusterId;
    if (req.clusterId !== null && req.clusterId !== clusterId) {
      return answer(ErrorCode.INCONSISTENT_CLUSTER_ID, `The given id "${req.clusterId}" doesn't match the cluster id "${clusterId}"`);
    }
    if (req.voterId < 0 || req.voterDirectoryId === ZERO_UUID) {
      return answer(ErrorCode.INVALID_REQUEST, "Remove voter request didn't include a valid voter");
    }
    const level = finalizedLevel('kraft.version');
    return answer(ErrorCode.UNSUPPORTED_VERSION, `Cluster doesn't support removing voter because the kraft.version feature is ${level}`);
  },
  errorResponse(_req, errorCode) {
    return answer(errorCode, null);
  },
});
