/**
 * A long-poll Fetch must not miss an append that lands while it is still reading. Kafka
 * registers a DelayedFetch's watchers and then tries to complete it once more, so an append
 * between its read and its wait completes the fetch at once. The handler reads partitions one
 * after another with an await each (a file read for a partition out of the tail cache); an
 * append to a partition read earlier in that pass must wake the wait, not wait out maxWaitMs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerCounters } from '../../../src/metrics/broker-counters.js';
import { fetchHandler } from '../../../src/server/handlers/001-fetch.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse } from '../../../src/protocol/generated/001-fetch.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { RequestContext } from '../../../src/server/handler.js';

type Listener = () => void;

/** The slice of PartitionLog the fetch handler uses, with appends under the test's control. */
class FakeLog {
  highWatermark = 0n;
  lastStableOffset = 0n;
  logStartOffset = 0n;
  latestEpoch = 0;
  readonly listeners = new Set<Listener>();
  batches: Buffer[] = [];
  /** Runs inside read(), before it resolves: an append landing during the read's I/O. */
  duringRead: (() => void) | undefined;

  onAppend(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  append(bytes: number): void {
    this.batches.push(Buffer.alloc(bytes));
    this.highWatermark += 1n;
    this.lastStableOffset = this.highWatermark;
    for (const l of [...this.listeners]) l();
  }

  async read(offset: bigint): Promise<{ records: Buffer[]; sizeInBytes: number; highWatermark: bigint; logStartOffset: bigint }> {
    const hw = this.highWatermark;
    const records = offset < hw ? this.batches.slice(Number(offset)) : [];
    await new Promise((r) => setImmediate(r));
    const during = this.duringRead;
    this.duringRead = undefined;
    during?.();
    return { records, sizeInBytes: records.reduce((n, b) => n + b.length, 0), highWatermark: hw, logStartOffset: 0n };
  }

  abortedTransactions(): [] {
    return [];
  }
}

function context(logs: FakeLog[]): RequestContext {
  const topics = {
    get: (name: string) => (name === 't' ? { name: 't', topicId: undefined } : undefined),
    byId: () => undefined,
    partition: (_name: string, p: number) => logs[p],
  };
  return { apiVersion: 12, header: { clientId: 'test' }, broker: { topics, counters: new BrokerCounters(), quotas: { maxValueInWindow: () => Infinity } }, connection: { signal: new AbortController().signal } } as unknown as RequestContext;
}

/** Tracks whether a promise has settled, without awaiting it. */
function settles<T>(promise: Promise<T>): { promise: Promise<T>; settled: boolean } {
  const out = { promise, settled: false };
  promise.finally(() => (out.settled = true)).catch(() => {});
  return out;
}

/** Lets the event loop run `n` turns (setImmediate is never faked here); the clock does not move. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Fetch long poll', () => {
  it('wakes for an append to a partition already read in the same pass', async () => {
    const p0 = new FakeLog();
    const p1 = new FakeLog();
    // p1 has 10 bytes, below minBytes; while the handler reads p1, a record lands on p0,
    // which the pass has already found empty.
    p1.append(10);
    p1.duringRead = () => p0.append(100);
    const req = {
      ...defaultFetchRequest(),
      maxWaitMs: 3000,
      minBytes: 50,
      maxBytes: 1 << 20,
      topics: [
        {
          ...defaultFetchTopic(),
          topic: 't',
          partitions: [
            { ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 },
            { ...defaultFetchPartition(), partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 },
          ],
        },
      ],
    };
    // The clock stands still, so only the append can end the wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const pending = settles(Promise.resolve(fetchHandler.handle(req, context([p0, p1]))));
    await turns(50);
    expect(pending.settled).toBe(true);
    const res = (await pending.promise) as FetchResponse;
    const [r0, r1] = res.responses[0]!.partitions;
    expect(r0!.errorCode).toBe(ErrorCode.NONE);
    expect(r0!.highWatermark).toBe(1n);
    expect((r0!.records as Buffer[]).reduce((n, b) => n + b.length, 0)).toBe(100);
    expect((r1!.records as Buffer[]).reduce((n, b) => n + b.length, 0)).toBe(10);
  });

  it('still waits out maxWaitMs when nothing is appended', async () => {
    const p0 = new FakeLog();
    const req = {
      ...defaultFetchRequest(),
      maxWaitMs: 200,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ ...defaultFetchTopic(), topic: 't', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const pending = settles(Promise.resolve(fetchHandler.handle(req, context([p0]))));
    await turns(50);
    await vi.advanceTimersByTimeAsync(199);
    expect(pending.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await turns(50); // the final read pass
    expect(pending.settled).toBe(true);
    const res = (await pending.promise) as FetchResponse;
    expect(res.responses[0]!.partitions[0]!.records).toEqual([]);
    expect(p0.listeners.size).toBe(0);
  });
});
