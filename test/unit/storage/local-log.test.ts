import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLog } from '../../../src/storage/local-log.js';
import { describeBatches, makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

/** A batch of `records` records at `baseOffset` (the CRC does not cover the base offset). */
function batchAt(baseOffset: bigint, records = 2): Buffer {
  const b = makeBatch({ records, timestamp: 1_700_000_000_000n + baseOffset });
  b.writeBigInt64BE(baseOffset, 0);
  return b;
}

describe.each(storeModes)('LocalLog on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  let log: LocalLog;
  beforeEach(async () => {
    fx = makeStore();
    log = await LocalLog.open(fx.store, 't-0', { clean: true, recoveryPoint: 0n, logStartOffset: 0n, config: { indexIntervalBytes: 1 }, logger: silent });
  });
  afterEach(async () => {
    await log.close(log.active.nextOffset).catch(() => undefined);
    fx.cleanup();
  });

  /** Appends `n` two-record batches from `from`, one run each, and publishes them. */
  async function appendBatches(from: bigint, n: number): Promise<Array<[bigint, bigint]>> {
    const seen: Array<[bigint, bigint]> = [];
    for (let i = 0; i < n; i++) {
      await log.append([{ buf: batchAt(from + BigInt(2 * i)), starts: [0] }], 0, (_bytes, base, last) => seen.push([base, last]));
    }
    log.active.publish();
    return seen;
  }

  it('appends whole batches to the active segment, reporting each, and reads them back', async () => {
    expect(await appendBatches(0n, 3)).toEqual([
      [0n, 1n],
      [2n, 3n],
      [4n, 5n],
    ]);
    expect(log.active.nextOffset).toBe(6n);
    const [records, next] = await log.readCold(2n, 10_000, true, 6n);
    expect(describeBatches(records).map((d) => d.base)).toEqual([2n, 4n]);
    expect(next).toBe(6n);
    // Nothing at or past the limit is returned.
    expect((await log.readCold(2n, 10_000, true, 4n))[1]).toBe(4n);
  });

  it('rolls to a new segment and moves the recovery point once the old one is flushed', async () => {
    await appendBatches(0n, 2);
    await log.roll(4n, 0);
    await appendBatches(4n, 1);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([0n, 4n]);
    expect(log.segmentBaseOf(3n)).toBe(0n);
    expect(log.segmentBaseOf(5n)).toBe(4n);
    await log.flush(6n);
    expect(log.recoveryPoint).toBe(6n);
  });

  it('truncates inside the active segment, or to an empty log below the first segment', async () => {
    await appendBatches(0n, 2);
    await log.roll(4n, 0);
    await appendBatches(4n, 2);
    await log.flush(8n);
    // A whole batch: truncating to 5 removes the batch holding offset 5 (4-5).
    expect(await log.truncateTo(5n)).toBe(4n);
    expect(log.segments.map((s) => [s.baseOffset, s.nextOffset, s.size === 0])).toEqual([
      [0n, 4n, false],
      [4n, 4n, true],
    ]);
    expect(log.recoveryPoint).toBe(4n);
    expect(await log.truncateTo(0n)).toBe(0n);
    expect(log.segments.map((s) => s.size)).toEqual([0]);
  });

  it('takes the oldest segments out of the list at once, their files renamed until retired', async () => {
    await appendBatches(0n, 1);
    await log.roll(2n, 0);
    await appendBatches(2n, 1);
    const removed = log.removeOldest(1);
    expect(removed.map((s) => s.baseOffset)).toEqual([0n]);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([2n]);
    await log.retire(removed[0]!);
    expect(removed[0]!.deleted).toBe(true);
    expect((await fx.store.list('t-0')).filter((n) => n.startsWith('00000000000000000000.log'))).toEqual(['00000000000000000000.log.deleted']);
  });
});
