/**
 * The share coordinator (Kafka's ShareCoordinatorShard over __share_group_state): the durable
 * state of every share partition, keyed by (group, topic id, partition), kept as Kafka's
 * records. The first write of a key is a ShareSnapshot; later writes are ShareUpdates laid
 * over it, until share.coordinator.snapshot.update.records.per.snapshot updates have been
 * written, when the next write is a new snapshot (the merged state, snapshot epoch + 1).
 * Replay at startup goes through the same `replay` as every write. Records older than the
 * oldest snapshot still in use in a partition are pruned.
 *
 * Writes of one state partition are appended one at a time, in call order, so a share
 * partition's changes land in the order it made them. A write that names another state
 * epoch than the stored one (the state was reset or deleted since) is refused with
 * FENCED_STATE_EPOCH.
 */
import type { Logger } from '../../log.js';
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { batches } from '../../protocol/records/record-batch.js';
import { buildBatch, decodeRecords } from '../../protocol/records/records.js';
import type { SharePartitionRef, SharePartitionSummary, ShareStateStore } from './share-state-contract.js';
import { type ShareStateRecord, type SharePartitionKey, decodeShareStateRecord, encodeShareStateKey, encodeShareStateValue } from './share-state-records.js';
import type { ShareStateLog } from './share-state-topic.js';
import { type StateRange, mergeStateBatches } from './state-batches.js';

/** The state of one share partition as the coordinator keeps it (Kafka's ShareGroupOffset). */
export interface PersistedShareState {
  snapshotEpoch: number;
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: bigint;
  createTimestamp: bigint;
  writeTimestamp: bigint;
  stateBatches: StateRange[];
}

interface Entry {
  state: PersistedShareState;
  /** ShareUpdates written since the last snapshot. */
  updates: number;
  /** Offset of the last snapshot in the state partition (what pruning may not pass). */
  snapshotOffset: bigint;
}

export interface ShareStateUpdate {
  startOffset: bigint;
  stateBatches: readonly StateRange[];
  /** The state epoch the writer loaded; a different stored one fences the write. */
  stateEpoch: number;
}

export interface ShareCoordinatorOptions {
  log: ShareStateLog;
  logger: Logger;
  now?: () => number;
  /** share.coordinator.snapshot.update.records.per.snapshot */
  updatesPerSnapshot: number;
  /** Where a partition without state starts: the group's share.auto.offset.reset. */
  initialOffset: (groupId: string, partition: SharePartitionRef) => Promise<bigint>;
  /** A topic's name by id, undefined once it is deleted. */
  topicName: (topicId: string) => string | undefined;
}

function keyOf(groupId: string, topicId: string, partition: number): string {
  return `${groupId}\u0000${topicId}\u0000${partition}`;
}

/** Java's String.hashCode, which Kafka uses to place a share partition's state. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export class ShareCoordinator implements ShareStateStore {
  readonly #opts: ShareCoordinatorOptions;
  readonly #now: () => number;
  readonly #states = new Map<string, Entry & { key: SharePartitionKey }>();
  readonly #chains = new Map<number, Promise<unknown>>();
  readonly #resetListeners = new Set<(groupId: string, topicId: string, partition: number) => void>();

  constructor(opts: ShareCoordinatorOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** The partition of __share_group_state holding a share partition's state (Kafka's partitionFor). */
  statePartitionFor(groupId: string, topicId: string, partition: number): number {
    return Math.abs(javaStringHash(`${groupId}:${topicId}:${partition}`) % this.#opts.log.partitions);
  }

  /** Replays every state partition. */
  async load(): Promise<void> {
    for (let p = 0; p < this.#opts.log.partitions; p++) {
      for await (const buf of this.#opts.log.readBatches(p)) {
        for (const { header, at } of batches(buf)) {
          if (header.isControl) continue;
          let delta = 0n;
          for (const rec of decodeRecords(buf, at)) {
            if (rec.key !== null) {
              const decoded = decodeShareStateRecord(Buffer.from(rec.key), rec.value === null ? null : Buffer.from(rec.value));
              if (decoded) this.#replay(decoded, header.baseOffset + delta);
            }
            delta++;
          }
        }
      }
    }
  }

  /** Told when a partition's state is reset or deleted, so that its in-memory share partition is dropped. */
  onReset(fn: (groupId: string, topicId: string, partition: number) => void): void {
    this.#resetListeners.add(fn);
  }

  read(groupId: string, topicId: string, partition: number): PersistedShareState | undefined {
    return this.#states.get(keyOf(groupId, topicId, partition))?.state;
  }

  /** Writes a change: a ShareUpdate, or a ShareSnapshot of the merged state when enough updates piled up. */
  write(groupId: string, topicId: string, partition: number, update: ShareStateUpdate): Promise<void> {
    const key: SharePartitionKey = { groupId, topicId, partition };
    return this.#serialize(this.statePartitionFor(groupId, topicId, partition), () => {
      const entry = this.#states.get(keyOf(groupId, topicId, partition));
      if (entry === undefined || entry.state.stateEpoch !== update.stateEpoch) throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `the state of ${groupId} ${topicId}-${partition} changed`);
      const now = BigInt(this.#now());
      const s = entry.state;
      if (entry.updates >= this.#opts.updatesPerSnapshot) {
        const stateBatches = mergeStateBatches(s.stateBatches, update.stateBatches, update.startOffset);
        return { type: 'snapshot', key, value: { snapshotEpoch: s.snapshotEpoch + 1, stateEpoch: s.stateEpoch, leaderEpoch: s.leaderEpoch, startOffset: update.startOffset, deliveryCompleteCount: -1, createTimestamp: s.createTimestamp, writeTimestamp: now, stateBatches } };
      }
      return { type: 'update', key, value: { snapshotEpoch: s.snapshotEpoch, leaderEpoch: s.leaderEpoch, startOffset: update.startOffset, deliveryCompleteCount: -1, stateBatches: [...update.stateBatches] } };
    });
  }

  /** A new state (snapshot) at `startOffset` with no in-flight records: the next state epoch. */
  #initialize(groupId: string, topicId: string, partition: number, startOffset: bigint): Promise<void> {
    const key: SharePartitionKey = { groupId, topicId, partition };
    return this.#serialize(this.statePartitionFor(groupId, topicId, partition), () => {
      const s = this.#states.get(keyOf(groupId, topicId, partition))?.state;
      const now = BigInt(this.#now());
      return {
        type: 'snapshot',
        key,
        value: { snapshotEpoch: s ? s.snapshotEpoch + 1 : 0, stateEpoch: s ? s.stateEpoch + 1 : 0, leaderEpoch: s?.leaderEpoch ?? 0, startOffset, deliveryCompleteCount: -1, createTimestamp: now, writeTimestamp: now, stateBatches: [] },
      };
    });
  }

  /** The state of a partition, created at the group's share.auto.offset.reset position when there is none. */
  async readOrInitialize(groupId: string, ref: SharePartitionRef): Promise<PersistedShareState> {
    await this.ensureInitialized(groupId, [ref]);
    const s = this.read(groupId, ref.topicId, ref.partition);
    if (!s) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'share state not initialized');
    return s;
  }

  // ---- ShareStateStore (the group coordinator's side) ----

  async ensureInitialized(groupId: string, partitions: readonly SharePartitionRef[]): Promise<void> {
    for (const ref of partitions) {
      if (this.read(groupId, ref.topicId, ref.partition)) continue;
      const offset = await this.#opts.initialOffset(groupId, ref);
      // Another initialization may have won while the offset was looked up.
      if (!this.read(groupId, ref.topicId, ref.partition)) await this.#initialize(groupId, ref.topicId, ref.partition, offset);
    }
  }

  async readSummary(groupId: string, partition: SharePartitionRef): Promise<SharePartitionSummary | undefined> {
    const s = this.read(groupId, partition.topicId, partition.partition);
    return s && { startOffset: s.startOffset, stateEpoch: s.stateEpoch, leaderEpoch: s.leaderEpoch };
  }

  partitionsOf(groupId: string): readonly SharePartitionRef[] {
    const out: SharePartitionRef[] = [];
    for (const { key } of this.#states.values()) {
      if (key.groupId !== groupId) continue;
      const topicName = this.#opts.topicName(key.topicId);
      if (topicName !== undefined) out.push({ topicId: key.topicId, topicName, partition: key.partition });
    }
    return out;
  }

  async resetTo(groupId: string, partition: SharePartitionRef, startOffset: bigint): Promise<void> {
    await this.#initialize(groupId, partition.topicId, partition.partition, startOffset);
    for (const fn of this.#resetListeners) fn(groupId, partition.topicId, partition.partition);
  }

  async delete(groupId: string, partition: SharePartitionRef): Promise<void> {
    const { topicId, partition: p } = partition;
    if (!this.read(groupId, topicId, p)) return;
    const key: SharePartitionKey = { groupId, topicId, partition: p };
    await this.#serialize(this.statePartitionFor(groupId, topicId, p), () => [
      { type: 'snapshot', key, value: null },
      { type: 'update', key, value: null },
    ]);
    for (const fn of this.#resetListeners) fn(groupId, topicId, p);
  }

  /** Runs `make` after earlier writes of the state partition, appends its records, replays them. */
  #serialize(statePartition: number, make: () => ShareStateRecord | ShareStateRecord[]): Promise<void> {
    const prev = this.#chains.get(statePartition) ?? Promise.resolve();
    const next = prev.then(async () => {
      const made = make();
      const records = Array.isArray(made) ? made : [made];
      const batch = buildBatch({ baseTimestamp: BigInt(this.#now()), records: records.map((r) => ({ key: encodeShareStateKey(r), value: encodeShareStateValue(r) })) });
      let base: bigint;
      try {
        base = await this.#opts.log.append(statePartition, batch);
      } catch (err) {
        this.#opts.logger.warn({ err, partition: statePartition }, 'could not append to __share_group_state');
        throw err instanceof KafkaError ? err : new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'could not write share state');
      }
      records.forEach((r, i) => this.#replay(r, base + BigInt(i)));
      if (records.some((r) => r.type === 'snapshot' && r.value !== null)) await this.#prune(statePartition);
    });
    const tail = next.catch(() => undefined);
    this.#chains.set(statePartition, tail);
    void tail.then(() => {
      if (this.#chains.get(statePartition) === tail) this.#chains.delete(statePartition);
    });
    return next;
  }

  #replay(rec: ShareStateRecord, offset: bigint): void {
    const k = keyOf(rec.key.groupId, rec.key.topicId, rec.key.partition);
    if (rec.value === null) {
      this.#states.delete(k);
      return;
    }
    const entry = this.#states.get(k);
    if (rec.type === 'snapshot') {
      const v = rec.value;
      this.#states.set(k, {
        key: rec.key,
        updates: 0,
        snapshotOffset: offset,
        state: { snapshotEpoch: v.snapshotEpoch, stateEpoch: v.stateEpoch, leaderEpoch: v.leaderEpoch, startOffset: v.startOffset, createTimestamp: v.createTimestamp, writeTimestamp: v.writeTimestamp, stateBatches: v.stateBatches.map(range) },
      });
      return;
    }
    // An update without its snapshot (pruned, or written by a broker that lost it) has nothing to apply to.
    if (entry === undefined) return;
    const v = rec.value;
    const startOffset = v.startOffset < 0n ? entry.state.startOffset : v.startOffset;
    entry.state = { ...entry.state, startOffset, leaderEpoch: Math.max(entry.state.leaderEpoch, v.leaderEpoch), stateBatches: mergeStateBatches(entry.state.stateBatches, v.stateBatches.map(range), startOffset) };
    entry.updates++;
  }

  /** Records below the oldest snapshot any live state of the partition still needs go (Kafka's pruning). */
  async #prune(statePartition: number): Promise<void> {
    let min: bigint | undefined;
    for (const e of this.#states.values()) {
      if (this.statePartitionFor(e.key.groupId, e.key.topicId, e.key.partition) !== statePartition) continue;
      if (min === undefined || e.snapshotOffset < min) min = e.snapshotOffset;
    }
    if (min === undefined) return;
    try {
      await this.#opts.log.deleteBefore(statePartition, min);
    } catch (err) {
      this.#opts.logger.warn({ err, partition: statePartition }, 'could not prune __share_group_state');
    }
  }
}

function range(b: StateRange): StateRange {
  return { firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount };
}
