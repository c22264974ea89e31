/** Raw-protocol helpers for the transaction tests. */
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { defaultCreatableTopic, defaultCreateTopicsRequest } from '../../../src/protocol/generated/019-create-topics.js';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic, type FetchResponse, type PartitionData } from '../../../src/protocol/generated/001-fetch.js';
import { defaultListOffsetsPartition, defaultListOffsetsRequest, defaultListOffsetsTopic } from '../../../src/protocol/generated/002-list-offsets.js';
import { defaultPartitionProduceData, defaultProduceRequest, defaultTopicProduceData, type PartitionProduceResponse } from '../../../src/protocol/generated/000-produce.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { forEachBatch } from '../../../src/protocol/records/record-batch.js';
import { decodeRecords } from '../../../src/protocol/records/records.js';
import type { RawClient } from '../../support/raw-client.js';

export async function createTopic(c: RawClient, name: string, numPartitions = 1): Promise<void> {
  const res = await c.request(ApiKey.CreateTopics, 5, { ...defaultCreateTopicsRequest(), timeoutMs: 5000, topics: [{ ...defaultCreatableTopic(), name, numPartitions, replicationFactor: 1 }] });
  if (res.topics[0].errorCode !== 0) throw new Error(`create ${name}: ${res.topics[0].errorCode}`);
}

export function records(opts: { pid: bigint; epoch: number; seq: number; count?: number; txn?: boolean; prefix?: string }): Buffer {
  return buildBatch({
    producerId: opts.pid,
    producerEpoch: opts.epoch,
    baseSequence: opts.seq,
    isTransactional: opts.txn ?? false,
    baseTimestamp: BigInt(Date.now()),
    records: Array.from({ length: opts.count ?? 1 }, (_, i) => ({ key: null, value: Buffer.from(`${opts.prefix ?? 'v'}${opts.seq + i}`) })),
  });
}

export async function produce(c: RawClient, topic: string, partition: number, batch: Buffer, transactionalId: string | null = null, version = 9): Promise<PartitionProduceResponse> {
  const res = await c.request(ApiKey.Produce, version, {
    ...defaultProduceRequest(),
    transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ ...defaultTopicProduceData(), name: topic, partitionData: [{ ...defaultPartitionProduceData(), index: partition, records: batch }] }],
  });
  return res.responses[0].partitionResponses[0];
}

export async function fetchPartition(c: RawClient, topic: string, partition: number, isolationLevel: number, offset = 0n): Promise<{ p: PartitionData; values: string[]; control: number }> {
  const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel,
    topics: [{ ...defaultFetchTopic(), topic, partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = res.responses[0]!.partitions[0]!;
  const values: string[] = [];
  let control = 0;
  const data = p.records as Buffer | null;
  if (data) {
    forEachBatch(data, (h, at) => {
      if (h.isControl) {
        control++;
        return;
      }
      for (const r of decodeRecords(data, at)) values.push(r.value!.toString());
    });
  }
  return { p, values, control };
}

export async function latestOffset(c: RawClient, topic: string, partition: number, isolationLevel: number): Promise<bigint> {
  const res = await c.request(ApiKey.ListOffsets, 5, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    isolationLevel,
    topics: [{ ...defaultListOffsetsTopic(), name: topic, partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: partition, timestamp: -1n }] }],
  });
  return res.topics[0].partitions[0].offset;
}

export const txnApi = {
  init: (c: RawClient, transactionalId: string | null, opts: { timeoutMs?: number; producerId?: bigint; producerEpoch?: number; version?: number } = {}) =>
    c.request(ApiKey.InitProducerId, opts.version ?? 4, {
      transactionalId,
      transactionTimeoutMs: opts.timeoutMs ?? 60_000,
      producerId: opts.producerId ?? -1n,
      producerEpoch: opts.producerEpoch ?? -1,
    }),
  addPartitions: async (c: RawClient, transactionalId: string, pid: bigint, epoch: number, topic: string, partitions: number[], version = 3) => {
    const res = await c.request(ApiKey.AddPartitionsToTxn, version, {
      transactions: [],
      v3AndBelowTransactionalId: transactionalId,
      v3AndBelowProducerId: pid,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: [{ name: topic, partitions }],
    });
    return res.resultsByTopicV3AndBelow as Array<{ name: string; resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }>;
  },
  end: async (c: RawClient, transactionalId: string, pid: bigint, epoch: number, committed: boolean, version = 3) =>
    (await c.request(ApiKey.EndTxn, version, { transactionalId, producerId: pid, producerEpoch: epoch, committed })).errorCode as number,
};
