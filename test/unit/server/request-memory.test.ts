import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionLimits, Dispatch, DispatchResult } from '../../../src/server/connection.js';
import { Listener } from '../../../src/server/listener.js';
import { RequestMemoryPool } from '../../../src/server/request-memory.js';
import { encodeSizePrefix } from '../../../src/server/framing.js';
import { captureLogger, idFrame, sleep, TestClient, waitFor } from './helpers.js';

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close({ timeoutMs: 100 })));
});

async function serve(dispatch: Dispatch, limits: Partial<ConnectionLimits>, queuedMaxRequestBytes: number) {
  const log = captureLogger();
  const listener = await Listener.listen({ host: '127.0.0.1', port: 0, dispatch, logger: log.logger, limits, queuedMaxRequestBytes });
  listeners.push(listener);
  return listener;
}

const echoId = (frame: Buffer): DispatchResult => ({ kind: 'response', chunks: [Buffer.from(frame.subarray(0, 4))] });

/** A frame claiming `size` body bytes, its body split where the test wants. */
function claimed(id: number, size: number): { head: Buffer; rest: Buffer } {
  const body = Buffer.alloc(size, 0x61);
  body.writeInt32BE(id, 0);
  return { head: Buffer.concat([encodeSizePrefix(size), body.subarray(0, 4)]), rest: body.subarray(4) };
}

describe('RequestMemoryPool', () => {
  it('grants what fits, queues the rest, and grants a lone oversized request', () => {
    const pool = new RequestMemoryPool(100);
    const granted: string[] = [];
    const waiter = (name: string, bytes: number) => ({ bytes, granted: () => granted.push(name) });
    expect(pool.reserve(waiter('a', 60))).toBe(true);
    expect(pool.reserve(waiter('b', 60))).toBe(false);
    expect(pool.reserve(waiter('c', 50))).toBe(false);
    // Fits: a small request is not held behind the large ones waiting.
    expect(pool.reserve(waiter('small', 10))).toBe(true);
    pool.release(60);
    // Both b and c wait for 70 in use; b came first and fits, then c no longer does.
    expect(granted).toEqual(['b']);
    expect(pool.waiting).toBe(1);
    pool.release(10);
    pool.release(60);
    expect(granted).toEqual(['b', 'c']);
    pool.release(50);
    expect(pool.used).toBe(0);
    // Larger than the whole pool: granted because nothing else is held.
    expect(pool.reserve(waiter('big', 500))).toBe(true);
    expect(pool.peak).toBe(500);
    expect(() => pool.release(501)).toThrow(/released twice/);
  });

  it('a cancelled waiter is never granted', () => {
    const pool = new RequestMemoryPool(100);
    const granted: string[] = [];
    expect(pool.reserve({ bytes: 90, granted: () => granted.push('a') })).toBe(true);
    const gone = { bytes: 50, granted: () => granted.push('gone') };
    expect(pool.reserve(gone)).toBe(false);
    expect(pool.reserve({ bytes: 40, granted: () => granted.push('next') })).toBe(false);
    pool.cancel(gone);
    pool.release(90);
    expect(granted).toEqual(['next']);
  });

  it('is unbounded for -1, as Kafka', () => {
    const pool = new RequestMemoryPool(-1);
    expect(pool.reserve({ bytes: 1e12, granted: () => {} })).toBe(true);
    expect(pool.reserve({ bytes: 1e12, granted: () => {} })).toBe(true);
  });
});

describe('Request memory bound', () => {
  it('pauses reading of bodies beyond the broker-wide budget and serves them as memory frees', async () => {
    const budget = 1024 * 1024;
    const size = 700 * 1024;
    const listener = await serve(echoId, { maxFrameBytes: 8 * 1024 * 1024 }, budget);
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.open(listener.port)));
    const frames = clients.map((_, i) => claimed(i, size));
    // Every client announces its frame and sends all but the last byte.
    clients.forEach((c, i) => c.socket.write(Buffer.concat([frames[i]!.head, frames[i]!.rest.subarray(0, -1)])));
    await waitFor(() => listener.connections.size === 5 && listener.requestMemory.waiting === 4, 'four waiting for memory');
    await sleep(200);
    const conns = [...listener.connections];
    const reading = conns.filter((c) => !c.readPaused);
    expect(reading).toHaveLength(1);
    expect(listener.requestMemory.used).toBe(size);
    // Paused connections hold no more than what arrived with the size prefix: one socket read.
    for (const c of conns.filter((c) => c.readPaused)) expect(c.bufferedBytes).toBeLessThanOrEqual(128 * 1024);
    const total = conns.reduce((n, c) => n + c.bufferedBytes, 0);
    expect(total).toBeLessThan(size + 4 * 128 * 1024);

    clients.forEach((c, i) => c.socket.write(frames[i]!.rest.subarray(-1)));
    await Promise.all(clients.map((c) => c.waitFrames(1)));
    clients.forEach((c, i) => expect(c.ids()).toEqual([i]));
    expect(listener.requestMemory.peak).toBeLessThanOrEqual(budget);
    await waitFor(() => listener.requestMemory.used === 0, 'memory given back');
    for (const c of clients) c.socket.destroy();
  });

  it('gives back the memory of a connection that goes away mid-frame or while waiting', async () => {
    const listener = await serve(echoId, { maxFrameBytes: 8 * 1024 * 1024 }, 1024 * 1024);
    const a = await TestClient.open(listener.port);
    const b = await TestClient.open(listener.port);
    a.socket.write(claimed(1, 900 * 1024).head);
    await waitFor(() => listener.requestMemory.used === 900 * 1024, 'a reserved');
    b.socket.write(claimed(2, 900 * 1024).head);
    await waitFor(() => listener.requestMemory.waiting === 1, 'b waiting');
    a.socket.destroy();
    await waitFor(() => listener.requestMemory.used === 900 * 1024 && listener.requestMemory.waiting === 0, 'b granted');
    b.socket.destroy();
    await waitFor(() => listener.requestMemory.used === 0, 'all given back');
  });

  it('gives back the memory of requests read but not started when their connection closes', async () => {
    const closeFirst: Array<() => void> = [];
    const listener = await serve(() => new Promise<DispatchResult>((resolve) => closeFirst.push(() => resolve({ kind: 'close', reason: 'test' }))), {}, 1024 * 1024);
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2, 3].map((i) => idFrame(i, 996))));
    await waitFor(() => listener.requestMemory.used === 4000, 'all four read');
    expect(closeFirst).toHaveLength(1);
    // The first answer closes the connection: the three behind it never start.
    closeFirst[0]!();
    await client.closed;
    expect(closeFirst).toHaveLength(1);
    expect(listener.requestMemory.used).toBe(0);
  });

  it('small requests are still served while big partial frames hold or wait for the budget', async () => {
    const listener = await serve(echoId, { maxFrameBytes: 8 * 1024 * 1024 }, 1024 * 1024);
    const holder = await TestClient.open(listener.port);
    const waiting = await TestClient.open(listener.port);
    holder.socket.write(claimed(1, 900 * 1024).head);
    await waitFor(() => listener.requestMemory.used === 900 * 1024, 'holder reserved');
    waiting.socket.write(claimed(2, 900 * 1024).head);
    await waitFor(() => listener.requestMemory.waiting === 1, 'second big frame waiting');
    const small = await TestClient.open(listener.port);
    small.socket.write(idFrame(3));
    expect((await small.waitFrames(1))[0]!.readInt32BE(0)).toBe(3);
    expect(listener.requestMemory.waiting).toBe(1);
    for (const c of [holder, waiting, small]) c.socket.destroy();
  });

  it('one connection holds at most maxQueuedBytes of unanswered requests', async () => {
    const pending: Array<() => void> = [];
    const listener = await serve(
      (frame) => new Promise<DispatchResult>((resolve) => pending.push(() => resolve(echoId(frame)))),
      { maxQueuedBytes: 1000 },
      -1,
    );
    const client = await TestClient.open(listener.port);
    client.socket.write(Buffer.concat([0, 1, 2].map((i) => idFrame(i, 596))));
    await waitFor(() => pending.length === 1, 'first dispatched');
    await sleep(100);
    const conn = [...listener.connections][0]!;
    expect(pending).toHaveLength(1);
    expect(conn.readPaused).toBe(true);
    expect(conn.heldRequestBytes).toBe(600);
    pending[0]!();
    await waitFor(() => pending.length === 2, 'second dispatched after the first was answered');
    pending[1]!();
    await waitFor(() => pending.length === 3, 'third dispatched');
    pending[2]!();
    await client.waitFrames(3);
    expect(client.ids()).toEqual([0, 1, 2]);
    expect(conn.heldRequestBytes).toBe(0);
  });
});
