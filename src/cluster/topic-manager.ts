/**
 * Topics as the broker's handlers see them: the registry (TopicStore) and the partition
 * logs (LogManager) kept in step, with Kafka's validation and error codes for creating,
 * deleting, growing and configuring topics.
 *
 * src/cluster sits on storage (through src/storage/index.ts) and config, below the
 * coordinators and the request layer.
 */
import type { Logger } from '../log.js';
import type { BrokerConfig, TopicConfigValues } from '../config.js';
import { KafkaError } from '../errors.js';
import { effectiveTopicConfigs, parseTopicConfigs } from '../config/describe.js';
import { LONG_MAX } from '../config/values.js';
import { randomUuid } from '../protocol/codec/uuid.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { cleanupPolicyFlags, type LogConfig, type LogManager, type PartitionLog, type TopicRecord, type TopicStore } from '../storage/index.js';
import { INTERNAL_TOPICS, collisionKey, invalidTopicName } from './topic-names.js';

export interface TopicInfo extends TopicRecord {
  readonly internal: boolean;
}

export interface CreateTopicSpec {
  name: string;
  /** -1: the broker's num.partitions. */
  numPartitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  /** Explicit replica assignment, partition by partition (each a list of broker ids). */
  assignments?: number[][];
  configs: Record<string, string | null>;
}

/**
 * Kafka's controller refuses to create more partitions than this in one request
 * (ReplicationControlManager.MAX_PARTITIONS_PER_BATCH), and more new records than this in one
 * operation (CreatePartitions). Kafka has no limit on the partitions a broker holds in total;
 * neither has Skiff: the per-request cap, the time each creation takes and the file
 * descriptors of the host are what bound it.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;
/** Kafka's controller builds an operation's metadata records into one list of at most this many. */
export const MAX_RECORDS_PER_OPERATION = 10_000;
export const EXCESSIVE_PARTITIONS_MESSAGE = 'Excessively large number of partitions per request.';
export const EXCESSIVE_BATCH_MESSAGE = 'Unable to perform excessively large batch operation.';

/** Partitions a CreateTopics entry asks for, counted as Kafka's validateTotalNumberOfPartitions does. */
export function requestedPartitions(spec: { numPartitions: number; assignments: readonly unknown[] }, defaultPartitions: number): number {
  if (spec.assignments.length > 0) return spec.assignments.length;
  if (spec.numPartitions === -1) return defaultPartitions;
  return spec.numPartitions > 0 ? spec.numPartitions : 0;
}

/** Maps a topic's effective settings onto what the partition log reads. */
export function logConfigOf(values: TopicConfigValues, config: BrokerConfig): Partial<LogConfig> {
  const clamp = (n: number) => Math.min(n, LONG_MAX);
  return {
    segmentBytes: values['segment.bytes'],
    segmentMs: clamp(values['segment.ms']),
    retentionMs: clamp(values['retention.ms']),
    retentionBytes: clamp(values['retention.bytes']),
    indexIntervalBytes: values['index.interval.bytes'],
    segmentIndexBytes: values['segment.index.bytes'],
    flushMessages: clamp(values['flush.messages']),
    flushMs: clamp(values['flush.ms']),
    messageTimestampType: values['message.timestamp.type'] as LogConfig['messageTimestampType'],
    flushOnAck: config.values['skiff.fsync.on.ack'],
    ...cleanupPolicyFlags(values['cleanup.policy']),
    deleteRetentionMs: clamp(values['delete.retention.ms']),
    minCompactionLagMs: clamp(values['min.compaction.lag.ms']),
    maxCompactionLagMs: clamp(values['max.compaction.lag.ms']),
    minCleanableDirtyRatio: values['min.cleanable.dirty.ratio'],
  };
}

/**
 * A virtual cluster's hand in topic changes (src/virtual-cluster.ts): the controller
 * places replicas and applies each change to every live broker's TopicManager (apply*).
 * Unset on a single broker.
 */
export interface TopicCluster {
  brokerIds(): number[];
  /** This broker holds a replica of the partition (only those logs are opened). */
  hosts(topic: string, partition: number): boolean;
  create(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>, assignments: number[][] | undefined): Promise<void>;
  delete(name: string): Promise<void>;
  createPartitions(name: string, count: number, assignments: number[][] | null): Promise<void>;
  replaceConfigs(name: string, configs: Record<string, string>): Promise<void>;
}

export class TopicManager {
  cluster: TopicCluster | undefined;
  readonly #byCollisionKey = new Map<string, string>();
  /** Creations under way, by collision key. */
  readonly #creating = new Map<string, { name: string; done: Promise<TopicInfo> }>();
  /** The latest CreatePartitions of each topic, which the next one waits for. */
  readonly #growing = new Map<string, Promise<void>>();
  /** Effective settings per topic, read on every produce; dropped when the topic changes. */
  readonly #effective = new Map<string, TopicConfigValues>();
  /**
   * The view handed out for each registry record, made once: lookups run several times per
   * produce request. The store replaces a record on every change, so a view never goes stale,
   * and one of a deleted or replaced record is collected with it.
   */
  readonly #views = new WeakMap<TopicRecord, TopicInfo>();

  constructor(
    readonly store: TopicStore,
    readonly logs: LogManager,
    readonly config: BrokerConfig,
    readonly log: Logger,
  ) {
    for (const t of store.list()) this.#byCollisionKey.set(collisionKey(t.name), t.name);
  }

  /**
   * Opens a log for every partition the registry lists (logs found on disk are kept). Logs on
   * disk that the registry does not list (left by a creation or deletion cut short by a crash)
   * are set aside as Kafka sets aside stray logs, so a later topic of that name starts empty.
   */
  async openPartitions(): Promise<void> {
    for (const log of this.logs.logs()) {
      const t = this.store.get(log.topic);
      // A replica reassigned away while this broker was down, too.
      if (t === undefined || log.partition >= t.partitions || this.cluster?.hosts(log.topic, log.partition) === false) {
        const dir = await this.logs.setAsideStray(log.topic, log.partition);
        this.log.warn({ topic: log.topic, partition: log.partition, dir }, 'log of no registered topic set aside as stray');
      }
    }
    for (const t of this.store.list()) await this.#createLogs(t.name, 0, t.partitions, { topicId: t.topicId, config: this.logConfig(t.name) });
  }

  /** The logs of partitions [from, to) that this broker holds. */
  async #createLogs(name: string, from: number, to: number, opts: { topicId: string; config: Partial<LogConfig> }): Promise<void> {
    const cluster = this.cluster;
    if (cluster === undefined) return this.logs.createPartitions(name, from, to, opts);
    for (let p = from; p < to; p++) if (cluster.hosts(name, p)) await this.logs.createPartitions(name, p, p + 1, opts);
  }

  /** A virtual cluster's reassignment made this broker a replica of the partition. */
  async openReplica(name: string, partition: number): Promise<void> {
    const t = this.store.get(name);
    if (!t || partition >= t.partitions || this.logs.get(name, partition)) return;
    await this.logs.createPartition(name, partition, { topicId: t.topicId, config: this.logConfig(name) });
  }

  /** A virtual cluster's reassignment took this broker out of the partition's replicas. */
  async dropReplica(name: string, partition: number): Promise<void> {
    await this.logs.deletePartition(name, partition);
  }

  #brokerIds(): number[] {
    return this.cluster?.brokerIds() ?? [this.config.values['node.id']];
  }

  list(): TopicInfo[] {
    return this.store.list().map((t) => this.#info(t));
  }

  get(name: string): TopicInfo | undefined {
    const t = this.store.get(name);
    return t && this.#info(t);
  }

  byId(topicId: string): TopicInfo | undefined {
    const t = this.store.byId(topicId);
    return t && this.#info(t);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic, partition);
  }

  effectiveConfig(name: string): TopicConfigValues {
    let values = this.#effective.get(name);
    if (values === undefined) {
      const t = this.store.get(name);
      values = effectiveTopicConfigs(t ? parseTopicConfigs(t.configs) : {}, this.config);
      if (t) this.#effective.set(name, values);
    }
    return values;
  }

  /** The broker's dynamic settings changed: topics without an override follow the new defaults. */
  brokerDefaultsChanged(): void {
    this.#effective.clear();
    for (const t of this.store.list()) this.logs.updateTopicConfig(t.name, this.logConfig(t.name));
  }

  logConfig(name: string): Partial<LogConfig> {
    return logConfigOf(this.effectiveConfig(name), this.config);
  }

  /**
   * Checks a CreateTopics entry as Kafka does and returns the resolved partition count and
   * replication factor; throws KafkaError with Kafka's code and message otherwise.
   */
  validateCreate(spec: CreateTopicSpec): { partitions: number; replicationFactor: number; configs: Record<string, string> } {
    const bad = invalidTopicName(spec.name);
    if (bad) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    const key = collisionKey(spec.name);
    const creating = this.#creating.get(key);
    if (this.store.get(spec.name) || creating?.name === spec.name) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    }
    const clash = this.#byCollisionKey.get(key) ?? creating?.name;
    if (clash !== undefined) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${clash}`);
    }
    const brokerIds = this.#brokerIds();
    const brokers = brokerIds.length;
    let partitions = spec.numPartitions;
    let replicationFactor = spec.replicationFactor;
    if (spec.assignments && spec.assignments.length > 0) {
      if (partitions !== -1 || replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      for (const [i, replicas] of spec.assignments.entries()) {
        if (replicas.length === 0 || replicas.some((id) => !brokerIds.includes(id))) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker(s) that are not registered (partition ${i}).`);
        }
        if (new Set(replicas).size !== replicas.length) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${replicas[0]} more than once.`);
        }
      }
      partitions = spec.assignments.length;
      replicationFactor = spec.assignments[0]!.length;
    } else {
      if (partitions === -1) partitions = this.config.values['num.partitions'];
      if (replicationFactor === -1) replicationFactor = this.config.values['default.replication.factor'];
      if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      if (replicationFactor <= 0) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      }
      if (replicationFactor > brokers) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          // Kafka 4.x's wording (the log directory cordoning of KIP-1066 is part of the sentence).
          `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers} broker(s) are registered or some brokers have all their log directories cordoned.`,
        );
      }
    }
    const configs: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.configs)) {
      if (value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`);
      configs[name] = value;
    }
    // A bad value throws ConfigError: INVALID_CONFIG with the key in its message.
    parseTopicConfigs(configs);
    return { partitions, replicationFactor, configs };
  }

  /**
   * Creates the topic's logs, then registers it: a failure midway (a full disk) removes the
   * logs made so far, so nothing is left half made and the name stays free.
   */
  async create(spec: CreateTopicSpec): Promise<TopicInfo> {
    const { partitions, replicationFactor, configs } = this.validateCreate(spec);
    // Claimed before the first await: the logs exist before the topic is registered, and a
    // second creation of the name (or of a colliding one) must not make them again meanwhile.
    const key = collisionKey(spec.name);
    const cluster = this.cluster;
    const done =
      cluster === undefined
        ? this.#createValidated(spec.name, partitions, configs)
        : cluster.create(spec.name, partitions, replicationFactor, configs, spec.assignments?.length ? spec.assignments : undefined).then(() => this.get(spec.name)!);
    this.#creating.set(key, { name: spec.name, done });
    try {
      return await done;
    } finally {
      this.#creating.delete(key);
    }
  }

  /** A virtual cluster's creation, on one broker: the controller chose the id and placement. */
  async applyCreate(name: string, partitions: number, configs: Record<string, string>, topicId: string): Promise<void> {
    if (this.store.get(name)) return;
    await this.#createValidated(name, partitions, configs, topicId);
  }

  async #createValidated(name: string, partitions: number, configs: Record<string, string>, topicId = randomUuid()): Promise<TopicInfo> {
    const logConfig = logConfigOf(effectiveTopicConfigs(parseTopicConfigs(configs), this.config), this.config);
    try {
      await this.#createLogs(name, 0, partitions, { topicId, config: logConfig });
    } catch (err) {
      await this.#rollBack(name, 0, partitions, err);
      throw err;
    }
    let t: TopicRecord;
    try {
      t = await this.store.create(name, partitions, configs, topicId);
    } catch (err) {
      await this.#rollBack(name, 0, partitions, err);
      throw err;
    }
    this.#byCollisionKey.set(collisionKey(t.name), t.name);
    this.log.info({ topic: t.name, topicId: t.topicId, partitions }, 'created topic');
    return this.#info(t);
  }

  async #rollBack(topic: string, from: number, to: number, cause: unknown): Promise<void> {
    this.log.error({ err: cause, topic, partitions: `${from}..${to - 1}` }, 'partition creation failed: removing the partitions made');
    for (let p = from; p < to; p++) {
      try {
        await this.logs.deletePartition(topic, p);
      } catch (err) {
        this.log.error({ err, topic, partition: p }, 'could not remove a partition of a failed creation');
      }
    }
  }

  /** Creates `name` with the broker's defaults when auto-creation is on and the name is valid. */
  async autoCreate(name: string): Promise<TopicInfo> {
    // Concurrent requests for a missing topic (every producer's first Metadata) share one creation.
    const pending = this.#creating.get(collisionKey(name));
    if (pending?.name === name) return pending.done;
    return this.create({ name, numPartitions: -1, replicationFactor: -1, configs: {} });
  }

  async delete(name: string): Promise<void> {
    if (!this.store.get(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (this.cluster) return this.cluster.delete(name);
    await this.applyDelete(name);
  }

  async applyDelete(name: string): Promise<void> {
    if (!this.store.get(name)) return;
    await this.store.delete(name);
    this.#effective.delete(name);
    this.#byCollisionKey.delete(collisionKey(name));
    await this.logs.deleteTopic(name);
    this.log.info({ topic: name }, 'deleted topic');
  }

  validateCreatePartitions(name: string, count: number, assignments: number[][] | null): TopicRecord {
    const t = this.store.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    if (count < t.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${t.partitions} partition(s); ${count} would not be an increase.`);
    }
    if (count === t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partition(s).`);
    if (assignments !== null) {
      if (assignments.length !== count - t.partitions) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${count - t.partitions} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
      }
      const brokerIds = this.#brokerIds();
      for (const replicas of assignments) {
        if (replicas.length === 0 || replicas.some((id) => !brokerIds.includes(id))) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker(s) that are not registered.');
        }
      }
    }
    return t;
  }

  /**
   * One at a time per topic, as Kafka's controller applies them: a second request for the
   * same count then finds it reached instead of making the same logs again.
   */
  async createPartitions(name: string, count: number, assignments: number[][] | null = null): Promise<void> {
    const previous = this.#growing.get(name) ?? Promise.resolve();
    const cluster = this.cluster;
    const grow = cluster === undefined ? () => this.#grow(name, count) : () => (this.validateCreatePartitions(name, count, assignments), cluster.createPartitions(name, count, assignments));
    const run = previous.catch(() => undefined).then(grow);
    this.#growing.set(name, run);
    try {
      await run;
    } finally {
      if (this.#growing.get(name) === run) this.#growing.delete(name);
    }
  }

  /** A virtual cluster's new partitions, on one broker. */
  async applyGrow(name: string, count: number): Promise<void> {
    const t = this.store.get(name);
    if (t && t.partitions < count) await this.#grow(name, count);
  }

  /** Logs first, then the new count: a failure midway removes the new logs and leaves the count. */
  async #grow(name: string, count: number): Promise<void> {
    const before = this.validateCreatePartitions(name, count, null);
    const logConfig = this.logConfig(name);
    try {
      await this.#createLogs(name, before.partitions, count, { topicId: before.topicId, config: logConfig });
    } catch (err) {
      await this.#rollBack(name, before.partitions, count, err);
      throw err;
    }
    await this.store.setPartitionCount(name, count);
  }

  /** Validates and applies topic config changes (null removes an override). */
  async alterConfigs(name: string, changes: Record<string, string | null>, validateOnly: boolean): Promise<void> {
    const t = this.store.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    const next: Record<string, string> = { ...t.configs };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    // A bad value throws ConfigError: INVALID_CONFIG with the key in its message.
    parseTopicConfigs(next);
    if (validateOnly) return;
    if (this.cluster) return this.cluster.replaceConfigs(name, next);
    await this.store.alterConfigs(name, changes);
    this.#effective.delete(name);
    this.logs.updateTopicConfig(name, this.logConfig(name));
  }

  /** A virtual cluster's config change, on one broker: `configs` are the topic's overrides from now on. */
  async applyConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const t = this.store.get(name);
    if (!t) return;
    const changes: Record<string, string | null> = {};
    for (const k of Object.keys(t.configs)) if (!(k in configs)) changes[k] = null;
    Object.assign(changes, configs);
    await this.store.alterConfigs(name, changes);
    this.#effective.delete(name);
    this.logs.updateTopicConfig(name, this.logConfig(name));
  }

  /** Replaces every override (the legacy AlterConfigs semantics). */
  async replaceConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
    const t = this.store.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    const changes: Record<string, string | null> = {};
    for (const k of Object.keys(t.configs)) changes[k] = null;
    Object.assign(changes, configs);
    await this.alterConfigs(name, changes, validateOnly);
  }

  #info(t: TopicRecord): TopicInfo {
    let view = this.#views.get(t);
    if (view === undefined) {
      // Frozen: every caller shares it, so none may change what the others see.
      view = Object.freeze({ ...t, internal: INTERNAL_TOPICS.has(t.name) });
      this.#views.set(t, view);
    }
    return view;
  }
}
