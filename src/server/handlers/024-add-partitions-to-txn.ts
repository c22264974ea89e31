/**
 * AddPartitionsToTxn (key 24), v0-v5. v0-v3 (clients) add one transaction's partitions; v4+
 * (brokers, KIP-890) carry a batch of transactions, each either added or, with verifyOnly,
 * only checked (NONE for a partition already in the transaction, INVALID_TXN_STATE otherwise).
 * As in Kafka's KafkaApis, when any partition is unknown the whole transaction fails: those
 * partitions get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED; otherwise
 * every partition gets the coordinator's answer (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
 * below v2). Clients (v0-v3) need WRITE on the transactional id and on each topic; brokers
 * (v4+) CLUSTER_ACTION on the cluster, else the whole request fails.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnTopic,
  type AddPartitionsToTxnTopicResult,
  defaultAddPartitionsToTxnResponse,
  codec,
} from '../../protocol/generated/024-add-partitions-to-txn.js';
import type { BrokerServices } from '../services.js';
import { authorized, Operation, ResourceType, requireAuthorized, requireAuthorizedOnCluster } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

function uniform(topics: AddPartitionsToTxnTopic[], code: (topic: string, partition: number) => number): AddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));
}

async function handleOne(
  broker: BrokerServices,
  apiVersion: number,
  t: { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: AddPartitionsToTxnTopic[] },
  mayWrite: (topic: string) => boolean,
): Promise<AddPartitionsToTxnTopicResult[]> {
  const partitions = t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.name, partition })));
  // Kafka refuses the whole transaction's list when a topic may not be written (WRITE on topic).
  const denied = new Set(t.topics.filter((x) => !mayWrite(x.name)).map((x) => x.name));
  if (denied.size > 0) {
    return uniform(t.topics, (topic) => (denied.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const unknown = new Set(partitions.filter((p) => !broker.topics.partition(p.topic, p.partition)).map((p) => `${p.topic}:${p.partition}`));
  if (unknown.size > 0) {
    return uniform(t.topics, (topic, p) => (unknown.has(`${topic}:${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  if (t.verifyOnly) {
    const codes = broker.txn.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, partitions);
    let i = 0;
    return uniform(t.topics, () => codes[i++]!);
  }
  let code = await broker.txn.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, partitions);
  if (code === ErrorCode.PRODUCER_FENCED && apiVersion < 2) code = ErrorCode.INVALID_PRODUCER_EPOCH;
  return uniform(t.topics, () => code);
}

export const addPartitionsToTxnHandler = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  ...schemaVersions(ApiKey.AddPartitionsToTxn),
  codec,
  async handle(req, ctx) {
    const res = defaultAddPartitionsToTxnResponse();
    if (ctx.apiVersion < 4) {
      requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId);
      const mayWrite = (topic: string) => authorized(ctx, Operation.WRITE, ResourceType.TOPIC, topic);
      res.resultsByTopicV3AndBelow = await handleOne(ctx.broker, ctx.apiVersion, {
        transactionalId: req.v3AndBelowTransactionalId,
        producerId: req.v3AndBelowProducerId,
        producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: req.v3AndBelowTopics,
      }, mayWrite);
      return res;
    }
    // v4+ comes from brokers only: CLUSTER_ACTION, and no topic checks (the producer's were made).
    requireAuthorizedOnCluster(ctx, Operation.CLUSTER_ACTION);
    for (const t of req.transactions) {
      res.resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await handleOne(ctx.broker, ctx.apiVersion, t, () => true) });
    }
    return res;
  },
  errorResponse(req, errorCode, ctx) {
    const res = defaultAddPartitionsToTxnResponse();
    if (ctx.apiVersion < 4) res.resultsByTopicV3AndBelow = uniform(req.v3AndBelowTopics, () => errorCode);
    else res.errorCode = errorCode;
    return res;
  },
});
