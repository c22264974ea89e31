/**
 * A virtual cluster: N brokers in one process (skiff.brokers, `skiff start --brokers N`,
 * `startBroker({ brokers: N })`), each with its own listener, node id, rack and data dir
 * (log.dirs/broker-<id>, in Kafka's format), under one in-process controller. Followers
 * replicate with Fetch requests to their leader's dispatch; brokers can be stopped and
 * started again, and faults injected (server/faults.ts), from the embedded API or the HTTP
 * API (http/fault-api.ts).
 */
import { INTERNAL_PRINCIPAL } from './security/authorizer.js';
import { join, resolve } from 'node:path';
import { createBrokerRuntime, type Broker, type ClusterWiring } from './broker.js';
import { ClusterController, type ClusterBroker } from './cluster/controller.js';
import type { RequestSender } from './cluster/replica-fetcher.js';
import { PlacementError } from './cluster/replica-placement.js';
import type { TopicCluster } from './cluster/topic-manager.js';
import { INTERNAL_TOPICS, CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './cluster/topic-names.js';
import { bindEndpoint, loadBrokerConfig, type BrokerConfig } from './config.js';
import { ProducerIdManager } from './coordinator/producer-ids.js';
import { EmbeddedAdmin } from './embedded/admin.js';
import { ErrorCode, KafkaError } from './errors.js';
import type { HttpServer } from './http/server.js';
import { launchBroker, type LaunchOptions, type RunningBroker } from './launch.js';
import { randomUuid } from './protocol/codec/uuid.js';
import type { ConnectionContext, Dispatch } from './server/connection.js';
import { FaultTable, type Fault, type FaultSpec } from './server/faults.js';
import { requestInProcess } from './server/in-process-request.js';
import type { Listener } from './server/listener.js';
import { HANDLERS } from './server/registry.js';
import { FileSegmentStore, prepareDataDir, type PartitionLog } from './storage/index.js';

export interface BrokerStatus extends ClusterBroker {
  /** Its own HTTP server (console, /metrics), when the cluster has one (skiff.http.port). */
  httpUrl?: string;
  /** Serving; false once stopped or crashed (a crashed broker stays `alive` until fenced). */
  running: boolean;
  /** Partitions this broker leads, and those it follows (while running). */
  leaderPartitions: number;
  followerPartitions: number;
}

export interface RunningCluster extends RunningBroker {
  /** Every broker's host:port, comma-separated (a client's bootstrap.servers). */
  readonly bootstrapServers: string;
  readonly controller: ClusterController;
  brokers(): BrokerStatus[];
  /** Stops a broker (its partitions elect new leaders), keeping its data dir and port. */
  stopBroker(id: number): Promise<void>;
  /**
   * Crash-stops a broker: no controlled shutdown, so the controller moves its leaderships only
   * once broker.session.timeout.ms passed (or when it starts again), and with a data dir its
   * logs lose their unflushed tails, which recovery cuts at the next start.
   */
  crashBroker(id: number): Promise<void>;
  /** Starts a stopped broker again from its data dir; it catches up as a follower. */
  startBroker(id: number): Promise<void>;
  /** Closes every client connection of a broker; returns how many. */
  killConnections(id: number): number;
  /** A running broker's log of a partition, for checks (undefined when stopped or not a replica). */
  partitionLog(id: number, topic: string, partition: number): PartitionLog | undefined;
  addFault(spec: FaultSpec): Fault;
  faults(): Fault[];
  clearFault(id: number): boolean;
}

interface Node {
  id: number;
  rack: string | null;
  port: number;
  /** Its own HTTP server's port: null without one, 0 until a free one was picked. */
  httpPort: number | null;
  dataDir: string | undefined;
  running?: RunningBroker;
  broker?: Broker;
  dispatch?: Dispatch;
  /** Requests to this broker from the others' replica fetchers, while it runs. */
  sender?: RequestSender;
  listener?: Listener;
  /** A stop or start under way. */
  busy: Promise<void>;
  /** Crashed and not yet fenced: the controller fences it when this fires. */
  fence?: NodeJS.Timeout;
}

export async function launchCluster(opts: LaunchOptions, count: number): Promise<RunningCluster> {
  const { logger } = opts;
  const base = await loadBrokerConfig(opts);
  const v = base.values;
  const memory = v['skiff.memory'];
  const root = memory ? null : resolve(v['log.dirs'][0]!);
  if (root !== null) await prepareDataDir(root);
  const rootStore = root === null ? null : new FileSegmentStore(root);
  const stored = rootStore ? await rootStore.readWhole('skiff-cluster.json') : undefined;
  const clusterId = v['skiff.cluster.id'] ?? (stored ? (JSON.parse(stored.toString('utf8')) as { clusterId?: string }).clusterId : undefined) ?? randomUuid();
  const defaultUnclean = v['unclean.leader.election.enable'];
  const controller = await ClusterController.open({
    clusterId,
    store: rootStore,
    logger: logger.child({ component: 'controller' }),
    uncleanAllowed: (t) => (t.configs['unclean.leader.election.enable'] ?? String(defaultUnclean)).toLowerCase() === 'true',
  });
  const faults = new FaultTable(logger.child({ component: 'faults' }));
  const producerIds = await ProducerIdManager.open(rootStore);
  const racks = v['skiff.broker.racks'];
  const firstId = v['node.id'];
  const basePort = bindEndpoint(v).port;
  const httpPort = v['skiff.http.port'];
  const nodes = new Map<number, Node>();
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    nodes.set(id, { id, rack: racks.length > 0 ? racks[i % racks.length]! : v['broker.rack'], port: basePort === 0 ? 0 : basePort + i, httpPort: httpPort === null || httpPort === 0 ? httpPort : httpPort + 1 + i, dataDir: root === null ? undefined : join(root, `broker-${id}`), busy: Promise.resolve() });
  }
  // Kafka's default for the internal topics' replication is 3; a single Skiff node's is 1.
  const internalRf = (name: 'offsets.topic.replication.factor' | 'transaction.state.log.replication.factor') => (base.explicit.has(name) ? v[name] : Math.min(3, count));

  const alive = (id: number) => controller.broker(id)?.alive === true;
  const liveTopicManagers = () => [...nodes.values()].filter((n) => alive(n.id) && n.broker).map((n) => n.broker!.topics);

  // Topic changes go through the controller, then to every live broker; each broker opens only
  // the partitions it is a replica of.
  const topicClusterOf = (id: number): TopicCluster => ({
    brokerIds: () => controller.brokers().map((b) => b.id),
    hosts: (topic, partition) => controller.partition(topic, partition)?.replicas.includes(id) ?? false,
    async create(name, partitions, replicationFactor, configs, assignments) {
      const rf = INTERNAL_TOPICS.has(name) ? internalRf(name === CONSUMER_OFFSETS_TOPIC ? 'offsets.topic.replication.factor' : 'transaction.state.log.replication.factor') : replicationFactor;
      const placed = assignments ?? place(partitions, rf, 0);
      const topicId = randomUuid();
      controller.addPartitions(name, topicId, configs, placed);
      for (const t of liveTopicManagers()) await t.applyCreate(name, partitions, configs, topicId);
      announce(name);
    },
    async delete(name) {
      controller.removeTopic(name);
      for (const t of liveTopicManagers()) await t.applyDelete(name);
    },
    async createPartitions(name, count, assignments) {
      const t = controller.topic(name);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      const rf = t.partitions[0]?.replicas.length ?? 1;
      const from = t.partitions.length;
      const placed = assignments ?? place(count - from, rf, from);
      controller.addPartitions(name, t.topicId, t.configs, placed);
      for (const m of liveTopicManagers()) await m.applyGrow(name, count);
      announce(name);
    },
    async replaceConfigs(name, configs) {
      controller.setConfigs(name, configs);
      for (const t of liveTopicManagers()) await t.applyConfigs(name, configs);
    },
  });
  const place = (count: number, rf: number, from: number): number[][] => {
    try {
      return controller.place(count, rf, from);
    } catch (err) {
      if (err instanceof PlacementError) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, err.message);
      throw err;
    }
  };
  // Logs exist only once every broker applied the change: tell the replicas their roles then.
  const announce = (name: string) => {
    const t = controller.topic(name);
    if (!t) return;
    t.partitions.forEach((s, p) => {
      for (const r of s.replicas) nodes.get(r)?.broker?.replicas?.partitionChanged(name, p, s);
    });
  };
  const senderTo = (from: number, to: number): RequestSender | undefined => {
    if (!alive(to) || faults.isolated(from, to)) return undefined;
    return nodes.get(to)?.sender;
  };

  const start = async (node: Node): Promise<void> => {
    const opened = (broker: Broker): void => {
      node.broker = broker;
    };
    const settings: Record<string, unknown> = {
      ...(opts.settings ?? {}),
      'node.id': node.id,
      'skiff.brokers': 1,
      'skiff.cluster.id': clusterId,
      'skiff.http.port': node.httpPort,
      'offsets.topic.replication.factor': internalRf('offsets.topic.replication.factor'),
      'transaction.state.log.replication.factor': internalRf('transaction.state.log.replication.factor'),
    };
    if (node.rack !== null) settings['broker.rack'] = node.rack;
    const running = await launchBroker(
      { ...opts, settings, port: node.port, dataDir: node.dataDir, httpPort: undefined, logger: logger.child({ broker: node.id }) },
      async (config: BrokerConfig, log) => {
        const rt = await createBrokerRuntime(config, log, brokerWiring(node.id), opened);
        // Replica fetches skip the client-connection faults (close-after); isolation covers them.
        const dispatch = rt.dispatch;
        rt.dispatch = faults.wrapDispatch(dispatch, node.id);
        node.dispatch = rt.dispatch;
        node.sender = (codec, version, body, signal) => requestInProcess(dispatch, inProcessConnection(signal), `skiff-replica-of-${node.id}`, codec, version, body);
        const attach = rt.attachListener?.bind(rt);
        rt.attachListener = (l) => {
          node.listener = l;
          attach?.(l);
        };
        return rt;
      },
    );
    node.running = running;
    node.port = running.port;
    // A free port picked at the first start is kept for the next, as the Kafka port is.
    if (running.httpUrl !== undefined) node.httpPort = Number(new URL(running.httpUrl).port);
    controller.register({ id: node.id, host: running.host === '0.0.0.0' ? '127.0.0.1' : running.host, port: running.port, rack: node.rack });
    controller.brokerStarted(node.id, node.broker!.replicas!);
  };

  const brokerWiring = (id: number): ClusterWiring => ({
    controller,
    producerIds,
    topics: topicClusterOf(id),
    senderTo,
    handlers: faults.wrap(HANDLERS, id),
    txn: {
      leaderOf(topic, partition) {
        const s = controller.partition(topic, partition);
        // A partition gone with its topic needs no marker.
        if (!s) return { log: undefined, participant: undefined };
        const b = alive(s.leader) ? nodes.get(s.leader)?.broker : undefined;
        return b ? { log: b.topics.partition(topic, partition), participant: b.groups } : null;
      },
      leads: (topic, partition) => controller.partition(topic, partition)?.leader === id,
    },
    txnCoordinatorOf(transactionalId) {
      const any = nodes.get(id)?.broker;
      if (!any) return undefined;
      const leader = controller.partition(TRANSACTION_STATE_TOPIC, any.txn.partitionFor(transactionalId))?.leader ?? -1;
      return alive(leader) ? nodes.get(leader)?.broker?.txn : undefined;
    },
  });

  const sessionTimeoutMs = v['broker.session.timeout.ms'];
  /** A crashed broker's session runs out (or it is back): the controller fences it, electing new leaders. */
  const fence = (node: Node): void => {
    if (node.fence === undefined) return;
    clearTimeout(node.fence);
    node.fence = undefined;
    logger.warn({ broker: node.id }, 'crashed broker fenced');
    controller.brokerStopped(node.id);
  };

  const crash = async (node: Node): Promise<void> => {
    if (!node.running) return;
    const running = node.running;
    const broker = node.broker!;
    node.running = undefined;
    node.dispatch = undefined;
    node.sender = undefined;
    logger.warn({ broker: node.id, sessionTimeoutMs }, 'fault: broker crashed');
    await node.listener?.close({ timeoutMs: 0 });
    await broker.crash();
    await running.close();
    node.broker = undefined;
    node.listener = undefined;
    node.fence = setTimeout(() => fence(node), sessionTimeoutMs);
    node.fence.unref();
  };

  const stop = async (node: Node): Promise<void> => {
    fence(node);
    if (!node.running) return;
    // Leadership moves first, as in Kafka's controlled shutdown; then the broker closes.
    controller.brokerStopped(node.id);
    const running = node.running;
    node.running = undefined;
    node.dispatch = undefined;
    node.sender = undefined;
    await running.close();
    node.broker = undefined;
    node.listener = undefined;
  };

  // Brokers register before any starts, so that the first topics are placed over all of them.
  for (const node of nodes.values()) controller.register({ id: node.id, host: '127.0.0.1', port: node.port, rack: node.rack });
  try {
    for (const node of nodes.values()) await start(node);
  } catch (err) {
    for (const node of nodes.values()) await stop(node).catch(() => {});
    throw err;
  }

  const first = () => [...nodes.values()].find((n) => n.running) ?? [...nodes.values()][0]!;
  const leaderDispatch = (topic: string, partition: number) => {
    const leader = controller.partition(topic, partition)?.leader;
    return leader === undefined ? undefined : nodes.get(leader)?.dispatch;
  };
  const anyDispatch: Dispatch = (frame, conn) => {
    const d = first().dispatch;
    if (!d) return { kind: 'close', reason: 'no broker is running' };
    return d(frame, conn);
  };
  const admin = new EmbeddedAdmin(anyDispatch, leaderDispatch);
  const node = (id: number): Node => {
    const n = nodes.get(id);
    if (!n) throw new Error(`no broker ${id}`);
    return n;
  };
  const serialized = (n: Node, fn: () => Promise<void>): Promise<void> => {
    const run = n.busy.then(fn);
    n.busy = run.catch(() => {});
    return run;
  };
  let closing: Promise<void> | undefined;
  let rebalance: NodeJS.Timeout | undefined;
  const head = first().running!;
  const bootstrapOf = (b: { host: string; port: number }) => `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;

  const cluster: RunningCluster = {
    host: head.host,
    port: head.port,
    bootstrap: head.bootstrap,
    listeners: head.listeners,
    bootstrapServers: controller.brokers().map(bootstrapOf).join(','),
    dataDir: root,
    get httpUrl() {
      return http?.url;
    },
    controller,
    brokers: () =>
      controller.brokers().map((b) => {
        const led = controller.topics().reduce((n, t) => n + t.partitions.filter((s) => s.leader === b.id).length, 0);
        const running = nodes.get(b.id)?.running;
        return { ...b, running: running !== undefined, httpUrl: running?.httpUrl, leaderPartitions: led, followerPartitions: nodes.get(b.id)?.broker?.replicas?.fetcher.followed().length ?? 0 };
      }),
    stopBroker: (id) => serialized(node(id), () => stop(node(id))),
    crashBroker: (id) => serialized(node(id), () => crash(node(id))),
    startBroker: (id) =>
      serialized(node(id), async () => {
        const n = node(id);
        if (closing) throw new Error('the cluster is closing');
        // A new incarnation of a crashed broker: the controller fences the old one first.
        fence(n);
        if (!n.running) await start(n);
      }),
    killConnections(id) {
      const l = node(id).listener;
      if (!l) return 0;
      const conns = [...l.connections];
      for (const c of conns) c.destroy('fault: connections killed');
      logger.warn({ broker: id, connections: conns.length }, 'fault: connections killed');
      return conns.length;
    },
    partitionLog: (id, topic, partition) => nodes.get(id)?.broker?.topics.partition(topic, partition),
    addFault: (spec) => faults.add(spec),
    faults: () => faults.list(),
    clearFault: (id) => faults.clear(id),
    close() {
      closing ??= (async () => {
        clearInterval(rebalance);
        faults.clearAll();
        controller.shutdown();
        // Followers first: a leader closing under them would only make them retry.
        for (const n of [...nodes.values()].reverse()) await serialized(n, () => stop(n)).catch((err: unknown) => logger.error({ err, broker: n.id }, 'broker did not stop cleanly'));
        await http?.close();
        await controller.flush();
      })();
      return closing;
    },
    reset: () => Promise.reject(new Error('reset() is not available for a virtual cluster')),
    createTopic: (name, o) => admin.createTopic(name, o),
    produce: (topic, records) => admin.produce(topic, records),
    consume: (topic, o) => admin.consume(topic, o),
  };
  if (v['auto.leader.rebalance.enable']) {
    rebalance = setInterval(() => controller.electPreferredLeaders(), Math.min(Number(v['leader.imbalance.check.interval.seconds']) * 1000, 2 ** 31 - 1));
    rebalance.unref();
  }
  let http: HttpServer | undefined;
  if (httpPort !== null) {
    try {
      const { startFaultApi } = await import('./http/fault-api.js');
      const running = () => [...nodes.values()].flatMap((n) => (n.running && n.broker ? [{ id: n.id, broker: n.broker, network: n.listener }] : []));
      http = await startFaultApi(cluster, { host: v['skiff.http.host'], port: httpPort, readOnly: v['skiff.http.read.only'], logger: logger.child({ component: 'http' }), running });
      logger.info({ url: http.url }, 'cluster fault API listening');
    } catch (err) {
      await cluster.close();
      throw err;
    }
  }
  logger.info({ brokers: cluster.bootstrapServers, clusterId }, `virtual cluster of ${count} brokers running`);
  return cluster;
}

/** The connection a replica fetcher's requests arrive on: closed when its fetcher stops. */
function inProcessConnection(signal: AbortSignal): ConnectionContext {
  return {
    id: -1,
    remoteAddress: 'in-process',
    remotePort: 0,
    get closed() {
      return signal.aborted;
    },
    signal,
    // Replication between brokers of one process: trusted, as Kafka's inter-broker listener.
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    principal: INTERNAL_PRINCIPAL,
    authenticated: true,
  };
}
