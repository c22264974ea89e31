/**
 * DescribeTransactions (key 65), v0: each transactional id's state, timeout, start time,
 * producer id and epoch and partitions; an unknown id answers TRANSACTIONAL_ID_NOT_FOUND,
 * as Kafka's TransactionCoordinator.handleDescribeTransactions.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
  defaultDescribeTransactionsResponse,
  defaultTransactionState,
  codec,
} from '../../protocol/generated/065-describe-transactions.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';
import { ErrorCode } from '../../protocol/generated/errors.js';

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  ...schemaVersions(ApiKey.DescribeTransactions),
  codec,
  handle(req, ctx) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map((id) =>
        authorized(ctx, Operation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)
          ? { ...defaultTransactionState(), ...ctx.broker.txn.describe(id) }
          : { ...defaultTransactionState(), transactionalId: id, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED },
      ),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map((transactionalId) => ({ ...defaultTransactionState(), transactionalId, errorCode })),
    };
  },
});
