/**
 * UnregisterBroker (key 64), v0. Kafka's controller accepts unregistering its own running
 * node (which registers again on its next heartbeat) and answers BROKER_ID_NOT_REGISTERED for
 * any other id. Skiff's one node is always registered: accepting changes nothing.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type UnregisterBrokerRequest, type UnregisterBrokerResponse, defaultUnregisterBrokerResponse, codec } from '../../protocol/generated/064-unregister-broker.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

export const unregisterBrokerHandler = defineHandler<UnregisterBrokerRequest, UnregisterBrokerResponse>({
  ...schemaVersions(ApiKey.UnregisterBroker),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER);
    if (req.brokerId === ctx.broker.nodeId) return { ...defaultUnregisterBrokerResponse(), errorCode: ErrorCode.NONE, errorMessage: '' };
    return { ...defaultUnregisterBrokerResponse(), errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ID ${req.brokerId} is not currently registered` };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultUnregisterBrokerResponse(), errorCode, errorMessage: null };
  },
});
