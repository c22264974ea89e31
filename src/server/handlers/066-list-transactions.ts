/**
 * ListTransactions (key 66), v0-v1: every transactional id the coordinator knows, filtered
 * by state names (names Kafka does not know are echoed in unknownStateFilters), producer ids
 * and, from v1, a minimum running time in ms (durationFilter; -1 none), as Kafka's
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
import { defineHandler, schemaVersions } from '../handler.js';

export const listTransactionsHandler = defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  ...schemaVersions(ApiKey.ListTransactions),
  codec,
  handle(req, ctx) {
    const res = defaultListTransactionsResponse();
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
      if (duration >= 0n && BigInt(now - t.txnStartTimestamp) <= duration) continue;
      res.transactionStates.push({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: TXN_STATE_NAMES[t.state] });
    }
    return res;
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListTransactionsResponse(), errorCode };
  },
});
