/**
 * InitProducerId (key 22), v0-v5. Without a transactional id: a fresh producer id (epoch 0)
 * from the persisted id blocks, whatever id and epoch the request carries, as Kafka does.
 * With one: the transaction coordinator fences the previous epoch (aborting its open
 * transaction first, answering CONCURRENT_TRANSACTIONS so the client retries) and bumps the
 * epoch; v3+ may pass the current producer id and epoch to recover (KIP-360). Errors as
 * Kafka's KafkaApis and TransactionCoordinator: producerId set without epoch (or the
 * reverse) is INVALID_REQUEST, an empty transactional id INVALID_REQUEST, a timeout outside
 * (0, transaction.max.timeout.ms] INVALID_TRANSACTION_TIMEOUT, and PRODUCER_FENCED is
 * INVALID_PRODUCER_EPOCH below v4. Authorization as Kafka's: WRITE on the transactional id, or
 * for an idempotent producer IDEMPOTENT_WRITE on the cluster or WRITE on any topic
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  defaultInitProducerIdResponse,
  codec,
} from '../../protocol/generated/022-init-producer-id.js';
import { Operation, ResourceType, authorizedOnAnyOf, authorizedOnCluster, requireAuthorized } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

function errorAnswer(errorCode: number): InitProducerIdResponse {
  return { ...defaultInitProducerIdResponse(), errorCode, producerId: -1n, producerEpoch: -1 };
}

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  ...schemaVersions(ApiKey.InitProducerId),
  codec,
  async handle(req, ctx) {
    if (req.transactionalId !== null) requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
    else if (!authorizedOnCluster(ctx, Operation.IDEMPOTENT_WRITE) && !authorizedOnAnyOf(ctx, Operation.WRITE, ResourceType.TOPIC)) {
      return errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const noId = req.producerId === -1n;
    const noEpoch = req.producerEpoch === -1;
    if (noId !== noEpoch) return errorAnswer(ErrorCode.INVALID_REQUEST);
    const expected = noId ? undefined : { producerId: req.producerId, producerEpoch: req.producerEpoch };
    const r = await ctx.broker.txn.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    if (r.errorCode !== ErrorCode.NONE) {
      return errorAnswer(r.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode);
    }
    return { ...defaultInitProducerIdResponse(), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, errorCode) {
    return errorAnswer(errorCode);
  },
});
