/**
 * TxnOffsetCommit (key 28), v0-v5: offsets committed inside a transaction, visible only once
 * the transaction commits. As Kafka's handleTxnOffsetCommitRequest and GroupCoordinatorService:
 * partitions of unknown topics are UNKNOWN_TOPIC_OR_PARTITION (the rest go on), an empty group
 * id is INVALID_GROUP_ID, then the transaction side is checked (the group's __consumer_offsets
 * partition must be in the producer's ongoing transaction, through AddOffsetsToTxn, else
 * INVALID_TXN_STATE; a stale epoch is PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH below v3),
 * and the group coordinator validates the group and member and writes the offsets as a
 * transactional batch of the producer (TxnOffsetsParticipant): pending until the marker.
 * While no group coordinator has registered as participant, every partition answers
 * COORDINATOR_NOT_AVAILABLE. v5 is transactions v2 (KIP-890): the client sends no
 * AddOffsetsToTxn, so the group's partition is added to the transaction here first.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
  defaultTxnOffsetCommitResponse,
  codec,
} from '../../protocol/generated/028-txn-offset-commit.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../cluster/topic-names.js';
import { authorized, Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { TRANSACTION_VERSION_2 } from '../../coordinator/txn/transaction-metadata.js';
import { defineHandler, schemaVersions } from '../handler.js';

/** The first version on transactions v2. */
const V2_VERSION = 5;
/** From v4 a group partition outside the transaction is TRANSACTION_ABORTABLE (KIP-890), before INVALID_TXN_STATE. */
const ABORTABLE_VERSION = 4;

/**
 * Transactions v2: the coordinator's answer to adding the group's partition, as Kafka's group
 * coordinator reports it (through the produce path's verification): a stale epoch is
 * INVALID_PRODUCER_EPOCH, a transaction being ended COORDINATOR_NOT_AVAILABLE (retriable).
 */
function implicitAddCode(code: number): number {
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code === ErrorCode.CONCURRENT_TRANSACTIONS) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (code === ErrorCode.INVALID_PRODUCER_ID_MAPPING) return ErrorCode.INVALID_TXN_STATE;
  return code;
}

function uniform(req: TxnOffsetCommitRequest, code: (ti: number, pi: number) => number): TxnOffsetCommitResponse {
  return {
    ...defaultTxnOffsetCommitResponse(),
    topics: req.topics.map((t, ti) => ({ name: t.name, partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: code(ti, pi) })) })),
  };
}

export const txnOffsetCommitHandler = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  ...schemaVersions(ApiKey.TxnOffsetCommit),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    requireAuthorized(ctx, Operation.READ, ResourceType.GROUP, req.groupId);
    const { txn, topics } = ctx.broker;
    // Kafka answers partitions the metadata does not know for itself and commits the others.
    // Topics the principal may not READ are answered TOPIC_AUTHORIZATION_FAILED, like unknown ones.
    const readable = req.topics.map((t) => authorized(ctx, Operation.READ, ResourceType.TOPIC, t.name));
    const known = req.topics.map((t, ti) => {
      const info = topics.get(t.name);
      return t.partitions.map((p) => readable[ti]! && info !== undefined && p.partitionIndex >= 0 && p.partitionIndex < info.partitions);
    });
    const unknown = (ti: number, pi: number) => !known[ti]![pi]!;
    const refused = (ti: number) => (readable[ti] ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const withUnknown = (code: (ti: number, pi: number) => number) => uniform(req, (ti, pi) => (unknown(ti, pi) ? refused(ti) : code(ti, pi)));
    if (known.every((ps) => ps.every((k) => !k))) return withUnknown(() => ErrorCode.NONE);
    if (req.groupId === '') return withUnknown(() => ErrorCode.INVALID_GROUP_ID);

    const partition = txn.offsetsPartitionFor(req.groupId);
    if (ctx.apiVersion >= V2_VERSION) {
      const added = implicitAddCode(await txn.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }], TRANSACTION_VERSION_2));
      if (added !== ErrorCode.NONE) return withUnknown(() => added);
    }
    const check = () => {
      let code = txn.verifyPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }])[0]!;
      if (code === ErrorCode.INVALID_TXN_STATE && ctx.apiVersion >= ABORTABLE_VERSION) code = ErrorCode.TRANSACTION_ABORTABLE;
      if (code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 3) code = ErrorCode.INVALID_PRODUCER_EPOCH;
      if (code === ErrorCode.INVALID_PRODUCER_ID_MAPPING) code = ErrorCode.INVALID_TXN_STATE;
      return code;
    };
    const code = check();
    if (code !== ErrorCode.NONE) return withUnknown(() => code);
    const participant = txn.offsetsParticipant;
    if (!participant) return withUnknown(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);

    // Only the known partitions go to the group coordinator; map its codes back.
    const sent = req.topics
      .map((t, ti) => ({ ti, name: t.name, partitions: t.partitions.flatMap((p, pi) => (known[ti]![pi] ? [{ pi, p }] : [])) }))
      .filter((t) => t.partitions.length > 0);
    const result = await participant.commitTransactionalOffsets({
      transactionalId: req.transactionalId,
      groupId: req.groupId,
      producerId: req.producerId,
      producerEpoch: req.producerEpoch,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      apiVersion: ctx.apiVersion,
      topics: sent.map((t) => ({ name: t.name, partitions: t.partitions.map(({ p }) => p) })),
      verify: check,
    });
    if (typeof result === 'number') return withUnknown(() => result);
    const codes = new Map<string, number>();
    sent.forEach((t, i) => t.partitions.forEach(({ pi }, j) => codes.set(`${t.ti}:${pi}`, result[i]?.[j] ?? ErrorCode.NONE)));
    return withUnknown((ti, pi) => codes.get(`${ti}:${pi}`) ?? ErrorCode.NONE);
  },
  errorResponse(req, errorCode) {
    return uniform(req, () => errorCode);
  },
});
