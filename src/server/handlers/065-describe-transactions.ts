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

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  ...schemaVersions(ApiKey.DescribeTransactions),
  codec,
  handle(req, ctx) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map((id) => ({ ...defaultTransactionState(), ...ctx.broker.txn.describe(id) })),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: req.transactionalIds.map((transactionalId) => ({ ...defaultTransactionState(), transactionalId, errorCode })),
    };
  },
});
