/**
 * PLACEHOLDER, deleted when part B (the share coordinator over __share_group_state) is merged:
 * the broker's ShareStateStore until then. It keeps share-partition start offsets in memory
 * only, so share group membership, ShareGroupDescribe and the share-group offsets admin APIs
 * answer for real; nothing here survives a restart and no records are delivered.
 */
import type { SharePartitionRef, SharePartitionSummary, ShareGroupListener, ShareStateStore } from './share-state-contract.js';

/** A partition initialized here has no start offset yet: the share partition would pick it from share.auto.offset.reset. */
const UNDECIDED = -1n;

export class InMemoryShareStatePlaceholder implements ShareStateStore, ShareGroupListener {
  readonly #groups = new Map<string, Map<string, { ref: SharePartitionRef; summary: SharePartitionSummary }>>();

  #partitions(groupId: string): Map<string, { ref: SharePartitionRef; summary: SharePartitionSummary }> {
    let m = this.#groups.get(groupId);
    if (!m) this.#groups.set(groupId, (m = new Map()));
    return m;
  }

  async ensureInitialized(groupId: string, partitions: readonly SharePartitionRef[]): Promise<void> {
    const m = this.#partitions(groupId);
    for (const ref of partitions) {
      const key = `${ref.topicId}:${ref.partition}`;
      if (!m.has(key)) m.set(key, { ref, summary: { startOffset: UNDECIDED, stateEpoch: 0, leaderEpoch: 0 } });
    }
  }

  async readSummary(groupId: string, partition: SharePartitionRef): Promise<SharePartitionSummary | undefined> {
    return this.#groups.get(groupId)?.get(`${partition.topicId}:${partition.partition}`)?.summary;
  }

  partitionsOf(groupId: string): readonly SharePartitionRef[] {
    return [...(this.#groups.get(groupId)?.values() ?? [])].map((p) => p.ref);
  }

  async resetTo(groupId: string, partition: SharePartitionRef, startOffset: bigint): Promise<void> {
    const m = this.#partitions(groupId);
    const key = `${partition.topicId}:${partition.partition}`;
    const stateEpoch = (m.get(key)?.summary.stateEpoch ?? -1) + 1;
    m.set(key, { ref: partition, summary: { startOffset, stateEpoch, leaderEpoch: 0 } });
  }

  async delete(groupId: string, partition: SharePartitionRef): Promise<void> {
    this.#groups.get(groupId)?.delete(`${partition.topicId}:${partition.partition}`);
  }

  onMemberLeft(): void {}

  onGroupDeleted(groupId: string): void {
    this.#groups.delete(groupId);
  }
}
