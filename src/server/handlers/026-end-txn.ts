/**
 * EndTxn (key 26), v0-v4 (v5, transaction protocol v2, is not served: Skiff does not finalize
 * the transaction.version feature, so clients keep to v1 semantics). Commits or aborts the
 * ongoing transaction: markers to every partition, __consumer_offsets included. Errors as
 * Kafka's TransactionCoordinator.endTransaction; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
 * below v2. The answer comes once the markers are written.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type EndTxnRequest, type EndTxnResponse, defaultEndTxnResponse, codec } from '../../protocol/generated/026-end-txn.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const endTxnHandler = defineHandler<EndTxnRequest, EndTxnResponse>({
  ...schemaVersions(ApiKey.EndTxn),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    let errorCode = await ctx.broker.txn.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { ...defaultEndTxnResponse(), errorCode };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultEndTxnResponse(), errorCode };
  },
});
