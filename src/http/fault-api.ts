/**
 * The virtual cluster's HTTP API (skiff.http.port with skiff.brokers > 1), JSON over loopback:
 *   GET    /health                      {"status":"up"}
 *   GET    /brokers                     every broker: id, host, port, rack, alive, leader/follower counts
 *   POST   /brokers/{id}/stop           stop a broker (its partitions elect new leaders)
 *   POST   /brokers/{id}/crash          crash-stop it (no controlled shutdown; fenced after broker.session.timeout.ms)
 *   POST   /brokers/{id}/start          start it again from its data dir
 *   POST   /brokers/{id}/kill-connections   close every client connection of the broker
 *   GET    /partitions                  every partition's replicas, leader, leader epoch and ISR
 *   GET    /faults                      the injected faults
 *   POST   /faults                      inject one: {"kind":"isolate"|"latency"|"error"|"drop"|"close-after", ...}
 *   DELETE /faults/{id}                 clear one
 *   DELETE /faults                      clear all
 *   GET    /metrics                     every running broker in one Prometheus scrape, samples labelled broker="<id>"
 *   GET    /brokers/{id}/metrics        one broker's, as a single broker serves them
 *   GET    /                            redirects to the console of the first running broker
 * Each broker serves its own console and /metrics too, at the httpUrl /brokers lists.
 */
import type { Logger } from '../log.js';
import type { ClusterBroker, ClusterController } from '../cluster/controller.js';
import { FaultError, parseFault, type Fault, type FaultSpec } from '../server/faults.js';
import type { BrokerView, NetworkView } from './broker-views.js';
import { renderClusterMetrics, renderMetrics } from './metrics.js';
import { ProcessStats } from './process-stats.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';
import { HttpError, RouteTable } from './routes.js';
import { startHttpServerOwning, type HttpServer } from './server.js';

/** What the API drives: the virtual cluster (src/virtual-cluster.ts). */
export interface FaultTarget {
  readonly controller: ClusterController;
  brokers(): Array<ClusterBroker & { httpUrl?: string }>;
  stopBroker(id: number): Promise<void>;
  crashBroker(id: number): Promise<void>;
  startBroker(id: number): Promise<void>;
  killConnections(id: number): number;
  addFault(spec: FaultSpec): Fault;
  faults(): Fault[];
  clearFault(id: number): boolean;
}

function brokerId(cluster: FaultTarget, text: string | undefined): number {
  const id = Number(text);
  if (!Number.isInteger(id) || !cluster.brokers().some((b) => b.id === id)) throw new HttpError(404, `no broker ${text}`);
  return id;
}

export function faultRoutes(routes: RouteTable, cluster: FaultTarget): void {
  routes.get('/health', () => ({ json: { status: 'up' } }));
  routes.get('/brokers', () => ({ json: cluster.brokers() }));
  routes.add('POST', '/brokers/:id/stop', async (req) => {
    const id = brokerId(cluster, req.params.id);
    await cluster.stopBroker(id);
    return { json: cluster.brokers().find((b) => b.id === id) };
  }, { mutates: true });
  routes.add('POST', '/brokers/:id/crash', async (req) => {
    const id = brokerId(cluster, req.params.id);
    await cluster.crashBroker(id);
    return { json: cluster.brokers().find((b) => b.id === id) };
  }, { mutates: true });
  routes.add('POST', '/brokers/:id/start', async (req) => {
    const id = brokerId(cluster, req.params.id);
    await cluster.startBroker(id);
    return { json: cluster.brokers().find((b) => b.id === id) };
  }, { mutates: true });
  routes.add('POST', '/brokers/:id/kill-connections', (req) => ({ json: { killed: cluster.killConnections(brokerId(cluster, req.params.id)) } }), { mutates: true });
  routes.get('/partitions', () => ({
    json: cluster.controller.topics().flatMap((t) => t.partitions.map((s, partition) => ({ topic: t.name, partition, ...s }))),
  }));
  routes.get('/faults', () => ({ json: cluster.faults() }));
  routes.add('POST', '/faults', async (req) => {
    let spec;
    try {
      spec = parseFault(await req.json(), cluster.brokers().map((b) => b.id));
    } catch (err) {
      if (err instanceof FaultError) throw new HttpError(400, err.message);
      throw err;
    }
    try {
      return { status: 201, json: cluster.addFault(spec) };
    } catch (err) {
      if (err instanceof FaultError) throw new HttpError(409, err.message);
      throw err;
    }
  }, { mutates: true });
  routes.add('DELETE', '/faults/:id', (req) => {
    if (!cluster.clearFault(Number(req.params.id))) throw new HttpError(404, `no fault ${req.params.id}`);
    return { status: 204 };
  }, { mutates: true });
  routes.add('DELETE', '/faults', () => {
    for (const f of cluster.faults()) cluster.clearFault(f.id);
    return { status: 204 };
  }, { mutates: true });
}

/** A running broker as /metrics reads it. */
export interface RunningBrokerView {
  id: number;
  broker: BrokerView;
  network: NetworkView | undefined;
}

export function clusterMetricsRoutes(routes: RouteTable, cluster: FaultTarget, running: () => RunningBrokerView[], processStats: ProcessStats): void {
  const metrics = (body: string) => ({ headers: { 'content-type': PROMETHEUS_CONTENT_TYPE }, body });
  routes.get('/metrics', () => metrics(renderClusterMetrics(running(), processStats)));
  routes.get('/brokers/:id/metrics', (req) => {
    const id = brokerId(cluster, req.params.id);
    const b = running().find((r) => r.id === id);
    if (!b) throw new HttpError(503, `broker ${id} is not running`);
    return metrics(renderMetrics(b.broker, b.network, processStats));
  });
  routes.get('/', () => {
    const url = cluster.brokers().find((b) => b.httpUrl !== undefined)?.httpUrl;
    if (url === undefined) throw new HttpError(503, 'no broker console is running');
    return { status: 302, headers: { location: url } };
  });
}

export async function startFaultApi(
  cluster: FaultTarget,
  opts: { host: string; port: number; readOnly: boolean; logger: Logger; running: () => RunningBrokerView[] },
): Promise<HttpServer> {
  const routes = new RouteTable();
  faultRoutes(routes, cluster);
  const processStats = new ProcessStats();
  clusterMetricsRoutes(routes, cluster, opts.running, processStats);
  return startHttpServerOwning({ host: opts.host, port: opts.port, readOnly: opts.readOnly, logger: opts.logger, routes }, processStats);
}
