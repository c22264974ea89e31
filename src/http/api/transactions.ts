/** Transactions and producers for the console: every transactional id with its state, and the producers each partition knows. */
import type { BrokerView } from '../broker-views.js';
import type { RouteTable } from '../routes.js';

export function transactionRoutes(routes: RouteTable, broker: BrokerView): void {
  routes.get('/api/transactions', () => {
    const now = Date.now();
    const transactions = broker.txn
      .list()
      .map((t) => broker.txn.describe(t.transactionalId))
      .map((d) => ({
        transactionalId: d.transactionalId,
        state: d.transactionState,
        producerId: d.producerId,
        producerEpoch: d.producerEpoch,
        timeoutMs: d.transactionTimeoutMs,
        ageMs: d.transactionState === 'Ongoing' && d.transactionStartTimeMs >= 0n ? now - Number(d.transactionStartTimeMs) : null,
        partitions: d.topics,
      }))
      .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));
    const producers = [];
    for (const log of broker.logs.logs()) {
      for (const e of log.producers.entries()) {
        const last = e.batches.at(-1);
        producers.push({
          topic: log.topic,
          partition: log.partition,
          producerId: e.producerId,
          producerEpoch: e.producerEpoch,
          lastSequence: last?.lastSeq ?? -1,
          lastTimestamp: e.lastTimestamp,
          currentTxnStartOffset: e.currentTxnFirstOffset,
        });
      }
    }
    return { json: { transactions, producers } };
  });
}
