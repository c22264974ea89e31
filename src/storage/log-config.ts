/**
 * Per-partition log settings as plain values, named after Kafka's topic configs
 * (segment.bytes -> segmentBytes). Defaults are Kafka's.
 */
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  /** -1 keeps data forever. */
  retentionMs: number;
  /** -1 means no size limit. */
  retentionBytes: number;
  indexIntervalBytes: number;
  /** Largest offset/time index file; a full index rolls the segment. */
  segmentIndexBytes: number;
  flushMessages: number;
  flushMs: number;
  messageTimestampType: TimestampType;
  /** Skiff's own: fsync before an append is acknowledged (appends waiting together share one fsync). */
  flushOnAck: boolean;
  /** cleanup.policy contains "compact": the log cleaner keeps the last record per key. */
  compact: boolean;
  /** cleanup.policy contains "delete": retention.ms and retention.bytes delete old segments. */
  delete: boolean;
  /** delete.retention.ms: how long tombstones and transaction markers outlive their first cleaning. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: a segment whose newest record is younger is not cleaned yet. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty segment whose first batch is older must be cleaned, dirty ratio or not. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: dirty bytes / all bytes that makes a log worth cleaning. */
  minCleanableDirtyRatio: number;
  /** file.delete.delay.ms: how long a segment removed from the log stays readable by fetches in flight. */
  fileDeleteDelayMs: number;
}

/** Kafka uses Long.MAX_VALUE for "never"; this is as far as a JS number compares exactly. */
const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  flushMessages: NEVER,
  flushMs: NEVER,
  messageTimestampType: 'CreateTime',
  flushOnAck: false,
  compact: false,
  delete: true,
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60_000,
});

const KAFKA_NAMES: Record<string, keyof LogConfig> = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'index.interval.bytes': 'indexIntervalBytes',
  'segment.index.bytes': 'segmentIndexBytes',
  'flush.messages': 'flushMessages',
  'flush.ms': 'flushMs',
  'message.timestamp.type': 'messageTimestampType',
  'delete.retention.ms': 'deleteRetentionMs',
  'min.compaction.lag.ms': 'minCompactionLagMs',
  'max.compaction.lag.ms': 'maxCompactionLagMs',
  'min.cleanable.dirty.ratio': 'minCleanableDirtyRatio',
  'file.delete.delay.ms': 'fileDeleteDelayMs',
};

/** cleanup.policy ("delete", "compact", "compact,delete") as the two switches the log reads. */
export function cleanupPolicyFlags(policy: string | readonly string[]): { compact: boolean; delete: boolean } {
  const parts = (typeof policy === 'string' ? policy.split(',') : policy).map((p) => p.trim().toLowerCase());
  for (const p of parts) if (p !== 'compact' && p !== 'delete') throw new RangeError(`cleanup.policy: ${String(policy)}`);
  return { compact: parts.includes('compact'), delete: parts.includes('delete') };
}

/**
 * Reads the log settings out of a topic's Kafka-named configs; unknown names are ignored
 * (they belong to other layers), malformed numbers throw so a bad AlterConfigs is refused.
 */
export function logConfigFromTopicConfigs(configs: Readonly<Record<string, string>>): Partial<LogConfig> {
  const out: Partial<Record<keyof LogConfig, unknown>> = {};
  for (const [name, value] of Object.entries(configs)) {
    if (name === 'cleanup.policy') {
      Object.assign(out, cleanupPolicyFlags(value));
      continue;
    }
    const key = KAFKA_NAMES[name];
    if (key === undefined) continue;
    if (key === 'messageTimestampType') {
      if (value !== 'CreateTime' && value !== 'LogAppendTime') throw new RangeError(`${name}: ${value}`);
      out[key] = value;
    } else if (key === 'minCleanableDirtyRatio') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new RangeError(`${name}: ${value}`);
      out[key] = n;
    } else {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new RangeError(`${name}: ${value}`);
      out[key] = Math.min(n, NEVER);
    }
  }
  return out as Partial<LogConfig>;
}

export function resolveLogConfig(...layers: Array<Partial<LogConfig> | undefined>): LogConfig {
  const out: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
