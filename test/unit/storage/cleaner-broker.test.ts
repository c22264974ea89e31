/**
 * Compaction seen from clients: Kafka's refusal of keyless records on a compacted topic, and
 * committed offsets in __consumer_offsets that survive cleaning and restarts.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ProduceResponse, defaultProduceRequest } from '../../../src/protocol/generated/000-produce.js';
import {
  type OffsetCommitResponse,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
} from '../../../src/protocol/generated/008-offset-commit.js';
import { type OffsetFetchResponse, defaultOffsetFetchRequest } from '../../../src/protocol/generated/009-offset-fetch.js';
import { Compression } from '../../../src/protocol/records/record-batch.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { createTopic, openHarness } from '../../support/admin-fixture.js';
import type { RawClient } from '../../support/raw-client.js';

async function produce(client: RawClient, topic: string, keys: Array<string | null>, compression: number = Compression.none): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const batch = buildBatch({
    compression: compression as 0,
    baseTimestamp: BigInt(Date.now()),
    records: keys.map((k, i) => ({ key: k === null ? null : Buffer.from(k), value: Buffer.from(`v${i}`) })),
  });
  const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

describe('compacted topics through the broker', () => {
  it('refuses a record without a key on a compacted topic with INVALID_RECORD, as Kafka does', async () => {
    const h = await openHarness();
    try {
      await createTopic(h.client, 'table', 1, { 'cleanup.policy': 'compact' });
      await createTopic(h.client, 'both', 1, { 'cleanup.policy': 'compact,delete' });
      await createTopic(h.client, 'stream', 1, {});
      for (const compression of [Compression.none, Compression.gzip]) {
        const bad = await produce(h.client, 'table', ['a', null, 'c', null], compression);
        expect(bad.errorCode).toBe(ErrorCode.INVALID_RECORD);
        expect(bad.recordErrors.map((e) => e.batchIndex)).toEqual([1, 3]);
        expect(bad.recordErrors[0]!.batchIndexErrorMessage).toBe('Compacted topic cannot accept message without key in topic partition table-0');
        expect(bad.errorMessage).toMatch(/^One or more records have been rejected due to 2 record errors in total/);
      }
      expect((await produce(h.client, 'both', [null])).errorCode).toBe(ErrorCode.INVALID_RECORD);
      const ok = await produce(h.client, 'table', ['a', 'b']);
      expect(ok.errorCode).toBe(ErrorCode.NONE);
      expect(ok.baseOffset).toBe(0n);
      expect((await produce(h.client, 'stream', [null, null])).errorCode).toBe(ErrorCode.NONE);
    } finally {
      await h.close();
    }
  });

  it('keeps committed offsets in __consumer_offsets through cleaning and restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-cleaner-offsets-'));
    const config = { 'offsets.topic.num.partitions': 1, 'offsets.topic.segment.bytes': 4096 };
    const logBytes = async (): Promise<number> => {
      const dir = join(dataDir, '__consumer_offsets-0');
      let n = 0;
      // The cleaner may rename files between the listing and the stat.
      for (const f of await readdir(dir)) if (f.endsWith('.log')) n += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
      return n;
    };
    const withBroker = async <T>(fn: (client: RawClient) => Promise<T>): Promise<T> => {
      const h = await openHarness({ dataDir, config });
      try {
        return await fn(h.client);
      } finally {
        await h.close();
      }
    };
    const commit = async (client: RawClient, groupId: string, offsets: bigint[]): Promise<void> => {
      const res = await client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
        ...defaultOffsetCommitRequest(),
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [{ name: 'data', partitions: offsets.map((o, p) => ({ ...defaultOffsetCommitRequestPartition(), partitionIndex: p, committedOffset: o })) }],
      });
      for (const p of res.topics[0]!.partitions) expect(p.errorCode).toBe(ErrorCode.NONE);
    };
    const fetch = async (client: RawClient): Promise<Map<string, bigint>> => {
      const out = new Map<string, bigint>();
      for (const groupId of ['g1', 'g2']) {
        const res = await client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, {
          ...defaultOffsetFetchRequest(),
          groupId,
          topics: [{ name: 'data', partitionIndexes: [0, 1, 2] }],
        });
        expect(res.errorCode).toBe(ErrorCode.NONE);
        for (const p of res.topics[0]!.partitions) out.set(`${groupId}/${p.partitionIndex}`, p.committedOffset);
      }
      return out;
    };
    try {
      const expected = new Map<string, bigint>();
      await withBroker(async (client) => {
        await createTopic(client, 'data', 3);
        for (let round = 0; round < 150; round++) {
          for (const groupId of ['g1', 'g2']) {
            const offsets = [0, 1, 2].map((p) => BigInt(round * 10 + p));
            await commit(client, groupId, offsets);
            offsets.forEach((o, p) => expected.set(`${groupId}/${p}`, o));
          }
        }
        expect(await fetch(client)).toEqual(expected);
      });
      const dirty = await logBytes();
      // The restart opens the logs, and the cleaner's first round compacts __consumer_offsets-0
      // (its closed segments are all dirty) while the group coordinator loads it.
      await withBroker(async (client) => {
        const deadline = Date.now() + 20_000;
        while ((await logBytes()) > dirty / 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(await logBytes()).toBeLessThan(dirty / 4);
        expect(await fetch(client)).toEqual(expected);
      });
      // And once more from the cleaned files alone.
      await withBroker(async (client) => {
        expect(await fetch(client)).toEqual(expected);
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
