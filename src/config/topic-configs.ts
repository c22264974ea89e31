import type { BrokerConfigName, BrokerConfigValues } from './broker-configs.js';
import { LONG_MAX, type ConfigType, type ConfigValue, type ConfigValueOf, type ValueRules } from './values.js';

/**
 * Topic-level settings and where their defaults come from. A topic setting not overridden on
 * the topic takes the first broker synonym that has a value (scaled to the topic's unit), and
 * the table default when none has. This is also the synonym list DescribeConfigs reports.
 */

export interface BrokerSynonym {
  readonly name: BrokerConfigName;
  /** Multiplier from the broker setting's unit to the topic setting's (hours -> ms). */
  readonly scale?: number;
}

export interface TopicConfigDef<N extends string = string, T extends ConfigType = ConfigType> extends ValueRules {
  readonly name: N;
  readonly type: T;
  readonly synonyms: readonly BrokerSynonym[];
  /** Used when no synonym has a value. */
  readonly default: ConfigValueOf<T>;
  readonly nullable: false;
  readonly doc: string;
  readonly sensitive: false;
}

function topic<const N extends string, const T extends ConfigType>(
  name: N,
  type: T,
  synonyms: readonly (BrokerConfigName | BrokerSynonym)[],
  defaultValue: ConfigValueOf<T>,
  doc: string,
  rules: ValueRules = {},
): TopicConfigDef<N, T> {
  return {
    name,
    type,
    synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)),
    default: defaultValue,
    nullable: false,
    doc,
    sensitive: false,
    ...rules,
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const TOPIC_CONFIGS = [
  topic('cleanup.policy', 'list', ['log.cleanup.policy'], ['delete'], 'delete, compact, or both.', { validValues: ['delete', 'compact'] }),
  topic('compression.type', 'string', ['compression.type'], 'producer', 'Compression of stored batches.', {
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  }),
  topic('delete.retention.ms', 'long', ['log.cleaner.delete.retention.ms'], 86_400_000, 'How long tombstones survive compaction.', { min: 0 }),
  topic('file.delete.delay.ms', 'long', ['log.segment.delete.delay.ms'], 60_000, 'Wait before deleting a removed file.', { min: 0 }),
  topic('flush.messages', 'long', ['log.flush.interval.messages'], LONG_MAX, 'fsync after this many messages.', { min: 1 }),
  topic('flush.ms', 'long', ['log.flush.interval.ms'], LONG_MAX, 'fsync data older than this.', { min: 0 }),
  topic('index.interval.bytes', 'int', ['log.index.interval.bytes'], 4096, 'Bytes between offset index entries.', { min: 0 }),
  topic('max.compaction.lag.ms', 'long', ['log.cleaner.max.compaction.lag.ms'], LONG_MAX, 'Oldest a record gets before it must be compacted.', { min: 1 }),
  topic('max.message.bytes', 'int', ['message.max.bytes'], 1_048_588, 'Largest record batch accepted.', { min: 0 }),
  topic('message.timestamp.after.max.ms', 'long', ['log.message.timestamp.after.max.ms'], 3_600_000, 'Reject batches this far in the future.', { min: 0 }),
  topic('message.timestamp.before.max.ms', 'long', ['log.message.timestamp.before.max.ms'], LONG_MAX, 'Reject batches this far in the past.', { min: 0 }),
  topic('message.timestamp.type', 'string', ['log.message.timestamp.type'], 'CreateTime', 'CreateTime or LogAppendTime.', {
    validValues: ['CreateTime', 'LogAppendTime'],
  }),
  topic('min.cleanable.dirty.ratio', 'double', ['log.cleaner.min.cleanable.ratio'], 0.5, 'Dirty ratio that triggers compaction.', { min: 0, max: 1 }),
  topic('min.compaction.lag.ms', 'long', ['log.cleaner.min.compaction.lag.ms'], 0, 'Youngest a record can be and still be compacted.', { min: 0 }),
  topic('min.insync.replicas', 'int', ['min.insync.replicas'], 1, 'Replicas that must have a write for acks=all.', { min: 1 }),
  topic('preallocate', 'boolean', ['log.preallocate'], false, 'Preallocate segment files.'),
  topic('retention.bytes', 'long', ['log.retention.bytes'], -1, 'Size per partition past which old segments go; -1 no limit.'),
  topic(
    'retention.ms',
    'long',
    ['log.retention.ms', { name: 'log.retention.minutes', scale: MINUTE }, { name: 'log.retention.hours', scale: HOUR }],
    604_800_000,
    'Age past which segments go; -1 keeps forever.',
    { min: -1 },
  ),
  topic('segment.bytes', 'int', ['log.segment.bytes'], 1_073_741_824, 'Roll a segment at this size.', { min: 14 }),
  topic('segment.index.bytes', 'int', ['log.index.size.max.bytes'], 10_485_760, 'Largest offset index per segment.', { min: 4 }),
  topic('segment.jitter.ms', 'long', ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', scale: HOUR }], 0, 'Random jitter subtracted from segment.ms.', {
    min: 0,
  }),
  topic('segment.ms', 'long', ['log.roll.ms', { name: 'log.roll.hours', scale: HOUR }], 604_800_000, 'Roll a segment this old.', { min: 1 }),
  topic('unclean.leader.election.enable', 'boolean', ['unclean.leader.election.enable'], false, 'Meaningless with one replica.'),
] as const;

export type TopicConfigDefs = (typeof TOPIC_CONFIGS)[number];
export type TopicConfigName = TopicConfigDefs['name'];
export type TopicConfigValues = {
  readonly [D in TopicConfigDefs as D['name']]: ConfigValueOf<D['type']>;
};

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDefs> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function isTopicConfigName(name: string): name is TopicConfigName {
  return TOPIC_CONFIG_BY_NAME.has(name);
}

/** Which broker synonym (if any) supplies a topic setting's default, and the scaled value. */
export function topicDefault(
  def: TopicConfigDefs,
  broker: BrokerConfigValues,
): { value: ConfigValue; from: BrokerSynonym | undefined } {
  for (const synonym of def.synonyms) {
    const raw = broker[synonym.name] as ConfigValue;
    if (raw === null) continue;
    // Kafka: a negative retention in any unit means "forever", spelled -1 in ms.
    if (synonym.scale !== undefined && typeof raw === 'number') {
      return { value: raw < 0 ? -1 : scaleClamped(raw, synonym.scale), from: synonym };
    }
    return { value: raw, from: synonym };
  }
  return { value: def.default, from: undefined };
}

/** Every topic setting's value for a topic with no overrides. */
export function topicDefaults(broker: BrokerConfigValues): TopicConfigValues {
  const out: Record<string, ConfigValue> = {};
  for (const def of TOPIC_CONFIGS) out[def.name] = topicDefault(def, broker).value;
  return out as TopicConfigValues;
}

function scaleClamped(value: number, scale: number): number {
  const scaled = value * scale;
  return scaled > LONG_MAX ? LONG_MAX : scaled;
}
