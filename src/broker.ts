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
import { effectiveTopicConfigs, parseTopicConfigs } from './config/describe.js';
import { GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { groupCoordinatorConfig, openOffsetsTopic } from './coordinator/group/offsets-topic.js';
import { ProducerIdManager } from './coordinator/producer-ids.js';
import { ScramCredentialStore } from './security/scram-credentials.js';
import { Authorizer } from './security/authorizer.js';
import { TransactionCoordinator, txnCoordinatorConfig } from './coordinator/txn/transaction-coordinator.js';
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

export class Broker {
  /** Counted on the request path, reported by /metrics. */
  readonly counters = new BrokerCounters();
  /** Producer ids for idempotent and transactional producers (blocks persisted in the data dir). */
  producerIds!: ProducerIdManager;
  /** SCRAM credentials (AlterUserScramCredentials, skiff.scram.credentials), persisted in the data dir. */
  scram!: ScramCredentialStore;
  /** ACLs (authorizer.class.name); undefined when none is configured: every request is allowed. */
  authorizer: Authorizer | undefined;
  /** Transactions (__transaction_state), loaded before the broker serves. */
  txn!: TransactionCoordinator;
  #lock: DataDirLock | undefined;
  readonly #advertisedByListener = new Map<string, { host: string; port: number }>();

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

  /** Where clients that came in on `listenerName` are told to connect (its advertised.listeners entry). */
  advertisedFor(listenerName: string): { host: string; port: number } {
    let found = this.#advertisedByListener.get(listenerName);
    if (found === undefined) {
      const { host, port } = advertisedEndpoint(this.config.values, listenerName);
      found = { host, port };
      this.#advertisedByListener.set(listenerName, found);
    }
    return found;
  }

  static async open(config: BrokerConfig, log: Logger): Promise<Broker> {
    const memory = config.values['skiff.memory'];
    const dataDir = memory ? null : resolve(config.values['log.dirs'][0]!);
    if (dataDir !== null) {
      await prepareDataDir(dataDir);
      log.info({ sendfile: sendfileAvailable() }, fetchPathDescription());
    }
    // Before anything reads the directory: a second broker on it must not even recover logs.
    const lock = dataDir === null ? undefined : await lockDataDir(dataDir);
    try {
      const broker = await Broker.#open(config, log, dataDir);
      broker.#lock = lock;
      return broker;
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  static async #open(config: BrokerConfig, log: Logger, dataDir: string | null): Promise<Broker> {
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
    await topics.openPartitions();
    // The group coordinator replays __consumer_offsets before the broker serves anything.
    const groups = new GroupCoordinator({
      log: await openOffsetsTopic(topics, config),
      config: groupCoordinatorConfig(config),
      logger: log.child({ component: 'group-coordinator' }),
    });
    await groups.load();
    const { host, port } = advertisedEndpoint(config.values);
    const broker = new Broker(config, log, nodeId, meta.clusterId, { host, port }, topics, logs, dataDir, groups);
    broker.producerIds = await ProducerIdManager.open(dataDir === null ? null : store);
    broker.scram = await ScramCredentialStore.open(dataDir === null ? null : store, config.security['skiff.scram.credentials']);
    broker.authorizer = await Authorizer.open(config.security, dataDir === null ? null : store);
    broker.txn = new TransactionCoordinator({ topics, producerIds: broker.producerIds, config: txnCoordinatorConfig(config), logger: log.child({ component: 'txn-coordinator' }) });
    // After groups.load() and before txn.load(): markers written while completing in-doubt transactions reach the loaded groups.
    broker.txn.setOffsetsParticipant(groups);
    await broker.txn.load();
    broker.txn.start();
    return broker;
  }

  async close(): Promise<void> {
    await this.txn.close();
    await this.groups.close();
    await this.logs.close();
    await this.#lock?.release();
  }
}

export async function createBrokerRuntime(config: BrokerConfig, logger: Logger): Promise<BrokerRuntime> {
  const broker = await Broker.open(config, logger);
  const dispatch = createDispatch(HANDLERS, broker, logger.child({ component: 'dispatch' }));
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
