import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionLimits, DispatchResult } from '../../../src/server/connection.js';
import { type ConnectionQuotaSettings, normalizeAddress } from '../../../src/server/connection-quotas.js';
import { parsePerIpOverrides } from '../../../src/config/listeners.js';
import { Listener } from '../../../src/server/listener.js';
import { startBroker } from '../../../src/index.js';
import { captureLogger, idFrame, sleep, TestClient, waitFor } from './helpers.js';

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close({ timeoutMs: 100 })));
});

const echo = (frame: Buffer): DispatchResult => ({ kind: 'response', chunks: [Buffer.from(frame)] });

async function serve(quotas: Partial<ConnectionQuotaSettings>, limits: Partial<ConnectionLimits> = {}) {
  const log = captureLogger();
  const listener = await Listener.listen({
    host: '127.0.0.1',
    port: 0,
    dispatch: echo,
    logger: log.logger,
    limits,
    quotas: { maxConnections: 1000, maxConnectionsPerIp: 1000, perIpOverrides: new Map(), ...quotas },
  });
  listeners.push(listener);
  return { listener, log };
}

describe('max.connections.per.ip', () => {
  it('closes a connection over the per-address limit at once; the others are served', async () => {
    const { listener, log } = await serve({ maxConnectionsPerIp: 2 });
    const a = await TestClient.open(listener.port);
    const b = await TestClient.open(listener.port);
    const c = await TestClient.open(listener.port);
    await c.closed;
    expect(log.lines.some((l) => String(l.msg).includes('max.connections.per.ip'))).toBe(true);
    a.socket.write(idFrame(1));
    b.socket.write(idFrame(2));
    expect((await a.waitFrames(1))[0]!.readInt32BE(0)).toBe(1);
    expect((await b.waitFrames(1))[0]!.readInt32BE(0)).toBe(2);
    // A slot freed by a close is usable again.
    a.socket.destroy();
    await waitFor(() => listener.connections.size === 1, 'a gone');
    const d = await TestClient.open(listener.port);
    d.socket.write(idFrame(4));
    expect((await d.waitFrames(1))[0]!.readInt32BE(0)).toBe(4);
    b.socket.destroy();
    d.socket.destroy();
  });

  it('an override for the address wins over the default', async () => {
    const { listener } = await serve({ maxConnectionsPerIp: 1, perIpOverrides: new Map([['127.0.0.1', 3]]) });
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.open(listener.port)));
    await waitFor(() => listener.connections.size === 3, 'three admitted');
    const fourth = await TestClient.open(listener.port);
    await fourth.closed;
    for (const c of clients) c.socket.destroy();
  });

  it('an override naming a host applies to the addresses it resolves to (launch.ts looks it up)', async () => {
    const broker = await startBroker({ memory: true, logLevel: 'silent', config: { 'max.connections.per.ip.overrides': 'localhost:0' } });
    try {
      const c = await TestClient.open(broker.port);
      await c.closed;
    } finally {
      await broker.close();
    }
  });

  it('parses Kafka\'s host:count list and counts ::ffff:-mapped IPv4 as IPv4', () => {
    expect(parsePerIpOverrides(' 127.0.0.1:5, [::1]:2,host.example:0 ,')).toEqual([
      { host: '127.0.0.1', max: 5 },
      { host: '::1', max: 2 },
      { host: 'host.example', max: 0 },
    ]);
    expect(() => parsePerIpOverrides('127.0.0.1')).toThrow(/host:count/);
    expect(() => parsePerIpOverrides('a:-1')).toThrow(/host:count/);
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('max.connections', () => {
  it('a connection over the limit waits unread for a slot, then is served', async () => {
    const { listener } = await serve({ maxConnections: 1 });
    const a = await TestClient.open(listener.port);
    await waitFor(() => listener.connections.size === 1, 'a admitted');
    const b = await TestClient.open(listener.port);
    b.socket.write(idFrame(7));
    await waitFor(() => listener.waitingConnections === 1, 'b waiting');
    await sleep(100);
    expect(b.frames).toHaveLength(0);
    expect(b.isClosed).toBe(false);
    a.socket.destroy();
    expect((await b.waitFrames(1))[0]!.readInt32BE(0)).toBe(7);
    expect(listener.waitingConnections).toBe(0);
    b.socket.destroy();
  });
});

describe('connections.max.idle.ms', () => {
  it('closes a connection with nothing to do after the idle time, not a busy one', async () => {
    const { listener } = await serve({}, { idleTimeoutMs: 400 });
    const idle = await TestClient.open(listener.port);
    const busy = await TestClient.open(listener.port);
    for (let i = 0; i < 6; i++) {
      busy.socket.write(idFrame(i));
      await sleep(50);
    }
    await idle.closed;
    expect(busy.isClosed).toBe(false);
    await busy.waitFrames(6);
    await busy.closed;
  });
});
