/**
 * The virtual cluster's one controller: which brokers are up, where each partition's replicas
 * are, its leader, leader epoch and ISR. It plays the part of Kafka's KRaft controller for
 * brokers in the same process: changes reach every live broker at once (there is no metadata
 * log to replicate), and the state is kept in the cluster's root folder so a restarted cluster
 * finds its placement again.
 *
 * Elections follow Kafka: a stopped broker leaves every ISR; a partition it led gets the first
 * replica (in replica order) that is alive and in the ISR; with none, the partition stays
 * offline (leader -1) unless unclean.leader.election.enable lets any live replica lead. An
 * offline partition gets a leader back when an ISR member returns. The leader epoch grows
 * with every new leader.
 */
import type { Logger } from '../log.js';
import type { SegmentStore } from '../storage/index.js';
import { placeReplicas, type PlacementBroker } from './replica-placement.js';

export interface PartitionState {
  replicas: number[];
  /** -1 while no replica may lead. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export interface ClusterBroker {
  id: number;
  host: string;
  port: number;
  rack: string | null;
  alive: boolean;
}

/** A topic as the controller records it; every broker's own registry follows this one. */
export interface ControllerTopic {
  name: string;
  topicId: string;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

/** What the controller calls on a live broker. */
export interface ClusterMember {
  /** A partition's leader or ISR changed (or it was created, or the broker just started). */
  partitionChanged(topic: string, partition: number, state: PartitionState): void;
}

const STATE_FILE = 'skiff-cluster.json';

export class ClusterController {
  readonly #brokers = new Map<number, ClusterBroker>();
  readonly #members = new Map<number, ClusterMember>();
  readonly #topics = new Map<string, ControllerTopic>();
  #persisting: Promise<void> = Promise.resolve();
  #shuttingDown = false;

  private constructor(
    readonly clusterId: string,
    private readonly store: SegmentStore | null,
    private readonly logger: Logger,
    /** unclean.leader.election.enable of a topic (its override, else the broker default). */
    private readonly uncleanAllowed: (topic: ControllerTopic) => boolean,
  ) {}

  static async open(opts: { clusterId: string; store: SegmentStore | null; logger: Logger; uncleanAllowed: (topic: ControllerTopic) => boolean }): Promise<ClusterController> {
    const c = new ClusterController(opts.clusterId, opts.store, opts.logger, opts.uncleanAllowed);
    const saved = opts.store ? await opts.store.readWhole(STATE_FILE) : undefined;
    if (saved !== undefined) {
      const parsed = JSON.parse(saved.toString('utf8')) as { clusterId?: string; topics?: ControllerTopic[] };
      for (const t of parsed.topics ?? []) c.#topics.set(t.name, t);
    }
    return c;
  }

  // --- brokers ---

  register(b: Omit<ClusterBroker, 'alive'>): void {
    this.#brokers.set(b.id, { ...b, alive: false });
  }

  brokers(): ClusterBroker[] {
    return [...this.#brokers.values()].sort((a, b) => a.id - b.id);
  }

  broker(id: number): ClusterBroker | undefined {
    return this.#brokers.get(id);
  }

  liveBrokers(): ClusterBroker[] {
    return this.brokers().filter((b) => b.alive);
  }

  /** The active controller's id as Metadata reports it: the lowest live broker. */
  get controllerId(): number {
    return this.liveBrokers()[0]?.id ?? -1;
  }

  /** A broker is serving: offline partitions it can lead get it as leader, and it hears every partition's state. */
  brokerStarted(id: number, member: ClusterMember): void {
    const b = this.#brokers.get(id);
    if (!b) throw new Error(`broker ${id} is not registered`);
    b.alive = true;
    this.#members.set(id, member);
    this.logger.info({ broker: id }, 'broker joined the cluster');
    for (const t of this.#topics.values()) {
      t.partitions.forEach((s, p) => {
        if (s.leader === -1 && s.replicas.includes(id)) this.#elect(t.name, p, s);
        if (s.replicas.includes(id)) member.partitionChanged(t.name, p, s);
      });
    }
    this.#persist();
  }

  /** A broker stopped (or was killed): it leaves every ISR and loses every leadership. */
  brokerStopped(id: number): void {
    const b = this.#brokers.get(id);
    if (!b || !b.alive) return;
    b.alive = false;
    this.#members.delete(id);
    this.logger.info({ broker: id }, 'broker left the cluster');
    // The whole cluster is stopping: the state stays as it was, to be found again at the next start.
    if (this.#shuttingDown) return;
    for (const t of this.#topics.values()) {
      t.partitions.forEach((s, p) => {
        if (!s.replicas.includes(id)) return;
        // The last ISR member stays listed, as Kafka keeps it: it is the one a clean election waits for.
        if (s.isr.includes(id) && s.isr.length > 1) s.isr = s.isr.filter((r) => r !== id);
        if (s.leader === id) this.#elect(t.name, p, s);
        else this.#publish(t.name, p, s);
      });
    }
    this.#persist();
  }

  // --- topics ---

  topics(): ControllerTopic[] {
    return [...this.#topics.values()];
  }

  topic(name: string): ControllerTopic | undefined {
    return this.#topics.get(name);
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    return this.#topics.get(topic)?.partitions[partition];
  }

  /** Replica lists for new partitions over the registered brokers (Kafka places over registered, not only live, ones). */
  place(count: number, replicationFactor: number, firstPartition = 0): number[][] {
    const brokers: PlacementBroker[] = this.brokers().map((b) => ({ id: b.id, rack: b.rack }));
    return placeReplicas(brokers, count, replicationFactor, { firstPartition });
  }

  /** Records a new topic (or new partitions of one) and elects their first leaders. */
  addPartitions(name: string, topicId: string, configs: Record<string, string>, assignments: number[][]): void {
    const t = this.#topics.get(name) ?? { name, topicId, configs, partitions: [] };
    this.#topics.set(name, t);
    for (const replicas of assignments) {
      const live = replicas.filter((r) => this.#brokers.get(r)?.alive);
      const s: PartitionState = { replicas, leader: -1, leaderEpoch: -1, isr: live.length > 0 ? live : [...replicas] };
      t.partitions.push(s);
      this.#elect(name, t.partitions.length - 1, s);
    }
    this.#persist();
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.#topics.get(name);
    if (t) t.configs = configs;
    this.#persist();
  }

  removeTopic(name: string): void {
    this.#topics.delete(name);
    this.#persist();
  }

  /**
   * auto.leader.rebalance.enable: a partition whose preferred replica (the first) is alive and
   * in sync but does not lead gets it back as leader, as Kafka's controller does on its
   * leader.imbalance.check.interval.seconds timer.
   */
  electPreferredLeaders(): number {
    let moved = 0;
    for (const t of this.#topics.values()) {
      t.partitions.forEach((s, p) => {
        const preferred = s.replicas[0]!;
        if (s.leader === preferred || !this.#brokers.get(preferred)?.alive || !s.isr.includes(preferred)) return;
        s.leader = preferred;
        s.leaderEpoch++;
        moved++;
        this.logger.info({ topic: t.name, partition: p, leader: preferred, leaderEpoch: s.leaderEpoch }, 'preferred leader elected');
        this.#publish(t.name, p, s);
      });
    }
    if (moved > 0) this.#persist();
    return moved;
  }

  // --- ISR changes, asked for by a partition's leader ---

  shrinkIsr(topic: string, partition: number, leader: number, replica: number): void {
    const s = this.partition(topic, partition);
    if (!s || s.leader !== leader || !s.isr.includes(replica) || s.isr.length <= 1) return;
    s.isr = s.isr.filter((r) => r !== replica);
    this.logger.info({ topic, partition, replica, isr: s.isr }, 'replica left the ISR');
    this.#publish(topic, partition, s);
    this.#persist();
  }

  expandIsr(topic: string, partition: number, leader: number, replica: number): void {
    const s = this.partition(topic, partition);
    if (!s || s.leader !== leader || s.isr.includes(replica) || !s.replicas.includes(replica)) return;
    s.isr = s.replicas.filter((r) => r === replica || s.isr.includes(r));
    this.logger.info({ topic, partition, replica, isr: s.isr }, 'replica joined the ISR');
    this.#publish(topic, partition, s);
    this.#persist();
  }

  #elect(topic: string, partition: number, s: PartitionState): void {
    const alive = (r: number) => this.#brokers.get(r)?.alive === true;
    let leader = s.replicas.find((r) => alive(r) && s.isr.includes(r));
    let unclean = false;
    const t = this.#topics.get(topic);
    if (leader === undefined && t !== undefined && this.uncleanAllowed(t)) {
      leader = s.replicas.find(alive);
      unclean = leader !== undefined;
    }
    const previous = s.leader;
    s.leader = leader ?? -1;
    if (s.leader !== previous) s.leaderEpoch++;
    if (unclean) s.isr = [s.leader];
    if (s.leader === -1) this.logger.warn({ topic, partition, replicas: s.replicas, isr: s.isr }, 'partition offline: no in-sync replica is alive');
    else if (s.leader !== previous) this.logger.info({ topic, partition, leader: s.leader, leaderEpoch: s.leaderEpoch, unclean }, 'elected leader');
    this.#publish(topic, partition, s);
  }

  #publish(topic: string, partition: number, s: PartitionState): void {
    for (const r of s.replicas) this.#members.get(r)?.partitionChanged(topic, partition, s);
  }

  #persist(): void {
    const store = this.store;
    if (store === null) return;
    const text = JSON.stringify({ clusterId: this.clusterId, topics: [...this.#topics.values()] });
    this.#persisting = this.#persisting.then(() => store.writeAtomic(STATE_FILE, text)).catch((err: unknown) => this.logger.error({ err }, 'could not save the cluster state'));
  }

  /** Every broker is about to stop: no more elections. */
  shutdown(): void {
    this.#shuttingDown = true;
  }

  /** Resolves once every state change so far is on disk. */
  flush(): Promise<void> {
    return this.#persisting;
  }
}
