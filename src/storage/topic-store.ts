/**
 * TopicStore: the broker's topic registry (names, Kafka topic ids, partition counts, per-topic
 * configs as Kafka-named strings), kept in one small JSON file in the data dir and replaced
 * atomically on each change. On a MemorySegmentStore it is the in-memory twin, same code.
 *
 *   static open(store: SegmentStore): Promise<TopicStore>
 *   get(name): TopicRecord | undefined, byId(topicId): TopicRecord | undefined, list(): TopicRecord[]
 *   create(name, partitions, configs?, topicId?): Promise<TopicRecord>   throws when it exists
 *   delete(name): Promise<boolean>
 *   setPartitionCount(name, count): Promise<TopicRecord>                  grow only, as Kafka
 *   alterConfigs(name, changes: Record<string, string | null>): Promise<TopicRecord>   null removes
 */
import { randomUuid } from '../protocol/codec/uuid.js';
import { TOPICS_FILE } from './file-names.js';
import type { SegmentStore } from './store.js';

export interface TopicRecord {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

interface TopicsFile {
  version: 1;
  topics: TopicRecord[];
}

/** Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}

export class TopicStore {
  readonly #store: SegmentStore;
  readonly #byName = new Map<string, TopicRecord>();
  readonly #byId = new Map<string, TopicRecord>();
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(store: SegmentStore) {
    this.#store = store;
  }

  static async open(store: SegmentStore): Promise<TopicStore> {
    const ts = new TopicStore(store);
    const buf = await store.readWhole(TOPICS_FILE);
    if (buf !== undefined) {
      const file = JSON.parse(buf.toString('utf8')) as TopicsFile;
      if (file.version !== 1) throw new Error(`${TOPICS_FILE}: unknown version ${String(file.version)}`);
      for (const t of file.topics) ts.#put(t);
    }
    return ts;
  }

  get(name: string): TopicRecord | undefined {
    return this.#byName.get(name);
  }

  byId(topicId: string): TopicRecord | undefined {
    return this.#byId.get(topicId);
  }

  list(): TopicRecord[] {
    return [...this.#byName.values()];
  }

  async create(name: string, partitions: number, configs: Record<string, string> = {}, topicId = randomUuid()): Promise<TopicRecord> {
    if (!isValidTopicName(name)) throw new RangeError(`invalid topic name: ${name}`);
    if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`invalid partition count: ${partitions}`);
    if (this.#byName.has(name)) throw new Error(`topic exists: ${name}`);
    const t: TopicRecord = { name, topicId, partitions, configs: { ...configs } };
    this.#put(t);
    await this.#persist();
    return t;
  }

  async delete(name: string): Promise<boolean> {
    const t = this.#byName.get(name);
    if (t === undefined) return false;
    this.#byName.delete(name);
    this.#byId.delete(t.topicId);
    await this.#persist();
    return true;
  }

  async setPartitionCount(name: string, count: number): Promise<TopicRecord> {
    const t = this.#require(name);
    if (!Number.isInteger(count) || count <= t.partitions) throw new RangeError(`partition count must grow beyond ${t.partitions}`);
    return this.#replace({ ...t, partitions: count });
  }

  async alterConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord> {
    const t = this.#require(name);
    const configs: Record<string, string> = { ...t.configs };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete configs[k];
      else configs[k] = v;
    }
    return this.#replace({ ...t, configs });
  }

  #require(name: string): TopicRecord {
    const t = this.#byName.get(name);
    if (t === undefined) throw new Error(`unknown topic: ${name}`);
    return t;
  }

  async #replace(t: TopicRecord): Promise<TopicRecord> {
    this.#put(t);
    await this.#persist();
    return t;
  }

  #put(t: TopicRecord): void {
    this.#byName.set(t.name, t);
    this.#byId.set(t.topicId, t);
  }

  /** Writes in order, each one the whole registry at the time it runs. */
  #persist(): Promise<void> {
    const run = this.#writes.then(() => {
      const file: TopicsFile = { version: 1, topics: this.list() };
      return this.#store.writeAtomic(TOPICS_FILE, JSON.stringify(file, null, 2) + '\n');
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}
