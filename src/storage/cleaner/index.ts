/** The log cleaner (compaction): see log-cleaner.ts and cleaner.ts. */
export { LogCleaner } from './log-cleaner.js';
export type { LogCleanerOptions, LogToClean } from './log-cleaner.js';
export { Cleaner, DEFAULT_CLEANER_CONFIG, groupSegmentsBySize } from './cleaner.js';
export { CleaningAbortedError } from './cleaning-aborted.js';
export type { CleanerConfig, CleanStats } from './cleaner.js';
export { KeyOffsetMap } from './offset-map.js';
export type { AbortedTxn, CleanerTxnSource, LastProducerRecord } from './types.js';
