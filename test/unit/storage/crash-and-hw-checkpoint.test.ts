/**
 * A replicated log's high watermark survives a restart through replication-offset-checkpoint
 * (Kafka's format), so a restarted replica starts from it rather than from its log end; a
 * crash loses the unflushed tail (torn mid-batch) and the next start's recovery cuts it; a
 * follower far behind the leader's log start empties its log and starts there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/storage/log-manager.js';
import { ErrorCode } from '../../../src/errors.js';
import { makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

describe.each(storeModes)('crash-stop and the high watermark checkpoint on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  const openManager = () => LogManager.open({ store: fx.store, logger: silent, schedulerIntervalMs: 0, defaults: { segmentBytes: 1000 } });

  it('starts a replicated log from its checkpointed high watermark, not its log end', async () => {
    const m = await openManager();
    const log = await m.createPartition('r', 0);
    log.setReplicated();
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ records: 2 }));
    log.advanceHighWatermark(6n);
    await m.close();
    expect((await fx.store.readWhole('replication-offset-checkpoint'))!.toString()).toBe('0\n1\nr 0 6\n');

    const again = await openManager();
    const reopened = again.get('r', 0)!;
    expect(reopened.logEndOffset).toBe(10n);
    reopened.setReplicated();
    expect(reopened.highWatermark).toBe(6n);
    await again.close();
  });

  it('loses the unflushed tail in a crash, and recovery cuts the torn batch', async () => {
    const m = await openManager();
    const log = await m.createPartition('c', 0);
    for (let i = 0; i < 4; i++) await log.append(makeBatch({ records: 3 }));
    await log.flush();
    for (let i = 0; i < 3; i++) await log.append(makeBatch({ records: 3 }));
    expect(log.logEndOffset).toBe(21n);
    await m.crash();
    // Nothing was written on the way out.
    expect(await fx.store.readWhole('.kafka_cleanshutdown')).toBeUndefined();

    const again = await openManager();
    const recovered = again.get('c', 0)!;
    expect(recovered.logEndOffset).toBe(12n);
    const r = await recovered.read(0n, 1 << 20);
    expect(r.nextOffset).toBe(12n);
    await recovered.append(makeBatch({ records: 1 }));
    expect(recovered.logEndOffset).toBe(13n);
    await again.close();
  });

  it('empties a log and starts it at an offset past its end', async () => {
    const m = await openManager();
    const log = await m.createPartition('f', 0);
    for (let i = 0; i < 3; i++) await log.append(makeBatch({ records: 2 }));
    await log.truncateFullyAndStartAt(40n);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([40n, 40n, 40n]);
    await expect(log.read(2n, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    const appended = await log.append(makeBatch({ records: 2 }));
    expect(appended.baseOffset).toBe(40n);
    await m.close();
    const again = await openManager();
    expect([again.get('f', 0)!.logStartOffset, again.get('f', 0)!.logEndOffset]).toEqual([40n, 42n]);
    await again.close();
  });
});
