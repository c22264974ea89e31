/**
 * The CLI's Kafka client: one TCP connection per broker, requests encoded with the generated
 * codecs at the highest version both sides support (from ApiVersions), and a cluster view
 * built from Metadata that routes requests to partition leaders and group coordinators.
 * It talks to any Kafka broker, not only Skiff, so it never assumes a single node.
 */
import { connect, type Socket } from 'node:net';
import type { ApiCodec } from '../protocol/codec/generated-support.js';
import { Reader } from '../protocol/codec/reader.js';
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { encodeRequestFrame } from '../protocol/frame.js';
import { codec as apiVersionsCodec, type ApiVersionsResponse } from '../protocol/generated/018-api-versions.js';
import { codec as metadataCodec, type MetadataResponse, type MetadataResponseTopic } from '../protocol/generated/003-metadata.js';
import { codec as findCoordinatorCodec } from '../protocol/generated/010-find-coordinator.js';
import { API_INFO, responseHeaderVersion } from '../protocol/generated/api-keys.js';
import { ERROR_INFO } from '../protocol/generated/errors.js';
import { implementedVersions } from '../protocol/implemented-versions.js';
import { defaultRequestHeader, readResponseHeader } from '../protocol/generated/headers.js';

/** Bad command-line input: printed with the command's usage hint, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A broker answered with a Kafka error code. */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';
  constructor(
    readonly errorCode: number,
    context: string,
    detail?: string | null,
  ) {
    super(`${context}: ${errorName(errorCode)}${detail ? ` (${detail})` : ''}`);
  }
}

export function errorName(code: number): string {
  return ERROR_INFO.get(code)?.name ?? `error code ${code}`;
}

/** Throws KafkaError unless `code` is NONE. */
export function check(code: number, context: string, detail?: string | null): void {
  if (code !== 0) throw new KafkaError(code, context, detail);
}

/**
 * Runs `fn` again while it fails with a retriable Kafka error (a coordinator still loading,
 * __consumer_offsets being created on first use), for up to about 10 seconds.
 */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof KafkaError) || !ERROR_INFO.get(err.errorCode)?.retriable || attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const CLIENT_ID = 'skiff-cli';
/** A broker that does not answer within this is treated as gone: the CLI must not hang. */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Responses larger than this are refused (a misbehaving peer must not exhaust memory). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

interface Pending {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Connection {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  #buffered: Buffer = Buffer.alloc(0);
  #nextCorrelationId = 1;
  #closedError: Error | undefined;
  /** Broker's supported versions per API key, from ApiVersions. */
  versions = new Map<number, { min: number; max: number }>();

  private constructor(
    socket: Socket,
    readonly address: string,
  ) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(new Error(`${address}: ${err.message}`)));
    socket.on('close', () => this.#fail(new Error(`${address}: connection closed by the broker`)));
  }

  static async open(host: string, port: number): Promise<Connection> {
    const address = `${host}:${port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`cannot connect to ${address}: timed out`));
      }, CONNECT_TIMEOUT_MS);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${address}: ${err.message}`));
      });
    });
    const conn = new Connection(socket, address);
    try {
      await conn.#negotiate();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** ApiVersions v3 (flexible versions, Kafka 2.4 and later): the broker's version ranges. */
  async #negotiate(): Promise<void> {
    let res: ApiVersionsResponse;
    try {
      res = await this.#send(apiVersionsCodec, 3, { clientSoftwareName: 'skiff-cli', clientSoftwareVersion: '1' });
    } catch {
      throw new Error(`${this.address} did not answer ApiVersions: is it a Kafka broker?`);
    }
    check(res.errorCode, `ApiVersions from ${this.address}`);
    for (const k of res.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /** The version to use: the highest both this client's codecs and the broker support. */
  version(apiKey: number, cap = Infinity): number {
    const name = API_INFO.get(apiKey)?.name;
    if (!name) throw new Error(`api key ${apiKey} is unknown to this CLI`);
    const theirs = this.versions.get(apiKey);
    if (!theirs) throw new Error(`the broker at ${this.address} does not support ${name}`);
    const mine = implementedVersions(apiKey);
    const v = Math.min(mine.maxVersion, theirs.max, cap);
    if (v < Math.max(mine.minVersion, theirs.min)) throw new Error(`no ${name} version in common with the broker at ${this.address}`);
    return v;
  }

  /** Sends a request built for the negotiated version and resolves with the decoded response. */
  request<Req, Res>(codec: ApiCodec<Req, Res>, build: (version: number) => Req, cap?: number): Promise<Res> {
    const v = this.version(codec.apiKey, cap);
    return this.#send(codec, v, build(v));
  }

  /** A request the broker does not answer (Produce with acks=0). */
  sendOnly<Req>(codec: ApiCodec<Req, unknown>, build: (version: number) => Req, cap?: number): void {
    const v = this.version(codec.apiKey, cap);
    this.#socket.write(this.#frame(codec, v, build(v)));
  }

  /** Closes after the bytes already written (an acks=0 produce) have gone out. */
  close(): void {
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
  }

  #frame(codec: ApiCodec, version: number, body: unknown): Buffer {
    const header = { ...defaultRequestHeader(), requestApiKey: codec.apiKey, requestApiVersion: version, correlationId: this.#nextCorrelationId++, clientId: CLIENT_ID };
    return encodeRequestFrame(codec, header, body);
  }

  #send<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const frame = this.#frame(codec as ApiCodec, version, body);
    const correlationId = this.#nextCorrelationId - 1;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`${this.address}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
      this.#pending.push({ apiKey: codec.apiKey, apiVersion: version, correlationId, resolve, reject, timer });
      this.#socket.write(frame);
    }).then((raw) => {
      const r = new Reader(raw);
      return codec.decodeResponse(r, version);
    });
  }

  #fail(err: Error): void {
    this.#closedError ??= err;
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.#closedError);
    }
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 4) {
      const size = this.#buffered.readInt32BE(0);
      if (size < 0 || size > MAX_RESPONSE_BYTES) return this.#fail(new Error(`${this.address}: response of ${size} bytes`));
      if (this.#buffered.length < 4 + size) return;
      const frame = this.#buffered.subarray(4, 4 + size);
      this.#buffered = this.#buffered.subarray(4 + size);
      const p = this.#pending.shift();
      if (!p) return this.#fail(new Error(`${this.address}: response without a request`));
      clearTimeout(p.timer);
      const r = new Reader(frame);
      try {
        const header = readResponseHeader(r, responseHeaderVersion(p.apiKey, p.apiVersion));
        if (header.correlationId !== p.correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${p.correlationId}`);
      } catch (err) {
        p.reject(err as Error);
        return this.#fail(new Error(`${this.address}: ${(err as Error).message}`));
      }
      p.resolve(frame.subarray(r.pos));
    }
  }
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || !(port > 0 && port <= 65_535)) throw new UsageError(`bootstrap server must be HOST:PORT, got "${text}"`);
  return { host: m[1]!, port };
}

/**
 * A cluster reached through one of the bootstrap servers. Connections to other brokers are
 * opened on first use, at the address Metadata gives for the node id.
 */
export class Cluster {
  readonly #byNode = new Map<number, Promise<Connection>>();
  brokers = new Map<number, BrokerAddress>();

  private constructor(readonly bootstrap: Connection) {}

  static async connect(bootstrapServers: string): Promise<Cluster> {
    const servers = bootstrapServers.split(',').map(parseHostPort);
    let last: Error | undefined;
    for (const { host, port } of servers) {
      try {
        const cluster = new Cluster(await Connection.open(host, port));
        await cluster.metadata([]);
        return cluster;
      } catch (err) {
        last = err as Error;
      }
    }
    throw last!;
  }

  /** Metadata for `topics` (null: every topic); refreshes the broker list as a side effect. */
  async metadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    const res = await this.bootstrap.request(metadataCodec, (v) => ({
      // v0 has no null for "every topic": an empty list means all there.
      topics: topics === null ? (v === 0 ? [] : null) : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: v >= 4 ? allowAutoTopicCreation : true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }));
    this.brokers = new Map(res.brokers.map((b) => [b.nodeId, b]));
    return res;
  }

  /** One topic's metadata; UNKNOWN_TOPIC_OR_PARTITION and the like become KafkaError. */
  async topic(name: string): Promise<MetadataResponseTopic> {
    const res = await this.metadata([name]);
    const t = res.topics.find((x) => x.name === name);
    if (!t) throw new KafkaError(3, `topic ${name}`);
    check(t.errorCode, `topic ${name}`);
    return t;
  }

  node(nodeId: number): Promise<Connection> {
    let conn = this.#byNode.get(nodeId);
    if (!conn) {
      const b = this.brokers.get(nodeId);
      if (!b) return Promise.reject(new Error(`broker ${nodeId} is not in the cluster metadata`));
      conn = Connection.open(b.host, b.port);
      conn.catch(() => this.#byNode.delete(nodeId));
      this.#byNode.set(nodeId, conn);
    }
    return conn;
  }

  /** Every broker in the metadata, connected. */
  async allNodes(): Promise<Connection[]> {
    return Promise.all([...this.brokers.keys()].map((id) => this.node(id)));
  }

  /** The group coordinator of `groupId`. */
  coordinator(groupId: string): Promise<Connection> {
    return retrying(() => this.#findCoordinator(groupId));
  }

  async #findCoordinator(groupId: string): Promise<Connection> {
    const res = await this.bootstrap.request(findCoordinatorCodec, (v) => ({
      key: v < 4 ? groupId : '',
      keyType: 0,
      coordinatorKeys: v >= 4 ? [groupId] : [],
    }));
    const c = res.coordinators[0] ?? { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
    check(c.errorCode, `finding the coordinator of group ${groupId}`, c.errorMessage);
    if (!this.brokers.has(c.nodeId)) this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: null });
    return this.node(c.nodeId);
  }

  close(): void {
    this.bootstrap.close();
    for (const c of this.#byNode.values()) c.then((x) => x.close(), () => {});
  }
}
