/** Kafka errors as the console's JSON API answers them: an HTTP status, Kafka's error name and message. */
import { ERROR_INFO, ErrorCode } from '../../protocol/generated/errors.js';
import type { KafkaError } from '../../errors.js';
import type { Reply } from '../routes.js';

export function errorName(code: number): string {
  return ERROR_INFO.get(code)?.name ?? String(code);
}

const STATUS: ReadonlyMap<number, number> = new Map([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 409],
  [ErrorCode.TOPIC_DELETION_DISABLED, 409],
  [ErrorCode.UNKNOWN_SERVER_ERROR, 500],
]);

export function kafkaErrorReply(err: KafkaError): Reply {
  return { status: STATUS.get(err.code) ?? 400, json: { error: err.message, code: errorName(err.code) } };
}
