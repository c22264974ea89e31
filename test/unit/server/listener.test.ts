import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../../src/server/connection.js';
import { Listener } from '../../../src/server/listener.js';
import { captureLogger, idFrame, sleep, TestClient, waitFor } from './helpers.js';

const echo = (frame: Buffer): DispatchResult => ({ kind: 'response', chunks: [Buffer.from(frame)] });

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('Listener', () => {
  it('binds a free port when asked for port 0 and tracks connections', async () => {
    const listener = await Listener.listen({ host: '127.0.0.1', port: 0, dispatch: echo, logger: captureLogger().logger });
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.host).toBe('127.0.0.1');
    const a = await TestClient.open(listener.port);
    const b = await TestClient.open(listener.port);
    await waitFor(() => listener.connections.size === 2, 'two connections');
    a.socket.destroy();
    await waitFor(() => listener.connections.size === 1, 'one connection left');
    b.socket.destroy();
    await listener.close();
  });

  it('fails to bind a port in use with the error', async () => {
    const first = await Listener.listen({ host: '127.0.0.1', port: 0, dispatch: echo, logger: captureLogger().logger });
    await expect(
      Listener.listen({ host: '127.0.0.1', port: first.port, dispatch: echo, logger: captureLogger().logger }),
    ).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });

  it('on close: stops accepting, finishes in-flight requests, then closes connections', async () => {
    let finished = false;
    const listener = await Listener.listen({
      host: '127.0.0.1',
      port: 0,
      logger: captureLogger().logger,
      dispatch: async (frame) => {
        await sleep(150);
        finished = true;
        return echo(frame);
      },
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(idFrame(5));
    await waitFor(() => listener.connections.size === 1 && [...listener.connections][0]!.inFlight === 1, 'in flight');

    const closing = listener.close({ timeoutMs: 5_000 });
    expect(await refused(listener.port)).toBe(true);
    expect(finished).toBe(false);
    await closing;
    expect(finished).toBe(true);
    expect(client.ids()).toEqual([5]);
    await client.closed;
  });

  it('lets long polls answer early at shutdown through the aborted signal', async () => {
    const log = captureLogger();
    const listener = await Listener.listen({
      host: '127.0.0.1',
      port: 0,
      logger: log.logger,
      dispatch: (frame, conn) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve(echo(frame)), 30_000);
          conn.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(echo(frame));
          });
        }),
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(idFrame(8));
    await waitFor(() => [...listener.connections][0]?.inFlight === 1, 'long poll in flight');
    await listener.close({ timeoutMs: 10_000 });
    // Answered through the abort signal: the shutdown timeout never had to cut the connection.
    expect(client.ids()).toEqual([8]);
    expect(log.lines.some((l) => l.msg === 'shutdown timeout: closing remaining connections')).toBe(false);
  });

  it('cuts connections whose requests outlive the shutdown timeout', async () => {
    const log = captureLogger();
    const listener = await Listener.listen({
      host: '127.0.0.1',
      port: 0,
      logger: log.logger,
      dispatch: () => new Promise<DispatchResult>(() => {}),
    });
    const client = await TestClient.open(listener.port);
    client.socket.write(idFrame(1));
    await waitFor(() => [...listener.connections][0]?.inFlight === 1, 'stuck request');
    await listener.close({ timeoutMs: 100 });
    await client.closed;
    expect(client.frames).toHaveLength(0);
    expect(log.lines.some((l) => l.msg === 'shutdown timeout: closing remaining connections')).toBe(true);
  });
});
