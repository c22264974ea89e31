/**
 * Settings changed at runtime through AlterConfigs / IncrementalAlterConfigs, other than a
 * topic's (kept with the topic): the broker's own and the cluster default (BROKER), per-group
 * settings (GROUP) and client metrics subscriptions (CLIENT_METRICS). Kafka keeps them in its
 * metadata log; Skiff keeps them in one file in the data dir, rewritten whole on each change,
 * so they survive a restart.
 */
import { LiveBrokerConfig, type DynamicLevel } from '../config/dynamic-broker.js';
import { brokerSetting } from '../config/describe.js';
import { effectiveGroupConfig } from '../config/group-configs.js';
import type { BrokerConfig } from '../config/load.js';
import type { SegmentStore } from '../storage/index.js';

export const DYNAMIC_CONFIGS_FILE = 'skiff-dynamic-configs.json';

type Settings = Record<string, string>;

interface SavedConfigs {
  broker: Settings;
  brokerDefault: Settings;
  groups: Record<string, Settings>;
  clientMetrics: Record<string, Settings>;
}

export class DynamicConfigs {
  readonly #listeners: Array<() => void> = [];
  /** Saves run one after another, so the file ends with the latest state. */
  #saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: SegmentStore,
    /** The broker config every component reads: static settings with the dynamic ones over them. */
    readonly broker: LiveBrokerConfig,
    private readonly groups: Map<string, Settings>,
    private readonly subscriptions: Map<string, Settings>,
  ) {}

  static async open(store: SegmentStore, base: BrokerConfig): Promise<DynamicConfigs> {
    const raw = await store.readWhole(DYNAMIC_CONFIGS_FILE);
    let saved: Partial<SavedConfigs> = {};
    if (raw !== undefined) {
      try {
        saved = JSON.parse(raw.toString('utf8')) as Partial<SavedConfigs>;
      } catch (err) {
        throw new Error(`${DYNAMIC_CONFIGS_FILE} in the data dir is not valid JSON (${(err as Error).message}); fix or remove it`);
      }
    }
    return new DynamicConfigs(
      store,
      new LiveBrokerConfig(base, settingsOf(saved.broker), settingsOf(saved.brokerDefault)),
      new Map(Object.entries(saved.groups ?? {}).map(([k, v]) => [k, settingsOf(v)])),
      new Map(Object.entries(saved.clientMetrics ?? {}).map(([k, v]) => [k, settingsOf(v)])),
    );
  }

  /** Called after every change of the broker's dynamic settings (topics re-derive their defaults). */
  onBrokerChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Replaces one level's dynamic broker settings (already checked); they apply before the file is written. */
  async setBroker(level: DynamicLevel, configs: Settings): Promise<void> {
    this.broker.replace(level, configs);
    for (const listener of this.#listeners) listener();
    await this.#save();
  }

  /** The groups that have settings of their own. */
  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** A group's own settings ({} when it has none). */
  group(name: string): Readonly<Settings> {
    return this.groups.get(name) ?? {};
  }

  /**
   * A group's effective settings under Kafka's GroupConfig names (consumer.session.timeout.ms,
   * consumer.heartbeat.interval.ms, share.*, streams.*): its own values, else the broker's
   * group.* settings, else Kafka's defaults. For the group coordinators.
   */
  groupConfig(name: string): Readonly<Settings> {
    return effectiveGroupConfig(this.group(name), brokerSetting(this.broker));
  }

  async setGroup(name: string, configs: Settings): Promise<void> {
    if (Object.keys(configs).length === 0) this.groups.delete(name);
    else this.groups.set(name, configs);
    await this.#save();
  }

  /** A client metrics subscription's own settings ({} when there is none). */
  clientMetrics(name: string): Readonly<Settings> {
    return this.subscriptions.get(name) ?? {};
  }

  /** Every client metrics subscription by name (for telemetry). */
  clientMetricsSubscriptions(): ReadonlyMap<string, Readonly<Settings>> {
    return this.subscriptions;
  }

  async setClientMetrics(name: string, configs: Settings): Promise<void> {
    const removed = Object.keys(configs).length === 0;
    if (removed) this.subscriptions.delete(name);
    else this.subscriptions.set(name, configs);
    await this.#save();
  }

  #save(): Promise<void> {
    const saved: SavedConfigs = {
      broker: this.broker.settings('broker'),
      brokerDefault: this.broker.settings('default'),
      groups: Object.fromEntries(this.groups),
      clientMetrics: Object.fromEntries(this.subscriptions),
    };
    const text = JSON.stringify(saved, null, 1);
    const next = this.#saving.catch(() => {}).then(() => this.store.writeAtomic(DYNAMIC_CONFIGS_FILE, text));
    this.#saving = next;
    return next;
  }
}

/** String values only: anything else in a hand-edited file is dropped. */
function settingsOf(value: unknown): Settings {
  const out: Settings = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
