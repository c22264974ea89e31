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
import { brokerSetting, effectiveTopicConfigs, parseTopicConfigs } from './config/describe.js';
import { GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { groupCoordinatorConfig, openOffsetsTopic, topicsView } from './coordinator/group/offsets-topic.js';
import { ProducerIdManager } from './coordinator/producer-ids.js';
import { ShareCoordinator } from './coordinator/share/share-coordinator.js';
import { shareGroupSettings } from './coordinator/share/share-group-settings.js';
import { SharePartitionManager } from './coordinator/share/share-partition-manager.js';
import type { ShareGroupListener, ShareStateStore } from './coordinator/share/share-state-contract.js';
import { kafkaSetting, openShareStateTopic } from './coordinator/share/share-state-topic.js';
import { ScramCredentialStore } from './security/scram-credentials.js';
import { DelegationTokenStore } from './security/delegation-tokens.js';
import { Authorizer } from './security/authorizer.js';
import { TransactionCoordinator, txnCoordinatorConfig } from './coordinator/txn/transaction-coordinator.js';
import { BrokerCounters } from './metrics/broker-counters.js';
import { DynamicConfigs } from './cluster/dynamic-configs.js';
import type { LiveBrokerConfig } from './config/dynamic-broker.js';
import { LoggerLevels } from './log-levels.js';
import { ClientMetrics } from './server/client-metrics.js';
import { ClientQuotaManager } from './server/quota/client-quota-manager.js';
import { createDispatch } from './server/dispatch.js';
import { HANDLERS } from './server/registry.js';
import type { BrokerRuntime } from './server/runtime.js';
import type { BrokerServices } from './server/services.js';
import {
  ClientQuotaStore,
  FileSegmentStore,
  lockDataDir,
  LogManager,
  MemorySegmentStore,
  prepareDataDir,
  TopicStore,
  type DataDirLock,
  type SegmentStore,
} from './storage/index.js';
import type { HttpServer, NetworkView } from './http/index.js';
import type { ClusterController } from './cluster/controller.js';
import { replicaRacks } from './cluster/partition-leadership.js';
import type { RequestSender } from './cluster/replica-fetcher.js';
import type { ReplicaManager } from './cluster/replica-manager.js';
import type { TopicCluster } from './cluster/topic-manager.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './cluster/topic-names.js';
import type { TxnClusterView } from './coordinator/txn/transaction-coordinator.js';
import type { HandlerRegistry } from './server/handler.js';

/** How a broker of a virtual cluster (src/virtual-cluster.ts) is joined to the others. */
export interface ClusterWiring {
  controller: ClusterController;
  /** Producer ids are the cluster's: every broker hands them out from one sequence. */
  producerIds: ProducerIdManager;
  topics: TopicCluster;
  /** Requests from broker `from` to broker `to` (replica fetchers); undefined while it cannot be reached. */
  senderTo: (from: number, to: number) => RequestSender | undefined;
  /** The handlers this broker serves with (injected faults in front of them). */
  handlers: HandlerRegistry;
  /** Where transaction markers go: each partition's leader. */
  txn: TxnClusterView;
  /** The transaction coordinator of a transactional id (on the leader of its __transaction_state partition). */
  txnCoordinatorOf: (transactionalId: string) => TransactionCoordinator | undefined;
}

export class Broker implements BrokerServices {
  /** Counted on the request path, reported by /metrics. */
  readonly counters = new BrokerCounters();
  /** Client metrics (KIP-714): the CLIENT_METRICS subscriptions and what clients pushed. */
  readonly clientMetrics: ClientMetrics;
  /** Enforces the client quotas: rates per quota entity and throttle times. */
  readonly quotas: ClientQuotaManager;
  readonly #lock: DataDirLock | undefined;
  readonly #advertisedByListener = new Map<string, { host: string; port: number }>();

  private constructor(
    /** Static settings with the dynamic ones over them. */
    readonly config: LiveBrokerConfig,
    readonly log: Logger,
    readonly nodeId: number,
    readonly clusterId: string,
    /** Where clients are told to connect (Metadata, FindCoordinator, DescribeCluster). */
    readonly advertised: { host: string; port: number },
    readonly dataDir: string | null,
    readonly logs: LogManager,
    readonly topics: TopicManager,
    /** Consumer groups and committed offsets (__consumer_offsets). */
    readonly groups: GroupCoordinator,
    /** Producer ids for idempotent and transactional producers (blocks persisted in the data dir). */
    readonly producerIds: ProducerIdManager,
    /** Transactions (__transaction_state). */
    readonly txn: TransactionCoordinator,
    /** Share partitions and share sessions (ShareFetch, ShareAcknowledge), over the share coordinator. */
    readonly sharePartitions: SharePartitionManager,
    /** Share groups' delivery state in __share_group_state. */
    readonly shareState: ShareStateStore,
    /** SCRAM credentials (AlterUserScramCredentials, skiff.scram.credentials), persisted in the data dir. */
    readonly scram: ScramCredentialStore,
    /** Delegation tokens, persisted in the data dir. */
    readonly tokens: DelegationTokenStore,
    /** ACLs (authorizer.class.name); undefined when none is configured: every request is allowed. */
    readonly authorizer: Authorizer | undefined,
    /** Broker, group and client metrics settings changed at runtime; `config` is its broker view. */
    readonly dynamicConfigs: DynamicConfigs,
    /** Log levels per area, changed at runtime through BROKER_LOGGER resources. */
    readonly loggers: LoggerLevels,
    /** Client quotas as set with AlterClientQuotas (persisted in the data dir). */
    readonly clientQuotas: ClientQuotaStore,
    lock: DataDirLock | undefined,
    /** Replication state of a virtual cluster's broker; undefined on a single broker. */
    readonly replicas: ReplicaManager | undefined,
    private readonly wiring: ClusterWiring | undefined,
  ) {
    this.quotas = new ClientQuotaManager(clientQuotas);
    this.clientMetrics = new ClientMetrics(() => dynamicConfigs.clientMetricsSubscriptions());
    this.#lock = lock;
  }

  /** The group coordinator tells the share partitions about members leaving and groups deleted. */
  get shareListener(): ShareGroupListener {
    return this.sharePartitions;
  }

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

  /** The virtual cluster's controller, when this broker is one of several. */
  get cluster(): ClusterController | undefined {
    return this.replicas?.controller;
  }

  /** The coordinator a produce verifies a transactional batch with: this broker's own, unless a virtual cluster's peer leads the id's partition. */
  txnCoordinatorOf(transactionalId: string): TransactionCoordinator | undefined {
    return this.wiring ? this.wiring.txnCoordinatorOf(transactionalId) : this.txn;
  }

  /**
   * The one place the broker is put together, lowest layer first: storage, topics, the group
   * coordinator (after its log replay), producer ids and the transaction coordinator (after
   * its log replay and the completion of in-doubt transactions). The object exists only once
   * every part is built and loaded.
   */
  static async open(staticConfig: BrokerConfig, log: Logger, wiring?: ClusterWiring): Promise<Broker> {
    const memory = staticConfig.values['skiff.memory'];
    const dataDir = memory ? null : resolve(staticConfig.values['log.dirs'][0]!);
    if (dataDir !== null) {
      await prepareDataDir(dataDir);
      log.info({ sendfile: sendfileAvailable() }, fetchPathDescription());
    }
    // Before anything reads the directory: a second broker on it must not even recover logs.
    const lock = dataDir === null ? undefined : await lockDataDir(dataDir);
    try {
      const store: SegmentStore = dataDir === null ? new MemorySegmentStore() : new FileSegmentStore(dataDir, { regions: sendfileAvailable(), maxOpenFiles: staticConfig.values['skiff.log.open.files.max'] });
      const dynamicConfigs = await DynamicConfigs.open(store, staticConfig);
      const config = dynamicConfigs.broker;
      const loggers = new LoggerLevels(log);
      const nodeId = config.values['node.id'];
      const meta = await loadClusterMeta(store, nodeId, config.values['skiff.cluster.id']);
      const topicStore = await TopicStore.open(store);
      const logs = await LogManager.open({
        store,
        logger: loggers.child('storage'),
        producerIdExpirationMs: config.values['producer.id.expiration.ms'],
        highWatermarkCheckpointIntervalMs: config.values['replica.high.watermark.checkpoint.interval.ms'],
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
      const topics = new TopicManager(topicStore, logs, config, loggers.child('topics'));
      dynamicConfigs.onBrokerChange(() => topics.brokerDefaultsChanged());
      if (wiring) {
        topics.cluster = wiring.topics;
        await syncTopics(topics, wiring.controller);
      }
      await topics.openPartitions();
      // Share groups' delivery state, replayed from __share_group_state; the group coordinator's share groups use it.
      const shareSettings = (groupId: string) => shareGroupSettings(dynamicConfigs.groupConfig(groupId));
      const shareState = new ShareCoordinator({
        log: openShareStateTopic(topics, config),
        logger: loggers.child('group-coordinator'),
        updatesPerSnapshot: Number(kafkaSetting(config, 'share.coordinator.snapshot.update.records.per.snapshot')),
        initialOffset: SharePartitionManager.initialOffset(topics, shareSettings, Date.now),
        topicName: (topicId) => topics.byId(topicId)?.name,
      });
      await shareState.load();
      const sharePartitions = new SharePartitionManager({
        coordinator: shareState,
        topics,
        settings: shareSettings,
        maxSessions: Number(kafkaSetting(config, 'group.share.max.share.sessions')),
        logger: loggers.child('group-coordinator'),
      });
      // The group coordinator replays __consumer_offsets before the broker serves anything.
      const groups = new GroupCoordinator({
        log: await openOffsetsTopic(topics, config),
        config: {
          ...groupCoordinatorConfig(config),
          // Kafka's GroupConfigManager: a consumer group's own session timeout and heartbeat interval.
          consumerGroupSettings: (groupId) => {
            const c = dynamicConfigs.groupConfig(groupId);
            return { sessionTimeoutMs: Number(c['consumer.session.timeout.ms']), heartbeatIntervalMs: Number(c['consumer.heartbeat.interval.ms']) };
          },
          shareGroupSettings: (groupId) => {
            const c = dynamicConfigs.groupConfig(groupId);
            return { sessionTimeoutMs: Number(c['share.session.timeout.ms']), heartbeatIntervalMs: Number(c['share.heartbeat.interval.ms']) };
          },
          streamsMaxSize: Number(brokerSetting(config)('group.streams.max.size') ?? 2 ** 31 - 1),
          // A streams group's streams.* settings over the broker's group.streams.* (Kafka's GroupConfigManager).
          streamsGroupSettings: (groupId) => {
            const c = dynamicConfigs.groupConfig(groupId);
            return {
              sessionTimeoutMs: Number(c['streams.session.timeout.ms']),
              heartbeatIntervalMs: Number(c['streams.heartbeat.interval.ms']),
              numStandbyReplicas: Number(c['streams.num.standby.replicas']),
              initialRebalanceDelayMs: Number(c['streams.initial.rebalance.delay.ms']),
              assignmentIntervalMs: Number(c['streams.assignment.interval.ms']),
            };
          },
        },
        logger: loggers.child('group-coordinator'),
        topics: topicsView(topics, (topic, partition) => replicaRacks(wiring?.controller, config.values['broker.rack'], topic, partition)),
        shareState,
        shareListener: sharePartitions,
      });
      await groups.load();
      if (wiring) groups.serveLedPartitionsOnly();
      const producerIds = wiring?.producerIds ?? (await ProducerIdManager.open(dataDir === null ? null : store));
      const txn = new TransactionCoordinator({ topics, producerIds, config: txnCoordinatorConfig(config), logger: loggers.child('txn-coordinator'), cluster: wiring?.txn });
      // After groups.load() and before txn.load(): markers written while completing in-doubt transactions reach the loaded groups.
      txn.setOffsetsParticipant(groups);
      await txn.load();
      txn.start();
      const clientQuotas = await ClientQuotaStore.open(store);
      const scram = await ScramCredentialStore.open(dataDir === null ? null : store, config.security['skiff.scram.credentials']);
      const authorizer = await Authorizer.open(config.security, dataDir === null ? null : store);
      const tokens = await DelegationTokenStore.open(
        {
          secretKey: config.values['delegation.token.secret.key'],
          maxLifetimeMs: config.values['delegation.token.max.lifetime.ms'],
          expiryTimeMs: config.values['delegation.token.expiry.time.ms'],
          checkIntervalMs: config.values['delegation.token.expiry.check.interval.ms'],
        },
        dataDir === null ? null : store,
      );
      // Only a broker of a virtual cluster replicates: the others never load the replica fetcher.
      const replicas =
        wiring &&
        new (await import('./cluster/replica-manager.js')).ReplicaManager(nodeId, wiring.controller, topics, {
          replicaLagTimeMaxMs: config.values['replica.lag.time.max.ms'],
          fetchWaitMaxMs: config.values['replica.fetch.wait.max.ms'],
          logger: loggers.child('replicas'),
          senderTo: wiring.senderTo,
          // Coordination follows the leadership of the internal topics' partitions.
          onLeadership: (topic, partition, leader) => {
            const coordinator = topic === CONSUMER_OFFSETS_TOPIC ? groups : topic === TRANSACTION_STATE_TOPIC ? txn : undefined;
            if (!coordinator) return;
            if (!leader) coordinator.resignCoordinator(partition);
            else void coordinator.becomeCoordinator(partition).catch((err: unknown) => log.error({ err, topic, partition }, 'could not load the coordinator state of a partition'));
          },
        });
      const { host, port } = advertisedEndpoint(config.values);
      return new Broker(config, log, nodeId, meta.clusterId, { host, port }, dataDir, logs, topics, groups, producerIds, txn, sharePartitions, shareState, scram, tokens, authorizer, dynamicConfigs, loggers, clientQuotas, lock, replicas, wiring);
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  #crashed = false;

  /**
   * A virtual cluster's crash-stop: replication stops, the logs lose their unflushed tails and
   * close without checkpoints (LogManager.crash), and close() after it does nothing more.
   */
  async crash(): Promise<void> {
    this.#crashed = true;
    this.tokens.close();
    await this.replicas?.close();
    await this.logs.crash();
    // Only their timers: what they would write goes nowhere now.
    await this.txn.close().catch(() => {});
    await this.groups.close().catch(() => {});
    await this.#lock?.release();
  }

  async close(): Promise<void> {
    if (this.#crashed) return;
    this.tokens.close();
    await this.replicas?.close();
    await this.txn.close();
    this.sharePartitions.close();
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
  const dispatch = createDispatch(wiring?.handlers ?? HANDLERS, broker, broker.loggers.child('dispatch'));
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
        logger: broker.loggers.child('http'),
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
