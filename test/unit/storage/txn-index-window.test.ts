/**
 * The window between a write that completes several transactions and the writes of their
 * .txnindex entries: a read_committed fetch in it must list every aborted transaction below
 * the last stable offset, or the consumer delivers aborted records. The txnindex file writes
 * are held open here so that the window is observed deterministically.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildBatch, buildTransactionMarker } from '../../../src/protocol/records/records.js';
import { FileSegmentStore } from '../../../src/storage/file-store.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { TXN_INDEX_SUFFIX } from '../../../src/storage/file-names.js';
import { silent } from './store-modes.js';

/** A file store whose .txnindex writes wait until `release()` once `hold()` was called. */
class HeldIndexStore extends FileSegmentStore {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  /** Resolves when a held write has started. */
  reached: Promise<void> = Promise.resolve();
  #reached: (() => void) | undefined;

  hold(): void {
    this.#held = new Promise((resolve) => (this.#release = resolve));
    this.reached = new Promise((resolve) => (this.#reached = resolve));
  }

  release(): void {
    this.#release?.();
    this.#held = undefined;
  }

  override async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    if (this.#held !== undefined && path.endsWith(TXN_INDEX_SUFFIX)) {
      this.#reached?.();
      await this.#held;
    }
    return super.writeAtomic(path, data);
  }
}

const T0 = BigInt(Date.now());

function txnBatch(pid: bigint): Buffer {
  return buildBatch({
    producerId: pid,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
    baseTimestamp: T0,
    records: [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`p${pid}-${i}`) })),
  });
}

function abortMarker(pid: bigint): Buffer {
  return buildTransactionMarker({ producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: T0 });
}

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

it('lists every aborted transaction below the last stable offset while their index entries are being written', async () => {
  root = mkdtempSync(join(tmpdir(), 'skiff-txnindex-'));
  const store = new HeldIndexStore(root);
  const log = await PartitionLog.open({ store, topic: 't', partition: 0, logger: silent, clean: true });
  try {
    await log.append(txnBatch(1n)); // 0-2
    await log.append(txnBatch(2n)); // 3-5
    expect(log.lastStableOffset).toBe(0n);

    store.hold();
    // Both aborts in one write, as when the coordinator's markers queue behind a write in flight.
    const markers = log.append(Buffer.concat([abortMarker(1n), abortMarker(2n)]), { origin: 'coordinator' }); // 6, 7
    await store.reached;

    // What a read_committed fetch sees now: records below the LSO and the aborted list for them.
    const lso = log.lastStableOffset;
    // Both transactions are closed; the markers themselves are not published yet.
    expect(lso).toBe(6n);
    expect(log.abortedTransactions(0n, lso)).toMatchObject([
      { producerId: 1n, firstOffset: 0n },
      { producerId: 2n, firstOffset: 3n },
    ]);

    store.release();
    await markers;
    expect(log.lastStableOffset).toBe(8n);
    expect(log.abortedTransactions(0n, 8n)).toMatchObject([
      { producerId: 1n, firstOffset: 0n },
      { producerId: 2n, firstOffset: 3n },
    ]);
  } finally {
    store.release();
    await log.close();
  }
});
