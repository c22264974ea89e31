/** GET /api/cluster: the node (in a virtual cluster, with the live brokers and the controller), its settings and the APIs it serves; GET /api/throughput: totals the console turns into rates. */
import { describeBrokerConfigs } from '../../config.js';
import { API_INFO } from '../../protocol/generated/api-keys.js';
import { HANDLERS } from '../../server/registry.js';
import type { BrokerView, NetworkView } from '../broker-views.js';
import type { RouteTable } from '../routes.js';

export function clusterRoutes(routes: RouteTable, broker: BrokerView, network: () => NetworkView | undefined): void {
  routes.get('/api/cluster', () => {
    const cluster = broker.cluster;
    return {
      json: {
        clusterId: broker.clusterId,
        nodeId: broker.nodeId,
        controllerId: cluster?.controllerId ?? broker.nodeId,
        brokers: cluster
          ? cluster.liveBrokers().map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }))
          : [{ nodeId: broker.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
        dataDir: broker.dataDir,
        memory: broker.dataDir === null,
        readOnly: broker.config.values['skiff.http.read.only'],
        uptimeMs: Date.now() - broker.counters.startedAtMs,
        connections: network()?.connections.size ?? 0,
        configs: describeBrokerConfigs(broker.config).map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, isSensitive: c.isSensitive, isDefault: c.isDefault, doc: c.documentation })),
        apis: [...HANDLERS.values()].map((h) => ({ apiKey: h.apiKey, name: API_INFO.get(h.apiKey)?.name ?? String(h.apiKey), minVersion: h.minVersion, maxVersion: h.maxVersion })),
      },
    };
  });

  routes.get('/api/throughput', () => {
    let bytesIn = 0;
    let bytesOut = 0;
    let messagesIn = 0;
    for (const c of broker.counters.topics((name) => broker.topics.get(name) !== undefined).values()) {
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
      messagesIn += c.messagesIn;
    }
    let requests = 0;
    for (const [, c] of broker.counters.apis()) requests += c.requests;
    return { json: { timeMs: Date.now(), bytesIn, bytesOut, messagesIn, requests } };
  });
}
