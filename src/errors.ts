/**
 * Every failure that carries a Kafka error code, in one leaf module that any layer may import
 * (it imports nothing but the generated code table). A catch site asks `instanceof KafkaError`
 * and answers with `err.code`; the subclasses only say where a failure came from, for the few
 * callers that map one family differently (the group coordinator's append failures, Fetch).
 */
import { ErrorCode } from './protocol/generated/errors.js';

export { ErrorCode };

/** A failure a client sees as `code`; thrown anywhere, answered by the request layer. */
export class KafkaError extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `kafka error ${code}`);
  }
}

/**
 * The log cannot serve the call: OFFSET_OUT_OF_RANGE, CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION
 * (a partition that is not open) or KAFKA_STORAGE_ERROR (an I/O failure, a closed log).
 */
export class StorageError extends KafkaError {
  override readonly name = 'StorageError';
}

/** A producer-state check refused a batch (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, ...). */
export class ProducerStateError extends KafkaError {
  override readonly name = 'ProducerStateError';
}

/** A bad setting (INVALID_CONFIG to a client); the message names the key, what was expected and what was given. */
export class ConfigError extends KafkaError {
  constructor(
    readonly key: string,
    readonly detail: string,
    /** Where the value came from (a file name, --override, ...), when known. */
    readonly source?: string,
  ) {
    super(ErrorCode.INVALID_CONFIG, `config ${key}${source ? ` (from ${source})` : ''}: ${detail}`);
    this.name = 'ConfigError';
  }
}
