/**
 * The broker: configuration, storage and topics, and the dispatcher that serves them.
 * Built once the listener is bound (so it knows its real port) and closed at shutdown,
 * when storage is flushed and marked clean.
 */
import { resolve } from 'node:path';
import { advertisedEndpoint, type BrokerConfig } from './config.js';
import type { Logger } from './log.js';
import { loadClusterMeta } from './cluster/cluster-meta.js';
import { TopicManager, logConfigOf } from './cluster/topic-manager.js';
import { effectiveTopicConfigs, parseTopicConfigs } from './config/describe.js';
import { createDispatch } from './server/dispatch.js';
import { HANDLERS } from './server/registry.js';
import type { BrokerRuntime } from './server/runtime.js';
import { FileSegmentStore } from './storage/file-store.js';
import { LogManager } from './storage/log-manager.js';
import { MemorySegmentStore } from './storage/memory-store.js';
import type { SegmentStore } from './storage/store.js';
import { TopicStore } from './storage/topic-store.js';

export class Broker {
  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly nodeId: number,
    readonly clusterId: string,
    /** Where clients are told to connect (Metadata, FindCoordinator, DescribeCluster). */
    readonly advertised: { host: string; port: number },
    readonly topics: TopicManager,
    readonly logs: LogManager,
    readonly dataDir: string | null,
  ) {}

  static async open(config: BrokerConfig, log: Logger): Promise<Broker> {
    const memory = config.values['skiff.memory'];
    const dataDir = memory ? null : resolve(config.values['log.dirs'][0]!);
    const store: SegmentStore = dataDir === null ? new MemorySegmentStore() : new FileSegmentStore(dataDir);
    const nodeId = config.values['node.id'];
    const meta = await loadClusterMeta(store, nodeId, config.values['skiff.cluster.id']);
    const topicStore = await TopicStore.open(store);
    const logs = await LogManager.open({
      store,
      logger: log.child({ component: 'storage' }),
      configFor: (topic) => {
        const t = topicStore.get(topic);
        return logConfigOf(effectiveTopicConfigs(t ? parseTopicConfigs(t.configs) : {}, config), config);
      },
    });
    const topics = new TopicManager(topicStore, logs, config, log.child({ component: 'topics' }));
    await topics.openPartitions();
    const { host, port } = advertisedEndpoint(config.values);
    return new Broker(config, log, nodeId, meta.clusterId, { host, port }, topics, logs, dataDir);
  }

  async close(): Promise<void> {
    await this.logs.close();
  }
}

export async function createBrokerRuntime(config: BrokerConfig, logger: Logger): Promise<BrokerRuntime> {
  const broker = await Broker.open(config, logger);
  const dispatch = createDispatch(HANDLERS, broker, logger.child({ component: 'dispatch' }));
  return { dispatch, close: () => broker.close() };
}
