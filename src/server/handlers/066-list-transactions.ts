/**
 * ListTransactions (key 66), v0-v2: every transactional id the coordinator knows, filtered
 * by state names (names Kafka does not know are echoed in unknownStateFilters), producer ids,
 * from v1 a minimum running time in ms (durationFilter; -1 none) and from v2 a regular
 * expression the whole transactional id must match (transactionalIdPattern; null or empty
 * none, one that does not compile INVALID_REGULAR_EXPRESSION), as Kafka's
 * TransactionStateManager.listTransactionStates.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type ListTransactionsRequest,
  type ListTransactionsResponse,
  defaultListTransactionsResponse,
  codec,
} from '../../protocol/generated/066-list-transactions.js';
import { TXN_STATE_NAMES, TxnState, txnStateByName } from '../../coordinator/txn/transaction-metadata.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';

/** The pattern as a whole-string matcher (Java's Matcher.matches), or undefined when it does not compile. */
function idMatcher(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return undefined;
  }
}

export const listTransactionsHandler = defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  ...schemaVersions(ApiKey.ListTransactions),
  codec,
  handle(req, ctx) {
    const res = defaultListTransactionsResponse();
    const pattern = ctx.apiVersion >= 2 ? req.transactionalIdPattern : null;
    const matcher = pattern ? idMatcher(pattern) : undefined;
    if (pattern && !matcher) return { ...res, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION };
    const states = new Set<TxnState>();
    for (const name of req.stateFilters) {
      const s = txnStateByName(name);
      if (s === undefined) res.unknownStateFilters.push(name);
      else states.add(s);
    }
    const pids = new Set(req.producerIdFilters);
    const now = Date.now();
    const duration = ctx.apiVersion >= 1 ? req.durationFilter : -1n;
    for (const t of ctx.broker.txn.list()) {
      if (states.size > 0 && !states.has(t.state)) continue;
      if (pids.size > 0 && !pids.has(t.producerId)) continue;
      if (t.state === TxnState.Dead) continue;
      if (matcher && !matcher.test(t.transactionalId)) continue;
      if (duration >= 0n && BigInt(now - t.txnStartTimestamp) <= duration) continue;
      if (!authorized(ctx, Operation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId)) continue;
      res.transactionStates.push({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: TXN_STATE_NAMES[t.state] });
    }
    return res;
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListTransactionsResponse(), errorCode };
  },
});
