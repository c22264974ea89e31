/** The topics a group coordinator sees in unit tests: created by the test, with ids. */
import type { TopicsView } from '../../src/coordinator/group/group-coordinator.js';
import { randomUuid } from '../../src/protocol/codec/uuid.js';

export class TestTopics implements TopicsView {
  readonly #byName = new Map<string, { topicId: string; partitions: number }>();
  add(name: string, partitions: number): string {
    const topicId = randomUuid();
    this.#byName.set(name, { topicId, partitions });
    return topicId;
  }
  /** Adds partitions to an existing topic, keeping its id, as CreatePartitions does. */
  setPartitions(name: string, partitions: number): void {
    this.#byName.get(name)!.partitions = partitions;
  }
  byName(name: string) {
    return this.#byName.get(name);
  }
  byId(topicId: string) {
    for (const [name, t] of this.#byName) if (t.topicId === topicId) return { name, partitions: t.partitions };
    return undefined;
  }
  names() {
    return this.#byName.keys();
  }
}
