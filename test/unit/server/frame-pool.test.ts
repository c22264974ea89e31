/**
 * Produce frames come from a pool and go back once answered. A frame handed out again while
 * anything still read it (the file write, the tail cache, a fetch response of it, the memory
 * store) would show up here as a stored or fetched batch holding another request's bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../../../src/protocol/generated/001-fetch.js';
import { defaultProduceRequest, type ProduceResponse } from '../../../src/protocol/generated/000-produce.js';
import { Field, computeCrc, forEachBatch } from '../../../src/protocol/records/record-batch.js';
import { buildBatch, decodeRecords } from '../../../src/protocol/records/records.js';
import { FRAMES, FramePool, frameClassBytes } from '../../../src/server/frame-pool.js';
import { createTopic } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';

describe('FramePool', () => {
  it('sizes buffers in four classes per power of two', () => {
    expect(frameClassBytes(8192)).toBe(8192);
    expect(frameClassBytes(8193)).toBe(10240);
    expect(frameClassBytes(1_000_000)).toBe(1_048_576);
    expect(frameClassBytes(600_000)).toBe(655_360);
    for (const n of [8192, 9000, 65_537, 300_001, 1_000_000, 8 << 20]) {
      expect(frameClassBytes(n)).toBeGreaterThanOrEqual(n);
      expect(frameClassBytes(n)).toBeLessThan(n * 1.25);
    }
  });

  it('hands a released frame out again for a frame of its class, once', () => {
    const pool = new FramePool(1 << 20);
    const a = pool.acquire(10_000);
    expect(a.length).toBe(10_000);
    pool.release(a);
    pool.release(a);
    const b = pool.acquire(10_100);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(10_100);
    expect(pool.acquire(10_000).buffer).not.toBe(a.buffer);
    expect(pool.stats).toMatchObject({ hits: 1, misses: 2, idleBytes: 0 });
  });

  it('takes back only its own whole frames, within its idle budget', () => {
    const pool = new FramePool(20_000);
    const foreign = Buffer.allocUnsafeSlow(10_000);
    pool.release(foreign);
    const a = pool.acquire(10_000);
    pool.release(a.subarray(1));
    const small = pool.acquire(100);
    pool.release(small);
    expect(pool.stats.idleBytes).toBe(0);
    const [b, c] = [pool.acquire(10_240), pool.acquire(10_240)];
    pool.release(a);
    pool.release(b);
    pool.release(c);
    expect(pool.stats.idleBytes).toBe(20_480 - 10_240);
  });

  it('gives back, at each trim, the idle buffers no frame needed since the last one', () => {
    const pool = new FramePool(1 << 20);
    const frames = [pool.acquire(10_000), pool.acquire(10_000), pool.acquire(10_000)];
    for (const f of frames) pool.release(f);
    const idle = 3 * frameClassBytes(10_000);
    expect(pool.stats.idleBytes).toBe(idle);
    pool.trimIdle(); // released since the last trim: kept
    expect(pool.stats.idleBytes).toBe(idle);
    pool.release(pool.acquire(10_000)); // one of three needed again
    pool.trimIdle();
    expect(pool.stats.idleBytes).toBe(idle / 3);
    pool.trimIdle(); // a burst's memory is all back once nothing asks
    expect(pool.stats.idleBytes).toBe(0);
    pool.acquire(10_000);
    expect(pool.stats).toMatchObject({ hits: 1, misses: 4 });
  });
});

const TOPIC = 'reuse';
const PARTITIONS = 3;

/** A batch whose first key names it, of random (so distinguishable) values. */
function batch(id: string, valueBytes: number): Buffer {
  const records: Array<{ key: Buffer | null; value: Buffer }> = [{ key: Buffer.from(id), value: randomBytes(4096) }];
  for (let left = valueBytes - 4096; left > 0; left -= 4096) records.push({ key: null, value: randomBytes(4096) });
  return buildBatch({ baseTimestamp: BigInt(Date.now()), records });
}

/**
 * Checks every batch in fetched bytes against what was sent (the CRC and every byte it
 * covers; the broker patches only the offset and leader epoch in front of it); returns the ids.
 */
function verify(data: Buffer, sent: Map<string, Buffer>): string[] {
  const ids: string[] = [];
  forEachBatch(data, (_h, at, size) => {
    const stored = data.subarray(at, at + size);
    expect(computeCrc(stored)).toBe(stored.readUInt32BE(Field.crc));
    const id = decodeRecords(data, at)[0]!.key!.toString();
    const want = sent.get(id);
    expect(want, `batch ${id}`).toBeDefined();
    expect(stored.subarray(Field.crc).equals(want!.subarray(Field.crc)), `batch ${id}`).toBe(true);
    ids.push(id);
  });
  return ids;
}

async function fetchFrom(client: RawClient, partition: number, offset: bigint, maxWaitMs: number): Promise<{ data: Buffer; next: bigint; hw: bigint }> {
  const res = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
    ...defaultFetchRequest(),
    maxWaitMs,
    minBytes: 1,
    maxBytes: 16 << 20,
    topics: [{ ...defaultFetchTopic(), topic: TOPIC, partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }],
  });
  const p = res.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  const data = (p.records as Buffer | null) ?? Buffer.alloc(0);
  let next = offset;
  forEachBatch(data, (h) => {
    next = h.lastOffset + 1n;
  });
  return { data, next, hw: p.highWatermark };
}

/** Everything in the topic, each batch checked. */
async function readBack(broker: RunningBroker, sent: Map<string, Buffer>): Promise<string[]> {
  const client = await RawClient.connect(broker.host, broker.port);
  const ids: string[] = [];
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      for (let offset = 0n; ; ) {
        const r = await fetchFrom(client, p, offset, 0);
        ids.push(...verify(r.data, sent));
        if (r.next === offset || r.next >= r.hw) break;
        offset = r.next;
      }
    }
  } finally {
    await client.close();
  }
  return ids.sort();
}

describe.each([
  ['on disk', true],
  ['in memory', false],
])('produce frames reused from the pool (%s)', (_name, onDisk) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('never show one request in another: pipelined produces on several connections, a consumer tailing, then read back', async () => {
    const dataDir = onDisk ? mkdtempSync(join(tmpdir(), 'skiff-frames-')) : undefined;
    if (dataDir) dirs.push(dataDir);
    const options = { dataDir, memory: !onDisk, logLevel: 'silent' as const };
    let broker = await startBroker(options);
    const admin = await RawClient.connect(broker.host, broker.port);
    await createTopic(admin, TOPIC, PARTITIONS);
    const hitsBefore = FRAMES.stats.hits;

    // A consumer at the log end keeps the tail cache filling, and checks each batch as it comes.
    const sent = new Map<string, Buffer>();
    let producing = true;
    const tailed: string[] = [];
    const tail = async () => {
      const client = await RawClient.connect(broker.host, broker.port);
      const offsets: bigint[] = Array.from({ length: PARTITIONS }, () => 0n);
      try {
        // Done after a pass that started once every produce was answered and found nothing more.
        for (;;) {
          const last = !producing;
          let caughtUp = true;
          for (let p = 0; p < PARTITIONS; p++) {
            const r = await fetchFrom(client, p, offsets[p]!, 5);
            tailed.push(...verify(r.data, sent));
            offsets[p] = r.next;
            if (r.next < r.hw) caughtUp = false;
          }
          if (last && caughtUp) break;
        }
      } finally {
        await client.close();
      }
    };

    const produce = async (conn: number) => {
      const client = await RawClient.connect(broker.host, broker.port);
      try {
        for (let wave = 0; wave < 6; wave++) {
          const requests = Array.from({ length: 4 }, (_, r) => {
            const partitionData = Array.from({ length: PARTITIONS }, (_, p) => {
              const id = `c${conn}-w${wave}-r${r}-p${p}`;
              // Frames of 12 KiB to 450 KiB: copied out of the scratch buffer, and read in place.
              const records = batch(id, [4096, 9000, 30_000, 70_000, 150_000][(conn + wave + r + p) % 5]!);
              sent.set(id, Buffer.from(records));
              return { index: p, records };
            });
            return client.request<ProduceResponse>(ApiKey.Produce, 9, {
              ...defaultProduceRequest(),
              acks: r % 2 === 0 ? -1 : 1,
              timeoutMs: 5000,
              topicData: [{ name: TOPIC, partitionData }],
            });
          });
          for (const res of await Promise.all(requests)) {
            for (const p of res.responses[0]!.partitionResponses) expect(p.errorCode).toBe(0);
          }
        }
      } finally {
        await client.close();
      }
    };

    const tailing = tail();
    await Promise.all([0, 1, 2].map(produce));
    producing = false;
    await tailing;
    expect(FRAMES.stats.hits).toBeGreaterThan(hitsBefore);
    const all = [...sent.keys()].sort();
    expect(tailed.sort()).toEqual(all);
    expect(await readBack(broker, sent)).toEqual(all);
    await admin.close();

    if (onDisk) {
      await broker.close();
      broker = await startBroker(options);
      expect(await readBack(broker, sent)).toEqual(all);
    }
    await broker.close();
  }, 60_000);
});
