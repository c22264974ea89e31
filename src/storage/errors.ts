/**
 * Storage failures the broker turns into Kafka error codes. The numeric code travels with the
 * error so a handler can answer without a lookup table of its own.
 */
export const StorageErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  KAFKA_STORAGE_ERROR: 56,
} as const;
export type StorageErrorName = keyof typeof StorageErrorCode;

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly errorCode: number;
  constructor(
    readonly code: StorageErrorName,
    message: string,
  ) {
    super(message);
    this.errorCode = StorageErrorCode[code];
  }
}

export function isOffsetOutOfRange(e: unknown): e is StorageError {
  return e instanceof StorageError && e.code === 'OFFSET_OUT_OF_RANGE';
}
