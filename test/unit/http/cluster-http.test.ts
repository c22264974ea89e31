/**
 * A virtual cluster's HTTP side: the cluster port serves /metrics for every running broker
 * (each family once, samples labelled by broker) and each broker's own, beside the fault API;
 * each broker serves its console and /metrics on a port of its own, listed by /brokers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startBroker({ brokers: 2, httpPort: 0 });
});

afterAll(async () => {
  await cluster?.close();
});

const get = (path: string, base = cluster.httpUrl!) => fetch(new URL(path, base), { redirect: 'manual' });

describe('the HTTP side of a virtual cluster', () => {
  it('scrapes every running broker at once, one family header each, samples labelled by broker', async () => {
    await cluster.createTopic('m', { partitions: 1, replicationFactor: 2 });
    await cluster.produce('m', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const leader = cluster.controller.partition('m', 0)!.leader;

    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    expect(text).toContain(`kafka_server_brokertopicmetrics_messagesin_total{broker="${leader}",topic="m"} 3`);
    // Both replicas hold the partition; each says so under its own label.
    const ends = text.split('\n').filter((l) => l.startsWith('kafka_log_log_logstartoffset{') && l.includes('topic="m"'));
    expect(new Set(ends.map((l) => /broker="(\d+)"/.exec(l)?.[1]))).toEqual(new Set(['1', '2']));
    // The process is one: its gauges are not per broker.
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);

    const one = await (await get(`/brokers/${leader}/metrics`)).text();
    expect(one).toContain('kafka_server_brokertopicmetrics_messagesin_total{topic="m"} 3');
    expect((await get('/brokers/9/metrics')).status).toBe(404);
  });

  it('gives each broker its own console and /metrics, and sends / to one of them', async () => {
    const brokers = (await (await get('/brokers')).json()) as Array<{ id: number; httpUrl?: string }>;
    expect(brokers.every((b) => b.httpUrl !== undefined)).toBe(true);
    expect(new Set(brokers.map((b) => b.httpUrl)).size).toBe(2);
    const info = (await (await get('/api/cluster', brokers[1]!.httpUrl)).json()) as { nodeId: number; controllerId: number; brokers: Array<{ nodeId: number }> };
    expect(info.nodeId).toBe(brokers[1]!.id);
    expect(info.controllerId).toBe(1);
    expect(info.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
    expect((await get('/', brokers[1]!.httpUrl)).status).toBe(200);
    expect(await (await get('/metrics', brokers[0]!.httpUrl)).text()).toContain('kafka_network_requestmetrics_requests_total');

    const home = await get('/');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe(brokers[0]!.httpUrl);

    await cluster.stopBroker(2);
    expect((await get('/brokers/2/metrics')).status).toBe(503);
    expect(await (await get('/metrics')).text()).not.toContain('broker="2"');
    await cluster.startBroker(2);
    const again = (await (await get('/brokers')).json()) as Array<{ id: number; httpUrl?: string }>;
    // The port it got at the first start is kept.
    expect(again[1]!.httpUrl).toBe(brokers[1]!.httpUrl);
  });
});
