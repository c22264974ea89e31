/**
 * Producer ids, handed out in blocks as Kafka's controller does (AllocateProducerIds, blocks
 * of 1000). The end of the block in use is written to `skiff-producer-ids.json` in the data
 * dir before any id from it is given out, so after a restart (clean or not) allocation
 * resumes past every id ever handed out and no id is reused.
 *
 * src/coordinator (producer ids, group/ and txn/) sits on cluster (the internal topics'
 * partition logs) and storage; the request layer calls it, never the reverse.
 */
import { PRODUCER_IDS_FILE, type SegmentStore } from '../storage/index.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000n;
/** Kafka's producer ids stop before Long.MAX_VALUE minus a block. */
const MAX_PRODUCER_ID = 0x7fffffffffffffffn - PRODUCER_ID_BLOCK_SIZE;

export class ProducerIdManager {
  #next: bigint;
  #blockEnd: bigint;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly store: SegmentStore | null,
    nextBlockStart: bigint,
  ) {
    this.#next = nextBlockStart;
    this.#blockEnd = nextBlockStart;
  }

  /** `store` null: in memory only (skiff.memory). */
  static async open(store: SegmentStore | null): Promise<ProducerIdManager> {
    let start = 0n;
    const buf = store ? await store.readWhole(PRODUCER_IDS_FILE) : undefined;
    if (buf !== undefined) {
      const parsed = JSON.parse(buf.toString('utf8')) as { nextBlockStart?: string };
      if (typeof parsed.nextBlockStart !== 'string' || !/^\d+$/.test(parsed.nextBlockStart)) {
        throw new Error(`${PRODUCER_IDS_FILE} is corrupt`);
      }
      start = BigInt(parsed.nextBlockStart);
    }
    return new ProducerIdManager(store, start);
  }

  /** The next unused producer id. */
  generate(): Promise<bigint> {
    const run = this.#chain.then(async () => {
      if (this.#next >= this.#blockEnd) {
        const start = this.#blockEnd;
        const end = start + PRODUCER_ID_BLOCK_SIZE;
        if (end > MAX_PRODUCER_ID) throw new Error('producer ids are exhausted');
        if (this.store) await this.store.writeAtomic(PRODUCER_IDS_FILE, JSON.stringify({ version: 0, nextBlockStart: end.toString() }) + '\n');
        this.#next = start;
        this.#blockEnd = end;
      }
      return this.#next++;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
