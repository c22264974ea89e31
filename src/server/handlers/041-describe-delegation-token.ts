/**
 * DescribeDelegationToken (key 41), answered by the broker as in Kafka's KafkaApis: refused
 * where token requests are not allowed, DELEGATION_TOKEN_AUTH_DISABLED without a secret key, no
 * tokens for an empty owner list, and otherwise every token (of the named owners or renewers,
 * when owners are named) that the principal owns, requested or may renew, or may see through
 * DESCRIBE on the token or DESCRIBE_TOKENS on its owner.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeDelegationTokenRequest,
  type DescribeDelegationTokenResponse,
  type DescribedDelegationToken,
  defaultDescribeDelegationTokenResponse,
  codec,
} from '../../protocol/generated/041-describe-delegation-token.js';
import { ownerOrRenewer, type TokenInfo } from '../../security/delegation-tokens.js';
import { Operation, ResourceType, authorized } from '../authorize.js';
import { defineHandler, schemaVersions, type RequestContext } from '../handler.js';
import { principalParts, tokenRequestsAllowed } from '../token-requests.js';

/** Kafka's DelegationTokenManager.filterToken. */
function visible(ctx: RequestContext, owners: readonly string[] | null, token: TokenInfo): boolean {
  if (owners !== null && !owners.some((o) => ownerOrRenewer(token, o))) return false;
  if (ownerOrRenewer(token, ctx.connection.principal)) return true;
  return authorized(ctx, Operation.DESCRIBE, ResourceType.DELEGATION_TOKEN, token.tokenId) || authorized(ctx, Operation.DESCRIBE_TOKENS, ResourceType.USER, token.owner);
}

function described(ctx: RequestContext, token: TokenInfo): DescribedDelegationToken {
  const owner = principalParts(token.owner);
  const requester = principalParts(token.requester);
  return {
    principalType: owner.principalType,
    principalName: owner.principalName,
    tokenRequesterPrincipalType: requester.principalType,
    tokenRequesterPrincipalName: requester.principalName,
    issueTimestamp: BigInt(token.issueTimestamp),
    expiryTimestamp: BigInt(token.expiryTimestamp),
    maxTimestamp: BigInt(token.maxTimestamp),
    tokenId: token.tokenId,
    hmac: ctx.broker.tokens.hmacOf(token.tokenId),
    renewers: token.renewers.map(principalParts),
  };
}

export const describeDelegationTokenHandler = defineHandler<DescribeDelegationTokenRequest, DescribeDelegationTokenResponse>({
  ...schemaVersions(ApiKey.DescribeDelegationToken),
  codec,
  handle(req, ctx) {
    const { tokens } = ctx.broker;
    if (!tokenRequestsAllowed(ctx)) return { ...defaultDescribeDelegationTokenResponse(), errorCode: ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED };
    if (!tokens.enabled) return { ...defaultDescribeDelegationTokenResponse(), errorCode: ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED };
    const owners = req.owners === null ? null : req.owners.map((o) => `${o.principalType}:${o.principalName}`);
    const found = owners?.length === 0 ? [] : [...tokens.tokens()].filter((t) => visible(ctx, owners, t));
    return { ...defaultDescribeDelegationTokenResponse(), tokens: found.map((t) => described(ctx, t)) };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeDelegationTokenResponse(), errorCode };
  },
});
