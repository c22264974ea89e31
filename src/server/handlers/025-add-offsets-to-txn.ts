/**
 * AddOffsetsToTxn (key 25), v0-v4: adds the group's __consumer_offsets partition (Kafka's
 * partitionFor: the group id's Java hash modulo offsets.topic.num.partitions) to the
 * transaction, so that EndTxn writes a marker there and the group's TxnOffsetCommit offsets
 * become visible on commit. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  defaultAddOffsetsToTxnResponse,
  codec,
} from '../../protocol/generated/025-add-offsets-to-txn.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../cluster/topic-names.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const addOffsetsToTxnHandler = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  ...schemaVersions(ApiKey.AddOffsetsToTxn),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId);
    const { txn } = ctx.broker;
    // The transaction's markers will be written to the group's partition: it must exist.
    await ctx.broker.groups.ensureTopic();
    const partition = txn.offsetsPartitionFor(req.groupId);
    let errorCode = await txn.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }]);
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { ...defaultAddOffsetsToTxnResponse(), errorCode };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultAddOffsetsToTxnResponse(), errorCode };
  },
});
