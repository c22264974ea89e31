/**
 * RenewDelegationToken (key 39): the owner or a renewer of the token its HMAC names extends
 * its expiry by the request's period (at most delegation.token.expiry.time.ms, never past the
 * token's maximum timestamp), with Kafka's errors: DELEGATION_TOKEN_REQUEST_NOT_ALLOWED,
 * DELEGATION_TOKEN_AUTH_DISABLED, DELEGATION_TOKEN_NOT_FOUND, DELEGATION_TOKEN_EXPIRED,
 * DELEGATION_TOKEN_OWNER_MISMATCH.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type RenewDelegationTokenRequest,
  type RenewDelegationTokenResponse,
  defaultRenewDelegationTokenResponse,
  codec,
} from '../../protocol/generated/039-renew-delegation-token.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { tokenRequestsAllowed } from '../token-requests.js';

export const renewDelegationTokenHandler = defineHandler<RenewDelegationTokenRequest, RenewDelegationTokenResponse>({
  ...schemaVersions(ApiKey.RenewDelegationToken),
  codec,
  async handle(req, ctx) {
    if (!tokenRequestsAllowed(ctx)) return { ...defaultRenewDelegationTokenResponse(), errorCode: ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, expiryTimestampMs: -1n };
    const renewed = await ctx.broker.tokens.renew(ctx.connection.principal, req.hmac, Number(req.renewPeriodMs));
    return { ...defaultRenewDelegationTokenResponse(), errorCode: renewed.errorCode, expiryTimestampMs: BigInt(renewed.value ?? 0) };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultRenewDelegationTokenResponse(), errorCode, expiryTimestampMs: -1n };
  },
});
