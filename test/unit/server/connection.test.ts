import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { ConnectionLimits, Dispatch, DispatchResult } from '../../../src/server/connection.js';
import { Listener } from '../../../src/server/listener.js';
import { encodeSizePrefix } from '../../../src/server/framing.js';
import { captureLogger, idFrame, sleep, TestClient, waitFor } from './helpers.js';

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close({ timeoutMs: 100 })));
});

async function serve(dispatch: Dispatch, limits: Partial<ConnectionLimits> = {}) {
  const log = captureLogger();
  const listener = await Listener.listen({ host: '127.0.0.1', port: 0, dispatch, logger: log.logger, limits });
  listeners.push(listener);
  return { listener, log };
}

const echo = (frame: Buffer): DispatchResult => ({ kind: 'response', chunks: [Buffer.from(frame)] });
const idOf = (frame: Buffer): number => frame.readInt32BE(0);

describe('Connection ordering', () => {
  it('writes responses in arrival order, starting each request only once the previous one is answered', async () => {
    const events: string[] = [];
    let active = 0;
    let maxActive = 0;
    const { listener } = await serve(async (frame) => {
      const id = idOf(frame);
      events.push(`start ${id}`);
      maxActive = Math.max(maxActive, ++active);
      // Sync, microtask and timer completions interleaved.
      if (id % 5 !== 0) await sleep(Math.floor(Math.random() * 4));
      active--;
      events.push(`end ${id}`);
      return echo(frame);
    });
    const client = await TestClient.open(listener.port);
    const count = 100;
    client.socket.write(Buffer.concat(Array.from({ length: count }, (_, i) => idFrame(i))));
    await client.waitFrames(count);
    const ids = Array.from({ length: count }, (_, i) => i);
    expect(client.ids()).toEqual(ids);
    expect(maxActive).toBe(1);
    expect(events).toEqual(ids.flatMap((i) => [`start ${i}`, `end ${i}`]));
  });

  it('reads pipelined requests ahead but starts none of them while the first is unanswered', async () => {
    const pending: Array<() => void> = [];
    const started: number[] = [];
    const { listener } = await serve(
      (frame) =>
        new Promise<DispatchResult>((resolve) => {
          started.push(idOf(frame));
          pending.push(() => resolve(echo(frame)));
        }),
    );
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2, 3].map((i) => idFrame(i))));
    await waitFor(() => listener.connections.size === 1, 'connection');
    const conn = [...listener.connections][0]!;
    await waitFor(() => conn.inFlight === 4, 'all four read');
    await sleep(30);
    expect(started).toEqual([0]);
    for (let i = 0; i < 4; i++) {
      pending[i]!();
      await client.waitFrames(i + 1);
      await waitFor(() => started.length === Math.min(i + 2, 4), `request ${i + 1} started`);
      // The next request starts only after this answer went out.
      expect(client.ids()).toEqual(Array.from({ length: i + 1 }, (_, j) => j));
    }
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('mixes synchronous results and promises without reordering', async () => {
    const { listener } = await serve((frame) => (idOf(frame) % 2 === 0 ? echo(frame) : sleep(3).then(() => echo(frame))));
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2, 3, 4, 5].map((i) => idFrame(i))));
    await client.waitFrames(6);
    expect(client.ids()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("sends nothing for 'none' results and still holds later responses behind them", async () => {
    let noneResolvedAt = 0;
    const { listener } = await serve(async (frame) => {
      const id = idOf(frame);
      if (id === 0) {
        await sleep(60);
        noneResolvedAt = Date.now();
        return { kind: 'none' };
      }
      return id % 3 === 0 ? { kind: 'none' } : echo(frame);
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2, 3, 4, 5, 6, 7].map((i) => idFrame(i))));
    await client.waitFrames(5);
    const arrivedAt = Date.now();
    expect(client.ids()).toEqual([1, 2, 4, 5, 7]);
    expect(noneResolvedAt).toBeGreaterThan(0);
    expect(arrivedAt).toBeGreaterThanOrEqual(noneResolvedAt);
    await sleep(30);
    expect(client.frames).toHaveLength(5);
  });

  it('answers every request of a client that half-closes after sending, then closes', async () => {
    const { listener } = await serve(async (frame) => {
      await sleep(20 - idOf(frame) * 5);
      return echo(frame);
    });
    const client = await TestClient.open(listener.port);
    client.socket.end(Buffer.concat([0, 1, 2].map((i) => idFrame(i))));
    await client.closed;
    expect(client.ids()).toEqual([0, 1, 2]);
    await waitFor(() => listener.connections.size === 0, 'connection removed');
  });

  it('writes the size prefix and every chunk of a multi-slice response', async () => {
    const { listener } = await serve(() => ({
      kind: 'response',
      chunks: [Buffer.from('head|'), Buffer.alloc(0), Buffer.alloc(70_000, 0x61), Buffer.from('|tail')],
    }));
    const client = await TestClient.open(listener.port);
    client.socket.write(idFrame(1));
    const [response] = await client.waitFrames(1);
    expect(response!.length).toBe(5 + 70_000 + 5);
    expect(response!.subarray(0, 5).toString()).toBe('head|');
    expect(response!.subarray(-5).toString()).toBe('|tail');
  });
});

/**
 * A dispatcher whose requests finish when the test says: `sequence(id)` calls the request's
 * `sequenced`, `finish(id, result?)` settles it. Ids below 100 overlap (as Produce requests do).
 */
function controlled() {
  const started: number[] = [];
  const requests = new Map<number, { sequenced?: () => void; resolve: (r: DispatchResult) => void; frame: Buffer }>();
  const dispatch: Dispatch = (frame, _conn, sequenced) =>
    new Promise<DispatchResult>((resolve) => {
      started.push(idOf(frame));
      requests.set(idOf(frame), { sequenced, resolve, frame });
    });
  dispatch.overlaps = (frame) => idOf(frame) < 100;
  return {
    dispatch,
    started,
    sequence: (id: number) => requests.get(id)!.sequenced!(),
    finish: (id: number, result?: DispatchResult) => requests.get(id)!.resolve(result ?? echo(requests.get(id)!.frame)),
  };
}

describe('Connection overlapping requests', () => {
  it('starts a request that overlaps once every unanswered one before it overlaps and is sequenced; responses stay in order', async () => {
    const c = controlled();
    const { listener } = await serve(c.dispatch);
    const client = await TestClient.open(listener.port);
    // 100 does not overlap (as a Fetch behind Produce requests), nor does anything behind it wait less.
    client.socket.write(Buffer.concat([0, 1, 2, 100, 3].map((i) => idFrame(i))));
    await waitFor(() => c.started.length === 1, 'first started');
    await sleep(20);
    expect(c.started).toEqual([0]);

    c.sequence(0);
    await waitFor(() => c.started.length === 2, 'second started');
    // Settled before the first: not answered yet, but it lets the next one start.
    c.finish(1);
    await waitFor(() => c.started.length === 3, 'third started');
    expect(c.started).toEqual([0, 1, 2]);
    c.sequence(2);
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2]);
    expect(client.frames).toHaveLength(0);

    c.finish(0);
    await client.waitFrames(2);
    expect(client.ids()).toEqual([0, 1]);
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2]);
    c.finish(2);
    await waitFor(() => c.started.length === 4, 'the non-overlapping request started');
    // It started only once everything before it was answered; nothing starts behind it.
    expect(client.ids()).toEqual([0, 1, 2]);
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2, 100]);
    c.finish(100);
    await waitFor(() => c.started.length === 5, 'last started');
    c.finish(3);
    await client.waitFrames(5);
    expect(client.ids()).toEqual([0, 1, 2, 100, 3]);
  });

  it('starts at most maxOverlapping requests that are unanswered, and gives their memory back when they settle after a close', async () => {
    const c = controlled();
    const { listener } = await serve(
      Object.assign((frame: Buffer, conn: Parameters<Dispatch>[1], sequenced?: () => void) => {
        const result = c.dispatch(frame, conn, sequenced);
        // Sequenced at once, inside the dispatch call.
        sequenced?.();
        return result;
      }, { overlaps: c.dispatch.overlaps }),
      { maxOverlapping: 3 },
    );
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => idFrame(i, 1000))));
    await waitFor(() => listener.connections.size === 1, 'connection');
    const conn = [...listener.connections][0]!;
    await waitFor(() => conn.inFlight === 8 && c.started.length === 3, 'eight read, three started');
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2]);
    // A later one settling first frees no place: it still waits for its answer.
    c.finish(2);
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2]);
    c.finish(0);
    await client.waitFrames(1);
    await waitFor(() => c.started.length === 4, 'one more started');
    await sleep(20);
    expect(c.started).toEqual([0, 1, 2, 3]);
    c.finish(1);
    await waitFor(() => c.started.length === 6, 'two more started');
    expect(client.ids()).toEqual([0, 1, 2]);

    conn.destroy('test');
    await waitFor(() => listener.connections.size === 0, 'connection closed');
    // Three started requests are still processing; the two never started gave theirs back.
    expect(conn.heldRequestBytes).toBe(3 * 1004);
    for (const id of [3, 4, 5]) c.finish(id);
    await waitFor(() => conn.heldRequestBytes === 0, 'memory given back');
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('starts nothing behind a settled request that throttles or closes, nor during a throttle', async () => {
    const c = controlled();
    const { listener } = await serve(c.dispatch);
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2].map((i) => idFrame(i))));
    await waitFor(() => c.started.length === 1, 'first started');
    c.sequence(0);
    await waitFor(() => c.started.length === 2, 'second started');
    // Its answer will mute the connection: nothing may start behind it, even before it is written.
    c.finish(1, { kind: 'response', chunks: [Buffer.from([0, 0, 0, 1])], throttleMs: 400 });
    await sleep(30);
    expect(c.started).toEqual([0, 1]);
    c.finish(0);
    await client.waitFrames(2);
    expect(client.ids()).toEqual([0, 1]);
    await sleep(200);
    expect(c.started).toEqual([0, 1]);
    await waitFor(() => c.started.length === 3, 'third started after the throttle');

    const closing = controlled();
    const second = await serve(closing.dispatch);
    const other = await TestClient.open(second.listener.port);
    other.socket.write(Buffer.concat([0, 1, 2].map((i) => idFrame(i))));
    await waitFor(() => closing.started.length === 1, 'first started');
    closing.sequence(0);
    await waitFor(() => closing.started.length === 2, 'second started');
    closing.finish(1, { kind: 'close', reason: 'acks=0 produce failed' });
    await sleep(30);
    closing.finish(0);
    await other.closed;
    expect(other.ids()).toEqual([0]);
    expect(closing.started).toEqual([0, 1]);
  });
});

describe('Connection closing', () => {
  it('closes on an oversize frame before the body arrives, and other connections still work', async () => {
    let dispatched = 0;
    const { listener, log } = await serve(
      (frame) => {
        dispatched++;
        return echo(frame);
      },
      { maxFrameBytes: 1024 },
    );
    const bad = await TestClient.open(listener.port);
    // Only the size prefix: the server must not wait for 2 KiB that will never come.
    bad.socket.write(encodeSizePrefix(2048));
    await bad.closed;
    expect(dispatched).toBe(0);
    expect(log.lines.some((l) => String(l.msg).includes('larger than socket.request.max.bytes (1024)'))).toBe(true);

    const good = await TestClient.open(listener.port);
    good.socket.write(idFrame(42, 1020 - 4));
    const [response] = await good.waitFrames(1);
    expect(response!.readInt32BE(0)).toBe(42);
    expect(dispatched).toBe(1);
  });

  it('recognises a TLS ClientHello on the plaintext port, logs a hint and closes', async () => {
    let dispatched = 0;
    const { listener, log } = await serve((frame) => {
      dispatched++;
      return echo(frame);
    });
    const client = await TestClient.open(listener.port);
    // The start of a TLS 1.2/1.3 ClientHello record: handshake (0x16), version 3.1, length.
    client.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await client.closed;
    expect(dispatched).toBe(0);
    const line = log.lines.find((l) => String(l.msg).includes('TLS client connected to the plaintext listener'));
    expect(line?.hint).toMatch(/security\.protocol=PLAINTEXT/);
  });

  it('closes on a negative size', async () => {
    let dispatched = 0;
    const { listener } = await serve((frame) => {
      dispatched++;
      return echo(frame);
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(encodeSizePrefix(-5));
    await client.closed;
    expect(dispatched).toBe(0);
  });

  it("flushes earlier responses, then closes on a 'close' result, answering nothing after it", async () => {
    const { listener } = await serve(async (frame) => {
      const id = idOf(frame);
      if (id === 2) return { kind: 'close', reason: 'unsupported api' };
      // Earlier responses finish after the close result, which must still wait for them.
      await sleep(id === 0 ? 40 : 1);
      return echo(frame);
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2, 3, 4].map((i) => idFrame(i))));
    await client.closed;
    expect(client.ids()).toEqual([0, 1]);
  });

  it('closes only the connection whose dispatch throws or rejects; the process and others carry on', async () => {
    const { listener, log } = await serve((frame) => {
      const id = idOf(frame);
      if (id === 666) throw new Error('boom (sync)');
      if (id === 667) return Promise.reject(new Error('boom (async)'));
      if (frame.length > 4 && frame[4] === 0xff) throw new TypeError('cannot decode garbage');
      return echo(frame);
    });
    const healthy = await TestClient.open(listener.port);
    const syncThrow = await TestClient.open(listener.port);
    const asyncReject = await TestClient.open(listener.port);
    const garbage = await TestClient.open(listener.port);

    syncThrow.socket.write(Buffer.concat([idFrame(1), idFrame(666), idFrame(2)]));
    asyncReject.socket.write(Buffer.concat([idFrame(667), idFrame(3)]));
    const junk = idFrame(9, 8);
    junk.fill(0xff, 8);
    garbage.socket.write(junk);

    await Promise.all([syncThrow.closed, asyncReject.closed, garbage.closed]);
    expect(syncThrow.ids()).toEqual([1]);
    expect(asyncReject.frames).toHaveLength(0);
    expect(garbage.frames).toHaveLength(0);

    healthy.socket.write(idFrame(7));
    await healthy.waitFrames(1);
    expect(healthy.ids()).toEqual([7]);
    expect(healthy.isClosed).toBe(false);
    const errors = log.lines.filter((l) => l.level === 50).map((l) => (l.err as { message: string }).message);
    expect(errors.sort()).toEqual(['boom (async)', 'boom (sync)', 'cannot decode garbage']);
  });

  it("aborts the context's signal and reports closed when the client goes away", async () => {
    let seen: { signal: AbortSignal; closed: () => boolean } | undefined;
    const { listener } = await serve(
      (frame, conn) =>
        new Promise<DispatchResult>((resolve) => {
          seen = { signal: conn.signal, closed: () => conn.closed };
          // A long poll: answers only when told to stop waiting.
          conn.signal.addEventListener('abort', () => resolve(echo(frame)));
        }),
    );
    const client = await TestClient.open(listener.port);
    client.socket.write(idFrame(1));
    await waitFor(() => seen !== undefined, 'dispatch');
    await sleep(20);
    expect(seen!.signal.aborted).toBe(false);
    expect(seen!.closed()).toBe(false);
    client.socket.destroy();
    await waitFor(() => seen!.signal.aborted, 'abort on close');
    await waitFor(() => listener.connections.size === 0, 'connection removed');
    expect(seen!.closed()).toBe(true);
  });
});

describe('Connection backpressure', () => {
  it('stops reading when a client does not read its large responses, and recovers when it does', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x42);
    let dispatched = 0;
    const highWater = 2 * 1024 * 1024;
    const { listener } = await serve(
      (frame) => {
        dispatched++;
        return { kind: 'response', chunks: [frame.subarray(0, 4), big] };
      },
      { writeHighWaterMark: highWater },
    );
    const client = await TestClient.open(listener.port);
    client.socket.pause(); // never reads
    const requests = 120;
    client.socket.write(Buffer.concat(Array.from({ length: requests }, (_, i) => idFrame(i))));

    await sleep(300);
    const conn = [...listener.connections][0]!;
    expect(conn.readPaused).toBe(true);
    // Kernel buffers take a few MiB; the broker itself must stop near its high-water mark.
    expect(dispatched).toBeLessThan(40);
    expect(conn.peakWritableLength).toBeLessThanOrEqual(highWater + 2 * (big.length + 8));
    const stalledAt = dispatched;
    await sleep(100);
    expect(dispatched).toBe(stalledAt);

    client.socket.resume();
    await client.waitFrames(requests, 20_000);
    expect(client.ids()).toEqual(Array.from({ length: requests }, (_, i) => i));
    expect(client.frames.every((f) => f.length === 4 + big.length)).toBe(true);
    expect(dispatched).toBe(requests);
  });

  it('stops reading at the in-flight limit and resumes as requests finish', async () => {
    const pending: Array<() => void> = [];
    const { listener } = await serve(
      (frame) =>
        new Promise<DispatchResult>((resolve) => {
          pending.push(() => resolve(echo(frame)));
        }),
      { maxInFlight: 10 },
    );
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => idFrame(i))));
    await waitFor(() => listener.connections.size === 1, 'connection');
    const conn = [...listener.connections][0]!;
    await waitFor(() => conn.inFlight === 10, '10 read');
    await sleep(50);
    expect(pending).toHaveLength(1);
    expect(conn.inFlight).toBe(10);
    expect(conn.readPaused).toBe(true);

    for (let released = 0; released < 50; released++) {
      await waitFor(() => pending.length > released, 'next dispatch');
      expect(pending).toHaveLength(released + 1);
      pending[released]!();
    }
    await client.waitFrames(50);
    expect(client.ids()).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(conn.peakInFlight).toBe(10);
  });
});

describe('Connection reading into its own buffers', () => {
  /** Frames of small and large (read in place) bodies, each byte a function of its frame's index. */
  function mixedBodies(count: number): Buffer[] {
    return Array.from({ length: count }, (_, i) => {
      const body = Buffer.alloc(i % 3 === 0 ? 70_000 + i * 997 : 1 + ((i * 131) % 3000));
      body.writeInt32BE(i, 0);
      for (let j = 4; j < body.length; j++) body[j] = (i * 31 + j) & 0xff;
      return body;
    });
  }

  for (const [name, limits, ownReads] of [
    ['with memory to spare', {}, true],
    ['when reading pauses mid-frame for memory', { maxQueuedBytes: 150_000 }, true],
    ["through Node's 'data' chunks, SKIFF_OWN_READ_BUFFERS=0", {}, false],
  ] as const) {
    it(`keeps every frame a handler holds intact while later reads go on (${name})`, async () => {
      if (!ownReads) process.env.SKIFF_OWN_READ_BUFFERS = '0';
      onTestFinished(() => {
        delete process.env.SKIFF_OWN_READ_BUFFERS;
      });
      const kept: Buffer[] = [];
      const { listener } = await serve(async (frame) => {
        // Held like a stored batch: a later read landing in this frame's memory would show here.
        kept.push(frame);
        await sleep(idOf(frame) % 4);
        return { kind: 'response', chunks: [frame.subarray(0, 4)] };
      }, limits);
      const bodies = mixedBodies(120);
      const client = await TestClient.open(listener.port);
      // Written in uneven pieces so that frames straddle reads at many different points.
      const bytes = Buffer.concat(bodies.flatMap((b) => [encodeSizePrefix(b.length), b]));
      for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 13) % 90_000) client.socket.write(bytes.subarray(at, at + step));
      await client.waitFrames(bodies.length, 20_000);
      expect(client.ids()).toEqual(bodies.map((_, i) => i));
      expect([...listener.connections].map((c) => c.readsIntoOwnBuffers)).toEqual([ownReads]);
      expect(kept.length).toBe(bodies.length);
      kept.forEach((f, i) => expect(f.equals(bodies[i]!), `frame ${i}`).toBe(true));
    });
  }
});
