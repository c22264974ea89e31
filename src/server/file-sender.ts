/**
 * Sends file regions of a fetch response to a socket with sendfile(2), as Kafka does from
 * its network threads: the page cache goes to the socket without being copied into (and
 * garbage-collected out of) the JS heap. The native part is native/sendfile, prebuilt per
 * platform by scripts/build-sendfile.sh (`make build`, and before `npm pack`); without it (no
 * binary for this platform, or SKIFF_SENDFILE=0) the storage layer hands out no regions and
 * fetch reads files into buffers.
 */
import { read } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FileRegion } from '../protocol/codec/file-region.js';

interface Native {
  sendfile(outFd: number, inFd: number, position: number, count: number): number;
  init(dispatch: (fd: number) => void): number;
  waitWritable(fd: number): number;
}

const EAGAIN = 11; // Linux
// From src/server (tsx, tests) and dist/bundle (the CLI), or from dist/src/server (the library).
const PREBUILT = `native/sendfile/prebuilds/${process.platform}-${process.arch}/skiff_sendfile.node`;
const ADDON_PATHS = [`../../${PREBUILT}`, `../../../${PREBUILT}`];

let native: Native | null | undefined;
/** Why the buffered path is in use, when it is. */
let unavailableReason = '';
const waiters = new Map<number, () => void>();

function load(): Native | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.SKIFF_SENDFILE === '0') {
    unavailableReason = 'SKIFF_SENDFILE=0';
    return native;
  }
  if (process.platform !== 'linux') {
    unavailableReason = `sendfile addon is Linux only, this is ${process.platform}`;
    return native;
  }
  unavailableReason = `no sendfile addon for linux-${process.arch}`;
  const require = createRequire(import.meta.url);
  for (const path of ADDON_PATHS) {
    let addon: Native;
    try {
      addon = require(path) as Native;
    } catch (err) {
      // Not built: regions are never handed out, so nothing else needs to know.
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') {
        unavailableReason = `sendfile addon did not load: ${(err as Error).message.split('\n')[0]}`;
      }
      continue;
    }
    if (addon.init((fd) => wake(fd)) === 0) native = addon;
    else unavailableReason = 'sendfile addon failed to start';
    break;
  }
  return native;
}

function wake(fd: number): void {
  const w = waiters.get(fd);
  waiters.delete(fd);
  w?.();
}

/** Whether fetch may answer with file regions (the addon is loaded). */
export function sendfileAvailable(): boolean {
  return load() !== null;
}

/** The startup log line's words on how fetch sends segment files. */
export function fetchPathDescription(): string {
  return load() !== null ? 'fetch sends segment files with sendfile(2)' : `fetch reads segment files into buffers (${unavailableReason})`;
}

const ECONNRESET = 104;
const EPIPE = 32;

/** A region that could not be sent; `peerGone` when the client went away (routine). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly peerGone = false,
  ) {
    super(message);
  }
}

/** The socket's descriptor, when libuv exposes one (a TCP socket on Unix). */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Resolves once every byte given to socket.write has reached the kernel. */
function drained(socket: Socket): Promise<void> {
  if (socket.writableLength === 0) return Promise.resolve();
  // Writes complete in order, so an empty write's callback comes after all earlier ones.
  return new Promise((resolve, reject) => socket.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
}

function writable(socket: Socket, fd: number, addon: Native): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => {
      waiters.delete(fd);
      reject(new SendError('socket closed while sending a file region', true));
    };
    const rc = addon.waitWritable(fd);
    if (rc !== 0) {
      reject(new SendError(`epoll registration failed: errno ${-rc}`));
      return;
    }
    socket.once('close', onClose);
    waiters.set(fd, () => {
      socket.off('close', onClose);
      resolve();
    });
  });
}

/** Reads the region and writes it through the socket: the path without sendfile. */
async function copyRegion(socket: Socket, region: FileRegion, fd: number): Promise<void> {
  const buf = await new Promise<Buffer>((resolve, reject) => {
    const b = Buffer.allocUnsafe(region.length);
    read(fd, b, 0, region.length, region.position, (err, n) => {
      if (err) reject(err);
      else if (n !== region.length) reject(new SendError(`short read of a file region: ${n} of ${region.length} bytes`));
      else resolve(b);
    });
  });
  await new Promise<void>((resolve, reject) => socket.write(buf, (err) => (err ? reject(err) : resolve())));
}

/**
 * Sends the whole region. Everything written to the socket before it goes first; nothing
 * may be written to the socket until this settles. Rejects when the file is gone (a segment
 * deleted more than file.delete.delay.ms before the send) or the socket fails: the response
 * is then cut short and the connection must be closed, as the client cannot resynchronise.
 */
export async function sendRegion(socket: Socket, region: FileRegion): Promise<void> {
  await drained(socket);
  let fd: number;
  try {
    fd = await region.source.acquire();
  } catch (e) {
    throw new SendError(`segment file gone under a fetch: ${(e as Error).message}`);
  }
  try {
    const addon = load();
    // Over TLS the bytes must go through the TLS stream to be encrypted: sendfile would put
    // them on the wire in clear under the TLS socket.
    const out = (socket as Partial<TLSSocket>).encrypted === true ? -1 : socketFd(socket);
    if (addon === null || out < 0) return await copyRegion(socket, region, fd);
    let position = region.position;
    let left = region.length;
    while (left > 0) {
      const n = addon.sendfile(out, fd, position, left);
      if (n > 0) {
        position += n;
        left -= n;
      } else if (n === -EAGAIN) {
        await writable(socket, out, addon);
      } else if (n === 0) {
        throw new SendError(`segment file ends inside a fetched region (${left} bytes short)`);
      } else {
        throw new SendError(`sendfile failed: errno ${-n}`, n === -ECONNRESET || n === -EPIPE);
      }
    }
  } finally {
    // The file stayed open for the whole send, even if its segment was deleted meanwhile.
    region.source.release();
  }
}
