/**
 * The broker: configuration, storage and topics, and the dispatcher that serves them.
 * Built once the listener is bound (so it knows its real port) and closed at shutdown,
 * when storage is flushed and marked clean.
 */
import { resolve } from 'node:path';
import { advertisedEndpoint, type BrokerConfig } from './config.js';
import { fetchPathDescription, sendfileAvailable } from './server/file-sender.js';
import type { Logger } from './log.js';
import { loadClusterMeta } from './cluster/cluster-meta.js';
import { TopicManager, logConfigOf } from './cluster/topic-manager.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './cluster/topic-names.js';
import { effectiveTopicConfigs, parseTopicConfigs } from './config/describe.js';
import { GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { groupCoordinatorConfig, openOffsetsTopic } from './coordinator/group/offsets-topic.js';
import { ProducerIdManager } from './coordinator/producer-ids.js';
import { TransactionCoordinator, txnCoordinatorConfig, type TxnClusterView } from './coordinator/txn/transaction-coordinator.js';
import { BrokerCounters } from './metrics/broker-counters.js';
import { createDispatch } from './server/dispatch.js';
import { HANDLERS } from './server/registry.js';
import type { BrokerRuntime } from './server/runtime.js';
import { prepareDataDir } from './storage/data-dir.js';
import type { HttpServer, NetworkView } from './http/index.js';
import { FileSegmentStore } from './storage/file-store.js';
import { LogManager } from './storage/log-manager.js';
import { MemorySegmentStore } from './storage/memory-store.js';
import type { SegmentStore } from './storage/store.js';
import { TopicStore } from './storage/topic-store.js';
import { lockDataDir, type DataDirLock } from './storage/data-dir-lock.js';
import type { ClusterController } from './cluster/controller.js';
import { ReplicaManager } from './cluster/replica-manager.js';
import type { TopicCluster } from './cluster/topic-manager.js';
import type { Dispatch } from './server/connection.js';
import type { HandlerRegistry } from './server/handler.js';

/** How a broker of a virtual cluster (src/cluster/virtual-cluster.ts) is joined to the others. */
export interface ClusterWiring {
  controller: ClusterController;
  /** Producer ids are the cluster's: every broker hands them out from one sequence. */
  producerIds: ProducerIdManager;
  topics: TopicCluster;
  /** The dispatch of broker `to` as broker `from` reaches it (replica fetchers). */
  dispatchTo: (from: number, to: number) => Dispatch | undefined;
  /** The handlers this broker serves with (injected faults in front of them). */
  handlers: HandlerRegistry;
  /** Where transaction markers go: each partition's leader. */
  txn: TxnClusterView;
  /** The transaction coordinator of a transactional id (on the leader of its __transaction_state partition). */
  txnCoordinatorOf: (transactionalId: string) => TransactionCoordinator | undefined;
}

export class Broker {
  /** Counted on the request path, reported by /metrics. */
  readonly counters = new BrokerCounters();
  /** Producer ids for idempotent and transactional producers (blocks persisted in the data dir). */
  producerIds!: ProducerIdManager;
  /** Transactions (__transaction_state), loaded before the broker serves. */
  txn!: TransactionCoordinator;
  /** Replication state of a virtual cluster's broker; undefined on a single broker. */
  replicas: ReplicaManager | undefined;
  #lock: DataDirLock | undefined;

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
    /** Consumer groups and committed offsets (__consumer_offsets). */
    readonly groups: GroupCoordinator,
  ) {}

  #txnCoordinatorOf: ClusterWiring['txnCoordinatorOf'] | undefined;

  /** The coordinator a produce verifies a transactional batch with: this broker's own, unless a virtual cluster's peer leads the id's partition. */
  txnCoordinatorOf(transactionalId: string): TransactionCoordinator | undefined {
    return this.#txnCoordinatorOf ? this.#txnCoordinatorOf(transactionalId) : this.txn;
  }

  /** The virtual cluster's controller, when this broker is one of several. */
  get cluster(): ClusterController | undefined {
    return this.replicas?.controller;
  }

  static async open(config: BrokerConfig, log: Logger, wiring?: ClusterWiring): Promise<Broker> {
    const memory = config.values['skiff.memory'];
    const dataDir = memory ? null : resolve(config.values['log.dirs'][0]!);
    if (dataDir !== null) {
      await prepareDataDir(dataDir);
      log.info({ sendfile: sendfileAvailable() }, fetchPathDescription());
    }
    // Before anything reads the directory: a second broker on it must not even recover logs.
    const lock = dataDir === null ? undefined : await lockDataDir(dataDir);
    try {
      const broker = await Broker.#open(config, log, dataDir, wiring);
      broker.#lock = lock;
      return broker;
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  static async #open(config: BrokerConfig, log: Logger, dataDir: string | null, wiring: ClusterWiring | undefined): Promise<Broker> {
    const store: SegmentStore = dataDir === null ? new MemorySegmentStore() : new FileSegmentStore(dataDir, { regions: sendfileAvailable(), maxOpenFiles: config.values['skiff.log.open.files.max'] });
    const nodeId = config.values['node.id'];
    const meta = await loadClusterMeta(store, nodeId, config.values['skiff.cluster.id']);
    const topicStore = await TopicStore.open(store);
    const logs = await LogManager.open({
      store,
      logger: log.child({ component: 'storage' }),
      producerIdExpirationMs: config.values['producer.id.expiration.ms'],
      tailCacheBytes: config.values['skiff.tail.cache.bytes'],
      cleaner: {
        enabled: config.values['log.cleaner.enable'] && config.values['log.cleaner.threads'] > 0,
        backoffMs: config.values['log.cleaner.backoff.ms'],
        dedupeBufferSize: config.values['log.cleaner.dedupe.buffer.size'],
      },
      configFor: (topic) => {
        const t = topicStore.get(topic);
        return logConfigOf(effectiveTopicConfigs(t ? parseTopicConfigs(t.configs) : {}, config), config);
      },
    });
    const topics = new TopicManager(topicStore, logs, config, log.child({ component: 'topics' }));
    if (wiring) {
      topics.cluster = wiring.topics;
      await syncTopics(topics, wiring.controller);
    }
    await topics.openPartitions();
    // The group coordinator replays __consumer_offsets before the broker serves anything.
    const groups = new GroupCoordinator({
      log: await openOffsetsTopic(topics, config),
      config: groupCoordinatorConfig(config),
      logger: log.child({ component: 'group-coordinator' }),
    });
    await groups.load();
    if (wiring) groups.serveLedPartitionsOnly();
    const { host, port } = advertisedEndpoint(config.values);
    const broker = new Broker(config, log, nodeId, meta.clusterId, { host, port }, topics, logs, dataDir, groups);
    broker.producerIds = wiring?.producerIds ?? (await ProducerIdManager.open(dataDir === null ? null : store));
    if (wiring) {
      broker.replicas = new ReplicaManager(
        nodeId,
        wiring.controller,
        topics,
        {
          replicaLagTimeMaxMs: config.values['replica.lag.time.max.ms'],
          fetchWaitMaxMs: config.values['replica.fetch.wait.max.ms'],
          logger: log.child({ component: 'replicas' }),
          // Group coordination follows the leadership of __consumer_offsets partitions.
          onLeadership: (topic, partition, leader) => {
            const coordinator = topic === CONSUMER_OFFSETS_TOPIC ? groups : topic === TRANSACTION_STATE_TOPIC ? broker.txn : undefined;
            if (!coordinator) return;
            if (!leader) coordinator.resignCoordinator(partition);
            else void coordinator.becomeCoordinator(partition).catch((err: unknown) => log.error({ err, topic, partition }, 'could not load the coordinator state of a partition'));
          },
        },
        wiring.dispatchTo,
      );
    }
    broker.txn = new TransactionCoordinator({ topics, producerIds: broker.producerIds, config: txnCoordinatorConfig(config), logger: log.child({ component: 'txn-coordinator' }), cluster: wiring?.txn });
    broker.#txnCoordinatorOf = wiring?.txnCoordinatorOf;
    // After groups.load() and before txn.load(): markers written while completing in-doubt transactions reach the loaded groups.
    broker.txn.setOffsetsParticipant(groups);
    await broker.txn.load();
    broker.txn.start();
    return broker;
  }

  async close(): Promise<void> {
    await this.replicas?.close();
    await this.txn.close();
    await this.groups.close();
    await this.logs.close();
    await this.#lock?.release();
  }
}

/**
 * A restarted broker of a virtual cluster brings its topic registry in line with the
 * controller's (topics made, changed or deleted while it was down) before opening any log.
 */
async function syncTopics(topics: TopicManager, controller: ClusterController): Promise<void> {
  const wanted = new Map(controller.topics().map((t) => [t.name, t]));
  for (const t of topics.list()) {
    if (wanted.get(t.name)?.topicId !== t.topicId) await topics.applyDelete(t.name);
  }
  for (const t of wanted.values()) {
    await topics.applyCreate(t.name, t.partitions.length, t.configs, t.topicId);
    await topics.applyGrow(t.name, t.partitions.length);
    await topics.applyConfigs(t.name, t.configs);
  }
}

export async function createBrokerRuntime(config: BrokerConfig, logger: Logger, wiring?: ClusterWiring, opened?: (broker: Broker) => void): Promise<BrokerRuntime> {
  const broker = await Broker.open(config, logger, wiring);
  opened?.(broker);
  const dispatch = createDispatch(wiring?.handlers ?? HANDLERS, broker, logger.child({ component: 'dispatch' }));
  let network: NetworkView | undefined;
  let stopping = false;
  let http: HttpServer | undefined;
  const httpPort = config.values['skiff.http.port'];
  if (httpPort !== null) {
    try {
      // Loaded only when asked for: a broker without the console pays nothing for it at startup.
      const { startBrokerHttp } = await import('./http/index.js');
      http = await startBrokerHttp({
        broker,
        network: () => network,
        ready: () => network !== undefined && !stopping && broker.groups.isReady,
        host: config.values['skiff.http.host'],
        port: httpPort,
        readOnly: config.values['skiff.http.read.only'],
        logger: logger.child({ component: 'http' }),
      });
    } catch (err) {
      await broker.close();
      throw err;
    }
  }
  return {
    dispatch,
    httpUrl: http?.url,
    attachListener(listener) {
      network = listener;
    },
    shuttingDown() {
      stopping = true;
    },
    async close() {
      await http?.close();
      await broker.close();
    },
  };
}
