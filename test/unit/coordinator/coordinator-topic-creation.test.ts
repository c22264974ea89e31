/**
 * The coordinators' internal topics are listed as soon as their creation starts, but their
 * partitions open one by one after that. Until a partition is open, its coordinator answers
 * COORDINATOR_LOAD_IN_PROGRESS (and FindCoordinator COORDINATOR_NOT_AVAILABLE), and callers
 * that need the topic wait for the creation instead of appending to a partition not open yet.
 * The partition opening is held here so the window is deterministic.
 */
import { describe, expect, it } from 'vitest';
import type { TopicManager } from '../../../src/cluster/topic-manager.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../../src/cluster/topic-names.js';
import type { BrokerConfig } from '../../../src/config.js';
import { GroupCoordinator, type JoinParams } from '../../../src/coordinator/group/group-coordinator.js';
import { openOffsetsTopic } from '../../../src/coordinator/group/offsets-topic.js';
import type { ProducerIdManager } from '../../../src/coordinator/producer-ids.js';
import { TransactionCoordinator } from '../../../src/coordinator/txn/transaction-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';

const logger = createLogger({ level: 'silent' });

/** The TopicManager calls the coordinators make; `create` lists the topic, then waits for `open()`. */
class SlowTopics {
  readonly #topics = new Map<string, number>();
  readonly #logs = new Map<string, PartitionLog>();
  #open: (() => void) | undefined;

  get(name: string) {
    const partitions = this.#topics.get(name);
    return partitions === undefined ? undefined : { name, partitions };
  }

  partition(topic: string, p: number): PartitionLog | undefined {
    return this.#logs.get(`${topic}-${p}`);
  }

  async create(spec: { name: string; numPartitions: number }) {
    this.#topics.set(spec.name, spec.numPartitions);
    await new Promise<void>((resolve) => (this.#open = resolve));
    for (let p = 0; p < spec.numPartitions; p++) {
      this.#logs.set(`${spec.name}-${p}`, await PartitionLog.open({ store: new MemorySegmentStore(), topic: spec.name, partition: p, logger }));
    }
    return this.get(spec.name);
  }

  /** Lets the creation in flight open its partitions. */
  open(): void {
    this.#open?.();
  }

  async close(): Promise<void> {
    for (const l of this.#logs.values()) await l.close();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

/** Whether `p` settled within a few turns of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await tick();
  return done;
}

const SUB = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
function join(over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 1000,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }], requireKnownMemberId: true, supportsSkipAssignment: false, ...over,
  };
}

describe('__consumer_offsets while it is being created', () => {
  it('the group coordinator answers COORDINATOR_LOAD_IN_PROGRESS, and a second caller waits for the creation', async () => {
    const topics = new SlowTopics();
    const config = { values: { 'offsets.topic.num.partitions': 3, 'offsets.topic.segment.bytes': 1 << 20 } } as unknown as BrokerConfig;
    const log = await openOffsetsTopic(topics as unknown as TopicManager, config);
    const groups = new GroupCoordinator({ log, logger, config: { initialRebalanceDelayMs: 0 } });
    try {
      await groups.load();
      expect(groups.isLoading('g')).toBe(false);

      const first = groups.ensureTopic();
      await tick();
      expect(topics.get(CONSUMER_OFFSETS_TOPIC)).toBeDefined();
      expect(groups.isLoading('g')).toBe(true);
      // A second FindCoordinator must not find the topic ready while its partitions are opening.
      const second = groups.ensureTopic();
      expect(await settled(second)).toBe(false);
      await expect(groups.join(join())).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
      await expect(groups.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });

      topics.open();
      await Promise.all([first, second]);
      expect(groups.isLoading('g')).toBe(false);
      const joined = await groups.join(join());
      expect(joined.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      const member = await groups.join(join({ memberId: joined.memberId }));
      expect(member.errorCode).toBe(ErrorCode.NONE);
      const synced = await groups.sync({ groupId: 'g', generationId: member.generationId, memberId: member.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: member.memberId, assignment: Buffer.from('A') }] });
      expect(synced.errorCode).toBe(ErrorCode.NONE);
    } finally {
      await groups.close();
      await topics.close();
    }
  });
});

describe('__transaction_state while it is being created', () => {
  it('a second InitProducerId waits for the creation instead of failing', async () => {
    const topics = new SlowTopics();
    let nextId = 1000n;
    const producerIds = { generate: async () => nextId++ } as unknown as ProducerIdManager;
    const txns = new TransactionCoordinator({
      topics: topics as unknown as TopicManager,
      producerIds,
      logger,
      config: { numPartitions: 3, segmentBytes: 1 << 20, maxTimeoutMs: 900_000, transactionalIdExpirationMs: 604_800_000, abortTimedOutIntervalMs: 10_000, removeExpiredIntervalMs: 3_600_000, offsetsTopicPartitions: 3 },
    });
    try {
      const a = txns.initProducerId('a', 60_000);
      await tick();
      expect(topics.get(TRANSACTION_STATE_TOPIC)).toBeDefined();
      const b = txns.initProducerId('b', 60_000);
      expect(await settled(b)).toBe(false);
      topics.open();
      expect((await a).errorCode).toBe(ErrorCode.NONE);
      expect((await b).errorCode).toBe(ErrorCode.NONE);
    } finally {
      await txns.close();
      await topics.close();
    }
  });
});
