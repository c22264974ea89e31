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
import { ErrorCode } from '../protocol/generated/errors.js';
import type { SegmentStore } from '../storage/index.js';
import { placeReplicas, type PlacementBroker } from './replica-placement.js';

export interface PartitionState {
  replicas: number[];
  /** -1 while no replica may lead. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** A reassignment under way (AlterPartitionReassignments): replicas joining, and leaving once the joining ones are in sync. */
  adding?: number[];
  removing?: number[];
}

/** An answer to one partition of an admin request, as Kafka's controller gives it. */
export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const OK: PartitionOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };
const failed = (errorCode: number, errorMessage: string | null): PartitionOutcome => ({ errorCode, errorMessage });

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

  // --- ElectLeaders, as Kafka's ReplicationControlManager answers it ---

  /**
   * A preferred election moves leadership to the first replica when it is alive and in sync
   * (or, failing that, to any in-sync live replica if the partition has no valid leader); an
   * unclean one gives an offline partition any live replica, with only that one in the ISR,
   * whatever unclean.leader.election.enable says: the admin asked for it.
   */
  electLeader(topic: string, partition: number, type: 'preferred' | 'unclean'): PartitionOutcome {
    const t = this.#topics.get(topic);
    if (!t) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topic}`);
    const s = t.partitions[partition];
    if (!s) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topic}-${partition}`);
    const preferred = s.replicas[0]!;
    if (type === 'preferred' ? s.leader === preferred : s.leader >= 0) return failed(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    const valid = (r: number) => s.isr.includes(r) && this.#alive(r);
    let leader: number | undefined;
    let unclean = false;
    if (type === 'preferred') {
      leader = valid(preferred) ? preferred : valid(s.leader) ? s.leader : s.replicas.slice(1).find(valid);
    } else {
      leader = s.replicas.find(valid);
      if (leader === undefined) {
        leader = s.replicas.find((r) => this.#alive(r));
        unclean = leader !== undefined;
      }
    }
    if (leader === undefined || leader === s.leader) {
      return type === 'preferred'
        ? failed(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'The preferred leader was not available.')
        : failed(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'Eligible topic partition leaders are not available.');
    }
    this.#lead(topic, partition, s, leader, unclean);
    this.#persist();
    return OK;
  }

  // --- reassignments (AlterPartitionReassignments), as Kafka's controller runs them ---

  /**
   * Starts (or replaces, or with `target` null cancels) a partition's reassignment. The
   * replicas become the target followed by the current ones not in it; the new ones are
   * followers until they join the ISR, and once all have, the old ones leave (completing at
   * once when nothing is added). A leader that is not in the final ISR hands over to the first
   * in-sync replica of the target.
   */
  reassign(topic: string, partition: number, target: number[] | null, allowReplicationFactorChange: boolean): PartitionOutcome {
    const t = this.#topics.get(topic);
    if (!t) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topic}.`);
    const s = t.partitions[partition];
    if (!s) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}:${partition}.`);
    const before = [...s.replicas];
    if (target === null) {
      if (!s.adding?.length && !s.removing?.length) return failed(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null);
      const adding = s.adding ?? [];
      const replicas = s.replicas.filter((r) => !adding.includes(r));
      let isr = s.isr.filter((r) => !adding.includes(r));
      if (isr.length === 0) {
        if (!this.uncleanAllowed(t)) {
          return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unable to revert partition assignment for ${topic}:${partition} because it would require an unclean leader election.`);
        }
        isr = [replicas[0]!];
      }
      this.logger.info({ topic, partition, replicas }, 'reassignment cancelled');
      delete s.adding;
      delete s.removing;
      this.#setAssignment(topic, partition, s, replicas, isr, before);
      return OK;
    }
    if (target.length === 0) return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
    let previous: number | undefined;
    for (const id of [...target].sort((a, b) => a - b)) {
      if (!this.#brokers.has(id)) return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
      if (id === previous) return failed(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${id} more than once.`);
      previous = id;
    }
    if (!allowReplicationFactorChange && target.length !== s.replicas.length) {
      return failed(ErrorCode.INVALID_REPLICATION_FACTOR, `The replication factor is changed from ${s.replicas.length} to ${target.length}`);
    }
    const adding = target.filter((r) => !s.replicas.includes(r));
    const removing = s.replicas.filter((r) => !target.includes(r));
    s.adding = adding;
    s.removing = removing;
    this.logger.info({ topic, partition, target, adding, removing }, 'reassignment started');
    this.#setAssignment(topic, partition, s, [...target, ...removing], s.isr, before);
    return OK;
  }

  /** Partitions with a reassignment under way. */
  reassignments(): Array<{ topic: string; partition: number; state: PartitionState }> {
    const out: Array<{ topic: string; partition: number; state: PartitionState }> = [];
    for (const t of this.#topics.values()) {
      t.partitions.forEach((s, p) => {
        if (s.adding?.length || s.removing?.length) out.push({ topic: t.name, partition: p, state: s });
      });
    }
    return out;
  }

  /** New replicas and ISR; completes the reassignment if it can, re-elects if the leader must go, and tells every replica old and new. */
  #setAssignment(topic: string, partition: number, s: PartitionState, replicas: number[], isr: number[], before: number[]): void {
    s.replicas = replicas;
    s.isr = replicas.filter((r) => isr.includes(r));
    if (!s.adding?.length && !s.removing?.length) {
      delete s.adding;
      delete s.removing;
    }
    this.#completeReassignment(topic, partition, s);
    this.#afterIsrChange(topic, partition, s, before);
  }

  /** Once every added replica is in sync, the removed ones leave the replicas and the ISR. */
  #completeReassignment(topic: string, partition: number, s: PartitionState): void {
    if (s.adding === undefined && s.removing === undefined) return;
    const adding = s.adding ?? [];
    const removing = s.removing ?? [];
    if (!adding.every((r) => s.isr.includes(r))) return;
    const isr = s.isr.filter((r) => !removing.includes(r));
    if (isr.length === 0) return;
    s.replicas = s.replicas.filter((r) => !removing.includes(r));
    s.isr = isr;
    delete s.adding;
    delete s.removing;
    this.logger.info({ topic, partition, replicas: s.replicas, isr: s.isr }, 'reassignment completed');
  }

  /** A leader outside the ISR (or stopped) is replaced from the ISR in replica order; then every replica, old and new, hears the state. */
  #afterIsrChange(topic: string, partition: number, s: PartitionState, before: number[]): void {
    if (!s.isr.includes(s.leader) || !this.#alive(s.leader)) {
      const leader = s.replicas.find((r) => s.isr.includes(r) && this.#alive(r));
      this.#lead(topic, partition, s, leader ?? -1, false, before);
    } else {
      this.#publish(topic, partition, s, before);
    }
    this.#persist();
  }

  #alive(id: number): boolean {
    return this.#brokers.get(id)?.alive === true;
  }

  #lead(topic: string, partition: number, s: PartitionState, leader: number, unclean: boolean, before: number[] = []): void {
    const previous = s.leader;
    s.leader = leader;
    if (leader !== previous) s.leaderEpoch++;
    if (unclean) s.isr = [leader];
    if (leader === -1) this.logger.warn({ topic, partition, replicas: s.replicas, isr: s.isr }, 'partition offline: no in-sync replica is alive');
    else if (leader !== previous) this.logger.info({ topic, partition, leader, leaderEpoch: s.leaderEpoch, unclean }, 'elected leader');
    this.#publish(topic, partition, s, before);
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
    // A fetch from a broker that has just stopped can still reach its leader; Kafka refuses such
    // an expansion (INELIGIBLE_REPLICA), or the stopped broker would be back in the ISR.
    if (!s || s.leader !== leader || s.isr.includes(replica) || !s.replicas.includes(replica) || !this.#alive(replica)) return;
    const before = [...s.replicas];
    s.isr = s.replicas.filter((r) => r === replica || s.isr.includes(r));
    this.logger.info({ topic, partition, replica, isr: s.isr }, 'replica joined the ISR');
    this.#completeReassignment(topic, partition, s);
    this.#afterIsrChange(topic, partition, s, before);
  }

  #elect(topic: string, partition: number, s: PartitionState): void {
    let leader = s.replicas.find((r) => this.#alive(r) && s.isr.includes(r));
    let unclean = false;
    const t = this.#topics.get(topic);
    if (leader === undefined && t !== undefined && this.uncleanAllowed(t)) {
      leader = s.replicas.find((r) => this.#alive(r));
      unclean = leader !== undefined;
    }
    this.#lead(topic, partition, s, leader ?? -1, unclean);
  }

  /** Tells the replicas (and those in `before` that no longer are) a partition's new state. */
  #publish(topic: string, partition: number, s: PartitionState, before: number[] = []): void {
    for (const r of new Set([...s.replicas, ...before])) this.#members.get(r)?.partitionChanged(topic, partition, s);
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
