/**
 * A broker started in-process with a raw protocol client on it, plus the few requests the
 * admin-API tests keep needing: create a topic, produce one batch with chosen timestamps.
 */
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { type ProduceResponse, defaultProduceRequest } from '../../src/protocol/generated/000-produce.js';
import {
  type CreateTopicsResponse,
  defaultCreatableTopic,
  defaultCreateTopicsRequest,
} from '../../src/protocol/generated/019-create-topics.js';
import { buildBatch } from '../../src/protocol/records/records.js';
import { RawClient } from './raw-client.js';

export interface Harness {
  broker: RunningBroker;
  client: RawClient;
  close(): Promise<void>;
}

export async function openHarness(opts: StartBrokerOptions = {}): Promise<Harness> {
  const broker = await startBroker({ memory: opts.dataDir === undefined, logLevel: 'silent', ...opts });
  const client = await RawClient.connect(broker.host, broker.port);
  return {
    broker,
    client,
    async close() {
      await client.close();
      await broker.close();
    },
  };
}

/** Creates a topic with CreateTopics v7 and fails the test unless it worked. */
export async function createTopic(client: RawClient, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const res = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    ...defaultCreateTopicsRequest(),
    timeoutMs: 5000,
    topics: [
      {
        ...defaultCreatableTopic(),
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
      },
    ],
  });
  const t = res.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`create ${name}: error ${t.errorCode} ${t.errorMessage}`);
  return t.topicId;
}

/**
 * Produces one batch (Produce v9, acks=-1) whose records carry the given timestamps, and
 * returns the batch's base offset.
 */
export async function produceBatch(client: RawClient, topic: string, partition: number, timestamps: bigint[]): Promise<bigint> {
  const base = timestamps[0]!;
  const batch = buildBatch({
    baseTimestamp: base,
    maxTimestamp: timestamps.reduce((a, b) => (b > a ? b : a)),
    records: timestamps.map((ts, i) => ({ key: null, value: Buffer.from(`v${i}@${ts}`), timestampDelta: Number(ts - base) })),
  });
  const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== 0) throw new Error(`produce ${topic}-${partition}: error ${p.errorCode} ${p.errorMessage}`);
  return p.baseOffset;
}
