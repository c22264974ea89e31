/**
 * What the log cleaner asks the partition log about transactions. Another layer (producer
 * state, the .txnindex) answers; until it is plugged in (PartitionLog.txnSourceForCleaner),
 * nothing counts as aborted, the last stable offset is the high watermark, and the cleaner
 * works out each producer's last batch from the log itself.
 */

/** An aborted transaction's offset range, as Kafka's transaction index records it. */
export interface AbortedTxn {
  producerId: bigint;
  /** Offset of the transaction's first data batch. */
  firstOffset: bigint;
  /** Offset of its abort marker. */
  lastOffset: bigint;
}

/** Kafka's LastRecord: an active producer's last data offset (if any) and its epoch. */
export interface LastProducerRecord {
  lastDataOffset: bigint | undefined;
  producerEpoch: number;
}

export interface CleanerTxnSource {
  /** Aborted transactions whose range overlaps [from, to) (Kafka's collectAbortedTransactions). */
  abortedTransactions(from: bigint, to: bigint): readonly AbortedTxn[] | Promise<readonly AbortedTxn[]>;
  /**
   * Producers whose state must survive cleaning: the batch holding their last data offset (or,
   * without one, their last marker) is kept, emptied if need be, so sequence and epoch checks
   * still hold. Unset: every producer id found in the log counts as active.
   */
  lastRecordsOfActiveProducers?(): ReadonlyMap<bigint, LastProducerRecord>;
  /** The cleaner never passes the first offset of an open transaction. Unset: the high watermark. */
  lastStableOffset?(): bigint;
}
