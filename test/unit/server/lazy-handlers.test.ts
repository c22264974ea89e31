/**
 * Handlers loaded on their API's first request (src/server/registry.ts): requests that arrive
 * while a handler's module loads are still handled, and answered, in arrival order on their
 * connection; other connections are not held up; a module that fails to load closes only the
 * connection that asked, and the next request tries again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../../src/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { encodeRequestFrame } from '../../../src/protocol/frame.js';
import { codec as heartbeatCodec, defaultHeartbeatResponse } from '../../../src/protocol/generated/012-heartbeat.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import type { ApiVersionsResponse } from '../../../src/protocol/generated/018-api-versions.js';
import type { DescribeConfigsResponse } from '../../../src/protocol/generated/032-describe-configs.js';
import { defaultListOffsetsPartition, type ListOffsetsResponse } from '../../../src/protocol/generated/002-list-offsets.js';
import { codec as metadataCodec, defaultMetadataRequestTopic, defaultMetadataResponse, type MetadataResponse } from '../../../src/protocol/generated/003-metadata.js';
import { defaultPartitionProduceData, type ProduceResponse } from '../../../src/protocol/generated/000-produce.js';
import { defaultRequestHeader } from '../../../src/protocol/generated/headers.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import type { DispatchResult } from '../../../src/server/connection.js';
import { plaintextConnection } from '../../support/connection-context.js';
import { createDispatch } from '../../../src/server/dispatch.js';
import { defineHandler, type Handler, handlerEntry, loadedEntry, schemaVersions } from '../../../src/server/handler.js';
import { buildRegistry, HANDLERS } from '../../../src/server/registry.js';
import type { ApiCodec } from '../../../src/protocol/codec/generated-support.js';
import { createTopic, openHarness } from '../../support/admin-fixture.js';

const log = createLogger({ level: 'silent' });

const connection = plaintextConnection;

let correlationId = 0;
/** A request as the connection hands it to dispatch: the frame without its size prefix. */
function frame(codec: ApiCodec, version: number): Buffer {
  const header = { ...defaultRequestHeader(), requestApiKey: codec.apiKey, requestApiVersion: version, correlationId: ++correlationId, clientId: 't' };
  return encodeRequestFrame(codec, header, codec.defaultRequest()).subarray(4);
}

function correlationOf(result: DispatchResult): number {
  if (result.kind !== 'response') throw new Error(`no response: ${result.kind === 'close' ? result.reason : 'none'}`);
  return (result.chunks[0] as Buffer).readInt32BE(0);
}

/** A handler that records which connection it served, in the order it was called. */
function recording(apiKey: number, codec: ApiCodec, response: () => unknown, calls: string[]): Handler {
  return defineHandler({
    ...schemaVersions(apiKey),
    codec,
    handle: (_req, ctx) => {
      calls.push(`${apiKey}@${ctx.connection.id}`);
      return response();
    },
    errorResponse: response,
  });
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ticks = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('dispatch of a handler not loaded yet', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await Broker.open(resolveConfig([{ source: 'test', values: { 'skiff.memory': true } }]), log);
  });
  afterAll(() => broker.close());

  it('holds the requests after it on the same connection until it has been handled, and no other connection', async () => {
    const calls: string[] = [];
    const metadataModule = deferred();
    const registry = buildRegistry([
      handlerEntry(schemaVersions(ApiKey.Metadata), async () => {
        await metadataModule.promise;
        return recording(ApiKey.Metadata, metadataCodec, defaultMetadataResponse, calls);
      }),
      loadedEntry(recording(ApiKey.Heartbeat, heartbeatCodec, defaultHeartbeatResponse, calls)),
    ]);
    const dispatch = createDispatch(registry, broker, log);
    const [a, b] = [connection(1), connection(2)];

    const first = dispatch(frame(metadataCodec, 12), a);
    const second = dispatch(frame(heartbeatCodec, 4), a);
    const other = dispatch(frame(heartbeatCodec, 4), b);
    await ticks();
    // The heartbeat behind the loading Metadata waits; the other connection's is served at once.
    expect(calls).toEqual([`${ApiKey.Heartbeat}@2`]);
    expect(correlationOf(await other)).toBe(correlationId);

    metadataModule.resolve();
    const [r1, r2] = await Promise.all([first, second]);
    expect(calls).toEqual([`${ApiKey.Heartbeat}@2`, `${ApiKey.Metadata}@1`, `${ApiKey.Heartbeat}@1`]);
    expect(correlationOf(r2)).toBe(correlationOf(r1) + 1);
    expect(registry.get(ApiKey.Metadata)!.handler).toBeDefined();

    // Once loaded, the handler is called synchronously again.
    const later = dispatch(frame(metadataCodec, 12), a);
    expect(later).not.toBeInstanceOf(Promise);
    expect(calls.at(-1)).toBe(`${ApiKey.Metadata}@1`);
  });

  it('closes the connection whose request found the module failing to load, and tries again on the next request', async () => {
    const calls: string[] = [];
    let attempts = 0;
    const registry = buildRegistry([
      handlerEntry(schemaVersions(ApiKey.Metadata), async () => {
        if (++attempts === 1) throw new Error('chunk missing');
        return recording(ApiKey.Metadata, metadataCodec, defaultMetadataResponse, calls);
      }),
      loadedEntry(recording(ApiKey.Heartbeat, heartbeatCodec, defaultHeartbeatResponse, calls)),
    ]);
    const dispatch = createDispatch(registry, broker, log);
    const a = connection(1);
    const failed = await dispatch(frame(metadataCodec, 12), a);
    expect(failed).toMatchObject({ kind: 'close', reason: `the handler of api key ${ApiKey.Metadata} could not be loaded` });
    expect(correlationOf(await dispatch(frame(heartbeatCodec, 4), a))).toBe(correlationId);
    expect(correlationOf(await dispatch(frame(metadataCodec, 12), connection(2)))).toBe(correlationId);
    expect(attempts).toBe(2);
    expect(calls).toEqual([`${ApiKey.Heartbeat}@1`, `${ApiKey.Metadata}@2`]);
  });

  it('refuses a handler whose versions differ from what the registry advertises', async () => {
    const entry = handlerEntry({ ...schemaVersions(ApiKey.Metadata), minVersion: 1 }, async () => recording(ApiKey.Metadata, metadataCodec, defaultMetadataResponse, []));
    await expect(entry.load()).rejects.toThrow(/registry lists v1-/);
    expect(entry.handler).toBeUndefined();
  });
});

describe('a broker whose handlers load on first use', () => {
  it('answers pipelined first requests of lazily loaded APIs in order', async () => {
    const h = await openHarness();
    try {
      await createTopic(h.client, 'lazy');
      const lazy = [ApiKey.Produce, ApiKey.Metadata, ApiKey.ListOffsets, ApiKey.DescribeConfigs];
      expect(lazy.filter((k) => HANDLERS.get(k)!.handler !== undefined)).toEqual([]);
      const records = buildBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from('v') }] });
      // All written before the first answer; RawClient fails a request answered out of order.
      const [produced, metadata, apiVersions, offsets, configs] = await Promise.all([
        h.client.request<ProduceResponse>(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'lazy', partitionData: [{ ...defaultPartitionProduceData(), index: 0, records }] }] }),
        h.client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ ...defaultMetadataRequestTopic(), name: 'lazy' }] }),
        h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }),
        h.client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: 'lazy', partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -2n }] }] }),
        h.client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'lazy', configurationKeys: ['cleanup.policy'] }] }),
      ]);
      expect(produced.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(metadata.topics[0]!.errorCode).toBe(0);
      expect(apiVersions.errorCode).toBe(0);
      expect(offsets.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 0n });
      expect(configs.results[0]!.configs.map((c) => [c.name, c.value])).toEqual([['cleanup.policy', 'delete']]);
      expect(lazy.filter((k) => HANDLERS.get(k)!.handler === undefined)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
