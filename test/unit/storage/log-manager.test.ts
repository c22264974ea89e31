import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/storage/log-manager.js';
import { TopicStore, isValidTopicName } from '../../../src/storage/topic-store.js';
import { ErrorCode } from '../../../src/errors.js';
import { logConfigFromTopicConfigs } from '../../../src/storage/log-config.js';
import { describeBatches, makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

describe.each(storeModes)('LogManager on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  const openManager = () =>
    LogManager.open({ store: fx.store, logger: silent, schedulerIntervalMs: 0, defaults: { segmentBytes: 1000 } });

  it('creates partitions with Kafka metadata files and finds them again after a clean restart', async () => {
    const m = await openManager();
    const a = await m.createPartition('orders', 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    const b = await m.createPartition('orders', 1, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    expect(await m.createPartition('orders', 0)).toBe(a);
    for (let i = 0; i < 20; i++) await a.append(makeBatch({ records: 2 }));
    await b.append(makeBatch({ records: 5 }));
    expect((await fx.store.readWhole('orders-0/partition.metadata'))?.toString()).toBe(
      'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n',
    );
    await m.close();
    expect(await fx.store.readWhole('.kafka_cleanshutdown')).toBeDefined();
    const rp = (await fx.store.readWhole('recovery-point-offset-checkpoint'))!.toString().split('\n');
    expect(rp.slice(0, 2)).toEqual(['0', '2']);
    expect(rp).toContain('orders 0 40');
    expect(rp).toContain('orders 1 5');

    const again = await openManager();
    expect(await fx.store.readWhole('.kafka_cleanshutdown')).toBeUndefined();
    expect(again.topicIdOf('orders')).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(again.get('orders', 0)!.logEndOffset).toBe(40n);
    expect(again.get('orders', 1)!.logEndOffset).toBe(5n);
    expect(again.get('orders', 0)!.segmentInfo().length).toBeGreaterThan(1);
    await again.close();
  });

  it('keeps DeleteRecords across restarts and recovers after a crash', async () => {
    const m = await openManager();
    const log = await m.createPartition('t', 0);
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2 }));
    await log.deleteRecordsBefore(17n);
    await m.checkpoint();
    expect((await fx.store.readWhole('log-start-offset-checkpoint'))!.toString()).toBe('0\n1\nt 0 17\n');
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ records: 2 }));
    // No close: the next manager sees no clean-shutdown marker and scans.
    const crashed = await openManager();
    const again = crashed.get('t', 0)!;
    expect(again.logStartOffset).toBe(17n);
    expect(again.logEndOffset).toBe(70n);
    const r = await again.read(17n, 100);
    expect(describeBatches(r.records)[0]!.base).toBe(16n);
    await expect(again.read(15n, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await crashed.close();
    await m.close();
  });

  it('deletes partitions and applies topic config changes live', async () => {
    const m = await openManager();
    const logs = await Promise.all([0, 1, 2].map((p) => m.createPartition('gone', p)));
    await m.createPartition('kept', 0);
    await logs[0]!.append(makeBatch());
    expect(await m.deleteTopic('gone')).toBe(3);
    expect(m.get('gone', 0)).toBeUndefined();
    expect(await fx.store.list('gone-0')).toEqual([]);
    m.updateTopicConfig('kept', logConfigFromTopicConfigs({ 'segment.bytes': '1', 'retention.ms': '-1' }));
    const kept = m.get('kept', 0)!;
    expect(kept.config.segmentBytes).toBe(1);
    expect(kept.config.retentionMs).toBe(-1);
    await kept.append(makeBatch());
    await kept.append(makeBatch());
    expect(kept.segmentInfo().length).toBe(2);
    expect(await m.runRetention(Date.now() + 1e12)).toBe(0);
    await m.close();
  });
});

describe.each(storeModes)('TopicStore on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  it('persists topics, ids, partition counts and configs', async () => {
    const ts = await TopicStore.open(fx.store);
    const t = await ts.create('events', 3, { 'cleanup.policy': 'delete' });
    expect(t.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await ts.create('other', 1, {}, 'AAAAAAAAAAAAAAAAAAAAAg');
    await expect(ts.create('events', 1)).rejects.toThrow(/exists/);
    await expect(ts.create('bad name', 1)).rejects.toThrow(RangeError);
    await ts.setPartitionCount('events', 5);
    await expect(ts.setPartitionCount('events', 4)).rejects.toThrow(RangeError);
    await ts.alterConfigs('events', { 'retention.ms': '1000', 'cleanup.policy': null });
    await ts.delete('other');

    const again = await TopicStore.open(fx.store);
    expect(again.list()).toEqual([{ name: 'events', topicId: t.topicId, partitions: 5, configs: { 'retention.ms': '1000' } }]);
    expect(again.byId(t.topicId)?.name).toBe('events');
    expect(again.byId('AAAAAAAAAAAAAAAAAAAAAg')).toBeUndefined();
  });

  it('knows Kafka topic name rules', () => {
    expect(isValidTopicName('a.b_c-1')).toBe(true);
    expect(isValidTopicName('..')).toBe(false);
    expect(isValidTopicName('x'.repeat(250))).toBe(false);
    expect(isValidTopicName('ü')).toBe(false);
  });
});
