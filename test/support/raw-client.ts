/**
 * A raw Kafka protocol client for tests: sends requests built with the generated codecs
 * over one TCP connection and decodes the answers. Pipelining works: answers are matched
 * by correlation id in arrival order, as Kafka guarantees.
 */
import { connect, type Socket } from 'node:net';
import { DecodeError } from '../../src/protocol/codec/errors.js';
import type { ApiCodec } from '../../src/protocol/codec/generated-support.js';
import { Reader } from '../../src/protocol/codec/reader.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { API_CODECS } from '../../src/protocol/generated/api-codecs.js';
import { responseHeaderVersion } from '../../src/protocol/generated/api-keys.js';
import { defaultRequestHeader, readResponseHeader } from '../../src/protocol/generated/headers.js';

interface Pending {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
}

function codecOf(apiKey: number): ApiCodec {
  const codec = API_CODECS.get(apiKey);
  if (!codec) throw new DecodeError(`unknown api key ${apiKey}`);
  return codec;
}

export class RawClient {
  #socket: Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #pending: Pending[] = [];
  #nextCorrelationId = 1;
  #closed: Promise<void>;
  clientId = 'skiff-test';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => {
      for (const p of this.#pending.splice(0)) p.reject(new Error('connection closed'));
    });
    socket.on('error', () => {});
  }

  static connect(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves when the broker (or we) closed the connection. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Sends raw bytes as they are (hostile-input tests). */
  writeRaw(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  /** Sends a request and resolves with the decoded response body. */
  async request<Res = any>(apiKey: number, apiVersion: number, body: unknown): Promise<Res> {
    const raw = await this.requestRaw(apiKey, apiVersion, body);
    const r = new Reader(raw);
    const res = codecOf(apiKey).decodeResponse(r, apiVersion) as Res;
    r.expectEnd(`response to api key ${apiKey} v${apiVersion}`);
    return res;
  }

  /** Sends a request and resolves with the response body bytes after the header. */
  requestRaw(apiKey: number, apiVersion: number, body: unknown): Promise<Buffer> {
    const correlationId = this.#nextCorrelationId++;
    const header = { ...defaultRequestHeader(), requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: this.clientId };
    const frame = encodeRequestFrame(codecOf(apiKey), header, withDefaults(apiKey, body));
    return new Promise((resolve, reject) => {
      this.#pending.push({ apiKey, apiVersion, correlationId, resolve, reject });
      this.#socket.write(frame);
    });
  }

  /** Sends a request that gets no answer (acks=0 produce). */
  send(apiKey: number, apiVersion: number, body: unknown): void {
    const header = { ...defaultRequestHeader(), requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: this.#nextCorrelationId++, clientId: this.clientId };
    this.#socket.write(encodeRequestFrame(codecOf(apiKey), header, withDefaults(apiKey, body)));
  }

  /** Requests made inside `send` leave in one write, so they reach the broker together. */
  together<T>(send: () => T): T {
    this.#socket.cork();
    try {
      return send();
    } finally {
      this.#socket.uncork();
    }
  }

  close(): Promise<void> {
    this.#socket.end();
    return this.#closed;
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 4) {
      const size = this.#buffered.readInt32BE(0);
      if (this.#buffered.length < 4 + size) return;
      const frame = this.#buffered.subarray(4, 4 + size);
      this.#buffered = this.#buffered.subarray(4 + size);
      const p = this.#pending.shift();
      if (!p) throw new Error('response without a request');
      const r = new Reader(frame);
      const header = readResponseHeader(r, responseHeaderVersion(p.apiKey, p.apiVersion));
      if (header.correlationId !== p.correlationId) {
        p.reject(new Error(`correlation id ${header.correlationId}, expected ${p.correlationId}`));
        continue;
      }
      p.resolve(frame.subarray(r.pos));
    }
  }
}

/**
 * The body with the request's top-level defaults under it: fields newer schemas add (such as
 * InitProducerId's Enable2Pc) need not be spelled out by every test.
 */
function withDefaults(apiKey: number, body: unknown): unknown {
  return body !== null && typeof body === 'object' ? { ...(codecOf(apiKey).defaultRequest() as object), ...body } : body;
}
