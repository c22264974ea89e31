/**
 * The client quotas set with AlterClientQuotas: for each entity (user, client-id or both, or
 * an ip; a null name is that type's default) its quota values by key. Kept in one small JSON
 * file in the data dir, replaced atomically on each change, like the topic registry; in
 * memory on a MemorySegmentStore.
 */
import { CLIENT_QUOTAS_FILE } from './file-names.js';
import type { SegmentStore } from './store.js';

/** Entity type ("user", "client-id", "ip") to name; null names the type's default. */
export type QuotaEntity = Readonly<Record<string, string | null>>;

export interface QuotaRecord {
  readonly entity: QuotaEntity;
  readonly values: Readonly<Record<string, number>>;
}

interface QuotasFile {
  version: 1;
  quotas: QuotaRecord[];
}

/** One string per entity whatever the order of its types. */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify(Object.keys(entity).sort().map((t) => [t, entity[t]]));
}

export class ClientQuotaStore {
  readonly #store: SegmentStore;
  readonly #byEntity = new Map<string, QuotaRecord>();
  #writes: Promise<unknown> = Promise.resolve();
  #changes = 0;

  private constructor(store: SegmentStore) {
    this.#store = store;
  }

  static async open(store: SegmentStore): Promise<ClientQuotaStore> {
    const qs = new ClientQuotaStore(store);
    const buf = await store.readWhole(CLIENT_QUOTAS_FILE);
    if (buf !== undefined) {
      const file = JSON.parse(buf.toString('utf8')) as QuotasFile;
      if (file.version !== 1) throw new Error(`${CLIENT_QUOTAS_FILE}: unknown version ${String(file.version)}`);
      for (const q of file.quotas) qs.#byEntity.set(entityKey(q.entity), q);
    }
    return qs;
  }

  /** Grows on every change: whoever caches what the quotas say compares it. */
  get changes(): number {
    return this.#changes;
  }

  get size(): number {
    return this.#byEntity.size;
  }

  get(entity: QuotaEntity): QuotaRecord | undefined {
    return this.#byEntity.get(entityKey(entity));
  }

  list(): QuotaRecord[] {
    return [...this.#byEntity.values()];
  }

  /** Applies every entity's changes (a null value removes the key) and persists once. */
  async alter(changes: ReadonlyArray<{ entity: QuotaEntity; values: Readonly<Record<string, number | null>> }>): Promise<void> {
    for (const { entity, values } of changes) {
      const key = entityKey(entity);
      const next: Record<string, number> = { ...this.#byEntity.get(key)?.values };
      for (const [k, v] of Object.entries(values)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if (Object.keys(next).length === 0) this.#byEntity.delete(key);
      else this.#byEntity.set(key, { entity: { ...entity }, values: next });
    }
    this.#changes++;
    const run = this.#writes.then(() => {
      const file: QuotasFile = { version: 1, quotas: this.list() };
      return this.#store.writeAtomic(CLIENT_QUOTAS_FILE, JSON.stringify(file, null, 2) + '\n');
    });
    this.#writes = run.catch(() => undefined);
    await run;
  }
}
