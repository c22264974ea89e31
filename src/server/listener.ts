import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { Connection, type ConnectionLimits, type Dispatch } from './connection.js';

export interface ListenerOptions {
  /** Address to bind; '0.0.0.0' or '::' for every interface. */
  host: string;
  /** 0 picks a free port; read the bound one from `listener.port`. */
  port: number;
  dispatch: Dispatch;
  logger: Logger;
  limits?: Partial<ConnectionLimits>;
}

export interface CloseOptions {
  /** How long in-flight requests get to finish before sockets are destroyed. */
  timeoutMs?: number;
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
  #nextId = 0;
  #host = '';
  #port = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: ListenerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'listener' });
    // Half-open: a client that sends its requests and then FIN still gets every answer.
    this.#server = createServer({ noDelay: true, allowHalfOpen: true }, this.#onSocket);
    // Accept-time failures (EMFILE and friends) must not take the broker down.
    this.#server.on('error', (err) => this.#log.error({ err }, 'listener error'));
  }

  /** Binds and resolves once connections are being accepted. */
  static async listen(options: ListenerOptions): Promise<Listener> {
    const listener = new Listener(options);
    await listener.#bind();
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

  /** Stops accepting, drains live connections (bounded by the timeout), then closes them. */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 10_000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
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
        const address = this.#server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`listener bound to an unexpected address: ${String(address)}`));
          return;
        }
        this.#host = address.address;
        this.#port = address.port;
        resolve();
      });
    });
  }

  #onSocket = (socket: Socket): void => {
    if (this.#closing !== undefined || socket.remoteAddress === undefined) {
      // Accepted in the instant before close, or already reset by the peer.
      socket.destroy();
      return;
    }
    const conn = new Connection({
      id: this.#nextId++,
      socket,
      dispatch: this.#options.dispatch,
      logger: this.#options.logger,
      limits: this.#options.limits,
      onClose: (closed) => this.#connections.delete(closed),
    });
    this.#connections.add(conn);
  };
}
