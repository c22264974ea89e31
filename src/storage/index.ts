/** The storage layer's public surface. */
export { PartitionLog } from './partition-log.js';
export type { AppendOptions, AppendResult, AppendListener, PartitionLogOptions, ReadOptions, ReadResult } from './partition-log.js';
export { LogManager } from './log-manager.js';
export type { CreatePartitionOptions, LogManagerOptions } from './log-manager.js';
export { TopicStore, isValidTopicName } from './topic-store.js';
export type { TopicRecord } from './topic-store.js';
export { DEFAULT_LOG_CONFIG, logConfigFromTopicConfigs, resolveLogConfig } from './log-config.js';
export type { LogConfig, TimestampType } from './log-config.js';
export { FileSegmentStore } from './file-store.js';
export { MemorySegmentStore } from './memory-store.js';
export type { FileLike, SegmentStore } from './store.js';
