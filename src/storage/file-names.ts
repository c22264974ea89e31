/**
 * Every name Skiff gives a file or folder in a log dir. Kafka's tools find segments and
 * checkpoints by these names, so they follow Kafka exactly (except the topic registry, which
 * Kafka keeps in ZooKeeper/KRaft and Kafka's tools ignore).
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] as const;
export type SegmentSuffix = (typeof SEGMENT_SUFFIXES)[number];

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
/** Each partition's high watermark, as Kafka's ReplicaManager checkpoints it. */
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
export const TOPICS_FILE = 'skiff-topics.json';
/** The cluster id and node id, as Kafka's meta.properties (src/cluster/cluster-meta.ts). */
export const META_PROPERTIES_FILE = 'meta.properties';
/** The end of the producer id block in use (src/coordinator/producer-ids.ts). */
export const PRODUCER_IDS_FILE = 'skiff-producer-ids.json';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/** Held by the running broker: a second one on the same log dir stops at start. */
export const LOCK_FILE = '.lock';
/** A partition's producer state at an offset (Kafka's "<offset>.snapshot"). */
export const SNAPSHOT_SUFFIX = '.snapshot';
/** A segment's aborted transactions (Kafka's "<base offset>.txnindex"). */
export const TXN_INDEX_SUFFIX = '.txnindex';
/** Client quotas (Kafka keeps them in its metadata log, as it does topics). */
export const CLIENT_QUOTAS_FILE = 'skiff-client-quotas.json';
/** Suffix of a segment's files once out of the log, until file.delete.delay.ms removes them. */
export const DELETED_FILE_SUFFIX = '.deleted';
/** Suffix of a segment the log cleaner is writing (src/storage/cleaner/cleaner.ts). */
export const CLEANED_FILE_SUFFIX = '.cleaned';
/** Suffix of a cleaned segment about to replace the ones it cleaned; recovery completes the swap. */
export const SWAP_FILE_SUFFIX = '.swap';
/** Suffix of a partition folder set aside because no topic claims it (Kafka's "-stray"). */
export const STRAY_SUFFIX = '-stray';
/** Suffix of a half-written file from an atomic write; left-overs are removed on start. */
export const TEMP_SUFFIX = '.tmp';

const OFFSET_DIGITS = 20;

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic names may contain '-', so the partition is what follows the last one. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const digits = name.slice(dash + 1);
  if (!/^\d{1,10}$/.test(digits)) return undefined;
  return { topic: name.slice(0, dash), partition: Number(digits) };
}

/** Segment files, snapshots and transaction indexes are named by an offset in 20 digits. */
function offsetFileName(offset: bigint, suffix: string): string {
  return offset.toString().padStart(OFFSET_DIGITS, '0') + suffix;
}

export function segmentFileName(baseOffset: bigint, suffix: SegmentSuffix): string {
  return offsetFileName(baseOffset, suffix);
}

export function snapshotFileName(offset: bigint): string {
  return offsetFileName(offset, SNAPSHOT_SUFFIX);
}

export function parseSnapshotFileName(name: string): bigint | undefined {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  return m ? BigInt(m[1]!) : undefined;
}

export function txnIndexFileName(baseOffset: bigint): string {
  return offsetFileName(baseOffset, TXN_INDEX_SUFFIX);
}

export function parseSegmentFileName(name: string): { baseOffset: bigint; suffix: SegmentSuffix } | undefined {
  const dot = name.indexOf('.');
  if (dot !== OFFSET_DIGITS) return undefined;
  const suffix = name.slice(dot) as SegmentSuffix;
  if (!SEGMENT_SUFFIXES.includes(suffix)) return undefined;
  const digits = name.slice(0, dot);
  if (!/^\d+$/.test(digits)) return undefined;
  return { baseOffset: BigInt(digits), suffix };
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
