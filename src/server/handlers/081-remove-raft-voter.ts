/**
 * RemoveRaftVoter (key 81), v0. Kafka's KRaft leader checks, in order: the cluster id (when
 * given), that it leads the quorum (always so here), a voter id >= 0 with a directory id, and
 * then kraft.version: at level 0 (static voters) it answers UNSUPPORTED_VERSION. Skiff is a
 * one-node quorum that finalizes kraft.version 0, so a well-formed request ends there.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { type RemoveRaftVoterRequest, type RemoveRaftVoterResponse, defaultRemoveRaftVoterResponse, codec } from '../../protocol/generated/081-remove-raft-voter.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { staticVotersAnswer, voterRequestError } from '../raft-voter-checks.js';

function answer(errorCode: number, errorMessage: string | null): RemoveRaftVoterResponse {
  return { ...defaultRemoveRaftVoterResponse(), errorCode, errorMessage };
}

export const removeRaftVoterHandler = defineHandler<RemoveRaftVoterRequest, RemoveRaftVoterResponse>({
  ...schemaVersions(ApiKey.RemoveRaftVoter),
  codec,
  handle(req, ctx) {
    const { errorCode, errorMessage } = voterRequestError('Remove', req, ctx.broker.clusterId) ?? staticVotersAnswer('removing');
    return answer(errorCode, errorMessage);
  },
  errorResponse(_req, errorCode) {
    return answer(errorCode, null);
  },
});
