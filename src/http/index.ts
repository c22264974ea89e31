/**
 * The broker's HTTP side: health checks, Prometheus metrics, the console and its JSON API,
 * assembled into one route table and served by one server (skiff.http.*).
 *
 * A way in beside src/server, at the same height: it reads the broker through BrokerView
 * (broker-views.ts: what handlers see, plus the logs); only src/broker.ts imports it.
 */
import type { Logger } from '../log.js';
import { clusterRoutes } from './api/cluster.js';
import { groupRoutes } from './api/groups.js';
import { messageRoutes } from './api/messages.js';
import { topicRoutes } from './api/topics.js';
import { transactionRoutes } from './api/transactions.js';
import { clientMetricsRoutes } from './api/client-metrics.js';
import type { BrokerView, NetworkView } from './broker-views.js';
import { consoleRoutes } from './console-assets.js';
import { renderMetrics } from './metrics.js';
import { ProcessStats } from './process-stats.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';
import { RouteTable } from './routes.js';
import { startHttpServerOwning, type HttpServer } from './server.js';

export type { NetworkView } from './broker-views.js';
export type { HttpServer } from './server.js';

export interface BrokerHttpOptions {
  broker: BrokerView;
  /** The Kafka listener, once it is attached. */
  network: () => NetworkView | undefined;
  /** Serving Kafka with its state loaded, and not shutting down (GET /ready). */
  ready: () => boolean;
  host: string;
  port: number;
  readOnly: boolean;
  logger: Logger;
}

export async function startBrokerHttp(opts: BrokerHttpOptions): Promise<HttpServer> {
  const { broker, network } = opts;
  const processStats = new ProcessStats();
  const routes = new RouteTable();
  routes.get('/health', () => ({ json: { status: 'up' } }));
  routes.get('/ready', () => {
    const ready = opts.ready();
    return { status: ready ? 200 : 503, json: { status: ready ? 'ready' : 'not ready' } };
  });
  routes.get('/metrics', () => ({ headers: { 'content-type': PROMETHEUS_CONTENT_TYPE }, body: renderMetrics(broker, network(), processStats) }));
  clusterRoutes(routes, broker, network);
  topicRoutes(routes, broker);
  messageRoutes(routes, broker);
  groupRoutes(routes, broker);
  transactionRoutes(routes, broker);
  clientMetricsRoutes(routes, broker);
  consoleRoutes(routes);
  return startHttpServerOwning({ host: opts.host, port: opts.port, routes, logger: opts.logger, readOnly: opts.readOnly }, processStats);
}
