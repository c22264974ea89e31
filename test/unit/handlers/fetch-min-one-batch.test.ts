/** Kafka's minOneMessage rule over the wire: a partition limit below the first batch still returns that batch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../../../src/protocol/generated/001-fetch.js';
import { batches } from '../../../src/protocol/records/record-batch.js';
import { createTopic, type Harness, openHarness, produceBatch } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'mo', 2);
  await produceBatch(h.client, 'mo', 0, [1n, 2n, 3n]);
  await produceBatch(h.client, 'mo', 0, [4n, 5n]);
  await produceBatch(h.client, 'mo', 1, [6n]);
});
afterAll(async () => {
  await h.close();
});

async function fetch(version: number, partitions: number[], partitionMaxBytes: number, maxBytes = 1 << 20) {
  const res = await h.client.request<FetchResponse>(ApiKey.Fetch, version, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    topics: [{ ...defaultFetchTopic(), topic: 'mo', partitions: partitions.map((partition) => ({ ...defaultFetchPartition(), partition, fetchOffset: 0n, partitionMaxBytes })) }],
  });
  return res.responses[0]!.partitions.map((p) => {
    const data = (p.records as Buffer | null) ?? Buffer.alloc(0);
    return { partition: p.partitionIndex, error: p.errorCode, bytes: data.length, batches: [...batches(data)].map((b) => b.header.baseOffset) };
  });
}

describe('Fetch with a partition limit below the first batch', () => {
  for (const version of [4, 12]) {
    it(`v${version} returns the whole first batch, and only it`, async () => {
      const [p0] = await fetch(version, [0], 10);
      expect(p0!.error).toBe(0);
      expect(p0!.bytes).toBeGreaterThan(10);
      expect(p0!.batches).toEqual([0n]);
    });
  }

  it('applies once per response: a later partition over its limit returns nothing, as in Kafka', async () => {
    const [p0, p1] = await fetch(12, [0, 1], 10);
    expect(p0!.batches).toEqual([0n]);
    expect(p1!.error).toBe(0);
    expect(p1!.bytes).toBe(0);
  });

  it('a response limit below the first batch still returns it', async () => {
    const [p0] = await fetch(12, [0], 1 << 20, 1);
    expect(p0!.batches).toEqual([0n]);
  });
});
