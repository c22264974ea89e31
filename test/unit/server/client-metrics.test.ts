/** KIP-714 client metrics: subscriptions matched to clients, Kafka's request-rate rules, and pushes kept with their metric names. */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { openHarness } from '../../support/admin-fixture.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { compress } from '../../../src/protocol/records/compression.js';
import { Compression } from '../../../src/protocol/records/record-batch.js';
import { ClientMetrics, DEFAULT_PUSH_INTERVAL_MS, type Subscription } from '../../../src/server/client-metrics.js';
import { metricNames } from '../../../src/server/otlp-metric-names.js';

/** A length-delimited protobuf field (all this test needs; lengths stay below 128). */
const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
const metric = (name: string) => field(2, Buffer.concat([field(1, Buffer.from(name)), field(5, Buffer.from([0x08, 0x01]))]));
const metricsData = (...names: string[]) => field(1, Buffer.concat([field(1, Buffer.alloc(0)), field(2, Buffer.concat(names.map(metric)))]));

const app = { clientId: 'app-1', sourceAddress: '127.0.0.1', sourcePort: 5000 };

function subscribed(cm: ClientMetrics, now = 0): Subscription {
  const s = cm.subscribe(ZERO_UUID, app, now);
  if ('errorCode' in s) throw new Error(`error ${s.errorCode}`);
  return s;
}

/** A ClientMetrics reading its subscriptions, by Kafka's config names, from `subs`. */
function withSubscriptions(): { cm: ClientMetrics; subs: Map<string, Record<string, string>> } {
  const subs = new Map<string, Record<string, string>>();
  return { cm: new ClientMetrics(() => subs), subs };
}

describe('client metrics', () => {
  it('gives each client the metrics of the subscriptions that match it, at the shortest interval', () => {
    const { cm, subs } = withSubscriptions();
    expect(subscribed(cm)).toMatchObject({ requestedMetrics: [], pushIntervalMs: DEFAULT_PUSH_INTERVAL_MS });
    subs.set('producers', { metrics: 'org.apache.kafka.producer.', 'interval.ms': '60000', match: 'client_id=app-.*' });
    subs.set('others', { metrics: '*', 'interval.ms': '1000', match: 'client_id=other' });
    subs.set('all', { metrics: 'org.apache.kafka.consumer.', 'interval.ms': '30000' });
    expect(subscribed(cm)).toMatchObject({ requestedMetrics: ['org.apache.kafka.consumer.', 'org.apache.kafka.producer.'], pushIntervalMs: 30_000 });
    const other = cm.subscribe(ZERO_UUID, { ...app, clientId: 'other' }, 0);
    expect(other).toMatchObject({ requestedMetrics: [''], pushIntervalMs: 1000 });
    expect(cm.names().sort()).toEqual(['all', 'others', 'producers']);
  });

  it('throttles asking and pushing within the interval on one connection; terminating once', () => {
    const { cm, subs } = withSubscriptions();
    subs.set('s', { metrics: '*', 'interval.ms': '1000' });
    const s = subscribed(cm);
    expect(cm.subscribe(s.clientInstanceId, app, 10)).toEqual({ errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED });
    expect(cm.subscribe(s.clientInstanceId, app, 1000)).toMatchObject({ clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId });
    const push = (now: number, over: object = {}) =>
      cm.push({ clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, terminating: false, compressionType: 0, metrics: Buffer.alloc(0), ...over }, app, now);
    expect(push(1000)).toBe(ErrorCode.NONE);
    expect(push(1500)).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    expect(push(2000, { subscriptionId: s.subscriptionId ^ 1 })).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    expect(push(2000, { compressionType: 9 })).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(push(2000, { metrics: Buffer.alloc(2_000_000) })).toBe(ErrorCode.TELEMETRY_TOO_LARGE);
    expect(push(2000, { clientInstanceId: ZERO_UUID })).toBe(ErrorCode.INVALID_REQUEST);
    expect(push(2100, { terminating: true })).toBe(ErrorCode.NONE);
    expect(push(9000, { terminating: true })).toBe(ErrorCode.INVALID_REQUEST);
    // A changed subscription is a new subscription id: old pushes are refused, asking works at once.
    subs.set('s', { metrics: 'org.', 'interval.ms': '1000' });
    expect(cm.subscribe(s.clientInstanceId, app, 9001)).toMatchObject({ requestedMetrics: ['org.'] });
  });

  it('keeps the latest push of each client with the metric names it held, compressed or not', () => {
    const { cm } = withSubscriptions();
    const s = subscribed(cm);
    const payload = metricsData('org.apache.kafka.producer.record.send.rate', 'org.apache.kafka.producer.connection.creation.rate');
    expect(metricNames(payload)).toEqual(['org.apache.kafka.producer.connection.creation.rate', 'org.apache.kafka.producer.record.send.rate']);
    const code = cm.push({ clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, terminating: false, compressionType: Compression.gzip, metrics: compress(Compression.gzip, payload) }, app, 5);
    expect(code).toBe(ErrorCode.NONE);
    expect(cm.latestPushes()).toEqual([
      expect.objectContaining({ clientInstanceId: s.clientInstanceId, clientId: 'app-1', bytes: payload.length, metrics: metricNames(payload), terminating: false }),
    ]);
  });

  it('refuses malformed protobuf in the metric-name reader', () => {
    expect(() => metricNames(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(RangeError);
  });
});

describe('telemetry APIs in ApiVersions', () => {
  it('are served but left out unless skiff.client.telemetry.enable is set, as Kafka without a telemetry reporter', async () => {
    const keys = async (config: Record<string, unknown>) => {
      const h = await openHarness({ config });
      try {
        const av = await h.client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
        const served = await h.client.request(ApiKey.GetTelemetrySubscriptions, 0, { clientInstanceId: ZERO_UUID });
        expect(served.errorCode).toBe(ErrorCode.NONE);
        return av.apiKeys.map((k: { apiKey: number }) => k.apiKey).filter((k: number) => k === 71 || k === 72);
      } finally {
        await h.close();
      }
    };
    expect(await keys({})).toEqual([]);
    expect(await keys({ 'skiff.client.telemetry.enable': true })).toEqual([71, 72]);
  });
});

describe('/api/client-metrics', () => {
  it('serves the subscriptions set as CLIENT_METRICS configs and lists the latest push of each client with its metric names', async () => {
    const h = await openHarness({ httpPort: 0 });
    try {
      // A subscription set as a CLIENT_METRICS config resource (as kafka-client-metrics --alter does).
      const altered = await h.client.request(ApiKey.IncrementalAlterConfigs, 1, {
        validateOnly: false,
        resources: [{ resourceType: 16, resourceName: 'consumers', configs: [{ name: 'metrics', configOperation: 0, value: 'org.apache.kafka.consumer.' }, { name: 'interval.ms', configOperation: 0, value: '1000' }] }],
      });
      expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE);
      expect((await h.client.request(ApiKey.ListConfigResources, 1, { resourceTypes: [16] })).configResources).toEqual([{ resourceName: 'consumers', resourceType: 16 }]);
      const sub = await h.client.request(ApiKey.GetTelemetrySubscriptions, 0, { clientInstanceId: ZERO_UUID });
      expect(sub).toMatchObject({ requestedMetrics: ['org.apache.kafka.consumer.'], pushIntervalMs: 1000 });
      const payload = metricsData('org.apache.kafka.consumer.fetch.rate');
      const pushed = await h.client.request(ApiKey.PushTelemetry, 0, {
        clientInstanceId: sub.clientInstanceId,
        subscriptionId: sub.subscriptionId,
        terminating: false,
        compressionType: 0,
        metrics: payload,
      });
      expect(pushed.errorCode).toBe(ErrorCode.NONE);
      const listing = (await (await fetch(new URL('api/client-metrics', h.broker.httpUrl))).json()) as { clients: Array<{ clientInstanceId: string; metrics: string[] }> };
      expect(listing.clients).toEqual([expect.objectContaining({ clientInstanceId: sub.clientInstanceId, metrics: ['org.apache.kafka.consumer.fetch.rate'] })]);
    } finally {
      await h.close();
    }
  });
});
