/**
 * A follower's replica fetcher: one loop per leader broker sends real Fetch requests (with
 * this broker's replica id, the partition's leader epoch and the last fetched epoch) to the
 * leader's dispatch in this process, appends what comes back with the leader's offsets and
 * epochs, and takes the leader's high watermark (up to its own log end).
 *
 * After a leader change a follower first asks the new leader where its own latest epoch ended
 * (OffsetForLeaderEpoch, as Kafka's followers did before KIP-595 moved it into Fetch) and
 * truncates what the leader does not have: records of an old leader that never reached the
 * ISR, or everything past the leader's log after an unclean election. A fetch offset the
 * leader answers OFFSET_OUT_OF_RANGE is checked against the leader's log end and start
 * (ListOffsets, as Kafka's fetcher): past its end the follower truncates to it; below its
 * start (retention or DeleteRecords moved it while the follower was away) the follower
 * empties its log and starts at the leader's log start.
 */
import type { Logger } from '../log.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { codec as fetchCodec, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchRequest } from '../protocol/generated/001-fetch.js';
import { codec as listOffsetsCodec, defaultListOffsetsPartition, defaultListOffsetsRequest } from '../protocol/generated/002-list-offsets.js';
import { codec as epochCodec, defaultOffsetForLeaderEpochRequest, defaultOffsetForLeaderPartition } from '../protocol/generated/023-offset-for-leader-epoch.js';
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import type { ClusterController } from './controller.js';
import type { TopicManager } from './topic-manager.js';

/** Fetch v12: the last version naming topics, with the replica id in the body. */
const FETCH_VERSION = 12;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;
const LIST_OFFSETS_VERSION = 4;
const LATEST = -1n;
const EARLIEST = -2n;
const FETCH_MAX_BYTES = 10 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
const ERROR_BACKOFF_MS = 100;

interface Followed {
  topic: string;
  partition: number;
  leader: number;
  epoch: number;
  /** Checked against the leader's epochs (OffsetForLeaderEpoch) since following this epoch. */
  truncated: boolean;
}

export interface ReplicaFetcherOptions {
  nodeId: number;
  controller: ClusterController;
  topics: TopicManager;
  /** Requests to broker `to` as `from` sends them; undefined while it cannot be reached (stopped, isolated). */
  senderTo: (from: number, to: number) => RequestSender | undefined;
  fetchWaitMaxMs: number;
  logger: Logger;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Sends one request to a broker and resolves with its decoded response; `signal` aborts a
 * long poll when the fetcher stops. The virtual cluster answers through the broker's dispatch.
 */
export type RequestSender = <Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req, signal: AbortSignal) => Promise<Res>;

export class ReplicaFetcher {
  readonly #followed = new Map<string, Followed>();
  readonly #loops = new Map<number, Promise<void>>();
  readonly #abort = new AbortController();
  #closed = false;

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  follow(topic: string, partition: number, leader: number, epoch: number): void {
    const k = key(topic, partition);
    const prev = this.#followed.get(k);
    if (prev && prev.leader === leader && prev.epoch === epoch) return;
    this.#followed.set(k, { topic, partition, leader, epoch, truncated: false });
    this.#ensureLoop(leader);
  }

  unfollow(topic: string, partition: number): void {
    this.#followed.delete(key(topic, partition));
  }

  /** Partitions followed, with their leader (for /brokers and tests). */
  followed(): Array<{ topic: string; partition: number; leader: number }> {
    return [...this.#followed.values()].map(({ topic, partition, leader }) => ({ topic, partition, leader }));
  }

  #ensureLoop(leader: number): void {
    if (this.#closed || this.#loops.has(leader)) return;
    const run = this.#loop(leader)
      .catch((err: unknown) => this.opts.logger.error({ err, leader }, 'replica fetcher stopped'))
      .finally(() => {
        this.#loops.delete(leader);
        // A partition may have come to this leader while the loop was winding down.
        if (!this.#closed && [...this.#followed.values()].some((f) => f.leader === leader)) this.#ensureLoop(leader);
      });
    this.#loops.set(leader, run);
  }

  async #loop(leader: number): Promise<void> {
    while (!this.#closed) {
      const parts = [...this.#followed.values()].filter((f) => f.leader === leader);
      if (parts.length === 0) return;
      const send = this.opts.senderTo(this.opts.nodeId, leader);
      if (send === undefined) {
        await this.#sleep(ERROR_BACKOFF_MS);
        continue;
      }
      try {
        const untruncated = parts.filter((f) => !f.truncated);
        if (untruncated.length > 0) await this.#truncate(send, untruncated);
        const ready = parts.filter((f) => f.truncated);
        // A round with nothing to fetch (no local log yet, the leader's epoch answer pending or
        // failed) waits too: without a real await the loop would spin on microtasks and starve
        // every timer in the process.
        if (ready.length === 0 || !(await this.#fetch(send, ready))) await this.#sleep(ERROR_BACKOFF_MS);
        // In-process peers can answer without touching the event loop (a fetch that returns at
        // once), so every round also gives timers and I/O their turn.
        else await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (err) {
        if (this.#closed) return;
        this.opts.logger.warn({ err, leader }, 'replica fetch failed');
        await this.#sleep(ERROR_BACKOFF_MS);
      }
    }
  }

  async #truncate(send: RequestSender, parts: Followed[]): Promise<void> {
    const asked: Array<{ f: Followed; epoch: number }> = [];
    const byTopic = new Map<string, ReturnType<typeof defaultOffsetForLeaderPartition>[]>();
    for (const f of parts) {
      const log = this.opts.topics.partition(f.topic, f.partition);
      if (!log) continue;
      if (log.latestEpoch < 0) {
        // Nothing written under any epoch: nothing to compare.
        f.truncated = true;
        continue;
      }
      asked.push({ f, epoch: log.latestEpoch });
      byTopic.set(f.topic, [...(byTopic.get(f.topic) ?? []), { ...defaultOffsetForLeaderPartition(), partition: f.partition, currentLeaderEpoch: f.epoch, leaderEpoch: log.latestEpoch }]);
    }
    if (asked.length === 0) return;
    const res = await send(
      epochCodec,
      OFFSET_FOR_LEADER_EPOCH_VERSION,
      { ...defaultOffsetForLeaderEpochRequest(), replicaId: this.opts.nodeId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) },
      this.#abort.signal,
    );
    if (this.opts.senderTo(this.opts.nodeId, parts[0]!.leader) !== send) return;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const entry = asked.find((a) => a.f.topic === t.topic && a.f.partition === p.partition);
        const log = this.opts.topics.partition(t.topic, p.partition);
        if (!entry || !log || p.errorCode !== ErrorCode.NONE || this.#followed.get(key(t.topic, p.partition)) !== entry.f) continue;
        let to = p.endOffset;
        // The leader knows an older epoch only: cut where that epoch ends here too, if sooner.
        if (p.leaderEpoch >= 0 && p.leaderEpoch < entry.epoch) {
          const local = log.endOffsetForEpoch(p.leaderEpoch);
          if (local.epoch === p.leaderEpoch && local.endOffset < to) to = local.endOffset;
        }
        if (p.leaderEpoch >= 0 && to >= 0n && to < log.logEndOffset) {
          this.opts.logger.info({ topic: t.topic, partition: p.partition, from: log.logEndOffset.toString(), to: to.toString(), leaderEpoch: entry.f.epoch }, 'truncating to the leader\'s log');
          await log.truncateTo(to);
        }
        entry.f.truncated = true;
      }
    }
  }

  /** One Fetch to the leader; false when every partition came back with an error (then back off). */
  async #fetch(send: RequestSender, parts: Followed[]): Promise<boolean> {
    const byTopic = new Map<string, FetchRequest['topics'][number]['partitions']>();
    for (const f of parts) {
      const log = this.opts.topics.partition(f.topic, f.partition);
      if (!log) continue;
      byTopic.set(f.topic, [
        ...(byTopic.get(f.topic) ?? []),
        { ...defaultFetchPartition(), partition: f.partition, currentLeaderEpoch: f.epoch, fetchOffset: log.logEndOffset, lastFetchedEpoch: log.latestEpoch, logStartOffset: log.logStartOffset, partitionMaxBytes: PARTITION_MAX_BYTES },
      ]);
    }
    if (byTopic.size === 0) return false;
    const res = await send(
      fetchCodec,
      FETCH_VERSION,
      {
        ...defaultFetchRequest(),
        replicaId: this.opts.nodeId,
        maxWaitMs: this.opts.fetchWaitMaxMs,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics: [...byTopic].map(([topic, partitions]) => ({ ...defaultFetchTopic(), topic, partitions })),
      },
      this.#abort.signal,
    );
    // Cut off while the fetch was in flight (an injected isolation): the answer is lost too.
    if (this.opts.senderTo(this.opts.nodeId, parts[0]!.leader) !== send) return false;
    let anyOk = false;
    const outOfRange: Followed[] = [];
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const f = this.#followed.get(key(t.topic, p.partitionIndex));
        const log = this.opts.topics.partition(t.topic, p.partitionIndex);
        if (!f || !log || !parts.includes(f)) continue;
        if (p.errorCode !== ErrorCode.NONE) {
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) outOfRange.push(f);
          continue;
        }
        anyOk = true;
        const records = p.records as Buffer | null;
        // A copy: the log keeps what it appends, and must not keep the whole response alive.
        if (records !== null && records.length > 0) await log.append(Buffer.from(records), { origin: 'replication' });
        log.advanceHighWatermark(p.highWatermark);
        // The leader's log start moved (DeleteRecords, retention): so does the follower's, as far as its high watermark.
        const start = p.logStartOffset < log.highWatermark ? p.logStartOffset : log.highWatermark;
        if (start > log.logStartOffset) await log.deleteRecordsBefore(start);
      }
    }
    if (outOfRange.length > 0) await this.#resetOutOfRange(send, outOfRange);
    return anyOk;
  }

  /** The leader's log end and start for partitions whose fetch offset it refused, and the truncation they call for. */
  async #resetOutOfRange(send: RequestSender, parts: Followed[]): Promise<void> {
    const ask = async (timestamp: bigint) => {
      const byTopic = new Map<string, ReturnType<typeof defaultListOffsetsPartition>[]>();
      for (const f of parts) byTopic.set(f.topic, [...(byTopic.get(f.topic) ?? []), { ...defaultListOffsetsPartition(), partitionIndex: f.partition, currentLeaderEpoch: f.epoch, timestamp }]);
      const res = await send(listOffsetsCodec, LIST_OFFSETS_VERSION, { ...defaultListOffsetsRequest(), replicaId: this.opts.nodeId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }, this.#abort.signal);
      const offsets = new Map<string, bigint>();
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) offsets.set(key(t.name, p.partitionIndex), p.offset);
      return offsets;
    };
    const ends = await ask(LATEST);
    const starts = await ask(EARLIEST);
    if (this.opts.senderTo(this.opts.nodeId, parts[0]!.leader) !== send) return;
    for (const f of parts) {
      const k = key(f.topic, f.partition);
      const log = this.opts.topics.partition(f.topic, f.partition);
      const end = ends.get(k);
      const start = starts.get(k);
      if (!log || this.#followed.get(k) !== f || end === undefined || start === undefined) continue;
      if (end < log.logEndOffset) {
        this.opts.logger.info({ topic: f.topic, partition: f.partition, from: log.logEndOffset.toString(), to: end.toString() }, 'truncating to the leader\'s log end');
        await log.truncateTo(end);
      } else if (start > log.logEndOffset) {
        await log.truncateFullyAndStartAt(start);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#loops.values()]);
  }
}
