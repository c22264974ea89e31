import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import type { SecurityProtocol } from '../config/security.js';
import type { ListenerTls } from '../security/tls-context.js';
import { rfc2253 } from '../security/ssl-principal.js';
import { Connection, type ConnectionLimits, type Dispatch } from './connection.js';
import { ConnectionCounts, UNLIMITED_CONNECTIONS, type ConnectionQuotaSettings } from './connection-quotas.js';
import { RequestMemoryPool } from './request-memory.js';

export interface ListenerOptions {
  /** Address to bind; '0.0.0.0' or '::' for every interface. */
  host: string;
  /** 0 picks a free port; read the bound one from `listener.port`. */
  port: number;
  dispatch: Dispatch;
  logger: Logger;
  limits?: Partial<ConnectionLimits>;
  /** queued.max.request.bytes: request bytes all connections may hold at once; <= 0 unbounded. */
  queuedMaxRequestBytes?: number;
  quotas?: ConnectionQuotaSettings;
  /** Shared by every listener of a broker (max.connections and queued.max.request.bytes are broker-wide). */
  counts?: ConnectionCounts;
  memory?: RequestMemoryPool;
  /** The listener's name and security protocol; PLAINTEXT when not given. */
  name?: string;
  securityProtocol?: SecurityProtocol;
  /** SSL and SASL_SSL listeners: the TLS context and client-certificate policy. */
  tls?: ListenerTls;
}

/**
 * Connections accepted while the broker is at max.connections wait, unread, for a slot. Kafka
 * leaves them in the listen backlog (socket.listen.backlog.size, 50); past as many waiting as
 * that, new ones are closed.
 */
export const MAX_WAITING_CONNECTIONS = 50;

export interface CloseOptions {
  /** How long in-flight requests get to finish before sockets are destroyed. */
  timeoutMs?: number;
}

/** The options every listening socket is created with (the early one too). */
const SERVER_OPTIONS = { noDelay: true, allowHalfOpen: true } as const;

/** A socket bound by {@link bindEarly} before the broker has loaded, with what it accepted meanwhile. */
interface EarlyBinding {
  server: Server;
  host: string;
  /** The port asked for (0 = any); the one bound is server.address(). */
  requestedPort: number;
  /** Connections accepted before a Listener took the socket over; their bytes wait in them. */
  queued: Set<Socket>;
  onSocket: (socket: Socket) => void;
}

let early: EarlyBinding | undefined;

/**
 * Startup: bind the listening socket as the very first thing the CLI does, before the rest of
 * the broker (codecs, storage, coordinators) is even loaded, so clients are accepted from the
 * first few milliseconds; what they send waits in their sockets and is answered once the
 * broker is up. The first `Listener.listen` with the same host and port takes the socket
 * over; one with another address closes it and binds its own. Resolves when bound or when
 * binding failed (the regular bind then reports the error).
 */
export function bindEarly(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const queued = new Set<Socket>();
    const onSocket = (socket: Socket): void => {
      queued.add(socket);
      socket.on('error', noop);
      socket.once('close', () => queued.delete(socket));
    };
    const server = createServer(SERVER_OPTIONS, onSocket);
    const binding: EarlyBinding = { server, host, requestedPort: port, queued, onSocket };
    const onBindError = (): void => {
      if (early === binding) early = undefined;
      resolve();
    };
    server.once('error', onBindError);
    server.listen({ host, port }, () => {
      server.off('error', onBindError);
      // Once bound, errors are accept failures (EMFILE while the broker loads): libuv keeps
      // accepting afterwards, and an unheard 'error' would kill the process.
      server.on('error', noop);
      early = binding;
      resolve();
    });
  });
}

function noop(): void {}

/** Takes over the early socket when it matches; closes it otherwise. */
async function takeEarly(host: string, port: number): Promise<EarlyBinding | undefined> {
  const binding = early;
  if (binding === undefined) return undefined;
  early = undefined;
  if (binding.host === host && binding.requestedPort === port) return binding;
  for (const socket of binding.queued) socket.destroy();
  await new Promise<void>((resolve) => binding.server.close(() => resolve()));
  return undefined;
}

/**
 * The TCP listener: accepts sockets, wraps each in a Connection, and knows every live one so
 * that shutdown can stop accepting, let requests finish, and only then close sockets.
 */
export class Listener {
  readonly #server: Server;
  readonly #options: ListenerOptions;
  readonly #log: Logger;
  readonly #connections = new Set<Connection>();
  readonly #memory: RequestMemoryPool;
  readonly #counts: ConnectionCounts;
  /** Accepted over max.connections, oldest first, waiting for a slot. */
  readonly #waiting: Array<{ socket: Socket; onClose: () => void }> = [];
  #nextId = 0;
  /** SSL and SASL_SSL listeners: runs the handshake of each accepted socket. */
  readonly #tlsServer: TlsServer | undefined;
  /** Sockets in their TLS handshake, with the address they are counted under. */
  readonly #handshakes = new Map<Socket, { address: string; onClose: () => void }>();
  #host = '';
  #port = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: ListenerOptions, adopted?: EarlyBinding, tlsModule?: typeof import('node:tls')) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'listener' });
    this.#memory = options.memory ?? new RequestMemoryPool(options.queuedMaxRequestBytes ?? -1);
    this.#counts = options.counts ?? new ConnectionCounts(options.quotas ?? UNLIMITED_CONNECTIONS);
    this.#tlsServer = options.tls === undefined ? undefined : this.#createTlsServer(options.tls, tlsModule!.createServer);
    if (adopted === undefined) {
      // Half-open: a client that sends its requests and then FIN still gets every answer.
      this.#server = createServer(SERVER_OPTIONS, this.#onSocket);
    } else {
      this.#server = adopted.server;
      this.#server.off('error', noop);
      this.#server.off('connection', adopted.onSocket);
      this.#server.on('connection', this.#onSocket);
    }
    // Accept-time failures (EMFILE and friends) must not take the broker down. A failed bind
    // is the caller's to report (it rejects listen()), not a line of its own.
    this.#server.on('error', (err) => {
      if (this.#server.listening) this.#log.error({ err }, 'listener error');
    });
  }

  /** Binds (or takes over the socket bound by bindEarly) and resolves once connections are being accepted. */
  static async listen(options: ListenerOptions): Promise<Listener> {
    // node:tls (with OpenSSL's TLS setup) loads only for a TLS listener: it costs a plaintext
    // broker ~9 ms of startup CPU and ~1 MB of RSS.
    const tlsModule = options.tls === undefined ? undefined : await import('node:tls');
    const adopted = await takeEarly(options.host, options.port);
    const listener = new Listener(options, adopted, tlsModule);
    if (adopted === undefined) {
      await listener.#bind();
    } else {
      listener.#setAddress();
      // Accepted while the broker loaded: served now, their buffered requests first.
      for (const socket of adopted.queued) {
        socket.off('error', noop);
        if (!socket.destroyed) listener.#onSocket(socket);
      }
      adopted.queued.clear();
    }
    return listener;
  }

  get host(): string {
    return this.#host;
  }
  get port(): number {
    return this.#port;
  }
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }
  /** The broker-wide request memory budget. */
  get requestMemory(): RequestMemoryPool {
    return this.#memory;
  }
  /** Connections waiting for a slot under max.connections. */
  get waitingConnections(): number {
    return this.#waiting.length;
  }

  /** Stops accepting, drains live connections (bounded by the timeout), then closes them. */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 10_000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const { socket } of this.#waiting.splice(0)) socket.destroy();
    for (const socket of this.#handshakes.keys()) socket.destroy();
    const live = [...this.#connections];
    for (const conn of live) conn.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const drained = Promise.all(live.map((conn) => conn.closed)).then(() => false);
    if (await Promise.race([drained, timedOut])) {
      this.#log.warn({ open: this.#connections.size, timeoutMs }, 'shutdown timeout: closing remaining connections');
      for (const conn of this.#connections) conn.destroy('shutdown timeout');
    }
    clearTimeout(timer);
    await serverClosed;
  }

  #bind(): Promise<void> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        try {
          this.#setAddress();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  #setAddress(): void {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') {
      throw new Error(`listener bound to an unexpected address: ${String(address)}`);
    }
    this.#host = address.address;
    this.#port = address.port;
  }

  #onSocket = (socket: Socket): void => {
    if (this.#closing !== undefined || socket.remoteAddress === undefined) {
      // Accepted in the instant before close, or already reset by the peer.
      socket.destroy();
      return;
    }
    if (this.#counts.full) {
      this.#wait(socket);
      return;
    }
    this.#admit(socket);
  };

  #wait(socket: Socket): void {
    if (this.#waiting.length >= MAX_WAITING_CONNECTIONS) {
      this.#log.warn({ remote: socket.remoteAddress, waiting: this.#waiting.length }, 'closing new connection: max.connections reached and too many waiting');
      socket.destroy();
      return;
    }
    this.#log.debug({ remote: socket.remoteAddress }, 'max.connections reached: new connection waits for a slot');
    const entry = {
      socket,
      onClose: () => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
      },
    };
    socket.on('error', noop);
    socket.once('close', entry.onClose);
    this.#waiting.push(entry);
  }

  #admitWaiting(): void {
    while (!this.#counts.full && this.#closing === undefined) {
      const entry = this.#waiting.shift();
      if (entry === undefined) return;
      entry.socket.off('error', noop);
      entry.socket.off('close', entry.onClose);
      if (!entry.socket.destroyed) this.#admit(entry.socket);
    }
  }

  #admit(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    if (!this.#counts.tryAdd(address)) {
      // Kafka closes such a connection at once (TooManyConnectionsException).
      this.#log.info({ remote: address, max: this.#counts.limitFor(address) }, 'closing new connection: max.connections.per.ip reached');
      socket.destroy();
      return;
    }
    const release = (): void => {
      this.#counts.remove(address);
      this.#admitWaiting();
    };
    if (this.#tlsServer === undefined) {
      this.#serve(socket, address, release);
      return;
    }
    // Counted from accept; a handshake that fails gives the slot back when the socket closes.
    const onClose = (): void => {
      this.#handshakes.delete(socket);
      release();
    };
    socket.once('close', onClose);
    this.#handshakes.set(socket, { address, onClose });
    this.#tlsServer.emit('connection', socket);
  }

  #serve(socket: Socket, address: string, release: () => void): Connection {
    const conn = new Connection({
      id: this.#nextId++,
      socket,
      listenerName: this.#options.name,
      securityProtocol: this.#options.securityProtocol,
      dispatch: this.#options.dispatch,
      logger: this.#options.logger,
      limits: this.#options.limits,
      memory: this.#memory,
      onClose: (closed) => {
        this.#connections.delete(closed);
        release();
      },
    });
    this.#connections.add(conn);
    return conn;
  }

  /**
   * A tls.Server that never listens: accepted sockets are handed to it so that it runs the
   * handshake and certificate checks exactly as for its own connections.
   */
  #createTlsServer(tls: ListenerTls, createTlsServer: typeof import('node:tls').createServer): TlsServer {
    const server = createTlsServer({
      ...tls.options,
      requestCert: tls.clientAuth !== 'none',
      rejectUnauthorized: tls.clientAuth === 'required',
    });
    server.on('tlsClientError', (err, stream) => {
      this.#log.info({ remote: stream.remoteAddress, listener: this.#options.name, err: err.message }, 'closing connection: TLS handshake failed');
    });
    server.on('secureConnection', (stream: TLSSocket) => {
      // The accepted socket the TLS one wraps (node keeps it as _parent).
      const raw = (stream as unknown as { _parent?: Socket })._parent;
      const handshake = raw === undefined ? undefined : this.#handshakes.get(raw);
      if (raw === undefined || handshake === undefined) {
        stream.destroy();
        return;
      }
      raw.off('close', handshake.onClose);
      this.#handshakes.delete(raw);
      const address = handshake.address;
      const release = (): void => {
        this.#counts.remove(address);
        this.#admitWaiting();
      };
      // ssl.client.auth=requested: no certificate is fine, an untrusted one is not (as in Java's TLS).
      const cert = stream.getPeerX509Certificate();
      if (cert !== undefined && !stream.authorized) {
        this.#log.info({ remote: address, reason: stream.authorizationError }, 'closing connection: client certificate not trusted');
        stream.once('close', release);
        stream.destroy();
        return;
      }
      if (this.#closing !== undefined) {
        stream.once('close', release);
        stream.destroy();
        return;
      }
      const conn = this.#serve(stream, address, release);
      if (cert !== undefined) conn.context.principal = `User:${tls.principalOf(rfc2253(cert.subject))}`;
    });
    return server;
  }
}
