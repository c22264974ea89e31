/**
 * Transaction state carried through one cleaning pass, after Kafka's CleanedTransactionMetadata:
 * which data batches belong to aborted transactions (they go), and when a marker may go (an
 * abort marker once none of its transaction's batches is left, a commit marker once the pass
 * met none of its batches; both only after their delete horizon).
 */
import type { AbortedTxn } from './types.js';
import { ControlRecordType } from './records.js';

export class CleanedTxnMetadata {
  readonly #ongoingCommitted = new Set<bigint>();
  /** Aborted transactions entered by the pass, by producer: the last of their batches seen. */
  readonly #ongoingAborted = new Map<bigint, { txn: AbortedTxn; lastObservedBatchOffset: bigint | undefined }>();
  /** Aborted transactions not reached yet, by first offset (sorted on use). */
  #pending: AbortedTxn[] = [];
  #sorted = true;
  /** Aborted transactions whose abort marker stays, for a rebuilt transaction index. */
  readonly retainedAborted: AbortedTxn[] = [];

  addAbortedTransactions(txns: readonly AbortedTxn[]): void {
    if (txns.length === 0) return;
    this.#pending.push(...txns);
    this.#sorted = false;
  }

  /** A control batch was read; true when it may be discarded (its horizon aside). */
  onControlBatchRead(lastOffset: bigint, producerId: bigint, type: number | undefined): boolean {
    this.#consumeUpTo(lastOffset);
    // An empty control batch was already cleaned.
    if (type === undefined) return true;
    if (type === ControlRecordType.abort) {
      const meta = this.#ongoingAborted.get(producerId);
      this.#ongoingAborted.delete(producerId);
      // Kept until every batch of the transaction is gone.
      if (meta !== undefined && meta.lastObservedBatchOffset !== undefined) {
        this.retainedAborted.push(meta.txn);
        return false;
      }
      return true;
    }
    if (type === ControlRecordType.commit) return !this.#ongoingCommitted.delete(producerId);
    return false;
  }

  /** A data batch was read; true when it belongs to an aborted transaction. */
  onBatchRead(lastOffset: bigint, producerId: bigint, transactional: boolean): boolean {
    this.#consumeUpTo(lastOffset);
    if (!transactional) return false;
    const meta = this.#ongoingAborted.get(producerId);
    if (meta !== undefined) {
      meta.lastObservedBatchOffset = lastOffset;
      return true;
    }
    this.#ongoingCommitted.add(producerId);
    return false;
  }

  #consumeUpTo(offset: bigint): void {
    if (this.#pending.length === 0) return;
    if (!this.#sorted) {
      this.#pending.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
      this.#sorted = true;
    }
    let n = 0;
    while (n < this.#pending.length && this.#pending[n]!.firstOffset <= offset) {
      const txn = this.#pending[n++]!;
      if (!this.#ongoingAborted.has(txn.producerId)) this.#ongoingAborted.set(txn.producerId, { txn, lastObservedBatchOffset: undefined });
    }
    if (n > 0) this.#pending = this.#pending.slice(n);
  }
}
