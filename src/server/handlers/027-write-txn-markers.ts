/**
 * WriteTxnMarkers (key 27), v1-v2 (v0, not flexible, is gone from Kafka 4 as well). Kafka's
 * coordinators send it to partition leaders; clients send it too: the admin client's
 * abortTransaction (`kafka-transactions abort`) ends a hanging transaction on one partition
 * with it. Each partition gets a COMMIT or ABORT marker for the producer id and epoch, as
 * Kafka's KafkaApis.handleWriteTxnMarkersRequest: UNKNOWN_TOPIC_OR_PARTITION for a partition
 * the broker does not have, INVALID_PRODUCER_EPOCH for an epoch older than the partition's,
 * TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch. A marker on
 * __consumer_offsets also commits or drops the producer's pending offsets. v2's
 * TransactionVersion needs nothing more here: the partition accepts any epoch not older than
 * its own, the bumped epochs of transactions v2 included.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  defaultWriteTxnMarkersResponse,
  codec,
} from '../../protocol/generated/027-write-txn-markers.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

const MIN_VERSION = 1;

function uniform(req: WriteTxnMarkersRequest, errorCode: number): WriteTxnMarkersResponse {
  return {
    ...defaultWriteTxnMarkersResponse(),
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
    })),
  };
}

export const writeTxnMarkersHandler = defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  ...schemaVersions(ApiKey.WriteTxnMarkers),
  minVersion: MIN_VERSION,
  codec,
  async handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.CLUSTER_ACTION);
    const { txn } = ctx.broker;
    const res = defaultWriteTxnMarkersResponse();
    // One marker after another: markers for the same partition keep the request's order.
    for (const m of req.markers) {
      const topics = [];
      for (const t of m.topics) {
        const partitions = [];
        for (const partitionIndex of t.partitionIndexes) {
          const errorCode = await txn.writeMarker({ topic: t.name, partition: partitionIndex }, m.producerId, m.producerEpoch, m.coordinatorEpoch, m.transactionResult);
          partitions.push({ partitionIndex, errorCode });
        }
        topics.push({ name: t.name, partitions });
      }
      res.markers.push({ producerId: m.producerId, topics });
    }
    return res;
  },
  errorResponse: uniform,
});
