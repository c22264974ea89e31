/**
 * Messages of one partition for the console: browse from an offset or a timestamp, and produce
 * one record. Keys, values and header values travel as base64; the page shows them as text,
 * JSON or hex.
 */
import type { BrokerView } from '../broker-views.js';
import { batches } from '../../protocol/records/record-batch.js';
import { buildBatch, iterateRecords } from '../../protocol/records/records.js';
import { KafkaError } from '../../errors.js';
import type { PartitionLog } from '../../storage/index.js';
import { HttpError, type RouteRequest, type RouteTable } from '../routes.js';
import { errorName } from './errors.js';

const MAX_MESSAGES = 500;
const READ_BYTES = 1024 * 1024;

interface MessageView {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
  transactional: boolean;
}

export function messageRoutes(routes: RouteTable, broker: BrokerView): void {
  routes.get('/api/topics/:topic/partitions/:partition/messages', async (req) => {
    const log = partitionOf(broker, req);
    const limit = Math.min(MAX_MESSAGES, intParam(req, 'limit') ?? 50);
    let from: bigint;
    const timestamp = req.url.searchParams.get('timestamp');
    if (timestamp !== null) {
      if (!/^-?\d+$/.test(timestamp)) throw new HttpError(400, 'timestamp must be milliseconds since the epoch');
      from = (await log.offsetForTimestamp(BigInt(timestamp)))?.offset ?? log.highWatermark;
    } else {
      const offset = req.url.searchParams.get('offset');
      if (offset !== null && !/^-?\d+$/.test(offset)) throw new HttpError(400, 'offset must be an integer');
      // A negative offset counts back from the end, so the page can show the newest records.
      from = offset === null ? log.logStartOffset : BigInt(offset) < 0n ? log.highWatermark + BigInt(offset) : BigInt(offset);
    }
    if (from < log.logStartOffset) from = log.logStartOffset;
    const messages = await readMessages(log, from, limit);
    const next = messages.length > 0 ? messages.at(-1)!.offset + 1n : from;
    return { json: { partition: log.partition, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, from, nextOffset: next, messages } };
  });

  routes.add(
    'POST',
    '/api/topics/:topic/partitions/:partition/messages',
    async (req) => {
      const log = partitionOf(broker, req);
      const body = (await req.json()) as { key?: unknown; value?: unknown; headers?: unknown };
      const key = optionalText(body?.key, 'key');
      const value = optionalText(body?.value, 'value');
      const headers: Array<{ key: string; value: Uint8Array | null }> = [];
      for (const h of Array.isArray(body?.headers) ? (body.headers as Array<{ key?: unknown; value?: unknown }>) : []) {
        if (typeof h?.key !== 'string') throw new HttpError(400, 'each header needs a string key');
        headers.push({ key: h.key, value: optionalText(h.value, 'header value') });
      }
      if (log.config.compact && key === null) throw new HttpError(400, 'a compacted topic needs a key');
      const batch = buildBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key, value, headers }] });
      if (batch.length > broker.topics.effectiveConfig(log.topic)['max.message.bytes']) throw new HttpError(413, 'the record is larger than max.message.bytes');
      try {
        const result = await log.append(batch, { origin: 'client' });
        const counters = broker.counters.topic(log.topic);
        counters.bytesIn += batch.length;
        counters.messagesIn += 1;
        return { status: 201, json: { offset: result.baseOffset } };
      } catch (err) {
        if (err instanceof KafkaError) return { status: 400, json: { error: err.message, code: errorName(err.code) } };
        throw err;
      }
    },
    { mutates: true },
  );
}

function partitionOf(broker: BrokerView, req: RouteRequest): PartitionLog {
  const partition = Number(req.params.partition);
  const log = Number.isSafeInteger(partition) ? broker.topics.partition(req.params.topic!, partition) : undefined;
  if (log === undefined) throw new HttpError(404, `no partition ${req.params.partition} of topic ${req.params.topic}`);
  return log;
}

function intParam(req: RouteRequest, name: string): number | undefined {
  const text = req.url.searchParams.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new HttpError(400, `${name} must be a positive integer`);
  return n;
}

function optionalText(v: unknown, what: string): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new HttpError(400, `${what} must be a string or null`);
  return Buffer.from(v, 'utf8');
}

const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

/** Up to `limit` data records from `from` up to the high watermark; control batches (transaction markers) are skipped. */
async function readMessages(log: PartitionLog, from: bigint, limit: number): Promise<MessageView[]> {
  const out: MessageView[] = [];
  let offset = from;
  while (out.length < limit && offset < log.highWatermark) {
    const r = await log.read(offset, READ_BYTES, { minOneBatch: true });
    if (r.sizeInBytes === 0) break;
    for (const slice of r.records) {
      const buf = slice as Buffer;
      for (const { header, at } of batches(buf)) {
        if (header.isControl) continue;
        for (const rec of iterateRecords(buf, at)) {
          const recOffset = header.baseOffset + BigInt(rec.offsetDelta);
          if (recOffset < from) continue;
          if (out.length >= limit) return out;
          out.push({
            offset: recOffset,
            timestamp: header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp + BigInt(rec.timestampDelta),
            key: b64(rec.key),
            value: b64(rec.value),
            headers: rec.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
            transactional: header.isTransactional,
          });
        }
      }
    }
    const next = r.nextOffset;
    if (next <= offset) break;
    offset = next;
  }
  return out;
}
