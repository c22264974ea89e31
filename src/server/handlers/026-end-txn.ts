/**
 * EndTxn (key 26), v0-v5. Commits or aborts the ongoing transaction: markers to every
 * partition, __consumer_offsets included. Errors as Kafka's TransactionCoordinator.endTransaction;
 * PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2. v5 is transactions v2 (KIP-890): the
 * epoch is bumped at every end and the answer carries the producer id and epoch to go on
 * with (-1 on an error). The answer comes once the markers are written.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type EndTxnRequest, type EndTxnResponse, defaultEndTxnResponse, codec } from '../../protocol/generated/026-end-txn.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { TRANSACTION_VERSION_2 } from '../../coordinator/txn/transaction-metadata.js';
import { defineHandler, schemaVersions } from '../handler.js';

/** The first version on transactions v2 (Kafka's EndTxnRequest.isTransactionV2Enabled). */
const V2_VERSION = 5;

export const endTxnHandler = defineHandler<EndTxnRequest, EndTxnResponse>({
  ...schemaVersions(ApiKey.EndTxn),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    const clientTransactionVersion = ctx.apiVersion >= V2_VERSION ? TRANSACTION_VERSION_2 : 0;
    const res = await ctx.broker.txn.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, clientTransactionVersion);
    const errorCode = res.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : res.errorCode;
    return { ...defaultEndTxnResponse(), errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultEndTxnResponse(), errorCode };
  },
});
