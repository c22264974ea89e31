/**
 * Fixture helpers of the embedded broker (`broker.createTopic`, `produce`, `consume`): real
 * requests built with the generated codecs and answered by the broker's own dispatch, in
 * process, without a socket. A test sets up and checks its data through exactly the code a
 * client reaches.
 *
 * Above src/server, of which it uses only the dispatch contract (server/connection.ts);
 * src/launch.ts builds it.
 */
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import { codec as produceCodec, defaultPartitionProduceData, defaultProduceRequest, defaultTopicProduceData } from '../protocol/generated/000-produce.js';
import { codec as fetchCodec, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic } from '../protocol/generated/001-fetch.js';
import { codec as createTopicsCodec, defaultCreatableTopic, defaultCreateTopicsRequest } from '../protocol/generated/019-create-topics.js';
import { batches } from '../protocol/records/record-batch.js';
import { buildBatch, iterateRecords } from '../protocol/records/records.js';
import type { ConnectionContext, Dispatch } from '../server/connection.js';
import { INTERNAL_PRINCIPAL } from '../security/authorizer.js';
import { requestInProcess } from '../server/in-process-request.js';

export interface CreateTopicOptions {
  /** Default 1. */
  partitions?: number;
  /** Default 1; -1 for the broker's default.replication.factor. */
  replicationFactor?: number;
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
  readonly #conn: ConnectionContext = {
    id: -1,
    remoteAddress: 'in-process',
    remotePort: 0,
    closed: false,
    signal: new AbortController().signal,
    // The test process itself: trusted, never asked to authenticate, allowed everything.
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    principal: INTERNAL_PRINCIPAL,
    authenticated: true,
  };

  /**
   * `route`: in a virtual cluster, the dispatch of the broker leading a partition, where
   * produce and fetch requests must go.
   */
  constructor(
    private readonly dispatch: Dispatch,
    private readonly route?: (topic: string, partition: number) => Dispatch | undefined,
  ) {}

  async createTopic(name: string, opts: CreateTopicOptions = {}): Promise<void> {
    const res = await this.#request(createTopicsCodec, CREATE_TOPICS_VERSION, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 30_000,
      topics: [
        {
          ...defaultCreatableTopic(),
          name,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: opts.replicationFactor ?? 1,
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
    // Each partition to its own leader when they may differ.
    const requests = this.route ? partitionData.map((d) => [d]) : [partitionData];
    const responses = await Promise.all(
      requests.map((data) =>
        this.#request(produceCodec, PRODUCE_VERSION, { ...defaultProduceRequest(), acks: -1, timeoutMs: 30_000, topicData: [{ ...defaultTopicProduceData(), name: topic, partitionData: data }] }, this.route?.(topic, data[0]!.index)),
      ),
    );
    const baseOffsets = new Map<number, bigint>();
    for (const p of responses.flatMap((res) => res.responses[0]?.partitionResponses ?? [])) {
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
      }, this.route?.(topic, partition));
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

  #request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req, to: Dispatch = this.dispatch): Promise<Res> {
    return requestInProcess(to, this.#conn, 'skiff-embedded', codec, version, body);
  }
}

function bytes(v: Bytes): Buffer | null {
  if (v === null) return null;
  return typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
