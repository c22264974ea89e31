/** Produce answers Kafka's per-partition errors for timestamps, corrupt batches and transactional records. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { type ProduceResponse, defaultProduceRequest } from '../../../src/protocol/generated/000-produce.js';
import { Field } from '../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { createTopic, type Harness, openHarness, produceBatch } from '../../support/admin-fixture.js';
import { plainRecords, rawBatch } from '../../support/raw-batches.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'ts', 1);
  await createTopic(h.client, 'ts-tight', 1, { 'message.timestamp.before.max.ms': '60000' });
  await createTopic(h.client, 'ts-append', 1, { 'message.timestamp.type': 'LogAppendTime' });
  await createTopic(h.client, 'checked', 2);
});
afterAll(() => h.close());

describe('message.timestamp.after/before.max.ms', () => {
  it('refuses a batch more than an hour in the future by default (Kafka 4 default), with INVALID_TIMESTAMP', async () => {
    const future = BigInt(Date.now() + 2 * 3600_000);
    await expect(produceBatch(h.client, 'ts', 0, [future])).rejects.toThrow(/error 32 One or more records have been rejected due to invalid timestamp/);
    expect(await produceBatch(h.client, 'ts', 0, [BigInt(Date.now() + 60_000)])).toBe(0n);
  });

  it('refuses a batch older than before.max.ms when the topic sets it', async () => {
    await expect(produceBatch(h.client, 'ts-tight', 0, [BigInt(Date.now() - 3600_000)])).rejects.toThrow(/error 32/);
    expect(await produceBatch(h.client, 'ts-tight', 0, [BigInt(Date.now())])).toBe(0n);
  });

  it('does not check CreateTime bounds on a LogAppendTime topic', async () => {
    expect(await produceBatch(h.client, 'ts-append', 0, [BigInt(Date.now() + 24 * 3600_000)])).toBe(0n);
  });
});

async function produce(records: Buffer, transactionalId: string | null = null, version = 9) {
  const res = await h.client.request<ProduceResponse>(ApiKey.Produce, version, {
    ...defaultProduceRequest(),
    transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'checked', partitionData: [{ index: 0, records }, { index: 1, records: buildBatch({ records: [{ key: null, value: Buffer.from('ok') }] }) }] }],
  });
  return res.responses[0]!.partitionResponses;
}

describe('what the validator refuses, as the produce handler answers it', () => {
  it('a batch with a bad CRC answers CORRUPT_MESSAGE with no offsets; the other partition is appended', async () => {
    const bad = buildBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    bad.writeUInt32BE((bad.readUInt32BE(Field.crc) ^ 0xff) >>> 0, Field.crc);
    const [p0, p1] = await produce(bad);
    expect(p0).toMatchObject({ errorCode: 2, baseOffset: -1n, logStartOffset: -1n, errorMessage: null, recordErrors: [] });
    expect(p1).toMatchObject({ errorCode: 0 });
  });

  it('a batch with baseOffset 1000 answers INVALID_RECORD with the log start offset and nothing is stored', async () => {
    const [p0] = await produce(rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, baseOffset: 1000n, baseTimestamp: BigInt(Date.now()) }));
    expect(p0).toMatchObject({ errorCode: 87, baseOffset: -1n, logStartOffset: 0n, errorMessage: null });
    const [ok] = await produce(rawBatch(plainRecords(1), { recordCount: 1, lastOffsetDelta: 0, baseTimestamp: BigInt(Date.now()) }));
    expect(ok).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('a transactional batch without a transactional id fails every partition with 53', async () => {
    const txn = rawBatch(plainRecords(1), { attributes: 0x10, recordCount: 1, lastOffsetDelta: 0, producerId: 4242n, baseTimestamp: BigInt(Date.now()) });
    const parts = await produce(txn);
    expect(parts.map((p) => [p.errorCode, p.logStartOffset])).toEqual([[53, -1n], [53, -1n]]);
  });

  it('record errors reach the answer from v8 on, not before', async () => {
    const late = BigInt(Date.now() + 3 * 3600_000);
    const batch = rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, baseTimestamp: late });
    const [v8] = await produce(batch, null, 8);
    expect(v8).toMatchObject({ errorCode: 32, errorMessage: 'One or more records have been rejected due to invalid timestamp', logStartOffset: 0n });
    expect(v8!.recordErrors.map((e) => e.batchIndex)).toEqual([0, 1]);
    const [v7] = await produce(batch, null, 7);
    expect(v7).toMatchObject({ errorCode: 32, errorMessage: null, recordErrors: [] });
  });
});
