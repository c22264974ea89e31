/**
 * ExpireDelegationToken (key 40): the owner or a renewer of the token its HMAC names moves its
 * expiry to now plus the request's period (never past the token's maximum timestamp); a
 * negative period removes the token at once. Kafka's errors as for RenewDelegationToken, with
 * ownership checked before expiry.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type ExpireDelegationTokenRequest,
  type ExpireDelegationTokenResponse,
  defaultExpireDelegationTokenResponse,
  codec,
} from '../../protocol/generated/040-expire-delegation-token.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { tokenRequestsAllowed } from '../token-requests.js';

export const expireDelegationTokenHandler = defineHandler<ExpireDelegationTokenRequest, ExpireDelegationTokenResponse>({
  ...schemaVersions(ApiKey.ExpireDelegationToken),
  codec,
  async handle(req, ctx) {
    if (!tokenRequestsAllowed(ctx)) return { ...defaultExpireDelegationTokenResponse(), errorCode: ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, expiryTimestampMs: -1n };
    const expired = await ctx.broker.tokens.expire(ctx.connection.principal, req.hmac, Number(req.expiryTimePeriodMs));
    return { ...defaultExpireDelegationTokenResponse(), errorCode: expired.errorCode, expiryTimestampMs: BigInt(expired.value ?? 0) };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultExpireDelegationTokenResponse(), errorCode, expiryTimestampMs: -1n };
  },
});
