// Reaches into kafkajs's own record-batch encoder and decoder so our bytes are checked
// against an independent implementation rather than against themselves.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KjsEncoder {
  buffer: Buffer;
}
export interface KjsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
}

const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<KjsEncoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: KjsRecordInput) => KjsEncoder;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; offset: string; timestamp: string }>;
  inTransaction: boolean;
  isControlBatch: boolean;
  producerId: string;
}>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown; fromString(s: string): unknown };
const { CompressionCodecs, CompressionTypes } = require('kafkajs') as {
  CompressionCodecs: Record<number, () => unknown>;
  CompressionTypes: Record<string, number>;
};

// Real codec plugins from npm, registered the way a kafkajs user does.
const SnappyCodec = require('kafkajs-snappy') as () => unknown;
CompressionCodecs[CompressionTypes['Snappy']!] = SnappyCodec;
/**
 * Why kafkajs-lz4 cannot be used here, if it cannot: it rests on node-lz4, a compiled addon
 * (not N-API) built for the Node that installed it, so under another Node (make test-node24)
 * it does not load and the LZ4 interop cases are skipped.
 */
export let lz4Unavailable: string | undefined;
try {
  const LZ4Codec = require('kafkajs-lz4') as new () => { codec: () => unknown };
  CompressionCodecs[CompressionTypes['LZ4']!] = new LZ4Codec().codec;
} catch (e) {
  lz4Unavailable = (e as Error).message.split('\n')[0];
}

export async function kafkajsBatch(opts: {
  compression: number;
  firstOffset?: bigint;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta: number;
  transactional?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  firstSequence?: number;
  records: KjsRecordInput[];
}): Promise<Buffer> {
  const enc = await RecordBatch({
    compression: opts.compression,
    firstOffset: Long.fromString(String(opts.firstOffset ?? 0n)),
    firstTimestamp: opts.firstTimestamp,
    maxTimestamp: opts.maxTimestamp,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? 0,
    lastOffsetDelta: opts.lastOffsetDelta,
    transactional: opts.transactional ?? false,
    producerId: Long.fromString(String(opts.producerId ?? -1n)),
    producerEpoch: opts.producerEpoch ?? 0,
    firstSequence: opts.firstSequence ?? 0,
    records: opts.records.map((r) => Record(r)),
  });
  return enc.buffer;
}

/** kafkajs's decoding of a batch, for reading what we build. */
export function kafkajsDecode(buf: Buffer): ReturnType<typeof decodeBatch> {
  return decodeBatch(new Decoder(buf));
}
