/** `listeners` / `advertised.listeners` entries: NAME://host:port, comma-separated. */

export interface ListenerEndpoint {
  /** Listener name, upper-case (PLAINTEXT, or a custom name). */
  name: string;
  /** Empty in the config means every interface; kept as '' here so callers decide. */
  host: string;
  port: number;
}

const ENDPOINT = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

/** Parses a listener list; throws with the offending entry when one is malformed. */
export function parseListeners(text: string): ListenerEndpoint[] {
  const out: ListenerEndpoint[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = ENDPOINT.exec(entry);
    const port = match ? Number(match[3]) : -1;
    if (!match || port > 65_535) {
      throw new Error(`"${entry}" is not NAME://host:port (port 0-65535)`);
    }
    const host = match[2]!.startsWith('[') ? match[2]!.slice(1, -1) : match[2]!;
    out.push({ name: match[1]!.toUpperCase(), host, port });
  }
  return out;
}

/** Returns a problem description for a listener list, or undefined when it is usable. */
export function checkListeners(text: string): string | undefined {
  try {
    const endpoints = parseListeners(text);
    if (endpoints.length === 0) return 'needs at least one NAME://host:port entry';
    const names = new Set<string>();
    for (const e of endpoints) {
      if (names.has(e.name)) return `listener name ${e.name} appears twice`;
      names.add(e.name);
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function formatEndpoint(name: string, host: string, port: number): string {
  return `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A host clients can dial: a wildcard bind address is not one. */
export function connectableHost(host: string): string {
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Parses max.connections.per.ip.overrides ("host:count,host:count", Kafka's format). Returns
 * the entries with hosts as written; hosts that are not IP addresses are resolved by the caller.
 */
export function parsePerIpOverrides(text: string): Array<{ host: string; max: number }> {
  const out: Array<{ host: string; max: number }> = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.lastIndexOf(':');
    const host = entry.slice(0, colon).trim().replace(/^\[(.*)\]$/, '$1');
    const count = entry.slice(colon + 1).trim();
    if (colon <= 0 || !/^\d+$/.test(count) || host === '') {
      throw new Error(`"${entry}" is not host:count`);
    }
    out.push({ host, max: Number(count) });
  }
  return out;
}
