import type { Socket } from 'node:net';

/**
 * Reads from an accepted TCP socket land in buffers the caller picks instead of a fresh
 * 64 KiB ArrayBuffer per read: Node's `onread` mode, which `net.Socket` offers only to sockets
 * it constructs with that option, never to ones a `net.Server` accepts. The switch uses the
 * same three slots and `useUserBuffer` the constructor would (the same code in Node 20 and 24,
 * both tested) and is taken only when all of them look exactly as expected, with nothing
 * buffered yet; otherwise the caller keeps reading 'data' events. Not for TLS sockets (their
 * reads are decrypted records, not the TCP handle's).
 *
 * Why: every socket read otherwise allocates an ArrayBuffer that V8 counts as external memory,
 * and under a large-record produce that allocation rate (plus the copies of frames spanning
 * reads) is what drives the full garbage collections of the broker's small heap.
 */
export interface OwnReadBuffers {
  /** The buffer the next read fills (called after every read; its bytes must be used by then). */
  target(): Buffer;
  /** `bytes` bytes were read into `into` (the last buffer `target()` returned). */
  read(bytes: number, into: Buffer): void;
}

interface HandleWithUserBuffer {
  useUserBuffer?: (buffer: Buffer) => void;
}

function slot(socket: Socket, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(socket).find((s) => s.description === name);
}

/** True when the socket now reads through `own`; false when it stays as it was. */
export function readIntoOwnBuffers(socket: Socket, own: OwnReadBuffers): boolean {
  if (process.env.SKIFF_OWN_READ_BUFFERS === '0') return false;
  if ((socket as { encrypted?: boolean }).encrypted === true || socket.readableLength > 0) return false;
  const handle = (socket as unknown as { _handle?: HandleWithUserBuffer | null })._handle;
  if (typeof handle?.useUserBuffer !== 'function') return false;
  const kBuffer = slot(socket, 'kBuffer');
  const kBufferCb = slot(socket, 'kBufferCb');
  const kBufferGen = slot(socket, 'kBufferGen');
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return false;
  const slots = socket as unknown as Record<symbol, unknown>;
  if (slots[kBuffer] !== null || slots[kBufferCb] !== null || slots[kBufferGen] !== null) return false;
  const first = own.target();
  slots[kBuffer] = first;
  slots[kBufferCb] = (bytes: number, into: Buffer): boolean => {
    own.read(bytes, into);
    // Pausing goes through socket.pause(), which stops the handle in this mode.
    return true;
  };
  slots[kBufferGen] = (): Buffer => own.target();
  handle.useUserBuffer(first);
  return true;
}
