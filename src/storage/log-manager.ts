/**
 * LogManager: every partition log under one data dir (Kafka's log.dirs entry).
 *
 *   static open(opts: LogManagerOptions): Promise<LogManager>
 *       Loads every "<topic>-<partition>" folder: clean start when .kafka_cleanshutdown is there
 *       (it is then removed, so a crash from here on is noticed), recovery from
 *       recovery-point-offset-checkpoint otherwise; log starts from log-start-offset-checkpoint,
 *       high watermarks (for replicated logs) from replication-offset-checkpoint.
 *   get(topic, partition): PartitionLog | undefined
 *   logs(): PartitionLog[]
 *   topicIdOf(topic): string | undefined                  from partition.metadata
 *   createPartition(topic, partition, opts?): Promise<PartitionLog>   idempotent
 *   createPartitions(topic, from, to, opts?): Promise<void>          [from, to), bounded parallelism
 *   deletePartition(topic, partition): Promise<boolean>
 *   deleteTopic(topic): Promise<number>                   partitions deleted
 *   updateTopicConfig(topic, changes: Partial<LogConfig>): void     live
 *   runRetention(nowMs?): Promise<number>, flushDue(nowMs?): Promise<void>, checkpoint(): Promise<void>
 *   close(): Promise<void>                                 flushes, checkpoints, marks clean
 *   crash(): Promise<void>                                 a virtual cluster's crash-stop: unflushed tails lost, nothing written
 *
 * A timer (unref'd) drives flush.ms, retention and checkpoints as Kafka's scheduler does; with
 * it on, the log cleaner (`cleaner`) compacts logs whose cleanup.policy has "compact" in the
 * background.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { formatOffsetCheckpoint, formatPartitionMetadata, parseOffsetCheckpoint, parsePartitionMetadata } from './checkpoint-files.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  PARTITION_METADATA_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  STRAY_SUFFIX,
  joinPath,
  parsePartitionDirName,
  partitionDirName,
} from './file-names.js';
import type { LogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import { TailBudget } from './tail-cache.js';
import { mapBounded } from './bounded-map.js';
import { LogCleaner, type LogCleanerOptions } from './cleaner/log-cleaner.js';
import type { SegmentStore } from './store.js';

export interface LogManagerOptions {
  store: SegmentStore;
  logger: Logger;
  /** Broker-wide log settings (log.segment.bytes and friends). */
  defaults?: Partial<LogConfig>;
  /** Per-topic overrides for logs found on disk at start. */
  configFor?: (topic: string) => Partial<LogConfig> | undefined;
  /** Memory for recent batches of all partitions together, shared evenly (skiff.tail.cache.bytes). */
  tailCacheBytes?: number;
  clock?: () => number;
  /** Scheduler tick; 0 turns the timer off (tests call the tasks themselves). */
  schedulerIntervalMs?: number;
  retentionCheckIntervalMs?: number;
  checkpointIntervalMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms (Kafka: 5 s). */
  highWatermarkCheckpointIntervalMs?: number;
  /** Log cleaner settings (log.cleaner.*); it runs in the background when the scheduler does. */
  cleaner?: Omit<Partial<LogCleanerOptions>, 'store' | 'logger' | 'logs'>;
  /** producer.id.expiration.ms, and how often expired producers are removed (Kafka: 10 minutes). */
  producerIdExpirationMs?: number;
  producerIdExpirationCheckIntervalMs?: number;
}

export interface CreatePartitionOptions {
  topicId?: string;
  config?: Partial<LogConfig>;
}

const DEFAULT_TAIL_CACHE_TOTAL = 64 * 1024 * 1024;
const MIN_TAIL_CACHE_SHARE = 64 * 1024;
const MAX_TAIL_CACHE_SHARE = 4 * 1024 * 1024;
/**
 * Partitions loaded, created or closed at once. Enough to overlap file I/O and fsyncs; all of
 * them at once would open every file of every partition together (EMFILE with many partitions).
 */
const LOAD_CONCURRENCY = 32;

export class LogManager {
  #tailShare = -1;
  readonly #tailBudget: TailBudget;
  readonly #opts: LogManagerOptions;
  readonly #store: SegmentStore;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #logs = new Map<string, PartitionLog>();
  readonly #topicIds = new Map<string, string>();
  readonly #topicConfigs = new Map<string, Partial<LogConfig>>();
  #timer: NodeJS.Timeout | undefined;
  #lastRetention: number;
  #lastCheckpoint: number;
  #lastHighWatermarkCheckpoint: number;
  #lastProducerExpiry: number;
  #checkpointChain: Promise<unknown> = Promise.resolve();
  #tickRunning = false;
  #closed = false;
  /** Compaction of logs with cleanup.policy=compact (set in open). */
  cleaner!: LogCleaner;

  private constructor(opts: LogManagerOptions) {
    this.#opts = opts;
    this.#tailBudget = new TailBudget(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_TOTAL);
    this.#store = opts.store;
    this.#logger = opts.logger;
    this.#clock = opts.clock ?? Date.now;
    this.#lastRetention = this.#lastCheckpoint = this.#lastHighWatermarkCheckpoint = this.#lastProducerExpiry = this.#clock();
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.#load();
    m.cleaner = await LogCleaner.open({
      ...opts.cleaner,
      store: opts.store,
      logger: opts.logger,
      logs: () => m.logs(),
      ...(opts.clock !== undefined && opts.cleaner?.clock === undefined ? { clock: opts.clock } : {}),
    });
    const interval = opts.schedulerIntervalMs ?? 1000;
    if (interval > 0) {
      m.#timer = setInterval(() => void m.#tick(), interval);
      m.#timer.unref();
      m.cleaner.start();
    }
    return m;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(partitionDirName(topic, partition));
  }

  logs(): PartitionLog[] {
    return [...this.#logs.values()];
  }

  topicIdOf(topic: string): string | undefined {
    return this.#topicIds.get(topic);
  }

  async createPartition(topic: string, partition: number, opts: CreatePartitionOptions = {}): Promise<PartitionLog> {
    const dir = partitionDirName(topic, partition);
    const existing = this.#logs.get(dir);
    if (existing !== undefined) return existing;
    if (opts.config !== undefined) this.#topicConfigs.set(topic, { ...this.#topicConfigs.get(topic), ...opts.config });
    if (opts.topicId !== undefined) {
      this.#topicIds.set(topic, opts.topicId);
      await this.#store.writeAtomic(joinPath(dir, PARTITION_METADATA_FILE), formatPartitionMetadata(opts.topicId));
    }
    const log = await this.#openLog(topic, partition, dir, { clean: true, recoveryPoint: 0n, logStartOffset: 0n });
    this.#logs.set(dir, log);
    this.#shareTailCache(log);
    return log;
  }

  /** createPartition for partitions [from, to) of one topic, a bounded number at a time. */
  async createPartitions(topic: string, from: number, to: number, opts: CreatePartitionOptions = {}): Promise<void> {
    const ids = Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
    await mapBounded(ids, LOAD_CONCURRENCY, (p) => this.createPartition(topic, p, opts));
  }

  async deletePartition(topic: string, partition: number): Promise<boolean> {
    const dir = partitionDirName(topic, partition);
    const log = this.#logs.get(dir);
    if (log === undefined) return false;
    this.#logs.delete(dir);
    this.#shareTailCache();
    await this.cleaner.abortAndWait(log);
    this.cleaner.forget(log);
    await log.close();
    await this.#store.delete(dir);
    this.#logger.info({ topic, partition }, 'deleted partition');
    return true;
  }

  /**
   * Closes a partition's log and renames its folder "<topic>-<partition>.<id>-stray", as Kafka
   * does with a log its metadata does not know: out of the way, not deleted. Returns the new name.
   */
  async setAsideStray(topic: string, partition: number): Promise<string | undefined> {
    const dir = partitionDirName(topic, partition);
    const log = this.#logs.get(dir);
    if (log === undefined) return undefined;
    this.#logs.delete(dir);
    this.#shareTailCache();
    await this.cleaner.abortAndWait(log);
    this.cleaner.forget(log);
    await log.close();
    const aside = `${dir}.${randomBytes(16).toString('hex')}${STRAY_SUFFIX}`;
    await this.#store.rename(dir, aside);
    return aside;
  }

  async deleteTopic(topic: string): Promise<number> {
    let n = 0;
    for (const log of this.logs()) if (log.topic === topic && (await this.deletePartition(topic, log.partition))) n++;
    this.#topicIds.delete(topic);
    this.#topicConfigs.delete(topic);
    return n;
  }

  updateTopicConfig(topic: string, changes: Partial<LogConfig>): void {
    this.#topicConfigs.set(topic, { ...this.#topicConfigs.get(topic), ...changes });
    for (const log of this.#logs.values()) if (log.topic === topic) log.updateConfig(changes);
  }

  async runRetention(nowMs = this.#clock()): Promise<number> {
    let n = 0;
    for (const log of this.logs()) n += await log.applyRetention(nowMs);
    return n;
  }

  async flushDue(nowMs = this.#clock()): Promise<void> {
    for (const log of this.logs()) await log.maybeFlush(nowMs);
  }

  /** Writes the offset checkpoints of all logs: recovery point, log start and high watermark, or only the last. */
  checkpoint(highWatermarksOnly = false): Promise<void> {
    const run = this.#checkpointChain.then(async () => {
      const logs = this.logs();
      const write = (name: string, offset: (l: PartitionLog) => bigint) =>
        this.#store.writeAtomic(name, formatOffsetCheckpoint(logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: offset(l) }))));
      if (!highWatermarksOnly) {
        await write(RECOVERY_POINT_CHECKPOINT_FILE, (l) => l.recoveryPoint);
        await write(LOG_START_OFFSET_CHECKPOINT_FILE, (l) => l.logStartOffset);
      }
      await write(REPLICATION_OFFSET_CHECKPOINT_FILE, (l) => l.highWatermark);
    });
    this.#checkpointChain = run.catch((e: unknown) => this.#logger.error({ err: e }, 'checkpoint failed'));
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.cleaner.close();
    await mapBounded(this.logs(), LOAD_CONCURRENCY, (log) => log.close());
    await this.checkpoint();
    await this.#store.writeAtomic(CLEAN_SHUTDOWN_FILE, '');
    this.#logger.debug({ partitions: this.#logs.size }, 'log manager closed cleanly');
  }

  /**
   * The process dies (a virtual cluster's crash-stop): every log loses its unflushed tail and
   * closes as it is, with no checkpoint and no clean-shutdown marker, so the next start recovers.
   */
  async crash(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.cleaner.close();
    await mapBounded(this.logs(), LOAD_CONCURRENCY, (log) => log.crash());
  }

  async #tick(): Promise<void> {
    if (this.#tickRunning || this.#closed) return;
    this.#tickRunning = true;
    try {
      const now = this.#clock();
      await this.flushDue(now);
      if (now - this.#lastRetention >= (this.#opts.retentionCheckIntervalMs ?? 300_000)) {
        this.#lastRetention = now;
        await this.runRetention(now);
      }
      if (now - this.#lastProducerExpiry >= (this.#opts.producerIdExpirationCheckIntervalMs ?? 600_000)) {
        this.#lastProducerExpiry = now;
        for (const log of this.logs()) log.removeExpiredProducers(now);
      }
      if (now - this.#lastCheckpoint >= (this.#opts.checkpointIntervalMs ?? 60_000)) {
        this.#lastCheckpoint = this.#lastHighWatermarkCheckpoint = now;
        await this.checkpoint();
      } else if (now - this.#lastHighWatermarkCheckpoint >= (this.#opts.highWatermarkCheckpointIntervalMs ?? 5000) && this.logs().some((l) => l.replicated)) {
        // Only replicated logs have a high watermark of their own (on a single replica it follows the log end).
        this.#lastHighWatermarkCheckpoint = now;
        await this.checkpoint(true);
      }
    } catch (e) {
      this.#logger.error({ err: e }, 'log maintenance failed');
    } finally {
      this.#tickRunning = false;
    }
  }

  async #load(): Promise<void> {
    const clean = (await this.#store.readWhole(CLEAN_SHUTDOWN_FILE)) !== undefined;
    const readCheckpoint = async (name: string) => {
      const buf = await this.#store.readWhole(name);
      return (buf && parseOffsetCheckpoint(buf.toString('utf8'))) || new Map<string, bigint>();
    };
    const recoveryPoints = await readCheckpoint(RECOVERY_POINT_CHECKPOINT_FILE);
    const logStarts = await readCheckpoint(LOG_START_OFFSET_CHECKPOINT_FILE);
    const highWatermarks = await readCheckpoint(REPLICATION_OFFSET_CHECKPOINT_FILE);
    const names = await this.#store.list('');
    const started = this.#clock();
    await mapBounded(names, LOAD_CONCURRENCY, async (name) => {
      const tp = parsePartitionDirName(name);
      if (tp === undefined) return;
      const meta = await this.#store.readWhole(joinPath(name, PARTITION_METADATA_FILE));
      const topicId = meta && parsePartitionMetadata(meta.toString('utf8'));
      if (topicId !== undefined) this.#topicIds.set(tp.topic, topicId);
      const log = await this.#openLog(tp.topic, tp.partition, name, {
        clean,
        recoveryPoint: recoveryPoints.get(name) ?? 0n,
        logStartOffset: logStarts.get(name) ?? 0n,
        highWatermark: highWatermarks.get(name),
      });
      this.#logs.set(name, log);
    });
    this.#shareTailCache();
    // Removed only now: a crash while loading must still count as unclean next time.
    if (clean) await this.#store.delete(CLEAN_SHUTDOWN_FILE);
    this.#logger.debug({ partitions: this.#logs.size, clean, ms: this.#clock() - started }, 'loaded logs');
  }

  #openLog(
    topic: string,
    partition: number,
    dir: string,
    state: { clean: boolean; recoveryPoint: bigint; logStartOffset: bigint; highWatermark?: bigint },
  ): Promise<PartitionLog> {
    const opts = this.#opts;
    const topicConfig = this.#topicConfigs.get(topic) ?? opts.configFor?.(topic);
    if (topicConfig !== undefined) this.#topicConfigs.set(topic, topicConfig);
    return PartitionLog.open({
      store: this.#store,
      topic,
      partition,
      dir,
      config: { ...opts.defaults, ...topicConfig },
      logger: this.#logger,
      ...state,
      tailCacheBytes: this.#tailCacheShare(this.#logs.size + 1),
      tailBudget: this.#tailBudget,
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      onLogStartOffsetChange: () => void this.checkpoint().catch(() => undefined),
      ...(opts.producerIdExpirationMs !== undefined ? { producerIdExpirationMs: opts.producerIdExpirationMs } : {}),
    });
  }

  /** Each partition's part of the tail budget: an even share, within sane bounds (the budget bounds their sum). */
  #tailCacheShare(partitions: number): number {
    const total = this.#tailBudget.capacityBytes;
    return Math.max(MIN_TAIL_CACHE_SHARE, Math.min(MAX_TAIL_CACHE_SHARE, Math.floor(total / Math.max(1, partitions))));
  }

  /** `added`: a log opened meanwhile, with the share of a count that other opens have since changed. */
  #shareTailCache(added?: PartitionLog): void {
    const share = this.#tailCacheShare(this.#logs.size);
    if (share === this.#tailShare) {
      added?.setTailCacheBytes(share);
      return;
    }
    this.#tailShare = share;
    for (const log of this.#logs.values()) log.setTailCacheBytes(share);
  }

}
