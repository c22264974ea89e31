/**
 * Large gzip batches are decompressed for validation off the event loop; pipelined produces to
 * one partition must still be appended in request order, and refused with the codes Kafka uses.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type PartitionProduceResponse, type ProduceResponse, defaultProduceRequest } from '../../../src/protocol/generated/000-produce.js';
import { BATCH_HEADER_SIZE, Compression, Field, rewriteCrc } from '../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { OFF_THREAD_MIN_SECTION_BYTES } from '../../../src/storage/log-validator.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'mixed', 1);
  await createTopic(h.client, 'mixed-compacted', 1, { 'cleanup.policy': 'compact' });
});
afterAll(() => h.close());

/** `n` records of random (incompressible) values: gzip leaves the section over the threshold. */
function largeGzip(n: number, key: (i: number) => Buffer | null = (i) => Buffer.from(`k${i}`)): Buffer {
  const b = buildBatch({
    baseTimestamp: BigInt(Date.now()),
    compression: Compression.gzip,
    records: Array.from({ length: n }, (_, i) => ({ key: key(i), value: randomBytes(1024), timestampDelta: i })),
  });
  expect(b.length - BATCH_HEADER_SIZE).toBeGreaterThanOrEqual(OFF_THREAD_MIN_SECTION_BYTES);
  return b;
}

function small(n: number): Buffer {
  return buildBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) });
}

/** Sends without waiting for the answer: the requests are pipelined on one connection. */
function produce(topic: string, records: Buffer): Promise<PartitionProduceResponse> {
  return h.client
    .request<ProduceResponse>(ApiKey.Produce, 9, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    })
    .then((res) => res.responses[0]!.partitionResponses[0]!);
}

describe('pipelined produces to one partition, large batches validated off the event loop', () => {
  it('are appended in request order, the large (off-thread) and the small (inline) interleaved', async () => {
    const batches = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? largeGzip(40 + i) : small(1 + (i % 4))));
    const answers = await Promise.all(batches.map((b) => produce('mixed', b)));
    let expected = 0n;
    for (const [i, a] of answers.entries()) {
      expect(a.errorCode).toBe(0);
      expect(a.baseOffset).toBe(expected);
      expected += BigInt(batches[i]!.readInt32BE(Field.recordCount));
    }
  });

  it('refuses corrupt large batches with the code Kafka gives; the others keep their order and the offsets', async () => {
    const base = (await produce('mixed', small(1))).baseOffset + 1n;
    const corruptStream = largeGzip(40);
    corruptStream.fill(0x55, BATCH_HEADER_SIZE + 100, BATCH_HEADER_SIZE + 400);
    rewriteCrc(corruptStream);
    const countMismatch = largeGzip(40);
    countMismatch.writeInt32BE(41, Field.recordCount);
    countMismatch.writeInt32BE(40, Field.lastOffsetDelta);
    rewriteCrc(countMismatch);
    const badCrc = largeGzip(40);
    badCrc.writeUInt32BE((badCrc.readUInt32BE(Field.crc) ^ 1) >>> 0, Field.crc);
    const sent = [largeGzip(30), corruptStream, small(2), countMismatch, largeGzip(20), badCrc, small(3)];
    const [a, b, c, d, e, f, g] = await Promise.all(sent.map((x) => produce('mixed', x)));
    expect(b).toMatchObject({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1n, errorMessage: null });
    expect(d).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1n });
    expect(d!.logStartOffset).toBe(0n);
    expect(f).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n, logStartOffset: -1n });
    expect([a, c, e, g].map((r) => [r!.errorCode, r!.baseOffset])).toEqual([
      [0, base],
      [0, base + 30n],
      [0, base + 32n],
      [0, base + 52n],
    ]);
  });

  it('answers per-record errors (keyless records on a compacted topic) as the inline path does', async () => {
    const r = await produce('mixed-compacted', largeGzip(40, (i) => (i % 10 === 0 ? null : Buffer.from(`k${i}`))));
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1n });
    expect(r.recordErrors.map((e) => e.batchIndex)).toEqual([0, 10, 20, 30]);
    expect((await produce('mixed-compacted', largeGzip(5 + 40))).baseOffset).toBe(0n);
  });
});
