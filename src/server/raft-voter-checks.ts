/**
 * The checks Kafka's KRaft leader makes on AddRaftVoter and RemoveRaftVoter before it looks at
 * kraft.version, and the answer it gives at level 0, which Skiff finalizes (one static voter).
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { finalizedLevel } from './features.js';

export interface VoterRequest {
  clusterId: string | null;
  voterId: number;
  voterDirectoryId: string;
}

export interface VoterAnswer {
  errorCode: number;
  errorMessage: string;
}

/** The cluster id (when given), then a voter id >= 0 with a directory id; undefined when both hold. */
export function voterRequestError(kind: 'Add' | 'Remove', req: VoterRequest, clusterId: string): VoterAnswer | undefined {
  if (req.clusterId !== null && req.clusterId !== clusterId) {
    return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, errorMessage: `The given id "${req.clusterId}" doesn't match the cluster id "${clusterId}"` };
  }
  if (req.voterId < 0 || req.voterDirectoryId === ZERO_UUID) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${kind} voter request didn't include a valid voter` };
  }
  return undefined;
}

/** What a well-formed request gets while kraft.version is 0. */
export function staticVotersAnswer(action: 'adding' | 'removing'): VoterAnswer {
  const level = finalizedLevel('kraft.version');
  return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `Cluster doesn't support ${action} voter because the kraft.version feature is ${level}` };
}
