/** What clients pushed with PushTelemetry (KIP-714): each client's latest push, with the metric names it held. */
import type { Broker } from '../../broker.js';
import type { RouteTable } from '../routes.js';

export function clientMetricsRoutes(routes: RouteTable, broker: Broker): void {
  routes.get('/api/client-metrics', () => ({ json: { subscriptions: broker.clientMetrics.names(), clients: broker.clientMetrics.latestPushes() } }));
}
