/**
 * The two ways a SASL exchange fails in Kafka. A SaslAuthenticationError's message goes to the
 * client as it is; any other failure (a malformed SCRAM message, an unknown user, a wrong
 * proof) is answered with one generic message, so that a client learns nothing about why.
 */
export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError';
}

export class SaslError extends Error {
  override readonly name = 'SaslError';
}

/** The server side of one mechanism's exchange: one call per client token. */
export interface SaslServer {
  /** Returns the server's next token; throws SaslAuthenticationError or SaslError. */
  evaluate(token: Buffer): Buffer;
  readonly complete: boolean;
  /** The authenticated user name, once complete. */
  readonly authorizationId: string;
  /** Once complete: true when a delegation token authenticated the client (SCRAM tokenauth). */
  readonly tokenAuthenticated?: boolean;
  /** Once complete: when the credential stops being valid (ms since the epoch), where it has an end. */
  readonly credentialExpiryMs?: number;
}
