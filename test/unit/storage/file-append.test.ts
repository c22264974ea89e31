/**
 * FileSegmentStore appends: small ones are written synchronously, large ones through the
 * thread pool (SYNC_WRITE_MAX_BYTES), in write calls of at most WRITE_CALL_MAX_BYTES. Appends
 * started without waiting for each other, of both kinds, land back to back in call order, and a
 * failed write of either kind rolls the size back.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSegmentStore, SYNC_WRITE_MAX_BYTES, WRITE_CALL_MAX_BYTES, splitWriteCalls } from '../../../src/storage/file-store.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-file-append-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function chunk(size: number, fill: number): Buffer {
  const b = Buffer.alloc(size, fill);
  // Distinct bytes inside the chunk, so a misplaced or partial copy shows.
  for (let i = 0; i + 4 <= size; i += 4096) b.writeUInt32BE(i, i);
  return b;
}

describe('FileSegmentStore append', () => {
  it('keeps call order for concurrent small (synchronous) and large (thread pool) appends', async () => {
    const store = new FileSegmentStore(root);
    const file = await store.open('t-0/00000000000000000000.log');
    const parts = [
      [chunk(SYNC_WRITE_MAX_BYTES * 4, 1), chunk(300, 2)],
      [chunk(100, 3)],
      [chunk(SYNC_WRITE_MAX_BYTES + 1, 4)],
      [chunk(SYNC_WRITE_MAX_BYTES, 5), chunk(SYNC_WRITE_MAX_BYTES * 2, 6)],
      [chunk(7, 7)],
    ];
    const appends = parts.map((p) => file.append(p));
    // The size counts every append from the call on, before any of them is written.
    const total = parts.flat().reduce((n, c) => n + c.length, 0);
    expect(file.size).toBe(total);
    await Promise.all(appends);
    await file.close();
    const onDisk = readFileSync(join(root, 't-0/00000000000000000000.log'));
    expect(onDisk.length).toBe(total);
    expect(onDisk.equals(Buffer.concat(parts.flat()))).toBe(true);
  });

  it('writes an append larger than one write call in several, back to back', async () => {
    const store = new FileSegmentStore(root);
    const file = await store.open('t-0/00000000000000000000.log');
    const parts = [[chunk(100, 1)], [chunk(WRITE_CALL_MAX_BYTES * 2 + 5, 2), chunk(300, 3), chunk(WRITE_CALL_MAX_BYTES - 50, 4)], [chunk(200, 5)]];
    await Promise.all(parts.map((p) => file.append(p)));
    await file.close();
    const onDisk = readFileSync(join(root, 't-0/00000000000000000000.log'));
    expect(onDisk.equals(Buffer.concat(parts.flat()))).toBe(true);
  });

  it('rolls the size back when a write fails, synchronous or on the thread pool', async () => {
    // Every write to /dev/full fails with ENOSPC.
    symlinkSync('/dev/full', join(root, 'full'));
    const store = new FileSegmentStore(root);
    const file = await store.open('full');
    for (const size of [100, SYNC_WRITE_MAX_BYTES * 2]) {
      await expect(file.append([chunk(size, 1)])).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(file.size).toBe(0);
    }
    await file.close();
  });
});

describe('splitWriteCalls', () => {
  it('cuts chunks in order into calls of at most the limit, splitting a chunk across calls', () => {
    const chunks = [chunk(700, 1), chunk(2500, 2), chunk(300, 3), chunk(1000, 4), chunk(1, 5)];
    const calls = splitWriteCalls(chunks, 1000);
    const sizes = calls.map((c) => c.reduce((n, b) => n + b.byteLength, 0));
    expect(sizes).toEqual([1000, 1000, 1000, 1000, 501]);
    expect(calls.flat().every((b) => b.byteLength > 0)).toBe(true);
    expect(Buffer.concat(calls.flat()).equals(Buffer.concat(chunks))).toBe(true);
    // Chunks that fit are passed on as they are, not copied or sliced.
    expect(splitWriteCalls(chunks.slice(0, 1), 1000)[0]![0]).toBe(chunks[0]);
  });
});
