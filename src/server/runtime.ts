import type { BrokerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Dispatch } from './connection.js';
import type { Listener } from './listener.js';

/**
 * What the network layer needs from the rest of the broker: a way to answer frames, and a
 * way to stop (flush storage, write the clean-shutdown marker).
 */
export interface BrokerRuntime {
  dispatch: Dispatch;
  close(): Promise<void>;
  /** The HTTP server's address (console, /metrics, /health), when skiff.http.port is set. */
  httpUrl?: string;
  /** Hands over the Kafka listener once it serves the runtime, for connection metrics and readiness. */
  attachListener?(listener: Listener): void;
  /** Shutdown has begun (the listener drains next): stop reporting ready. */
  shuttingDown?(): void;
}

/**
 * Builds the runtime once the listener is bound: `config.values.listeners` then holds the real
 * host and port (port 0 has been replaced by the one picked), so Metadata can advertise it.
 */
export type CreateBrokerRuntime = (config: BrokerConfig, logger: Logger) => BrokerRuntime | Promise<BrokerRuntime>;
