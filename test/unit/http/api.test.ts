/** The console's JSON API and the HTTP server's guards: read-only mode, JSON-only bodies, Kafka's refusals. */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';

let broker: RunningBroker;
let readOnly: RunningBroker;

const post = (b: RunningBroker, path: string, body: unknown, contentType = 'application/json') =>
  fetch(new URL(path, b.httpUrl), { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(body) });

beforeAll(async () => {
  broker = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent' });
  readOnly = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent', config: { 'skiff.http.read.only': true } });
});
afterAll(async () => {
  await broker.close();
  await readOnly.close();
});

describe('console API', () => {
  it('creates a topic, produces to it, reads it back from an offset and a time, and deletes it', async () => {
    expect((await post(broker, 'api/topics', { name: 'api-topic', partitions: 2 })).status).toBe(201);
    const again = await post(broker, 'api/topics', { name: 'api-topic', partitions: 2 });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    expect(await (await post(broker, 'api/topics', { name: 'bad/name' })).json()).toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });

    const before = Date.now();
    for (const value of ['one', 'two', 'three']) {
      const res = await post(broker, 'api/topics/api-topic/partitions/1/messages', { key: 'k', value, headers: [{ key: 'h', value: 'v' }] });
      expect(res.status).toBe(201);
    }
    const page = (await (await fetch(new URL('api/topics/api-topic/partitions/1/messages?offset=1', broker.httpUrl))).json()) as {
      messages: Array<{ offset: number; timestamp: number; key: string; value: string; headers: Array<{ key: string; value: string }> }>;
      nextOffset: number;
    };
    expect(page.messages.map((m) => [m.offset, Buffer.from(m.value, 'base64').toString()])).toEqual([
      [1, 'two'],
      [2, 'three'],
    ]);
    expect(page.nextOffset).toBe(3);
    expect(page.messages[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('v').toString('base64') }]);
    expect(page.messages[0]!.timestamp).toBeGreaterThanOrEqual(before);
    const last = (await (await fetch(new URL('api/topics/api-topic/partitions/1/messages?offset=-1', broker.httpUrl))).json()) as { messages: Array<{ offset: number }> };
    expect(last.messages.map((m) => m.offset)).toEqual([2]);
    const byTime = (await (await fetch(new URL(`api/topics/api-topic/partitions/1/messages?timestamp=${before}`, broker.httpUrl))).json()) as { messages: unknown[] };
    expect(byTime.messages).toHaveLength(3);

    const topic = (await (await fetch(new URL('api/topics/api-topic', broker.httpUrl))).json()) as { partitions: Array<{ highWatermark: number }> };
    expect(topic.partitions.map((p) => p.highWatermark)).toEqual([0, 3]);

    expect((await fetch(new URL('api/topics/api-topic', broker.httpUrl), { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(new URL('api/topics/api-topic', broker.httpUrl))).status).toBe(404);
    expect((await fetch(new URL('api/topics/__consumer_offsets', broker.httpUrl), { method: 'DELETE' })).status).toBe(400);
  });

  it('refuses bodies that are not JSON, so a plain cross-site form post cannot change anything', async () => {
    const res = await post(broker, 'api/topics', { name: 'form-topic' }, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    const topics = (await (await fetch(new URL('api/topics', broker.httpUrl))).json()) as Array<{ name: string }>;
    expect(topics.map((t) => t.name)).not.toContain('form-topic');
  });

  it('bounds request bodies and survives malformed paths and parameters', async () => {
    const big = await post(broker, 'api/topics', { name: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect((await fetch(new URL('api/topics/%E0%A4%A', broker.httpUrl))).status).toBe(404);
    expect((await fetch(new URL('api/topics/nope/partitions/x/messages', broker.httpUrl))).status).toBe(404);
    const bad = await fetch(new URL('api/topics', broker.httpUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(bad.status).toBe(400);
    expect((await fetch(new URL('health', broker.httpUrl))).status).toBe(200);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expect((await fetch(new URL('api/nothing', broker.httpUrl))).status).toBe(404);
    const res = await fetch(new URL('metrics', broker.httpUrl), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('serves the console page and its script from the same server', async () => {
    const html = await fetch(broker.httpUrl!);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain('<script src="/app.js">');
    expect((await fetch(new URL('app.js', broker.httpUrl))).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('in read-only mode serves reads and refuses every change with 403', async () => {
    expect((await fetch(new URL('api/topics', readOnly.httpUrl))).status).toBe(200);
    expect((await post(readOnly, 'api/topics', { name: 'ro-topic' })).status).toBe(403);
    expect((await fetch(new URL('api/topics/__consumer_offsets', readOnly.httpUrl), { method: 'DELETE' })).status).toBe(403);
    expect((await post(readOnly, 'api/groups/g/reset-offsets', { topic: 't', to: 'earliest' })).status).toBe(403);
    const topics = (await (await fetch(new URL('api/topics', readOnly.httpUrl))).json()) as Array<{ name: string }>;
    expect(topics.map((t) => t.name)).not.toContain('ro-topic');
    expect(await (await fetch(new URL('api/cluster', readOnly.httpUrl))).json()).toMatchObject({ readOnly: true });
  });

  it('fails startup cleanly when the HTTP port is taken, leaving no Kafka listener behind', async () => {
    const port = Number(new URL(broker.httpUrl!).port);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const kafkaPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(startBroker({ memory: true, port: kafkaPort, httpPort: port, logLevel: 'silent' })).rejects.toThrow(/EADDRINUSE/);
    // The Kafka port was released: a broker can bind it again.
    const again = await startBroker({ memory: true, port: kafkaPort, logLevel: 'silent' });
    await again.close();
  });

  it('is off unless a port is given', async () => {
    const plain = await startBroker({ memory: true, logLevel: 'silent' });
    try {
      expect(plain.httpUrl).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
