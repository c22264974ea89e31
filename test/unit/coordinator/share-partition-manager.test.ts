/** The share partitions as the group coordinator's ShareGroupListener sees them. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { TopicManager } from '../../../src/cluster/topic-manager.js';
import { ShareCoordinator } from '../../../src/coordinator/share/share-coordinator.js';
import { SharePartitionManager } from '../../../src/coordinator/share/share-partition-manager.js';
import { RecordState } from '../../../src/coordinator/share/state-batches.js';
import { ManualClock, MemoryShareStateLog } from '../../support/share-fakes.js';

const TOPIC_ID = 'AQIDBAUGBwgJCgsMDQ4PEA';

function setup() {
  const topics = { byId: (id: string) => (id === TOPIC_ID ? { name: 't', topicId: TOPIC_ID, partitions: 2 } : undefined) } as unknown as TopicManager;
  const coordinator = new ShareCoordinator({ log: new MemoryShareStateLog(1), logger: pino({ level: 'silent' }), updatesPerSnapshot: 500, initialOffset: async () => 0n, topicName: () => 't' });
  const settings = () => ({ lockDurationMs: 30_000, deliveryCountLimit: 5, maxRecordLocks: 100, readCommitted: false, autoOffsetReset: 'earliest' });
  const manager = new SharePartitionManager({ coordinator, topics, settings, maxSessions: 10, logger: pino({ level: 'silent' }), clock: new ManualClock() });
  return { manager, coordinator };
}

const batches = [{ baseOffset: 0n, lastOffset: 9n, skip: false }];

describe('SharePartitionManager as ShareGroupListener', () => {
  it('a member leaving releases what it holds on every partition of the group and ends its session', async () => {
    const { manager } = setup();
    const p0 = await manager.partition('g', TOPIC_ID, 0);
    const p1 = await manager.partition('g', TOPIC_ID, 1);
    const other = await manager.partition('other', TOPIC_ID, 0);
    p0.acquire('a', 0n, batches, 5, true);
    p0.acquire('b', 0n, batches, 5, true);
    p1.acquire('a', 0n, batches, 5, true);
    other.acquire('a', 0n, batches, 5, true);
    manager.sessions.open('g', 'a', [{ topicId: TOPIC_ID, partitions: [0, 1] }]);
    manager.onMemberLeft('g', 'a');
    expect(manager.sessions.get('g', 'a')).toBeUndefined();
    expect([p0.stateOf(0n)?.state, p0.stateOf(5n)?.state, p1.stateOf(0n)?.state, other.stateOf(0n)?.state]).toEqual([RecordState.AVAILABLE, RecordState.ACQUIRED, RecordState.AVAILABLE, RecordState.ACQUIRED]);
  });

  it('a deleted group and a reset partition start over from the coordinator', async () => {
    const { manager, coordinator } = setup();
    const p0 = await manager.partition('g', TOPIC_ID, 0);
    p0.acquire('a', 0n, batches, 5, true);
    await coordinator.resetTo('g', { topicId: TOPIC_ID, topicName: 't', partition: 0 }, 7n);
    const fresh = await manager.partition('g', TOPIC_ID, 0);
    expect(fresh).not.toBe(p0);
    expect(fresh.startOffset).toBe(7n);
    manager.sessions.open('g', 'x', []);
    manager.onGroupDeleted('g');
    expect(manager.sessions.get('g', 'x')).toBeUndefined();
    expect(await manager.partition('g', TOPIC_ID, 0)).not.toBe(fresh);
  });
});
