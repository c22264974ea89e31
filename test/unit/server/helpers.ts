import { connect, type Socket } from 'node:net';
import { createLogger, type Logger } from '../../../src/log.js';
import { FrameDecoder } from '../../../src/server/framing.js';

/** A size-prefixed frame. */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** A request body carrying a 4-byte id, the way a correlation id would. */
export function idFrame(id: number, extra = 0): Buffer {
  const body = Buffer.alloc(4 + extra);
  body.writeInt32BE(id, 0);
  return frame(body);
}

export interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

/** A real pino logger whose JSON lines are kept for assertions. */
export function captureLogger(level = 'debug'): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** A raw client that splits the response stream into frames. */
export class TestClient {
  readonly socket: Socket;
  readonly frames: Buffer[] = [];
  readonly #decoder = new FrameDecoder(2 ** 31 - 1);
  readonly closed: Promise<void>;
  #waiters: Array<() => void> = [];
  isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk);
      for (let f = this.#decoder.next(); f !== null; f = this.#decoder.next()) this.frames.push(Buffer.from(f));
      this.#wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves once `count` frames have arrived (or rejects when the socket closes first). */
  async waitFrames(count: number, timeoutMs = 5_000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (this.isClosed) throw new Error(`closed after ${this.frames.length} of ${count} frames`);
      if (Date.now() > deadline) throw new Error(`timeout after ${this.frames.length} of ${count} frames`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames.slice(0, count);
  }

  ids(): number[] {
    return this.frames.map((f) => f.readInt32BE(0));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, failing with `what` after the timeout. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
