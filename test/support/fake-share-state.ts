/** An in-memory ShareStateStore and ShareGroupListener for group coordinator tests: what was asked, and failures on demand. */
import type { SharePartitionRef, SharePartitionSummary, ShareGroupListener, ShareStateStore } from '../../src/coordinator/share/share-state-contract.js';

export class FakeShareState implements ShareStateStore, ShareGroupListener {
  readonly state = new Map<string, SharePartitionSummary & { ref: SharePartitionRef }>();
  readonly calls: string[] = [];
  readonly left: Array<[string, string]> = [];
  readonly deletedGroups: string[] = [];
  /** The next ensureInitialized fails with this error. */
  failNext: Error | undefined;
  /** While set, ensureInitialized waits for it (a share coordinator that has not answered yet). */
  gate: Promise<void> | undefined;

  #key(groupId: string, p: SharePartitionRef): string {
    return `${groupId}/${p.topicName}-${p.partition}`;
  }

  async ensureInitialized(groupId: string, partitions: readonly SharePartitionRef[]): Promise<void> {
    this.calls.push(`init ${partitions.map((p) => this.#key(groupId, p)).join(',')}`);
    if (this.gate) await this.gate;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    for (const p of partitions) if (!this.state.has(this.#key(groupId, p))) this.state.set(this.#key(groupId, p), { ref: p, startOffset: 0n, stateEpoch: 0, leaderEpoch: 0 });
  }

  async readSummary(groupId: string, p: SharePartitionRef): Promise<SharePartitionSummary | undefined> {
    return this.state.get(this.#key(groupId, p));
  }

  partitionsOf(groupId: string): readonly SharePartitionRef[] {
    return [...this.state].filter(([k]) => k.startsWith(`${groupId}/`)).map(([, v]) => v.ref);
  }

  async resetTo(groupId: string, p: SharePartitionRef, startOffset: bigint): Promise<void> {
    this.calls.push(`reset ${this.#key(groupId, p)} ${startOffset}`);
    this.state.set(this.#key(groupId, p), { ref: p, startOffset, stateEpoch: 1, leaderEpoch: 0 });
  }

  async delete(groupId: string, p: SharePartitionRef): Promise<void> {
    this.calls.push(`delete ${this.#key(groupId, p)}`);
    this.state.delete(this.#key(groupId, p));
  }

  onMemberLeft(groupId: string, memberId: string): void {
    this.left.push([groupId, memberId]);
  }

  onGroupDeleted(groupId: string): void {
    this.deletedGroups.push(groupId);
  }
}
