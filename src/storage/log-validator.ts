/**
 * Kafka's checks on a client's produce payload before anything is appended: the rules of
 * ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords and LogValidator in one
 * place. The payload must be one RecordBatch v2; compressed or not, its records section is
 * walked record by record (decompressed once) without building objects, so a batch whose
 * records do not parse, or whose count disagrees with its offsets, is never stored.
 *
 * A failure says how Kafka reports it, so the produce handler can answer field for field:
 * errors Kafka finds before the log (framing, size, CRC) carry no log start offset; errors
 * from inside the append carry the partition's; per-record errors (KIP-467) carry
 * recordErrors and a message, and so does a batch length too small for any batch.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { decompress, decompressOffThread, DEFAULT_MAX_DECOMPRESSED } from '../protocol/records/compression.js';
import { scan, scanVarint, scanVarlong } from '../protocol/records/varint-scan.js';
import {
  Attribute,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  Compression,
  Field,
  computeCrc,
  type CompressionType,
} from '../protocol/records/record-batch.js';

export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string;
}

export interface ValidationFailure {
  errorCode: number;
  /** Why the batch was refused; the answer carries it only when `sendMessage`, as Kafka's does. */
  message: string;
  sendMessage: boolean;
  /**
   * Found by the append rather than before it: Kafka's answer then carries the partition's log
   * start offset, otherwise -1.
   */
  inLog: boolean;
  /** Per-record errors (KIP-467), in the answer from Produce v8. */
  recordErrors: RecordError[];
  /** Of those, records without a key for a compacted topic (Kafka's NoKeyCompactedTopicRecordsPerSec). */
  keylessRecords: number;
}

export interface ProduceValidationOptions {
  /** Produce request version: which checks apply. */
  apiVersion: number;
  /** The topic's max.message.bytes. */
  maxMessageBytes: number;
  /** "topic-partition", as Kafka names it in messages. */
  topicPartition: string;
  /** cleanup.policy includes compact: every record needs a key. */
  compacted: boolean;
  /** message.timestamp.type is CreateTime: timestamps are checked against the bounds. */
  createTime: boolean;
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  /** The broker's clock, once for the whole batch as in Kafka. */
  now: number;
  /** Cap on the decompressed records section. */
  maxDecompressed?: number;
  /** startProduceValidation: the smallest compressed section sent off the event loop (OFF_THREAD_MIN_SECTION_BYTES). */
  offThreadMinBytes?: number;
}

const beforeLog = (errorCode: number, message: string, sendMessage = false): ValidationFailure => ({ errorCode, message, sendMessage, inLog: false, recordErrors: [], keylessRecords: 0 });
const inLog = (errorCode: number, message: string): ValidationFailure => ({ errorCode, message, sendMessage: false, inLog: true, recordErrors: [], keylessRecords: 0 });

const recordFailure = (errorCode: number, message: string, recordErrors: RecordError[], keylessRecords: number): ValidationFailure => ({
  errorCode,
  message,
  sendMessage: true,
  inLog: true,
  recordErrors,
  keylessRecords,
});

/** The bytes of the batch a validated payload holds. */
export function batchSize(records: Buffer): number {
  return records.readInt32BE(Field.batchLength) + BATCH_LOG_OVERHEAD;
}

/**
 * Kafka's produce path refuses a request that carries a transactional batch without a
 * transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition): such a batch
 * would hold the last stable offset back forever, since no transaction can ever end it.
 */
export function isTransactionalBatch(records: Buffer | null): boolean {
  return records !== null && records.length > Field.attributes + 1 && (records.readInt16BE(Field.attributes) & Attribute.transactional) !== 0;
}

/** Bytes of a v0 message's overhead: the smallest size a batch length may declare. */
const MIN_RECORD_OVERHEAD = 14;
/** offset, length, leader epoch, magic: what must be there to see a batch at all. */
const HEADER_SIZE_UP_TO_MAGIC = Field.magic + 1;

/**
 * The size of the whole batch at `at` as Kafka's ByteBufferLogInputStream frames a payload:
 * null when there is no whole batch there (nothing, or a batch cut short, which Kafka passes
 * over), a failure for a length no batch can have.
 */
function frameAt(buf: Buffer, at: number): number | ValidationFailure | null {
  const remaining = buf.length - at;
  if (remaining < BATCH_LOG_OVERHEAD) return null;
  const length = buf.readInt32BE(at + Field.batchLength);
  if (length < MIN_RECORD_OVERHEAD) {
    return beforeLog(ErrorCode.CORRUPT_MESSAGE, `Record size ${length} is less than the minimum record overhead (${MIN_RECORD_OVERHEAD})`, true);
  }
  if (remaining < HEADER_SIZE_UP_TO_MAGIC || remaining < length + BATCH_LOG_OVERHEAD) return null;
  return length + BATCH_LOG_OVERHEAD;
}

/**
 * Checks one partition's payload; null when its first `batchSize(records)` bytes may be
 * appended as they are (bytes after the batch too few to be another one are ignored, as Kafka
 * does). Never throws.
 */
export function validateProduceBatch(records: Buffer | null, opts: ProduceValidationOptions): ValidationFailure | null {
  const batch = checkBatch(records, opts);
  return isChecked(batch) ? checkRecords(records!, batch, opts) : batch;
}

/** The records section, decompressed on this thread, record by record. */
function checkRecords(records: Buffer, batch: CheckedBatch, opts: ProduceValidationOptions): ValidationFailure | null {
  const section = records.subarray(BATCH_HEADER_SIZE, batch.size);
  let data: Buffer;
  if (batch.compression === Compression.none) {
    data = section;
  } else {
    try {
      data = decompress(batch.compression as CompressionType, section, { maxSize: opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED });
    } catch (e) {
      return decompressionFailure(e);
    }
  }
  return walkRecords(data, batch.count, records, batch.attributes, opts);
}

/**
 * validateProduceBatch, with the decompression of a large compressed batch run off the event
 * loop where its codec allows (compression.ts decompressOffThread): then a promise of the same
 * answer, which never rejects. Everything else (framing, header, CRC, and small or uncompressed
 * batches entirely) is checked before this returns, so most batches answer synchronously.
 */
export function startProduceValidation(records: Buffer | null, opts: ProduceValidationOptions): ValidationFailure | null | Promise<ValidationFailure | null> {
  const batch = checkBatch(records, opts);
  if (!isChecked(batch)) return batch;
  if (batch.compression === Compression.none || batch.size - BATCH_HEADER_SIZE < (opts.offThreadMinBytes ?? OFF_THREAD_MIN_SECTION_BYTES)) return checkRecords(records!, batch, opts);
  const section = records!.subarray(BATCH_HEADER_SIZE, batch.size);
  const pending = decompressOffThread(batch.compression as CompressionType, section, { maxSize: opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED });
  if (pending === undefined) return checkRecords(records!, batch, opts);
  return pending.then(
    (data) => walkRecords(data, batch.count, records!, batch.attributes, opts),
    (e: unknown) => decompressionFailure(e),
  );
}

/**
 * Compressed records sections at least this large are decompressed on the libuv pool. From
 * ~10 KiB of gzip the event loop's CPU per MiB falls to a sixth at the same process CPU; at
 * 5 KiB the process paid ~8% more (bench/validation-offload-bench.ts, BENCHMARKS.md round 6).
 */
export const OFF_THREAD_MIN_SECTION_BYTES = 16 * 1024;

/** Kafka's decompressing iterators fail with a plain KafkaException, which it answers as
 * UNKNOWN_SERVER_ERROR, whichever the codec; the cap on the output ends here too. */
function decompressionFailure(e: unknown): ValidationFailure {
  return inLog(ErrorCode.UNKNOWN_SERVER_ERROR, `Failed to decompress record stream: ${e instanceof Error ? e.message : String(e)}`);
}

/** What checkBatch learnt of a batch that passed it. */
interface CheckedBatch {
  size: number;
  compression: number;
  attributes: number;
  count: number;
}

function isChecked(b: CheckedBatch | ValidationFailure | null): b is CheckedBatch {
  return b !== null && 'size' in b;
}

/** Every check up to the records section: framing, header, size, CRC, offsets. */
function checkBatch(records: Buffer | null, opts: ProduceValidationOptions): CheckedBatch | ValidationFailure {
  const v = opts.apiVersion;
  // ProduceRequest.validateRecords
  const noBatch = () => beforeLog(ErrorCode.INVALID_RECORD, `Produce requests with version ${v} must have at least one record batch per partition`);
  if (records === null) return noBatch();
  const size = frameAt(records, 0);
  if (typeof size !== 'number') return size ?? noBatch();
  if (records.readInt8(Field.magic) !== 2) {
    return beforeLog(ErrorCode.INVALID_RECORD, `Produce requests with version ${v} are only allowed to contain record batches with magic version 2`);
  }
  const second = frameAt(records, size);
  if (second !== null) {
    return typeof second === 'number' ? beforeLog(ErrorCode.INVALID_RECORD, `Produce requests with version ${v} are only allowed to contain exactly one record batch per partition`) : second;
  }
  // The batch itself: Kafka's DefaultRecordBatch.ensureValid.
  if (size < BATCH_HEADER_SIZE) return beforeLog(ErrorCode.CORRUPT_MESSAGE, `Record batch of ${size} bytes is smaller than its header`);
  const attributes = records.readInt16BE(Field.attributes);
  const compression = attributes & Attribute.compressionMask;
  if (v < 7 && compression === Compression.zstd) {
    return beforeLog(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with version lower than 7 cannot use ZStandard compression');
  }
  if (compression > Compression.zstd) return beforeLog(ErrorCode.CORRUPT_MESSAGE, `Unknown compression type id ${compression}`);

  // UnifiedLog.analyzeAndValidateRecords
  if (size > opts.maxMessageBytes) {
    return beforeLog(ErrorCode.MESSAGE_TOO_LARGE, `The record batch of ${size} bytes exceeds the maximum of ${opts.maxMessageBytes}`);
  }
  if (computeCrc(records) !== records.readUInt32BE(Field.crc)) return beforeLog(ErrorCode.CORRUPT_MESSAGE, 'Record batch CRC does not match its contents');

  // LogValidator.validateBatch, for a batch from a client
  const tp = opts.topicPartition;
  const baseOffset = records.readBigInt64BE(Field.baseOffset);
  if (baseOffset !== 0n) return inLog(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append to ${tp} should be 0, but it is ${baseOffset}`);
  const lastOffsetDelta = records.readInt32BE(Field.lastOffsetDelta);
  const count = records.readInt32BE(Field.recordCount);
  if (lastOffsetDelta < 0) return inLog(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [0, ${lastOffsetDelta}] in topic partition ${tp}`);
  if (count <= 0) return inLog(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count} in topic partition ${tp}`);
  if (lastOffsetDelta + 1 !== count) {
    return inLog(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${count} in topic partition ${tp}`);
  }
  if ((attributes & Attribute.control) !== 0) return inLog(ErrorCode.INVALID_RECORD, `Clients are not allowed to write control records in topic partition ${tp}`);
  const producerId = records.readBigInt64BE(Field.producerId);
  const baseSequence = records.readInt32BE(Field.baseSequence);
  if (producerId >= 0n && baseSequence < 0) {
    return inLog(ErrorCode.INVALID_RECORD, `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId} in topic partition ${tp}`);
  }

  return { size, compression, attributes, count };
}

// ---- the record walk: positions only, nothing allocated unless a record is refused ----

const STRUCTURE = 'Found invalid record structure';

/**
 * Walks `count` records of `data` as Kafka's DefaultRecord.readFrom reads them: every length
 * and count within its record, the record within the section, nothing left over. Then the
 * per-record rules (key on a compacted topic, timestamp bounds) as LogValidator.validateRecord.
 */
function walkRecords(data: Buffer, count: number, batch: Buffer, attributes: number, opts: ProduceValidationOptions): ValidationFailure | null {
  const tp = opts.topicPartition;
  const limit = data.length;
  const logAppendTime = (attributes & Attribute.timestampTypeLogAppend) !== 0;
  const baseTimestamp = Number(batch.readBigInt64BE(Field.baseTimestamp));
  const maxTimestamp = Number(batch.readBigInt64BE(Field.maxTimestamp));
  const earliest = opts.now - opts.timestampBeforeMaxMs;
  const latest = opts.now + opts.timestampAfterMaxMs;
  let errors: RecordError[] | undefined;
  let timestampError = false;
  let keylessRecords = 0;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos >= limit) return inLog(ErrorCode.INVALID_RECORD, `Batch declares ${count} records but holds ${i}`);
    const length = scanVarint(data, pos, limit);
    if (scan.end < 0 || length <= 0) return inLog(ErrorCode.INVALID_RECORD, `Invalid record size ${length}`);
    const start = scan.end;
    const end = start + length;
    if (end > limit) return inLog(ErrorCode.INVALID_RECORD, `${STRUCTURE}: record of ${length} bytes runs past its batch`);
    let p = start + 1; // attributes
    const timestampDelta = scanVarlong(data, p, end);
    if (scan.end < 0) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
    const offsetDelta = scanVarint(data, scan.end, end);
    if (scan.end < 0) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
    const keyLength = scanVarint(data, scan.end, end);
    if (scan.end < 0 || keyLength < -1) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
    p = scan.end + Math.max(0, keyLength);
    const valueLength = scanVarint(data, p, end);
    if (scan.end < 0 || valueLength < -1) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
    p = scan.end + Math.max(0, valueLength);
    const headers = scanVarint(data, p, end);
    if (scan.end < 0) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
    if (headers < 0) return inLog(ErrorCode.INVALID_RECORD, `Found invalid number of record headers ${headers}`);
    p = scan.end;
    // Every header moves p forward or fails, so a huge count ends at the record's end.
    for (let h = 0; h < headers; h++) {
      const keySize = scanVarint(data, p, end);
      if (scan.end < 0) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
      if (keySize < 0) return inLog(ErrorCode.INVALID_RECORD, `Invalid negative header key size ${keySize}`);
      p = scan.end + keySize;
      const valueSize = scanVarint(data, p, end);
      if (scan.end < 0 || valueSize < -1) return inLog(ErrorCode.INVALID_RECORD, STRUCTURE);
      p = scan.end + Math.max(0, valueSize);
    }
    if (p !== end) return inLog(ErrorCode.INVALID_RECORD, `Invalid record size: expected to read ${length} bytes in record payload, but instead read ${p - start}`);
    pos = end;

    // LogValidator.validateRecord: the key first, then the timestamp; one error per record.
    let message: string | undefined;
    if (opts.compacted && keyLength < 0) {
      message = `Compacted topic cannot accept message without key in topic partition ${tp}`;
      keylessRecords++;
    } else {
      const timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
      if (opts.createTime && timestamp !== -1) {
        if (timestamp < earliest || timestamp > latest) {
          message = `Timestamp ${timestamp} of message with offset ${offsetDelta} is out of range. The timestamp should be within [${earliest}, ${latest}]`;
          timestampError = true;
        }
      } else if (logAppendTime) {
        const record = `DefaultRecord(offset=${offsetDelta}, timestamp=${timestamp}, key=${Math.max(0, keyLength)} bytes, value=${Math.max(0, valueLength)} bytes)`;
        message = `Invalid timestamp type in message ${record}. Producer should not set timestamp type to LogAppendTime.`;
        timestampError = true;
      }
    }
    if (message !== undefined) (errors ??= []).push({ batchIndex: i, batchIndexErrorMessage: message });
  }
  if (pos !== limit) return inLog(ErrorCode.INVALID_RECORD, `Batch declares ${count} records but holds more bytes after them`);
  if (errors === undefined) return null;
  if (timestampError) return recordFailure(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors, keylessRecords);
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
  const summary = `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`;
  return recordFailure(ErrorCode.INVALID_RECORD, summary, errors, keylessRecords);
}
