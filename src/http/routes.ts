/**
 * The HTTP server's route table: method plus a path pattern whose `:name` segments become
 * params. Features add their routes here (console API, metrics, health, later fault injection)
 * without touching the server.
 */
import type { IncomingMessage } from 'node:http';

export interface RouteRequest {
  readonly method: string;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly raw: IncomingMessage;
  /** The body parsed as JSON (bounded in size); rejects with an HttpError when it is not. */
  json(): Promise<unknown>;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is, with headers['content-type']. */
  body?: string | Buffer;
}

export type RouteHandler = (req: RouteRequest) => Reply | Promise<Reply>;

export interface RouteOptions {
  /** Changes broker state: refused when the server is read-only. */
  mutates?: boolean;
}

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
  mutates: boolean;
}

/** An error with the HTTP status to answer with; its message goes to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string>; mutates: boolean }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export class RouteTable {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler, opts: RouteOptions = {}): this {
    this.#routes.push({ method, segments: split(pattern), handler, mutates: opts.mutates ?? false });
    return this;
  }

  get(pattern: string, handler: RouteHandler): this {
    return this.add('GET', pattern, handler);
  }

  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'found', handler: route.handler, params, mutates: route.mutates };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(path[i]!);
      } catch {
        return undefined;
      }
    } else if (p !== path[i]) {
      return undefined;
    }
  }
  return params;
}
