/**
 * Fixture helpers of the embedded broker (`broker.createTopic`, `produce`, `consume`): real
 * requests built with the generated codecs and answered by the broker's own dispatch, in
 * process, without a socket. A test sets up and checks its data through exactly the code a
 * client reaches.
 *
 * Above src/server, of which it uses only the dispatch contract (server/connection.ts);
 * src/launch.ts builds it.
 */
import type { Chunk } from '../protocol/codec/chunk-writer.js';
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import { Reader } from '../protocol/codec/reader.js';
import { encodeRequestFrame } from '../protocol/frame.js';
import { codec as produceCodec, defaultPartitionProduceData, defaultProduceRequest, defaultTopicProduceData } from '../protocol/generated/000-produce.js';
import { codec as fetchCodec, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic } from '../protocol/generated/001-fetch.js';
import { codec as createTopicsCodec, defaultCreatableTopic, defaultCreateTopicsRequest } from '../protocol/generated/019-create-topics.js';
import { responseHeaderVersion } from '../protocol/generated/api-keys.js';
import { defaultRequestHeader, readResponseHeader } from '../protocol/generated/headers.js';
import { batches } from '../protocol/records/record-batch.js';
import { buildBatch, iterateRecords } from '../protocol/records/records.js';
import type { ConnectionContext, Dispatch } from '../server/connection.js';

export interface CreateTopicOptions {
  /** Default 1. */
  partitions?: number;
  /** Topic configs by Kafka name, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string>;
}

type Bytes = string | Uint8Array | null;

export interface ProduceRecord {
  key?: Bytes;
  value: Bytes;
  headers?: Record<string, string | Uint8Array>;
  /** Default 0. */
  partition?: number;
  /** Milliseconds since the epoch; default now. */
  timestamp?: number;
}

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null>;
}

export interface ConsumeOptions {
  /** Default 0. */
  partition?: number;
  /** Default 0: from the start of the log. */
  fromOffset?: bigint;
  /** Stop after this many records; default all up to the high watermark. */
  maxRecords?: number;
}

/** A Kafka error code in a fixture call's response. */
export class FixtureError extends Error {
  constructor(
    message: string,
    readonly errorCode: number,
  ) {
    super(message);
  }
}

const PRODUCE_VERSION = 9;
// Fetch v12 is the last version that names topics rather than topic ids.
const FETCH_VERSION = 12;
const CREATE_TOPICS_VERSION = 7;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

export class EmbeddedAdmin {
  #correlationId = 0;
  readonly #conn: ConnectionContext = {
    id: -1,
    remoteAddress: 'in-process',
    remotePort: 0,
    closed: false,
    signal: new AbortController().signal,
  };

  constructor(private readonly dispatch: Dispatch) {}

  async createTopic(name: string, opts: CreateTopicOptions = {}): Promise<void> {
    const res = await this.#request(createTopicsCodec, CREATE_TOPICS_VERSION, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 30_000,
      topics: [
        {
          ...defaultCreatableTopic(),
          name,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: 1,
          configs: Object.entries(opts.configs ?? {}).map(([n, value]) => ({ name: n, value })),
        },
      ],
    });
    const t = res.topics[0]!;
    if (t.errorCode !== 0) throw new FixtureError(`createTopic ${name}: ${t.errorMessage ?? `error code ${t.errorCode}`}`, t.errorCode);
  }

  /** Appends the records (acks=all), one batch per partition; resolves with each record's offset. */
  async produce(topic: string, records: readonly ProduceRecord[]): Promise<Array<{ partition: number; offset: bigint }>> {
    const byPartition = new Map<number, number[]>();
    records.forEach((r, i) => {
      const p = r.partition ?? 0;
      byPartition.set(p, [...(byPartition.get(p) ?? []), i]);
    });
    const now = Date.now();
    const partitionData = [...byPartition].map(([index, which]) => {
      const ts = which.map((i) => BigInt(records[i]!.timestamp ?? now));
      const base = ts.reduce((a, b) => (b < a ? b : a));
      return {
        ...defaultPartitionProduceData(),
        index,
        records: buildBatch({
          baseTimestamp: base,
          maxTimestamp: ts.reduce((a, b) => (b > a ? b : a)),
          records: which.map((i, n) => {
            const r = records[i]!;
            return {
              key: bytes(r.key ?? null),
              value: bytes(r.value),
              timestampDelta: Number(ts[n]! - base),
              headers: Object.entries(r.headers ?? {}).map(([key, v]) => ({ key, value: bytes(v) })),
            };
          }),
        }),
      };
    });
    const res = await this.#request(produceCodec, PRODUCE_VERSION, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ ...defaultTopicProduceData(), name: topic, partitionData }],
    });
    const baseOffsets = new Map<number, bigint>();
    for (const p of res.responses[0]?.partitionResponses ?? []) {
      if (p.errorCode !== 0) {
        throw new FixtureError(`produce ${topic}-${p.index}: ${p.errorMessage ?? `error code ${p.errorCode}`}`, p.errorCode);
      }
      baseOffsets.set(p.index, p.baseOffset);
    }
    const offsets = records.map((r) => ({ partition: r.partition ?? 0, offset: 0n }));
    for (const [p, which] of byPartition) which.forEach((i, n) => (offsets[i]!.offset = baseOffsets.get(p)! + BigInt(n)));
    return offsets;
  }

  /** Committed records of one partition (read_committed), from `fromOffset` up to the high watermark. */
  async consume(topic: string, opts: ConsumeOptions = {}): Promise<ConsumedRecord[]> {
    const partition = opts.partition ?? 0;
    const max = opts.maxRecords ?? Infinity;
    const out: ConsumedRecord[] = [];
    let offset = opts.fromOffset ?? 0n;
    for (;;) {
      const res = await this.#request(fetchCodec, FETCH_VERSION, {
        ...defaultFetchRequest(),
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 1,
        topics: [
          {
            ...defaultFetchTopic(),
            topic,
            partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: FETCH_MAX_BYTES }],
          },
        ],
      });
      if (res.errorCode !== 0) throw new FixtureError(`consume ${topic}-${partition}: error code ${res.errorCode}`, res.errorCode);
      const data = res.responses[0]?.partitions[0];
      if (data === undefined) return out;
      if (data.errorCode !== 0) throw new FixtureError(`consume ${topic}-${partition}: error code ${data.errorCode}`, data.errorCode);
      const aborted = new Set((data.abortedTransactions ?? []).map((a) => a.producerId));
      const buf = data.records as Buffer | null;
      let advanced = false;
      for (const { header, at } of batches(buf ?? Buffer.alloc(0))) {
        const next = header.lastOffset + 1n;
        if (next > offset) advanced = true;
        if (!header.isControl && !(header.isTransactional && aborted.has(header.producerId))) {
          for (const rec of iterateRecords(header.buf, at)) {
            const recOffset = header.baseOffset + BigInt(rec.offsetDelta);
            if (recOffset < offset) continue;
            out.push({
              partition,
              offset: recOffset,
              timestamp: header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp + BigInt(rec.timestampDelta),
              key: rec.key === null ? null : Buffer.from(rec.key),
              value: rec.value === null ? null : Buffer.from(rec.value),
              headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])),
            });
            if (out.length >= max) return out;
          }
        }
        if (next > offset) offset = next;
      }
      if (!advanced || offset >= data.lastStableOffset) return out;
    }
  }

  async #request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const correlationId = ++this.#correlationId;
    const header = { ...defaultRequestHeader(), requestApiKey: codec.apiKey, requestApiVersion: version, correlationId, clientId: 'skiff-embedded' };
    const frame = encodeRequestFrame(codec, header, body);
    // The dispatcher takes a frame without its size prefix, as the connection hands it over.
    const result = await this.dispatch(frame.subarray(4), this.#conn);
    if (result.kind !== 'response') throw new Error(`api key ${codec.apiKey}: no response (${result.kind === 'close' ? result.reason : 'none'})`);
    const r = new Reader(concatChunks(result.chunks));
    readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
    return codec.decodeResponse(r, version);
  }
}

function bytes(v: Bytes): Buffer | null {
  if (v === null) return null;
  return typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A response's bytes, file regions read in (a broker with a data dir may answer fetch with them). */
function concatChunks(chunks: readonly Chunk[]): Buffer {
  return Buffer.concat(
    chunks.map((c) => {
      if (Buffer.isBuffer(c)) return c;
      const out = Buffer.allocUnsafe(c.length);
      let done = 0;
      while (done < c.length) {
        const n = c.source.peekSync(c.position + done, out.subarray(done));
        if (n === 0) throw new Error('file region shorter than announced');
        done += n;
      }
      return out;
    }),
  );
}
