/**
 * FindCoordinator (key 10), v0-v6. One node owns every coordinator, so the answer is always
 * this broker: for groups (key type 0) and for transactional ids (key type 1). v0-v3 ask
 * for one key, v4+ for a batch. Other key types are INVALID_REQUEST, as in Kafka. Unlike
 * Kafka, which answers COORDINATOR_NOT_AVAILABLE while __consumer_offsets has no leader,
 * Skiff answers it only while the group coordinator is still loading (it loads before the
 * broker serves, so in practice never). As in Kafka, the first FindCoordinator for a group
 * creates __consumer_offsets.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type Coordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  defaultFindCoordinatorResponse,
  codec,
} from '../../protocol/generated/010-find-coordinator.js';
import { defineHandler, type RequestContext, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

const GROUP = 0;
const TRANSACTION = 1;

/** Kafka's message for NONE is the error's name. */
function messageOf(code: number): string {
  if (code === ErrorCode.NONE) return 'NONE';
  if (code === ErrorCode.INVALID_REQUEST) return 'Invalid coordinator type';
  return 'The coordinator is not available.';
}

function coordinatorFor(key: string, keyType: number, ctx: RequestContext): Coordinator {
  const { broker } = ctx;
  let errorCode: number = ErrorCode.NONE;
  if (keyType !== GROUP && keyType !== TRANSACTION) errorCode = ErrorCode.INVALID_REQUEST;
  else if (keyType === GROUP && broker.groups.isLoading(key)) errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const ok = errorCode === ErrorCode.NONE;
  return {
    key,
    nodeId: ok ? broker.nodeId : -1,
    host: ok ? broker.advertised.host : '',
    port: ok ? broker.advertised.port : -1,
    errorCode,
    errorMessage: messageOf(errorCode),
  };
}

function respond(req: FindCoordinatorRequest, ctx: RequestContext, coordinators: Coordinator[]): FindCoordinatorResponse {
  const res = defaultFindCoordinatorResponse();
  if (ctx.apiVersion >= 4) return { ...res, coordinators };
  const c = coordinators[0]!;
  return {
    ...res,
    errorCode: c.errorCode,
    errorMessage: ctx.apiVersion >= 1 ? c.errorMessage : res.errorMessage,
    nodeId: c.nodeId,
    host: c.host,
    port: c.port,
  };
}

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  ...schemaVersions(ApiKey.FindCoordinator),
  codec,
  async handle(req, ctx) {
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    // Kafka creates __consumer_offsets on the first FindCoordinator for a group.
    if (req.keyType === GROUP && keys.length > 0) {
      await ctx.broker.groups.ensureTopic().catch((err: unknown) => {
        ctx.broker.log.error({ err }, 'could not create __consumer_offsets');
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      });
    }
    return respond(req, ctx, keys.map((k) => coordinatorFor(k, req.keyType, ctx)));
  },
  errorResponse(req, errorCode, ctx) {
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    return respond(req, ctx, keys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })));
  },
});
