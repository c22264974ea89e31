// Codec throughput: decoding a Produce request that carries 1 MiB of records, encoding a
// Fetch response of 1 MiB (copying, and passing the stored slices through), and the
// CRC-32C candidates. Not a test: it prints numbers. Run: npx tsx bench/codec-bench.ts [--smoke]
import { pathToFileURL } from 'node:url';
import { ChunkWriter } from '../src/protocol/codec/chunk-writer.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { codec as fetchCodec, defaultFetchResponse, defaultFetchableTopicResponse, defaultPartitionData } from '../src/protocol/generated/001-fetch.js';
import { codec as produceCodec, decodeProduceRequest } from '../src/protocol/generated/000-produce.js';
import { defaultRequestHeader } from '../src/protocol/generated/headers.js';
import { encodeRequestFrame, encodeResponse, encodeResponseChunks, readRequestFrame } from '../src/protocol/frame.js';
import { benchCrc32c } from './crc32c-bench.js';

const MIB = 1024 * 1024;

export interface Row {
  name: string;
  mbPerSec: number;
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns MB/s for `bytes` per call. */
export function measure(bytes: number, ms: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10; i++) fn();
    calls += 10;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return (bytes * calls) / seconds / 1e6;
}

function produceFrame(version: number): Buffer {
  // 16 partitions of 64 KiB each: the size of a busy producer's request.
  const partitions = Array.from({ length: 16 }, (_, i) => ({ index: i, records: Buffer.alloc(MIB / 16, i) }));
  const header = { ...defaultRequestHeader(), requestApiKey: ApiKey.Produce, requestApiVersion: version, correlationId: 7, clientId: 'bench' };
  return encodeRequestFrame(produceCodec, header, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: 'bench', partitionData: partitions }] }).subarray(4);
}

function fetchResponse(): { response: ReturnType<typeof defaultFetchResponse>; slices: Buffer[] } {
  const slices = Array.from({ length: 64 }, (_, i) => Buffer.alloc(MIB / 64, i));
  const partitions = Array.from({ length: 4 }, (_, p) => ({ ...defaultPartitionData(), partitionIndex: p, highWatermark: 1000n, records: slices.slice(p * 16, p * 16 + 16) }));
  return { response: { ...defaultFetchResponse(), responses: [{ ...defaultFetchableTopicResponse(), topic: 'bench', partitions }] }, slices };
}

export async function benchCodecs(opts: { smoke: boolean }): Promise<Row[]> {
  const ms = opts.smoke ? 50 : 1000;
  const rows: Row[] = [];
  for (const version of [3, 9, 11]) {
    const frame = produceFrame(version);
    rows.push({
      name: `decode Produce v${version}, 1 MiB of records`,
      mbPerSec: measure(MIB, ms, () => {
        const { header, body } = readRequestFrame(frame);
        decodeProduceRequest(body, header.requestApiVersion);
      }),
    });
  }
  const { response } = fetchResponse();
  const passThrough = response.responses.flatMap((t) => t.partitions).reduce((n, p) => n + ChunkWriter.passThroughBytes(p.records), 0);
  for (const version of [4, 12, 16]) {
    rows.push({ name: `encode Fetch v${version}, 1 MiB copied`, mbPerSec: measure(MIB, ms, () => encodeResponse(fetchCodec, version, 1, response)) });
    rows.push({ name: `encode Fetch v${version}, 1 MiB passed through`, mbPerSec: measure(MIB, ms, () => encodeResponseChunks(fetchCodec, version, 1, response, passThrough)) });
  }
  for (const r of await benchCrc32c(opts)) rows.push({ name: `crc32c ${r.name} ${r.size}`, mbPerSec: r.mbPerSec });
  return rows;
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const rows = await benchCodecs({ smoke });
  const width = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`${'case'.padEnd(width)}  MB/s${smoke ? '  (smoke run: numbers are not meaningful)' : ''}\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.mbPerSec.toFixed(0).padStart(10)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
