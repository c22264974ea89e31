import { isIP } from 'node:net';

/**
 * Kafka's connection quotas: max.connections for the broker, max.connections.per.ip per
 * client address with max.connections.per.ip.overrides. Kafka's acceptor waits for a slot
 * when the broker is full (new connections wait in the listen backlog) but closes a new
 * connection at once when its address is over its own limit.
 */
export interface ConnectionQuotaSettings {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Per-address limits, keyed by IP address as `normalizeAddress` writes it. */
  perIpOverrides: ReadonlyMap<string, number>;
}

export const UNLIMITED_CONNECTIONS: ConnectionQuotaSettings = {
  maxConnections: Number.MAX_SAFE_INTEGER,
  maxConnectionsPerIp: Number.MAX_SAFE_INTEGER,
  perIpOverrides: new Map(),
};

/** An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) counts as a.b.c.d. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

/** Live connections per client address, against the per-address limits. */
export class ConnectionCounts {
  readonly #settings: ConnectionQuotaSettings;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(settings: ConnectionQuotaSettings) {
    this.#settings = settings;
  }

  /** True while the broker is at max.connections: a new connection must wait. */
  get full(): boolean {
    return this.#total >= this.#settings.maxConnections;
  }

  /** The limit for one address. */
  limitFor(address: string): number {
    const ip = normalizeAddress(address);
    return this.#settings.perIpOverrides.get(ip) ?? this.#settings.maxConnectionsPerIp;
  }

  /** Counts a connection from `address`; false (nothing counted) when the address is at its limit. */
  tryAdd(address: string): boolean {
    const ip = normalizeAddress(address);
    const count = this.#perIp.get(ip) ?? 0;
    if (count >= this.limitFor(ip)) return false;
    this.#perIp.set(ip, count + 1);
    this.#total++;
    return true;
  }

  remove(address: string): void {
    const ip = normalizeAddress(address);
    const count = this.#perIp.get(ip) ?? 0;
    if (count <= 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, count - 1);
    this.#total--;
  }
}

export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}
