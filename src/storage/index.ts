/**
 * The storage layer's one entry point: everything outside src/storage imports from here
 * (make deps-check enforces it). The layers inside, top down: LogManager (every partition of a
 * log dir, checkpoints, the cleaner's schedule) > PartitionLog (partition-log.ts: high
 * watermark, log start and last stable offsets, producer state, leader epochs, transaction
 * index) > LocalLog (local-log.ts: segment list, roll, flush, read planning, retention,
 * truncation) > Segment (segment.ts) > the index files (offset-index.ts, time-index.ts,
 * txn-index.ts) > SegmentStore (store.ts: files on disk, or in memory). Every file name is in
 * file-names.ts. Storage imports nothing above src/protocol and src/errors.ts.
 */
export { PartitionLog } from './partition-log.js';
export type { AppendOptions, AppendResult, AppendListener, PartitionLogOptions, ReadOptions, ReadResult, TimestampAndOffset } from './partition-log.js';
export { LogManager } from './log-manager.js';
export type { CreatePartitionOptions, LogManagerOptions } from './log-manager.js';
export { TopicStore, isValidTopicName } from './topic-store.js';
export type { TopicRecord } from './topic-store.js';
export { ClientQuotaStore, entityKey } from './client-quota-store.js';
export type { QuotaEntity, QuotaRecord } from './client-quota-store.js';
export { DEFAULT_LOG_CONFIG, cleanupPolicyFlags, logConfigFromTopicConfigs, resolveLogConfig } from './log-config.js';
export type { LogConfig, TimestampType } from './log-config.js';
export { batchSize, isTransactionalBatch, startProduceValidation, validateProduceBatch } from './log-validator.js';
export type { ValidationFailure } from './log-validator.js';
export { FileSegmentStore } from './file-store.js';
export { MemorySegmentStore } from './memory-store.js';
export type { FileLike, SegmentStore } from './store.js';
export { DataDirError, prepareDataDir } from './data-dir.js';
export { lockDataDir, type DataDirLock } from './data-dir-lock.js';
export { META_PROPERTIES_FILE, PRODUCER_IDS_FILE } from './file-names.js';
