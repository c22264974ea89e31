/**
 * sendRegion: file bytes go to the socket with sendfile, whole and in order, also when the
 * reader is slow and the socket's buffer fills (the EAGAIN path, woken through the addon's
 * epoll set), and a region whose file was closed or cut short fails instead of sending
 * another file's bytes or hanging.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileRegion, type RegionSource } from '../../../src/protocol/codec/file-region.js';
import { fetchPathDescription, sendRegion, sendfileAvailable } from '../../../src/server/file-sender.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sendfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A source over an open file that counts its uses, as the file store's files do. */
function fileOf(bytes: Buffer): RegionSource & { fd: number; closed: boolean; pins: number } {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, bytes);
  const file = {
    fd: openSync(path, 'r'),
    closed: false,
    pins: 0,
    acquire: async () => {
      if (file.closed) throw new Error('file closed');
      file.pins++;
      return file.fd;
    },
    release: () => {
      file.pins--;
    },
    peekSync: (position: number, into: Buffer) => readSync(file.fd, into, 0, into.length, position),
  };
  return file;
}

/** A connected pair: `server` is the side sendRegion writes to. */
async function pair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const srv = createServer();
  const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const client = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const server = await accepted;
  return {
    server,
    client,
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

function collect(client: Socket, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  return new Promise((resolve) => {
    client.on('data', (d: Buffer) => {
      parts.push(d);
      n += d.length;
      if (n >= bytes) resolve(Buffer.concat(parts));
    });
  });
}

describe('sendRegion', () => {
  it('has the native addon on Linux (prebuilt by make build) and says so', () => {
    expect(sendfileAvailable()).toBe(process.platform === 'linux');
    expect(fetchPathDescription()).toMatch(process.platform === 'linux' ? /sendfile\(2\)/ : /into buffers/);
  });

  it('sends a region larger than the socket buffer to a slow reader, byte for byte, after earlier writes', async () => {
    const data = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32BE(i, i);
    const file = fileOf(data);
    const { server, client, close } = await pair();
    try {
      client.pause();
      const head = Buffer.from('header-bytes');
      server.write(head);
      const region = new FileRegion(file, 1000, data.length - 2000);
      const sent = sendRegion(server, region);
      // The reader starts late: sendfile must have hit a full buffer and waited.
      await new Promise((r) => setTimeout(r, 200));
      // Held open for the whole send, let go after it.
      expect(file.pins).toBe(1);
      const got = collect(client, head.length + region.length);
      client.resume();
      await sent;
      expect(file.pins).toBe(0);
      const all = await got;
      expect(all.subarray(0, head.length)).toEqual(head);
      expect(all.length).toBe(head.length + region.length);
      expect(all.subarray(head.length).equals(data.subarray(1000, data.length - 1000))).toBe(true);
    } finally {
      close();
      closeSync(file.fd);
    }
  });

  it('copies the region through the stream when the socket has no descriptor', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const file = fileOf(data);
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (d: Buffer) => parts.push(d));
    try {
      out.write(Buffer.from('h'));
      await sendRegion(out as unknown as Socket, new FileRegion(file, 10, 200_000));
      const all = Buffer.concat(parts);
      expect(all.subarray(0, 1).toString()).toBe('h');
      expect(all.subarray(1).equals(data.subarray(10, 200_010))).toBe(true);
    } finally {
      closeSync(file.fd);
    }
  });

  it('refuses a region whose file was closed', async () => {
    const file = fileOf(Buffer.alloc(4096, 1));
    const { server, close } = await pair();
    try {
      file.closed = true;
      await expect(sendRegion(server, new FileRegion(file, 0, 4096))).rejects.toThrow(/closed/);
      expect(file.pins).toBe(0);
    } finally {
      close();
      closeSync(file.fd);
    }
  });

  it('fails when the file ends inside the region', async () => {
    const file = fileOf(Buffer.alloc(4096, 1));
    const { server, client, close } = await pair();
    try {
      client.resume();
      await expect(sendRegion(server, new FileRegion(file, 0, 8192))).rejects.toThrow(/short|ends inside/);
      // A failed send lets the file go too.
      expect(file.pins).toBe(0);
    } finally {
      close();
      closeSync(file.fd);
    }
  });

  it('stops waiting when the peer goes away while the buffer is full', async () => {
    const file = fileOf(Buffer.alloc(32 * 1024 * 1024, 2));
    const { server, client, close } = await pair();
    try {
      client.pause();
      const sent = sendRegion(server, new FileRegion(file, 0, 32 * 1024 * 1024));
      await new Promise((r) => setTimeout(r, 100));
      server.destroy();
      await expect(sent).rejects.toThrow();
    } finally {
      close();
      closeSync(file.fd);
    }
  });
});
