/** Produce answers Kafka's per-partition errors for timestamps and unknown partitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, type Harness, openHarness, produceBatch } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await createTopic(h.client, 'ts', 1);
  await createTopic(h.client, 'ts-tight', 1, { 'message.timestamp.before.max.ms': '60000' });
  await createTopic(h.client, 'ts-append', 1, { 'message.timestamp.type': 'LogAppendTime' });
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
