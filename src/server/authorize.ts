/**
 * What handlers ask before acting: may this request's principal, from its host, do `operation`
 * on a resource? Always yes without an authorizer (authorizer.class.name unset). One call per
 * check, so that each handler's checks read as Kafka's KafkaApis makes them.
 */
import { Operation, ResourceType, CLUSTER_NAME } from '../security/acl.js';
import { normalizeAddress } from './connection-quotas.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { KafkaError } from '../errors.js';
import type { RequestContext } from './handler.js';

export { Operation, ResourceType };

export function authorized(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined) return true;
  const { principal, remoteAddress } = ctx.connection;
  return authorizer.authorize({ principal, host: normalizeAddress(remoteAddress) }, operation, resourceType, resourceName);
}

/** Kafka's authorizeByResourceType: may the principal do `operation` on any resource of the type? */
export function authorizedOnAnyOf(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined) return true;
  const { principal, remoteAddress } = ctx.connection;
  return authorizer.authorizeByResourceType({ principal, host: normalizeAddress(remoteAddress) }, operation, resourceType);
}

export function authorizedOnCluster(ctx: RequestContext, operation: number): boolean {
  return authorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);
}

/** The operations of `candidates` the principal may do on a resource (KIP-430's authorized operations). */
export function authorizedOperations(ctx: RequestContext, resourceType: number, resourceName: string, candidates: number): number {
  if (ctx.broker.authorizer === undefined) return candidates;
  let out = 0;
  for (let op = 0; op < 31; op++) {
    if ((candidates & (1 << op)) !== 0 && authorized(ctx, op, resourceType, resourceName)) out |= 1 << op;
  }
  return out;
}

const DENIED_CODE: Readonly<Record<number, number>> = {
  [ResourceType.TOPIC]: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  [ResourceType.GROUP]: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  [ResourceType.CLUSTER]: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  [ResourceType.TRANSACTIONAL_ID]: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  [ResourceType.DELEGATION_TOKEN]: ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED,
};

/** Kafka's error code for an operation denied on a resource of `resourceType`. */
export function deniedCode(resourceType: number): number {
  return DENIED_CODE[resourceType] ?? ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/**
 * For checks that fail the whole request: throws KafkaError with the resource type's
 * *_AUTHORIZATION_FAILED code, which the handler's errorResponse puts everywhere, as Kafka does.
 */
export function requireAuthorized(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): void {
  if (!authorized(ctx, operation, resourceType, resourceName)) throw new KafkaError(deniedCode(resourceType));
}

/** requireAuthorized on the cluster resource: Kafka's authorizeClusterOperation. */
export function requireAuthorizedOnCluster(ctx: RequestContext, operation: number): void {
  requireAuthorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);
}
