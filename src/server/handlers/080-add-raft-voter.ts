/**
 * AddRaftVoter (key 80), v0 and v1. Kafka's KRaft leader checks, in order: the cluster id (when
 * given), that it leads the quorum (always so here), a voter id >= 0 with a directory id, an
 * endpoint for the controller listener, and then kraft.version: at level 0 (static voters) it
 * answers UNSUPPORTED_VERSION. Skiff is a one-node quorum that finalizes kraft.version 0, so a
 * well-formed request ends there. v1 only adds AckWhenCommitted, which changes nothing for an
 * answer given at once.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type AddRaftVoterRequest, type AddRaftVoterResponse, type Listener, defaultAddRaftVoterResponse, codec } from '../../protocol/generated/080-add-raft-voter.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { staticVotersAnswer, voterRequestError } from '../raft-voter-checks.js';

/** The listener name Kafka's controllers use for the quorum (as DescribeQuorum reports it). */
const CONTROLLER_LISTENER = 'CONTROLLER';

/** Kafka's rendering of the request's endpoints (names upper-cased, addresses unresolved). */
function endpointsText(listeners: readonly Listener[]): string {
  const entries = listeners.map((l) => `ListenerName(${l.name.toUpperCase()})=${l.host}/<unresolved>:${l.port}`);
  return `Endpoints(endpoints={${entries.join(', ')}})`;
}

function answer(errorCode: number, errorMessage: string | null): AddRaftVoterResponse {
  return { ...defaultAddRaftVoterResponse(), errorCode, errorMessage };
}

export const addRaftVoterHandler = defineHandler<AddRaftVoterRequest, AddRaftVoterResponse>({
  ...schemaVersions(ApiKey.AddRaftVoter),
  codec,
  handle(req, ctx) {
    const invalid = voterRequestError('Add', req, ctx.broker.clusterId);
    if (invalid) return answer(invalid.errorCode, invalid.errorMessage);
    if (!req.listeners.some((l) => l.name.toUpperCase() === CONTROLLER_LISTENER)) {
      return answer(
        ErrorCode.INVALID_REQUEST,
        `Add voter request didn't include the endpoint (${endpointsText(req.listeners)}) for the default listener ListenerName(${CONTROLLER_LISTENER})`,
      );
    }
    const unsupported = staticVotersAnswer('adding');
    return answer(unsupported.errorCode, unsupported.errorMessage);
  },
  errorResponse(_req, errorCode) {
    return answer(errorCode, null);
  },
});
