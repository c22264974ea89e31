import { checkListeners, parsePerIpOverrides } from './listeners.js';
import { INT_MAX, LONG_MAX, type ConfigType, type ConfigValueOf, type ValueRules } from './values.js';

/**
 * Every broker setting Skiff reads, under Kafka's property names and with Kafka's defaults
 * unless a comment says why Skiff differs. `skiff.*` names are Skiff's own.
 */

export interface BrokerConfigDef<N extends string = string, T extends ConfigType = ConfigType, D = unknown>
  extends ValueRules {
  readonly name: N;
  readonly type: T;
  readonly default: D;
  readonly nullable: boolean;
  readonly doc: string;
  /** Never shown in clear (DescribeConfigs isSensitive). */
  readonly sensitive: boolean;
}

function def<const N extends string, const T extends ConfigType>(
  name: N,
  type: T,
  defaultValue: ConfigValueOf<T>,
  doc: string,
  rules: ValueRules = {},
): BrokerConfigDef<N, T, ConfigValueOf<T>> {
  return { name, type, default: defaultValue, nullable: false, doc, sensitive: type === 'password', ...rules };
}

/** A setting whose absence means "derive it from another one" (e.g. log.retention.ms). */
function nullable<const N extends string, const T extends ConfigType>(
  name: N,
  type: T,
  doc: string,
  rules: ValueRules = {},
): BrokerConfigDef<N, T, null> {
  return { name, type, default: null, nullable: true, doc, sensitive: type === 'password', ...rules };
}

const atLeast = (min: number): ValueRules => ({ min });
const listenerList: ValueRules = { check: (v: string) => checkListeners(v) };

export const BROKER_CONFIGS = [
  // Networking
  def('listeners', 'string', 'PLAINTEXT://127.0.0.1:9092', 'Where the broker binds. Skiff binds loopback by default, unlike Kafka, because it is a dev broker.', listenerList),
  nullable('advertised.listeners', 'string', 'Addresses given to clients in metadata; the bound listener when unset.', {
    check: (v: string) => checkListeners(v),
  }),
  def('socket.request.max.bytes', 'int', 104_857_600, 'Largest request frame; a larger size prefix closes the connection before the body is read.', atLeast(1)),
  def('connections.max.idle.ms', 'long', 600_000, 'Close connections idle this long; -1 never.'),
  // Kafka's default is -1 (unbounded): 20 clients each sending most of a 100 MB frame would
  // then hold 2 GB. Two of the largest requests is enough to keep big producers going.
  def('queued.max.request.bytes', 'long', 209_715_200, 'Request bytes all connections may hold at once (read, or being read, and not yet answered); reading pauses beyond it. Kafka: -1 (unbounded); -1 or 0 turns the bound off. A connection also holds at most socket.request.max.bytes.'),
  def('max.connections', 'int', INT_MAX, 'Most connections at once; a new one waits (unread) for a slot, up to 50 waiting, then is closed.', atLeast(0)),
  def('max.connections.per.ip', 'int', INT_MAX, 'Most connections from one address; one over it is closed at once.', atLeast(0)),
  def('max.connections.per.ip.overrides', 'string', '', 'Per-address limits, "host:count,host:count"; hosts that are not IP addresses are resolved at start.', {
    check: (v: string) => overridesProblem(v),
  }),
  def('message.max.bytes', 'int', 1_048_588, 'Largest record batch accepted (topic: max.message.bytes).', atLeast(0)),

  // Identity
  def('node.id', 'int', 1, 'This broker\'s id. Kafka requires it in KRaft mode; Skiff is always node 1 unless told otherwise.', atLeast(0)),
  nullable('skiff.cluster.id', 'string', 'Cluster id reported to clients; generated and kept in the data directory when unset.'),
  nullable('broker.rack', 'string', 'Rack of this broker: replicas of a partition are spread over racks, and consumers with client.rack read from a replica in theirs.'),
  def('skiff.brokers', 'int', 1, 'Brokers run in this one process as a virtual cluster (node ids node.id, node.id+1, ...; ports from the listener port up, or each a free one with port 0; data in log.dirs/broker-<id>).', atLeast(1)),
  def('skiff.broker.racks', 'list', [], 'Racks of the virtual cluster\'s brokers, assigned in turn (a,b,c: broker 1 in a, 2 in b, ...); empty: broker.rack for all.'),

  // Storage
  def('log.dirs', 'list', ['./data'], 'Data directory. Skiff uses the first entry only.'),
  def('skiff.memory', 'boolean', false, 'Keep all data in memory; nothing touches disk and everything is lost at exit.'),
  def('skiff.client.telemetry.enable', 'boolean', false, 'Advertise GetTelemetrySubscriptions and PushTelemetry (KIP-714) so that clients push their metrics, listed at the HTTP server\'s /api/client-metrics. Kafka advertises them only with a client telemetry reporter configured.'),
  def('skiff.fsync.on.ack', 'boolean', false, 'fsync a batch before acknowledging acks=1/all produce. Kafka relies on replication instead; a single node has none.'),
  def('skiff.tail.cache.bytes', 'long', 64 * 1024 * 1024, 'Memory for the most recent batches of all partitions together, so tailing consumers are served without reading files. A partition keeps its batches only while it is read.', atLeast(0)),
  def('skiff.log.open.files.max', 'int', 1000, 'Segment and index files kept open at once; the least recently used idle ones are closed beyond it and reopened when needed, so descriptors do not grow with the partition count.', atLeast(1)),
  def('num.partitions', 'int', 1, 'Partitions of an auto-created topic.', atLeast(1)),
  def('default.replication.factor', 'int', 1, 'Replication factor of an auto-created topic. A single Skiff node can only honour 1.', atLeast(1)),
  def('auto.create.topics.enable', 'boolean', true, 'Create a topic on first metadata request or produce to it.'),
  def('delete.topic.enable', 'boolean', true, 'Allow DeleteTopics.'),
  def('min.insync.replicas', 'int', 1, 'Replicas that must have a write for acks=all (topic: min.insync.replicas).', atLeast(1)),
  def('compression.type', 'string', 'producer', 'Compression of stored batches; producer keeps what the producer sent.', {
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  }),
  def('unclean.leader.election.enable', 'boolean', false, 'Elect a replica outside the ISR when no in-sync replica is left (losing what it lacks).'),
  def('auto.leader.rebalance.enable', 'boolean', true, 'A virtual cluster gives each partition back to its preferred (first) replica once that one is in sync again, checked every leader.imbalance.check.interval.seconds.'),
  def('leader.imbalance.check.interval.seconds', 'long', 300, 'How often the preferred leaders are checked.', atLeast(1)),
  def('replica.lag.time.max.ms', 'long', 30_000, 'A follower that has not caught up with the leader for this long leaves the ISR.', atLeast(1)),
  nullable('replica.selector.class', 'string', 'org.apache.kafka.common.replica.RackAwareReplicaSelector lets a consumer with client.rack read from an in-sync replica in its rack (KIP-392); unset: always the leader.'),
  def('replica.fetch.wait.max.ms', 'int', 500, 'Longest a follower\'s fetch waits at the leader for new data.', atLeast(0)),
  def('replica.high.watermark.checkpoint.interval.ms', 'long', 5000, 'How often a replicated partition\'s high watermark is written to replication-offset-checkpoint, which a restarted broker starts from.', atLeast(1)),
  def('broker.session.timeout.ms', 'int', 9000, 'A virtual cluster\'s broker that crashed (no controlled shutdown) keeps its partitions this long before the controller fences it and elects new leaders.', atLeast(1)),

  // Segments and retention
  def('log.segment.bytes', 'int', 1_073_741_824, 'Roll a segment at this size (topic: segment.bytes).', atLeast(14)),
  nullable('log.roll.ms', 'long', 'Roll a segment this old; log.roll.hours when unset (topic: segment.ms).', atLeast(1)),
  def('log.roll.hours', 'int', 168, 'Roll a segment this old, in hours.', atLeast(1)),
  nullable('log.roll.jitter.ms', 'long', 'Random jitter subtracted from the roll time; log.roll.jitter.hours when unset.', atLeast(0)),
  def('log.roll.jitter.hours', 'int', 0, 'Roll jitter in hours.', atLeast(0)),
  nullable('log.retention.ms', 'long', 'Delete segments older than this; -1 keeps forever. Falls back to minutes, then hours (topic: retention.ms).'),
  nullable('log.retention.minutes', 'int', 'Retention in minutes, used when log.retention.ms is unset.'),
  def('log.retention.hours', 'int', 168, 'Retention in hours, used when the ms and minutes forms are unset.'),
  def('log.retention.bytes', 'long', -1, 'Delete old segments past this size per partition; -1 no limit (topic: retention.bytes).'),
  def('log.retention.check.interval.ms', 'long', 300_000, 'How often retention runs.', atLeast(1)),
  def('log.cleanup.policy', 'list', ['delete'], 'delete, compact, or both (topic: cleanup.policy).', { validValues: ['delete', 'compact'] }),
  def('log.index.interval.bytes', 'int', 4096, 'Bytes between offset index entries (topic: index.interval.bytes).', atLeast(0)),
  def('log.index.size.max.bytes', 'int', 10_485_760, 'Largest offset index per segment (topic: segment.index.bytes).', atLeast(4)),
  def('log.segment.delete.delay.ms', 'long', 60_000, 'Wait before deleting a file removed from the log (topic: file.delete.delay.ms).', atLeast(0)),
  def('log.preallocate', 'boolean', false, 'Preallocate segment files (topic: preallocate).'),
  def('log.flush.interval.messages', 'long', LONG_MAX, 'fsync after this many messages (topic: flush.messages).', atLeast(1)),
  nullable('log.flush.interval.ms', 'long', 'fsync data older than this; log.flush.scheduler.interval.ms when unset (topic: flush.ms).'),
  def('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks for data to fsync.'),
  def('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime keeps the producer\'s timestamp; LogAppendTime stamps the broker\'s (topic: message.timestamp.type).', {
    validValues: ['CreateTime', 'LogAppendTime'],
  }),
  def('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'Reject batches whose timestamp is this far in the past (topic: message.timestamp.before.max.ms).', atLeast(0)),
  def('log.message.timestamp.after.max.ms', 'long', 3_600_000, 'Kafka 4 default (KIP-937): reject batches whose timestamp is this far in the future (topic: message.timestamp.after.max.ms).', atLeast(0)),

  // Log cleaner (compaction)
  def('log.cleaner.enable', 'boolean', true, 'Run the compactor for compacted topics.'),
  def('log.cleaner.threads', 'int', 1, 'Compactor threads.', atLeast(0)),
  def('log.cleaner.backoff.ms', 'long', 15_000, 'Sleep when there is nothing to compact.', atLeast(0)),
  def('log.cleaner.dedupe.buffer.size', 'long', 134_217_728, 'Memory for the compactor\'s key map.'),
  def('log.cleaner.min.cleanable.ratio', 'double', 0.5, 'Dirty ratio that triggers compaction (topic: min.cleanable.dirty.ratio).', { min: 0, max: 1 }),
  def('log.cleaner.delete.retention.ms', 'long', 86_400_000, 'How long tombstones survive compaction (topic: delete.retention.ms).', atLeast(0)),
  def('log.cleaner.min.compaction.lag.ms', 'long', 0, 'Youngest a record can be and still be compacted (topic: min.compaction.lag.ms).', atLeast(0)),
  def('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Oldest a record can get before it must be compacted (topic: max.compaction.lag.ms).', atLeast(1)),

  // Consumer groups
  def('offsets.topic.num.partitions', 'int', 50, 'Partitions of __consumer_offsets; fixed once the topic exists.', atLeast(1)),
  def('offsets.topic.replication.factor', 'short', 1, 'Kafka defaults to 3; one node can only hold 1.', atLeast(1)),
  def('offsets.topic.segment.bytes', 'int', 104_857_600, 'Segment size of __consumer_offsets.', atLeast(1)),
  def('offsets.retention.minutes', 'int', 10_080, 'Keep committed offsets of an empty group this long.', atLeast(1)),
  def('offsets.retention.check.interval.ms', 'long', 600_000, 'How often expired offsets are removed.', atLeast(1)),
  // Kafka waits 3000 ms for more members before the first rebalance of a new group. On a dev
  // broker that is just a 3 s pause in every test that starts a consumer, so Skiff waits none.
  def('group.initial.rebalance.delay.ms', 'int', 0, 'Wait for more members before a new group\'s first rebalance (Kafka: 3000; Skiff: 0, see source).', atLeast(0)),
  def('group.min.session.timeout.ms', 'int', 6000, 'Smallest session timeout a member may ask for.'),
  def('group.max.session.timeout.ms', 'int', 1_800_000, 'Largest session timeout a member may ask for.'),
  def('group.max.size', 'int', INT_MAX, 'Most members in one group.', atLeast(1)),
  // KIP-848 consumer groups: the broker sets session timeout and heartbeat interval.
  def('group.consumer.session.timeout.ms', 'int', 45_000, 'A consumer group member that does not heartbeat this long is fenced.', atLeast(1)),
  def('group.consumer.heartbeat.interval.ms', 'int', 5_000, 'How often consumer group members heartbeat.', atLeast(1)),
  // The range a group's own consumer.session.timeout.ms / consumer.heartbeat.interval.ms must lie in.
  def('group.consumer.min.session.timeout.ms', 'int', 45_000, 'Smallest consumer.session.timeout.ms a consumer group may set.', atLeast(1)),
  def('group.consumer.max.session.timeout.ms', 'int', 60_000, 'Largest consumer.session.timeout.ms a consumer group may set.', atLeast(1)),
  def('group.consumer.min.heartbeat.interval.ms', 'int', 5_000, 'Smallest consumer.heartbeat.interval.ms a consumer group may set.', atLeast(1)),
  def('group.consumer.max.heartbeat.interval.ms', 'int', 15_000, 'Largest consumer.heartbeat.interval.ms a consumer group may set.', atLeast(1)),
  def('group.consumer.max.size', 'int', INT_MAX, 'Most members in one consumer group.', atLeast(1)),
  def('group.consumer.assignors', 'list', ['uniform', 'range'], 'Server-side assignors of consumer groups, the default first (uniform, range, or Kafka\'s class names of them).', {
    validValues: ['uniform', 'range', 'org.apache.kafka.coordinator.group.assignor.UniformAssignor', 'org.apache.kafka.coordinator.group.assignor.RangeAssignor'],
  }),
  def('group.consumer.migration.policy', 'string', 'bidirectional', 'Online conversion of groups with members: a classic group upgrades to a consumer group when a consumer-protocol member joins, a consumer group downgrades when only classic members remain (disabled, upgrade, downgrade, bidirectional).', {
    validValues: ['disabled', 'upgrade', 'downgrade', 'bidirectional'],
  }),
  // KIP-932 share groups: membership (the share partitions' settings belong to the share coordinator).
  def('group.share.session.timeout.ms', 'int', 45_000, 'A share group member that does not heartbeat this long is fenced.', atLeast(1)),
  def('group.share.heartbeat.interval.ms', 'int', 5_000, 'How often share group members heartbeat.', atLeast(1)),
  def('group.share.min.session.timeout.ms', 'int', 45_000, 'Smallest share.session.timeout.ms a share group may set.', atLeast(1)),
  def('group.share.max.session.timeout.ms', 'int', 60_000, 'Largest share.session.timeout.ms a share group may set.', atLeast(1)),
  def('group.share.min.heartbeat.interval.ms', 'int', 5_000, 'Smallest share.heartbeat.interval.ms a share group may set.', atLeast(1)),
  def('group.share.max.heartbeat.interval.ms', 'int', 15_000, 'Largest share.heartbeat.interval.ms a share group may set.', atLeast(1)),
  def('group.share.max.size', 'int', 200, 'Most members in one share group.', { min: 1, max: 1000 }),

  // Transactions and idempotence
  def('transaction.state.log.num.partitions', 'int', 50, 'Partitions of __transaction_state; fixed once the topic exists.', atLeast(1)),
  def('transaction.state.log.replication.factor', 'short', 1, 'Kafka defaults to 3; one node can only hold 1.', atLeast(1)),
  def('transaction.state.log.min.isr', 'int', 1, 'Kafka defaults to 2; one node can only offer 1.', atLeast(1)),
  def('transaction.state.log.segment.bytes', 'int', 104_857_600, 'Segment size of __transaction_state.', atLeast(1)),
  def('transaction.max.timeout.ms', 'int', 900_000, 'Largest transaction.timeout.ms a producer may ask for.', atLeast(1)),
  def('transactional.id.expiration.ms', 'int', 604_800_000, 'Forget a transactional id unused this long.', atLeast(1)),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', 10_000, 'How often timed-out transactions are aborted.', atLeast(1)),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', 3_600_000, 'How often expired transactional ids are removed.', atLeast(1)),
  def('producer.id.expiration.ms', 'int', 86_400_000, 'Forget an idempotent producer\'s state after this long without writes.', atLeast(1)),

  // Delegation tokens (KIP-48)
  nullable('delegation.token.secret.key', 'password', 'Key of the HMACs that are the tokens\' passwords; delegation tokens are refused (DELEGATION_TOKEN_AUTH_DISABLED) without it.'),
  def('delegation.token.max.lifetime.ms', 'long', 604_800_000, 'Longest a token lives, renewals included.', atLeast(1)),
  def('delegation.token.expiry.time.ms', 'long', 86_400_000, 'How long a token lives until renewed.', atLeast(1)),
  def('delegation.token.expiry.check.interval.ms', 'long', 3_600_000, 'How often expired tokens are removed.', atLeast(1)),

  // Skiff process
  def('skiff.shutdown.timeout.ms', 'int', 10_000, 'At shutdown, how long in-flight requests get before connections are cut.', atLeast(0)),
  nullable('skiff.http.port', 'int', 'Port of the HTTP server (console, /metrics, /health, /ready); 0 picks a free one. Off when unset.', { min: 0, max: 65_535 }),
  def('skiff.http.host', 'string', '127.0.0.1', 'Bind address of the HTTP server: loopback unless told otherwise.'),
  def('skiff.http.read.only', 'boolean', false, 'The console and its /api/ only read: creating and deleting topics, producing and resetting offsets are refused (403).'),
] as const;

export type BrokerConfigDefs = (typeof BROKER_CONFIGS)[number];
export type BrokerConfigName = BrokerConfigDefs['name'];

/** Typed values under Kafka's names: `values['log.retention.ms']` is `number | null`. */
export type BrokerConfigValues = {
  readonly [D in BrokerConfigDefs as D['name']]: D['default'] extends null
    ? ConfigValueOf<D['type']> | null
    : ConfigValueOf<D['type']>;
};

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, BrokerConfigDefs> = new Map(
  BROKER_CONFIGS.map((d) => [d.name, d]),
);

export function isBrokerConfigName(name: string): name is BrokerConfigName {
  return BROKER_CONFIG_BY_NAME.has(name);
}

function overridesProblem(text: string): string | undefined {
  try {
    parsePerIpOverrides(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
