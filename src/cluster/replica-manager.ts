/**
 * One broker's part in replication, as Kafka's ReplicaManager: for the partitions it leads,
 * the followers' log ends (from their fetches), the ISR checks and the high watermark (the
 * lowest log end in the ISR); for the partitions it follows, the replica fetcher. Produce
 * with acks=all waits here for the high watermark to pass its records.
 *
 * A follower is caught up when it fetched from the leader's log end, or from the log end the
 * leader had at its previous fetch (Kafka's rule); one not caught up for
 * replica.lag.time.max.ms leaves the ISR, and one that reaches the high watermark returns.
 */
import type { Logger } from '../log.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { PartitionLog } from '../storage/index.js';
import type { ClusterController, ClusterMember, PartitionState } from './controller.js';
import { ReplicaFetcher, type RequestSender } from './replica-fetcher.js';
import type { TopicManager } from './topic-manager.js';

interface FollowerState {
  logEnd: bigint;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end at the follower's previous fetch. */
  leaderEndAtLastFetch: bigint;
}

interface AckWaiter {
  offset: bigint;
  minIsr: number;
  resolve: (code: number) => void;
  timer: NodeJS.Timeout;
}

interface Led {
  epoch: number;
  followers: Map<number, FollowerState>;
  waiters: Set<AckWaiter>;
  unsubscribe: () => void;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class ReplicaManager implements ClusterMember {
  readonly #led = new Map<string, Led>();
  /** Logs being made for partitions this broker was just assigned. */
  readonly #opening = new Set<string>();
  readonly fetcher: ReplicaFetcher;
  readonly #isrTimer: NodeJS.Timeout;
  #closed = false;

  constructor(
    readonly nodeId: number,
    readonly controller: ClusterController,
    private readonly topics: TopicManager,
    private readonly opts: {
      replicaLagTimeMaxMs: number;
      fetchWaitMaxMs: number;
      logger: Logger;
      /** This broker started leading a partition (a new epoch: true), or follows it (false, on every change). */
      onLeadership?: (topic: string, partition: number, leader: boolean) => void;
      /** Requests to the other brokers (the replica fetcher's). */
      senderTo: (from: number, to: number) => RequestSender | undefined;
    },
  ) {
    this.fetcher = new ReplicaFetcher({ nodeId, controller, topics, senderTo: opts.senderTo, fetchWaitMaxMs: opts.fetchWaitMaxMs, logger: opts.logger.child({ component: 'replica-fetcher' }) });
    // Kafka checks every half of the lag time.
    this.#isrTimer = setInterval(() => this.checkIsr(), Math.min(Math.max(10, Math.floor(opts.replicaLagTimeMaxMs / 2)), 2 ** 31 - 1));
    this.#isrTimer.unref();
  }

  state(topic: string, partition: number): PartitionState | undefined {
    return this.controller.partition(topic, partition);
  }

  isLeader(topic: string, partition: number): boolean {
    return this.state(topic, partition)?.leader === this.nodeId;
  }

  partitionChanged(topic: string, partition: number, s: PartitionState): void {
    if (this.#closed) return;
    if (!s.replicas.includes(this.nodeId)) {
      this.#dropReplica(topic, partition);
      return;
    }
    const log = this.topics.partition(topic, partition);
    if (!log) {
      this.#openReplica(topic, partition);
      return;
    }
    log.setReplicated();
    const k = key(topic, partition);
    const led = this.#led.get(k);
    if (s.leader === this.nodeId) {
      if (led === undefined || led.epoch !== s.leaderEpoch) {
        led?.unsubscribe();
        this.fetcher.unfollow(topic, partition);
        void log.becomeLeader(s.leaderEpoch).catch((err: unknown) => this.opts.logger.error({ err, topic, partition }, 'could not start the leader epoch'));
        const next: Led = { epoch: s.leaderEpoch, followers: new Map(), waiters: led?.waiters ?? new Set(), unsubscribe: log.onAppend(() => this.#updateHighWatermark(topic, partition, log)) };
        this.#led.set(k, next);
        this.opts.onLeadership?.(topic, partition, true);
      }
      // Replicas come and go with reassignments within one leader epoch.
      const followers = this.#led.get(k)!.followers;
      for (const r of s.replicas) if (r !== this.nodeId && !followers.has(r)) followers.set(r, { logEnd: -1n, lastCaughtUpMs: Date.now(), lastFetchMs: 0, leaderEndAtLastFetch: -1n });
      for (const r of followers.keys()) if (!s.replicas.includes(r)) followers.delete(r);
      this.#updateHighWatermark(topic, partition, log);
      return;
    }
    this.#resign(topic, partition);
    log.becomeFollower();
    if (s.leader >= 0) this.fetcher.follow(topic, partition, s.leader, s.leaderEpoch);
    else this.fetcher.unfollow(topic, partition);
  }

  /** No longer leading the partition: acks=all waiters are answered and coordination stops. */
  #resign(topic: string, partition: number): void {
    const led = this.#led.get(key(topic, partition));
    if (led !== undefined) {
      led.unsubscribe();
      this.#led.delete(key(topic, partition));
      for (const w of led.waiters) this.#settle(led, w, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    this.opts.onLeadership?.(topic, partition, false);
  }

  /** A reassignment made this broker a replica: its log is made, then it follows (or leads) as the controller says. */
  #openReplica(topic: string, partition: number): void {
    const k = key(topic, partition);
    if (this.#opening.has(k) || !this.topics.get(topic)) return;
    this.#opening.add(k);
    void this.topics
      .openReplica(topic, partition)
      .then(() => {
        this.#opening.delete(k);
        const s = this.state(topic, partition);
        if (s && this.topics.partition(topic, partition)) this.partitionChanged(topic, partition, s);
      })
      .catch((err: unknown) => {
        this.#opening.delete(k);
        this.opts.logger.error({ err, topic, partition }, 'could not create the log of a new replica');
      });
  }

  /** A reassignment took this broker out of the replicas: it stops serving the partition and deletes its log, as Kafka's StopReplica. */
  #dropReplica(topic: string, partition: number): void {
    this.fetcher.unfollow(topic, partition);
    if (!this.topics.partition(topic, partition)) return;
    this.#resign(topic, partition);
    void this.topics.dropReplica(topic, partition).catch((err: unknown) => this.opts.logger.error({ err, topic, partition }, 'could not delete the log of a removed replica'));
  }

  /** A follower's fetch reached the leader (Fetch with a replica id): its log end is `fetchOffset`. */
  followerFetched(topic: string, partition: number, replicaId: number, fetchOffset: bigint): void {
    const led = this.#led.get(key(topic, partition));
    const log = this.topics.partition(topic, partition);
    const f = led?.followers.get(replicaId);
    if (!led || !log || !f) return;
    const now = Date.now();
    const leaderEnd = log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.leaderEndAtLastFetch && f.lastFetchMs > 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEnd = fetchOffset;
    f.lastFetchMs = now;
    f.leaderEndAtLastFetch = leaderEnd;
    const s = this.state(topic, partition)!;
    if (!s.isr.includes(replicaId) && fetchOffset >= log.highWatermark && fetchOffset >= this.#epochStart(log, led.epoch)) {
      this.controller.expandIsr(topic, partition, this.nodeId, replicaId);
    }
    this.#updateHighWatermark(topic, partition, log);
  }

  /** Followers out of touch for replica.lag.time.max.ms leave the ISR. */
  checkIsr(): void {
    const now = Date.now();
    for (const [k, led] of this.#led) {
      const [topic, p] = k.split('\u0000') as [string, string];
      const partition = Number(p);
      const s = this.state(topic, partition);
      const log = this.topics.partition(topic, partition);
      if (!s || !log) continue;
      for (const [id, f] of led.followers) {
        if (s.isr.includes(id) && f.logEnd < log.logEndOffset && now - f.lastCaughtUpMs > this.opts.replicaLagTimeMaxMs) {
          this.controller.shrinkIsr(topic, partition, this.nodeId, id);
        }
      }
      this.#updateHighWatermark(topic, partition, log);
    }
  }

  /**
   * acks=all: resolves NONE once the high watermark passes `offset`, NOT_ENOUGH_REPLICAS_AFTER_APPEND
   * when the ISR falls below `minIsr` meanwhile, NOT_LEADER_OR_FOLLOWER when leadership moves,
   * REQUEST_TIMED_OUT after `timeoutMs`.
   */
  waitForReplicas(topic: string, partition: number, offset: bigint, minIsr: number, timeoutMs: number): Promise<number> {
    const led = this.#led.get(key(topic, partition));
    if (!led) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return new Promise((resolve) => {
      const w: AckWaiter = { offset, minIsr, resolve, timer: setTimeout(() => this.#settle(led, w, ErrorCode.REQUEST_TIMED_OUT), Math.max(0, timeoutMs)) };
      led.waiters.add(w);
      const log = this.topics.partition(topic, partition);
      if (log) this.#updateHighWatermark(topic, partition, log);
    });
  }

  #settle(led: Led, w: AckWaiter, code: number): void {
    if (!led.waiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(code);
  }

  #epochStart(log: PartitionLog, epoch: number): bigint {
    const prev = log.endOffsetForEpoch(epoch - 1);
    return prev.epoch < 0 ? 0n : prev.endOffset;
  }

  #updateHighWatermark(topic: string, partition: number, log: PartitionLog): void {
    const led = this.#led.get(key(topic, partition));
    const s = this.state(topic, partition);
    if (!led || !s || s.leader !== this.nodeId) return;
    let hw = log.logEndOffset;
    for (const id of s.isr) {
      if (id === this.nodeId) continue;
      const f = led.followers.get(id);
      const end = f === undefined || f.logEnd < 0n ? log.highWatermark : f.logEnd;
      if (end < hw) hw = end;
    }
    log.advanceHighWatermark(hw);
    // As Kafka's DelayedProduce: once the high watermark passes the records, the ISR they reached must still be large enough.
    for (const w of led.waiters) {
      if (log.highWatermark > w.offset) this.#settle(led, w, s.isr.length < w.minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#isrTimer);
    for (const led of this.#led.values()) {
      led.unsubscribe();
      for (const w of led.waiters) this.#settle(led, w, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    this.#led.clear();
    await this.fetcher.close();
  }
}
