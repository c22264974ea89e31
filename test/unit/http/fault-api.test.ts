/** The virtual cluster's HTTP API: brokers listed, stopped and started; faults added, listed and cleared; bad input refused. */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startBroker({ brokers: 2, httpPort: 0 });
});

afterAll(async () => {
  await cluster?.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, cluster.httpUrl), { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

describe('cluster fault API', () => {
  it('lists the brokers and stops and starts one', async () => {
    const brokers = (await call('GET', '/brokers')).json as Array<{ id: number; alive: boolean; port: number }>;
    expect(brokers.map((b) => [b.id, b.alive])).toEqual([[1, true], [2, true]]);
    expect((await call('POST', '/brokers/2/stop')).json).toMatchObject({ id: 2, alive: false });
    expect(cluster.controller.broker(2)!.alive).toBe(false);
    expect((await call('POST', '/brokers/2/start')).json).toMatchObject({ id: 2, alive: true, port: brokers[1]!.port });
    expect((await call('POST', '/brokers/7/stop')).status).toBe(404);
  });

  it('crash-stops a broker: not running, still alive until its session runs out or it starts again', async () => {
    expect((await call('POST', '/brokers/2/crash')).json).toMatchObject({ id: 2, alive: true, running: false });
    expect((await call('POST', '/brokers/2/start')).json).toMatchObject({ id: 2, alive: true, running: true });
    expect((await call('POST', '/brokers/7/crash')).status).toBe(404);
  });

  it('adds, lists and clears faults, and refuses malformed ones', async () => {
    const added = await call('POST', '/faults', { kind: 'error', broker: 1, apiKey: 3, errorCode: 5, count: 2 });
    expect(added.status).toBe(201);
    const id = (added.json as { id: number }).id;
    expect((await call('GET', '/faults')).json).toEqual([{ id, kind: 'error', broker: 1, apiKey: 3, errorCode: 5, count: 2, applied: 0 }]);
    expect((await call('DELETE', `/faults/${id}`)).status).toBe(204);
    expect((await call('GET', '/faults')).json).toEqual([]);
    expect((await call('DELETE', `/faults/${id}`)).status).toBe(404);
    expect((await call('POST', '/faults', { kind: 'latency', broker: 1 })).status).toBe(400);
    expect((await call('POST', '/faults', { kind: 'isolate', broker: 9 })).status).toBe(400);
  });

  it('kills a broker\'s connections', async () => {
    const b1 = cluster.controller.broker(1)!;
    const socket = connect(b1.port, b1.host);
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    let killed = 0;
    // The listener counts the connection once it accepted it.
    for (let i = 0; i < 100 && killed === 0; i++) {
      killed = ((await call('POST', '/brokers/1/kill-connections')).json as { killed: number }).killed;
      if (killed === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(killed).toBe(1);
    await closed;
  });
});
