/**
 * DescribeProducers (key 61), v0: the producer state of each partition asked for (Kafka's
 * ProducerStateManager.activeProducers): id, epoch, last sequence, last timestamp, the
 * coordinator epoch of its last marker and the first offset of its open transaction (-1).
 * An unknown partition answers UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type PartitionResponse,
  defaultDescribeProducersResponse,
  defaultPartitionResponse,
  codec,
} from '../../protocol/generated/061-describe-producers.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, Operation, ResourceType } from '../authorize.js';

export const describeProducersHandler = defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  ...schemaVersions(ApiKey.DescribeProducers),
  codec,
  handle(req, ctx) {
    const res = defaultDescribeProducersResponse();
    for (const t of req.topics) {
      if (!authorized(ctx, Operation.READ, ResourceType.TOPIC, t.name)) {
        const denied = (partitionIndex: number) => ({ ...defaultPartitionResponse(), partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' });
        res.topics.push({ name: t.name, partitions: t.partitionIndexes.map(denied) });
        continue;
      }
      const partitions: PartitionResponse[] = t.partitionIndexes.map((partitionIndex) => {
        const log = ctx.broker.topics.partition(t.name, partitionIndex);
        if (!log) {
          return { ...defaultPartitionResponse(), partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
        }
        return {
          ...defaultPartitionResponse(),
          partitionIndex,
          activeProducers: log.producers.entries().map((e) => ({
            producerId: e.producerId,
            producerEpoch: e.producerEpoch,
            lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
            lastTimestamp: e.lastTimestamp,
            coordinatorEpoch: e.coordinatorEpoch,
            currentTxnStartOffset: e.currentTxnFirstOffset,
          })),
        };
      });
      res.topics.push({ name: t.name, partitions });
    }
    return res;
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultDescribeProducersResponse(),
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ ...defaultPartitionResponse(), partitionIndex, errorCode })) })),
    };
  },
});
