/**
 * The share partitions this broker leads, per share group (Kafka's SharePartitionManager):
 * each is loaded from the share coordinator on first use (or started at the group's
 * share.auto.offset.reset), acquires records read from the partition's log for ShareFetch,
 * takes acknowledgements, and persists its changes through the coordinator. It also holds the
 * share sessions, and is the ShareGroupListener the group coordinator tells about members
 * leaving and groups being deleted.
 */
import type { TopicManager } from '../../cluster/topic-manager.js';
import type { Logger } from '../../log.js';
import { KafkaError, StorageError } from '../../errors.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { batches } from '../../protocol/records/record-batch.js';
import type { PartitionLog } from '../../storage/index.js';
import type { ShareCoordinator } from './share-coordinator.js';
import { type ShareGroupSettings, initialStartOffset } from './share-group-settings.js';
import { type AcknowledgementBatch, type AcquiredRange, type LogBatchInfo, type ShareClock, SYSTEM_CLOCK, SharePartition } from './share-partition.js';
import type { ShareGroupListener, SharePartitionRef } from './share-state-contract.js';
import { type ShareSession, ShareSessionCache } from './share-sessions.js';

export interface SharePartitionManagerOptions {
  coordinator: ShareCoordinator;
  topics: TopicManager;
  settings: (groupId: string) => ShareGroupSettings;
  /** group.share.max.share.sessions */
  maxSessions: number;
  logger: Logger;
  clock?: ShareClock;
}

export interface AcquiredPartition {
  /** Whole log batches holding the acquired records. */
  records: Buffer[];
  bytes: number;
  acquired: AcquiredRange[];
}

const NOTHING: AcquiredPartition = { records: [], bytes: 0, acquired: [] };

function keyOf(groupId: string, topicId: string, partition: number): string {
  return `${groupId}\u0000${topicId}\u0000${partition}`;
}

export class SharePartitionManager implements ShareGroupListener {
  readonly sessions: ShareSessionCache;
  readonly #opts: SharePartitionManagerOptions;
  readonly #clock: ShareClock;
  readonly #partitions = new Map<string, { groupId: string; loading: Promise<SharePartition>; loaded?: SharePartition }>();

  constructor(opts: SharePartitionManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? SYSTEM_CLOCK;
    this.sessions = new ShareSessionCache(opts.maxSessions);
    opts.coordinator.onReset((groupId, topicId, partition) => this.#drop(keyOf(groupId, topicId, partition)));
  }

  settings(groupId: string): ShareGroupSettings {
    return this.#opts.settings(groupId);
  }

  /** The share partition of a group, loaded (or initialized) on first use. */
  partition(groupId: string, topicId: string, partition: number): Promise<SharePartition> {
    const key = keyOf(groupId, topicId, partition);
    const existing = this.#partitions.get(key);
    if (existing) return existing.loading;
    const slot: { groupId: string; loading: Promise<SharePartition>; loaded?: SharePartition } = { groupId, loading: undefined as unknown as Promise<SharePartition> };
    slot.loading = this.#load(groupId, topicId, partition).then(
      (sp) => {
        // Reset or deleted while loading: this one is stale.
        if (this.#partitions.get(key) !== slot) sp.close();
        else slot.loaded = sp;
        return sp;
      },
      (err: unknown) => {
        if (this.#partitions.get(key) === slot) this.#partitions.delete(key);
        throw err;
      },
    );
    this.#partitions.set(key, slot);
    return slot.loading;
  }

  async #load(groupId: string, topicId: string, partition: number): Promise<SharePartition> {
    const info = this.#opts.topics.byId(topicId);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID);
    const ref: SharePartitionRef = { topicId, topicName: info.name, partition };
    const state = await this.#opts.coordinator.readOrInitialize(groupId, ref);
    const settings = this.#opts.settings(groupId);
    return new SharePartition({
      startOffset: state.startOffset,
      stateBatches: state.stateBatches,
      clock: this.#clock,
      limits: {
        maxDeliveryCount: settings.deliveryCountLimit,
        maxInFlightRecords: settings.maxRecordLocks,
        lockDurationMs: () => this.#opts.settings(groupId).lockDurationMs,
      },
      persist: (w) => this.#opts.coordinator.write(groupId, topicId, partition, { ...w, stateEpoch: state.stateEpoch }),
    });
  }

  /** Where a group starts on a partition it has no state for. */
  static initialOffset(topics: TopicManager, settings: (groupId: string) => ShareGroupSettings, now: () => number) {
    return async (groupId: string, ref: SharePartitionRef): Promise<bigint> => {
      const log = topics.partition(ref.topicName, ref.partition);
      if (!log) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      return initialStartOffset(log, settings(groupId).autoOffsetReset, now());
    };
  }

  /**
   * Reads the partition's log where the share partition wants to continue and acquires what
   * it can for the member: no more than `maxBytes` of batches, `maxRecords` records.
   */
  async acquire(groupId: string, memberId: string, log: PartitionLog, topicId: string, partition: number, limits: { maxRecords: number; recordLimit: boolean; maxBytes: number; minOneBatch: boolean }): Promise<AcquiredPartition> {
    const sp = await this.partition(groupId, topicId, partition);
    if (log.logStartOffset > sp.startOffset) await sp.updateLogStartOffset(log.logStartOffset);
    if (!sp.canAcquire() || limits.maxRecords <= 0) return NOTHING;
    const readCommitted = this.#opts.settings(groupId).readCommitted;
    const upTo = readCommitted ? log.lastStableOffset : log.highWatermark;
    const from = sp.nextFetchOffset();
    if (from >= upTo) return NOTHING;
    let read;
    try {
      read = await log.read(from, limits.maxBytes, { minOneBatch: limits.minOneBatch, upTo });
    } catch (err) {
      // Retention moved the log start under the read: the next fetch starts over from it.
      if (err instanceof StorageError && err.code === ErrorCode.OFFSET_OUT_OF_RANGE) return NOTHING;
      throw err;
    }
    const aborted = readCommitted ? log.abortedTransactions(from, upTo) : [];
    const found: Array<{ info: LogBatchInfo; bytes: Buffer }> = [];
    for (const buf of read.records as Buffer[]) {
      for (const { header, at, size } of batches(buf)) {
        const isAborted = header.isTransactional && aborted.some((t) => t.producerId === header.producerId && t.firstOffset <= header.baseOffset && header.baseOffset <= t.lastOffset);
        found.push({ info: { baseOffset: header.baseOffset, lastOffset: header.lastOffset, skip: header.isControl || isAborted }, bytes: buf.subarray(at, at + size) });
      }
    }
    const acquired = sp.acquire(memberId, from, found.map((f) => f.info), limits.maxRecords, limits.recordLimit);
    if (acquired.length === 0) return NOTHING;
    const records: Buffer[] = [];
    let bytes = 0;
    for (const f of found) {
      if (acquired.some((r) => r.firstOffset <= f.info.lastOffset && f.info.baseOffset <= r.lastOffset)) {
        records.push(f.bytes);
        bytes += f.bytes.length;
      }
    }
    return { records, bytes, acquired };
  }

  async acknowledge(groupId: string, memberId: string, topicId: string, partition: number, batches: readonly AcknowledgementBatch[], allowRenew: boolean): Promise<number> {
    try {
      const sp = await this.partition(groupId, topicId, partition);
      return await sp.acknowledge(memberId, batches, allowRenew);
    } catch (err) {
      if (err instanceof KafkaError) return err.code;
      throw err;
    }
  }

  /**
   * Resolves when a record may have become available on one of the partitions (an append to
   * its log, a release, a lock running out), after `ms`, or when `signal` aborts.
   */
  async waitForRecords(groupId: string, parts: ReadonlyArray<{ log: PartitionLog; topicId: string; partition: number }>, ms: number, signal: AbortSignal): Promise<void> {
    const shares = await Promise.all(parts.map((p) => this.partition(groupId, p.topicId, p.partition).catch(() => undefined)));
    await new Promise<void>((resolve) => {
      const unsubscribe: Array<() => void> = [];
      const done = () => {
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const p of parts) unsubscribe.push(p.log.onAppend(done));
      for (const sp of shares) if (sp) unsubscribe.push(sp.onAvailable(done));
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
    });
  }

  /** Ends a session: the member's acquired records on its partitions are released. */
  async closeSession(session: ShareSession): Promise<void> {
    this.sessions.remove(session);
    await this.#releaseMember(session.groupId, session.memberId, session);
  }

  async #releaseMember(groupId: string, memberId: string, only?: ShareSession): Promise<void> {
    const releases: Array<Promise<void>> = [];
    for (const [key, slot] of this.#partitions) {
      if (slot.groupId !== groupId || !slot.loaded) continue;
      if (only) {
        const [, topicId, p] = key.split('\u0000');
        if (!only.partitions.get(topicId!)?.has(Number(p))) continue;
      }
      releases.push(slot.loaded.releaseMember(memberId).catch((err: unknown) => this.#opts.logger.warn({ err, groupId }, 'could not persist released share records')));
    }
    await Promise.all(releases);
  }

  // ---- ShareGroupListener ----

  onMemberLeft(groupId: string, memberId: string): void {
    this.sessions.removeMember(groupId, memberId);
    void this.#releaseMember(groupId, memberId);
  }

  onGroupDeleted(groupId: string): void {
    for (const s of this.sessions.ofGroup(groupId)) this.sessions.remove(s);
    for (const [key, slot] of this.#partitions) if (slot.groupId === groupId) this.#drop(key);
  }

  #drop(key: string): void {
    const slot = this.#partitions.get(key);
    if (!slot) return;
    this.#partitions.delete(key);
    slot.loaded?.close();
  }

  close(): void {
    for (const key of [...this.#partitions.keys()]) this.#drop(key);
  }
}
