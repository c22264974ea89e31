/** What clients pushed with PushTelemetry (KIP-714): each client's latest push, with the metric names it held. */
import type { BrokerView } from '../broker-views.js';
import type { RouteTable } from '../routes.js';

export function clientMetricsRoutes(routes: RouteTable, broker: BrokerView): void {
  routes.get('/api/client-metrics', () => ({ json: { subscriptions: broker.clientMetrics.names(), clients: broker.clientMetrics.latestPushes() } }));
}
