/**
 * CreateDelegationToken (key 38), as Kafka's KafkaApis and controller answer it: refused
 * where token requests are not allowed (DELEGATION_TOKEN_REQUEST_NOT_ALLOWED); a token for
 * another owner (KIP-373) needs CREATE_TOKENS on that user (else
 * DELEGATION_TOKEN_AUTHORIZATION_FAILED); renewers must be users (INVALID_PRINCIPAL_TYPE);
 * without delegation.token.secret.key, DELEGATION_TOKEN_AUTH_DISABLED. The token's lifetime is
 * the smaller of the request's and delegation.token.max.lifetime.ms.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type CreateDelegationTokenRequest,
  type CreateDelegationTokenResponse,
  defaultCreateDelegationTokenResponse,
  codec,
} from '../../protocol/generated/038-create-delegation-token.js';
import { Operation, ResourceType, authorized } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { principalParts, tokenRequestsAllowed } from '../token-requests.js';

/** The owner, and from v3 the requester, as Kafka's CreateDelegationTokenResponse.prepareResponse sets them. */
function principals(owner: string, requester: string, version: number): Partial<CreateDelegationTokenResponse> {
  const o = principalParts(owner);
  if (version < 3) return o;
  const r = principalParts(requester);
  return { ...o, tokenRequesterPrincipalType: r.principalType, tokenRequesterPrincipalName: r.principalName };
}

/** Refused before reaching the token store: both principals and -1 timestamps, as Kafka answers. */
function refused(errorCode: number, owner: string, requester: string, version: number): CreateDelegationTokenResponse {
  return {
    ...defaultCreateDelegationTokenResponse(),
    ...principals(owner, requester, version),
    errorCode,
    issueTimestampMs: -1n,
    expiryTimestampMs: -1n,
    maxTimestampMs: -1n,
  };
}

function ownerOf(req: CreateDelegationTokenRequest, requester: string): string {
  if (req.ownerPrincipalName === null || req.ownerPrincipalName === '') return requester;
  return `${req.ownerPrincipalType ?? 'User'}:${req.ownerPrincipalName}`;
}

export const createDelegationTokenHandler = defineHandler<CreateDelegationTokenRequest, CreateDelegationTokenResponse>({
  ...schemaVersions(ApiKey.CreateDelegationToken),
  codec,
  async handle(req, ctx) {
    const requester = ctx.connection.principal;
    const owner = ownerOf(req, requester);
    const version = ctx.apiVersion;
    if (!tokenRequestsAllowed(ctx)) return refused(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, owner, requester, version);
    if (owner !== requester && !authorized(ctx, Operation.CREATE_TOKENS, ResourceType.USER, owner)) {
      return refused(ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED, owner, requester, version);
    }
    if (req.renewers.some((r) => r.principalType !== 'User')) return refused(ErrorCode.INVALID_PRINCIPAL_TYPE, owner, requester, version);
    const renewers = req.renewers.map((r) => `${r.principalType}:${r.principalName}`);
    const created = await ctx.broker.tokens.create(owner, requester, renewers, Number(req.maxLifetimeMs));
    // The controller's refusal keeps the principals and leaves the timestamps at 0.
    if (created.value === undefined) return { ...defaultCreateDelegationTokenResponse(), ...principals(owner, requester, version), errorCode: created.errorCode };
    const token = created.value;
    return {
      ...defaultCreateDelegationTokenResponse(),
      ...principals(owner, requester, version),
      issueTimestampMs: BigInt(token.issueTimestamp),
      expiryTimestampMs: BigInt(token.expiryTimestamp),
      maxTimestampMs: BigInt(token.maxTimestamp),
      tokenId: token.tokenId,
      hmac: ctx.broker.tokens.hmacOf(token.tokenId),
    };
  },
  errorResponse(req, errorCode, ctx) {
    const requester = ctx.connection.principal;
    return refused(errorCode, ownerOf(req, requester), requester, ctx.apiVersion);
  },
});
