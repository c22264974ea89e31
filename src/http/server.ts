/**
 * The HTTP server (console, /api/, /metrics, /health, /ready) on Node's own http module, in the
 * broker's process. Its work is small and bounded (few connections, small bodies, answers
 * built from in-memory state), so it shares the event loop without slowing the Kafka port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { HttpError, type Reply, type RouteRequest, type RouteTable } from './routes.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: RouteTable;
  logger: Logger;
  /** Refuse routes that change broker state (skiff.http.read.only). */
  readOnly: boolean;
}

export interface HttpServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server with something it owns (the process stats' observers): closed with it, or at once if it does not start. */
export async function startHttpServerOwning(opts: HttpServerOptions, owned: { close(): void }): Promise<HttpServer> {
  let server: HttpServer;
  try {
    server = await startHttpServer(opts);
  } catch (err) {
    owned.close();
    throw err;
  }
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    async close() {
      owned.close();
      await server.close();
    },
  };
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CONNECTIONS = 64;

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const { routes, logger, readOnly } = opts;
  const server: Server = createServer((req, res) => {
    serve(req, res, routes, readOnly).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) send(res, req.method, { status: 500, json: { error: 'internal error' } });
      else res.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.warn({ err }, 'http server error'));
  const address = server.address() as AddressInfo;
  const host = address.address;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}/`;
  logger.info({ url, readOnly }, `console, metrics and health checks at ${url}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open console tabs keep connections alive; they have nothing in flight worth waiting for.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, routes: RouteTable, readOnly: boolean): Promise<void> {
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    send(res, method, { status: 400, json: { error: 'bad request target' } });
    return;
  }
  const match = routes.match(method, url.pathname);
  if (match.kind === 'not-found') {
    send(res, method, { status: 404, json: { error: `no route for ${url.pathname}` } });
    return;
  }
  if (match.kind === 'method-not-allowed') {
    send(res, method, { status: 405, headers: { allow: match.allowed.join(', ') }, json: { error: `${method} not allowed` } });
    return;
  }
  if (match.mutates && readOnly) {
    send(res, method, { status: 403, json: { error: 'the console is read-only (skiff.http.read.only)' } });
    return;
  }
  const request: RouteRequest = { method, url, params: match.params, raw: req, json: () => readJson(req) };
  let reply: Reply;
  try {
    reply = await match.handler(request);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    reply = { status: err.status, json: { error: err.message } };
  }
  send(res, method, reply);
}

function send(res: ServerResponse, method: string | undefined, reply: Reply): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...reply.headers };
  let body: string | Buffer;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json, jsonValue);
    headers['content-type'] = 'application/json; charset=utf-8';
  } else {
    body = reply.body ?? '';
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status ?? 200, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

/** Offsets and ids are bigints inside the broker; JSON carries them as numbers while exact, else as strings. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  // A JSON content type cannot be sent cross-site without a CORS preflight, which this server
  // never grants: another web page cannot make a browser post to the console.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'expected content-type application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end and dropped rather than cut off: stopping early
  // resets the connection before the client has read the 413.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    else chunks.length = 0;
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}
