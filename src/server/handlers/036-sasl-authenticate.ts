/**
 * SaslAuthenticate (key 36), v0-v2, as KafkaApis answers it once no authentication is under
 * way: ILLEGAL_SASL_STATE. During authentication on a SASL listener the SASL authenticator
 * answers instead (src/server/sasl-authenticator.ts).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
  defaultSaslAuthenticateResponse,
  codec,
} from '../../protocol/generated/036-sasl-authenticate.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  ...schemaVersions(ApiKey.SaslAuthenticate),
  codec,
  handle() {
    return {
      ...defaultSaslAuthenticateResponse(),
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultSaslAuthenticateResponse(), errorCode };
  },
});
