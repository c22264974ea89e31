/**
 * The produce validation options of the validation benchmarks (bench/validation-bench.ts,
 * bench/validation-offload-bench.ts): a topic that accepts any batch these benchmarks build
 * (no size limit in the way, no timestamp bound, not compacted), so that what is measured is
 * the validator's work on a good batch.
 */
import type { ProduceValidationOptions } from '../../src/storage/log-validator.js';

export function benchValidationOptions(): ProduceValidationOptions {
  return {
    apiVersion: 9,
    maxMessageBytes: 1 << 30,
    topicPartition: 'bench-0',
    compacted: false,
    createTime: true,
    timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    timestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
    now: Date.now(),
  };
}
