/**
 * SaslHandshake (key 17), v0-v1, as KafkaApis answers it: on a connection that needs no (more)
 * authentication, on a PLAINTEXT or SSL listener or after SASL completed, ILLEGAL_SASL_STATE.
 * Before authentication on a SASL listener the SASL authenticator answers instead
 * (src/server/sasl-authenticator.ts).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type SaslHandshakeRequest, type SaslHandshakeResponse, defaultSaslHandshakeResponse, codec } from '../../protocol/generated/017-sasl-handshake.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  ...schemaVersions(ApiKey.SaslHandshake),
  codec,
  handle() {
    return { ...defaultSaslHandshakeResponse(), errorCode: ErrorCode.ILLEGAL_SASL_STATE };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultSaslHandshakeResponse(), errorCode };
  },
});
