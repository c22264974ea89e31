/**
 * Authentication on SASL_PLAINTEXT and SASL_SSL listeners, with the state machine of Kafka's
 * SaslServerAuthenticator: until a client has authenticated it may send ApiVersions, then
 * SaslHandshake naming a mechanism, then that mechanism's tokens (in SaslAuthenticate
 * requests after a v1 handshake, as bare size-prefixed tokens after a v0 one). Any other
 * request closes the connection. A failed exchange is answered with SASL_AUTHENTICATION_FAILED
 * after connection.failed.authentication.delay.ms, and the connection is closed.
 */
import type { Logger } from '../log.js';
import { parseListeners } from '../config/listeners.js';
import { failedAuthenticationDelayMs, listenerSecurity, maxReauthMs, oauthValidator, type SaslMechanism, type SecuritySettings } from '../config/security.js';
import { API_INFO, ApiKey } from '../protocol/generated/api-keys.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { DecodeError } from '../protocol/codec/errors.js';
import { encodeResponse, readRequestFrame } from '../protocol/frame.js';
import { codec as handshakeCodec } from '../protocol/generated/017-sasl-handshake.js';
import { codec as authenticateCodec } from '../protocol/generated/036-sasl-authenticate.js';
import { parseJaasConfig } from '../security/jaas.js';
import { PlainServer, type PlainUsers } from '../security/sasl-plain.js';
import { OAuthBearerServer, unsecuredValidator, unsecuredValidatorOptions, type TokenValidator } from '../security/sasl-oauthbearer.js';
import { signedJwtValidator } from '../security/oauthbearer-jwt.js';
import { SaslAuthenticationError, SaslError, type SaslServer } from '../security/sasl-errors.js';
import { ScramServer, type ScramMechanism, type TokenCredentialLookup } from '../security/scram.js';
import type { DelegationTokenStore } from '../security/delegation-tokens.js';
import type { ScramCredentialStore } from '../security/scram-credentials.js';
import type { ConnectionContext, Dispatch, DispatchResult } from './connection.js';

interface ListenerSasl {
  mechanisms: readonly SaslMechanism[];
  plainUsers: PlainUsers;
  oauth: TokenValidator;
}

interface Session {
  state: 'versions-or-handshake' | 'handshake' | 'authenticate';
  /** KIP-368 re-authentication of an authenticated connection: the principal it must keep. */
  reauthenticating: string | undefined;
  /** After a v0 handshake, tokens come without Kafka request headers. */
  unframed: boolean;
  mechanism: SaslMechanism;
  server: SaslServer | undefined;
  /** Once authenticated: the session lifetime told to the client (0: none). */
  lifetimeMs: number;
}

function close(reason: string): DispatchResult {
  return { kind: 'close', reason };
}

export class SaslAuthenticator {
  readonly #listeners = new Map<string, ListenerSasl>();
  readonly #sessions = new WeakMap<ConnectionContext, Session>();
  /** When each authenticated connection's session ends (connections.max.reauth.ms > 0). */
  readonly #expiries = new WeakMap<ConnectionContext, number>();
  readonly #failureDelayMs: number;
  readonly #sessionLifetimeMs: number;

  constructor(
    security: SecuritySettings,
    listeners: string,
    private readonly scram: ScramCredentialStore,
    private readonly tokens: DelegationTokenStore,
    private readonly log: Logger,
  ) {
    this.#failureDelayMs = failedAuthenticationDelayMs(security);
    this.#sessionLifetimeMs = maxReauthMs(security);
    for (const endpoint of parseListeners(listeners)) {
      const sec = listenerSecurity(endpoint, security);
      if (sec.mechanisms.length === 0) continue;
      const plainUsers = new Map<string, string>();
      const jaas = sec.get('plain.sasl.jaas.config');
      if (jaas !== undefined) {
        for (const [key, value] of parseJaasConfig(jaas, sec.source('plain.sasl.jaas.config')).options) {
          if (key.startsWith('user_')) plainUsers.set(key.slice('user_'.length), value);
        }
      }
      const oauthJaas = sec.get('oauthbearer.sasl.jaas.config');
      const oauth =
        oauthValidator(sec.get('oauthbearer.sasl.server.callback.handler.class')) === 'signed' && sec.mechanisms.includes('OAUTHBEARER')
          ? signedJwtValidator(sec, log)
          : unsecuredValidator(unsecuredValidatorOptions(oauthJaas === undefined ? new Map() : parseJaasConfig(oauthJaas, sec.source('oauthbearer.sasl.jaas.config')).options));
      this.#listeners.set(endpoint.name, { mechanisms: sec.mechanisms, plainUsers, oauth });
    }
  }

  /** Answers a frame from a connection that has not authenticated yet; `next` serves ApiVersions. */
  handle(frame: Buffer, conn: ConnectionContext, next: Dispatch): Promise<DispatchResult> | DispatchResult {
    const listener = this.#listeners.get(conn.listenerName);
    if (listener === undefined) return close(`no SASL mechanisms on listener ${conn.listenerName}`);
    let session = this.#sessions.get(conn);
    if (session === undefined) {
      session = { state: 'versions-or-handshake', reauthenticating: undefined, unframed: false, mechanism: 'PLAIN', server: undefined, lifetimeMs: 0 };
      this.#sessions.set(conn, session);
    }
    if (session.state === 'authenticate' && session.unframed) return this.#unframedToken(frame, conn, session);
    if (frame.length < 8) return close(`request of ${frame.length} bytes`);
    const apiKey = frame.readInt16BE(0);
    const name = API_INFO.get(apiKey)?.name ?? `key ${apiKey}`;
    if (session.state === 'authenticate') {
      if (apiKey !== ApiKey.SaslAuthenticate) return close(`Unexpected Kafka request of type ${name} during SASL authentication`);
      return this.#authenticate(frame, conn, session);
    }
    if (apiKey === ApiKey.ApiVersions && session.state === 'versions-or-handshake') {
      session.state = 'handshake';
      return next(frame, conn);
    }
    if (apiKey === ApiKey.SaslHandshake) return this.#handshake(frame, listener, session);
    return close(`Unexpected Kafka request of type ${name} during SASL handshake`);
  }

  /**
   * For an authenticated connection: the answer when SASL takes the frame (KIP-368
   * re-authentication, begun by a SaslHandshake; a session past its lifetime is closed), or
   * undefined when the request is served as usual.
   */
  handleAuthenticated(frame: Buffer, conn: ConnectionContext, next: Dispatch): Promise<DispatchResult> | DispatchResult | undefined {
    if (!this.#listeners.has(conn.listenerName)) return undefined;
    if (!this.#sessions.has(conn)) {
      const apiKey = frame.length >= 8 ? frame.readInt16BE(0) : -1;
      // As Kafka: only a session with a lifetime can be re-authenticated; otherwise the
      // handshake goes to its handler (ILLEGAL_SASL_STATE).
      if (apiKey === ApiKey.SaslHandshake && this.#expiries.has(conn)) {
        this.#sessions.set(conn, { state: 'handshake', reauthenticating: conn.principal, unframed: false, mechanism: 'PLAIN', server: undefined, lifetimeMs: 0 });
      } else {
        const expiry = this.#expiries.get(conn);
        if (expiry === undefined || Date.now() < expiry) return undefined;
        return close('session expired without re-authentication (connections.max.reauth.ms)');
      }
    }
    return this.handle(frame, conn, next);
  }

  #handshake(frame: Buffer, listener: ListenerSasl, session: Session): DispatchResult {
    const decoded = this.#decode(frame, handshakeCodec);
    if (typeof decoded === 'string') return close(decoded);
    const { version, correlationId, request } = decoded;
    const mechanism = request.mechanism as SaslMechanism;
    const enabled = listener.mechanisms.includes(mechanism);
    const response = {
      errorCode: enabled ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: [...listener.mechanisms],
    };
    const chunks = [encodeResponse(handshakeCodec, version, correlationId, response)];
    if (!enabled) return { kind: 'response', chunks, close: `unsupported SASL mechanism ${request.mechanism}` };
    session.state = 'authenticate';
    session.unframed = version === 0;
    session.mechanism = mechanism;
    session.server =
      mechanism === 'PLAIN'
        ? new PlainServer(listener.plainUsers)
        : mechanism === 'OAUTHBEARER'
          ? new OAuthBearerServer(listener.oauth)
          : new ScramServer(mechanism, (user, m) => this.scram.get(user, m), (tokenId, m) => this.#tokenCredential(tokenId, m));
    return { kind: 'response', chunks };
  }

  #authenticate(frame: Buffer, conn: ConnectionContext, session: Session): Promise<DispatchResult> | DispatchResult {
    const decoded = this.#decode(frame, authenticateCodec);
    if (typeof decoded === 'string') return close(decoded);
    const { version, correlationId, request } = decoded;
    const answer = (errorCode: number, errorMessage: string | null, authBytes: Buffer, sessionLifetimeMs = 0): Buffer =>
      encodeResponse(authenticateCodec, version, correlationId, { errorCode, errorMessage, authBytes, sessionLifetimeMs: BigInt(sessionLifetimeMs) });
    const outcome = this.#evaluate(request.authBytes, conn, session);
    if (outcome.failure !== undefined) {
      return this.#afterDelay({ kind: 'response', chunks: [answer(ErrorCode.SASL_AUTHENTICATION_FAILED, outcome.failure, Buffer.alloc(0))], close: 'authentication failed' });
    }
    return { kind: 'response', chunks: [answer(ErrorCode.NONE, null, outcome.challenge, session.lifetimeMs)] };
  }

  #unframedToken(frame: Buffer, conn: ConnectionContext, session: Session): Promise<DispatchResult> | DispatchResult {
    const outcome = this.#evaluate(frame, conn, session);
    // Without Kafka headers there is no way to say why: the connection just closes.
    if (outcome.failure !== undefined) return this.#afterDelay(close('authentication failed'));
    return { kind: 'response', chunks: [outcome.challenge] };
  }

  #evaluate(token: Buffer, conn: ConnectionContext, session: Session): { challenge: Buffer; failure?: undefined } | { failure: string } {
    const server = session.server!;
    try {
      const challenge = server.evaluate(token);
      if (server.complete) {
        const principal = `User:${server.authorizationId}`;
        if (session.reauthenticating !== undefined && session.reauthenticating !== principal) {
          throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${session.reauthenticating}: ${principal}`);
        }
        conn.principal = principal;
        conn.authenticated = true;
        conn.tokenAuthenticated = server.tokenAuthenticated === true;
        this.#sessions.delete(conn);
        session.lifetimeMs = this.#lifetimeMs(server);
        if (session.lifetimeMs > 0) this.#expiries.set(conn, Date.now() + session.lifetimeMs);
        else this.#expiries.delete(conn);
        this.log.debug({ conn: conn.id, principal: conn.principal, mechanism: session.mechanism }, 'client authenticated');
      }
      return { challenge };
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError) && !(err instanceof SaslError)) throw err;
      this.log.info({ conn: conn.id, remote: conn.remoteAddress, mechanism: session.mechanism, reason: err.message }, 'failed authentication');
      return {
        failure:
          err instanceof SaslAuthenticationError
            ? err.message
            : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${session.mechanism}`,
      };
    }
  }

  /**
   * As Kafka's SaslServerAuthenticator: connections.max.reauth.ms, shortened to the end of the
   * credential where it has one (a delegation token's expiry); 0 when neither applies.
   */
  #lifetimeMs(server: SaslServer): number {
    const expiry = server.credentialExpiryMs;
    if (expiry === undefined) return this.#sessionLifetimeMs;
    const untilExpiry = Math.max(0, expiry - Date.now());
    return this.#sessionLifetimeMs > 0 ? Math.min(untilExpiry, this.#sessionLifetimeMs) : untilExpiry;
  }

  #tokenCredential(tokenId: string, mechanism: ScramMechanism): ReturnType<TokenCredentialLookup> {
    const found = this.tokens.scramCredential(tokenId, mechanism);
    if (found === undefined) return undefined;
    // Kafka's token cache gives the owner's name; the principal is then User:<name>.
    const owner = found.token.owner;
    return { credential: found.credential, ownerName: owner.slice(owner.indexOf(':') + 1), expiryMs: found.token.expiryTimestamp };
  }

  #afterDelay(result: DispatchResult): Promise<DispatchResult> | DispatchResult {
    if (this.#failureDelayMs === 0) return result;
    return new Promise((resolve) => setTimeout(() => resolve(result), this.#failureDelayMs).unref());
  }

  #decode<Req>(
    frame: Buffer,
    codec: { apiKey: number; decodeRequest(r: ReturnType<typeof readRequestFrame>['body'], version: number): Req },
  ): { version: number; correlationId: number; request: Req } | string {
    const info = API_INFO.get(codec.apiKey)!;
    const version = frame.readInt16BE(2);
    if (version < info.minVersion || version > info.maxVersion) return `${info.name} version ${version} is not supported`;
    try {
      const { header, body } = readRequestFrame(frame);
      return { version, correlationId: header.correlationId, request: codec.decodeRequest(body, version) };
    } catch (err) {
      if (err instanceof DecodeError) return err.message;
      throw err;
    }
  }
}
