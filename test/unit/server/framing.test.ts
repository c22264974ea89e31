import { describe, expect, it } from 'vitest';
import { DIRECT_READ_MIN_BYTES, FrameDecoder, FrameSizeError, encodeSizePrefix } from '../../../src/server/framing.js';
import { frame } from './helpers.js';

const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello, kafka'), Buffer.from([0, 1, 2, 3, 4, 5, 6]), Buffer.from('zz')];
const stream = Buffer.concat(bodies.map(frame));

function decodeAll(decoder: FrameDecoder): string[] {
  const out: string[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) out.push(f.toString('hex'));
  return out;
}

const expected = bodies.map((b) => b.toString('hex'));

describe('FrameDecoder', () => {
  it('yields the same frames for every single split point of a pipelined stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder(1024);
      decoder.push(stream.subarray(0, cut));
      const first = decodeAll(decoder);
      decoder.push(stream.subarray(cut));
      expect([...first, ...decodeAll(decoder)], `cut at ${cut}`).toEqual(expected);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('yields the same frames for every pair of split points', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const decoder = new FrameDecoder(1024);
        const got: string[] = [];
        for (const part of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) {
          decoder.push(part);
          got.push(...decodeAll(decoder));
        }
        expect(got, `cuts at ${a},${b}`).toEqual(expected);
      }
    }
  });

  it('handles a stream delivered one byte at a time', () => {
    const decoder = new FrameDecoder(1024);
    const got: string[] = [];
    for (const byte of stream) {
      decoder.push(Buffer.from([byte]));
      got.push(...decodeAll(decoder));
    }
    expect(got).toEqual(expected);
  });

  it('returns a frame inside one chunk as a view of that chunk, without copying', () => {
    const chunk = frame(Buffer.from('view'));
    const decoder = new FrameDecoder(1024);
    decoder.push(chunk);
    const f = decoder.next()!;
    expect(f.toString()).toBe('view');
    expect(f.buffer).toBe(chunk.buffer);
  });

  it('rejects a size over the limit as soon as the 4 size bytes arrive', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(encodeSizePrefix(101).subarray(0, 3));
    expect(decoder.next()).toBeNull();
    decoder.push(encodeSizePrefix(101).subarray(3));
    expect(() => decoder.next()).toThrow(FrameSizeError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly the limit', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(frame(Buffer.alloc(100, 7)));
    expect(decoder.next()?.length).toBe(100);
  });

  it('rejects a negative size', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(encodeSizePrefix(-1));
    let error: unknown;
    try {
      decoder.next();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameSizeError);
    expect((error as FrameSizeError).size).toBe(-1);
    expect((error as FrameSizeError).message).toMatch(/negative/);
  });

  it('keeps removal linear over many small chunks (a large frame in 1-byte pieces)', () => {
    const body = Buffer.alloc(20_000, 3);
    const whole = frame(body);
    const decoder = new FrameDecoder(1 << 20);
    for (let i = 0; i < whole.length; i++) decoder.push(whole.subarray(i, i + 1));
    // Counts the work instead of timing it: chunk-list entries moved by compaction, and bytes copied.
    let moved = 0;
    let copied = 0;
    const origSlice = Array.prototype.slice;
    const origCopy = Buffer.prototype.copy;
    Array.prototype.slice = function (this: unknown[], ...args: [number?, number?]) {
      const out = origSlice.apply(this, args);
      moved += out.length;
      return out;
    };
    Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
      const n = origCopy.apply(this, args);
      copied += n;
      return n;
    };
    let f: Buffer | null;
    try {
      f = decoder.next();
    } finally {
      Array.prototype.slice = origSlice;
      Buffer.prototype.copy = origCopy;
    }
    expect(f?.equals(body)).toBe(true);
    expect(copied).toBe(whole.length);
    // Compacting once half the list is dead moves fewer entries than there are chunks in all.
    expect(moved).toBeLessThanOrEqual(whole.length);
  });
});

/**
 * Delivers `bytes` as a socket reading into the decoder's buffers does: each read fills at most
 * `cap(n)` bytes (n = reads so far) of the buffer `readTarget` chose, and memory for a frame is
 * granted as soon as its size is known (as the connection does when the pool has room). After
 * every read the scratch buffer is overwritten, as the next read of another connection would.
 */
function readThrough(decoder: FrameDecoder, bytes: Buffer, cap: (reads: number) => number, scratch = Buffer.alloc(64)): Buffer[] {
  const frames: Buffer[] = [];
  let reserved = false;
  let target = decoder.readTarget(scratch);
  for (let at = 0, reads = 0; at < bytes.length; reads++) {
    const n = Math.min(cap(reads), target.length, bytes.length - at);
    bytes.copy(target, 0, at, at + n);
    at += n;
    decoder.pushRead(target, n);
    for (;;) {
      reserved = decoder.pendingBodySize() >= 0;
      const f = decoder.next();
      if (f === null) break;
      reserved = false;
      frames.push(f);
    }
    decoder.endRead(reserved);
    scratch.fill(0xee);
    target = decoder.readTarget(scratch);
  }
  return frames;
}

const hex = (frames: Buffer[]): string[] => frames.map((f) => f.toString('hex'));

describe('FrameDecoder reading into its own buffers', () => {
  // A low in-place threshold, so that the short test stream exercises reads into frame buffers.
  const direct = 3;

  it('yields the same frames for every split point of the first read, reading in place', () => {
    for (let cut = 1; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder(1024, direct);
      const got = readThrough(decoder, stream, (reads) => (reads === 0 ? cut : Infinity));
      expect(hex(got), `cut at ${cut}`).toEqual(expected);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('yields the same frames for every read size, and one byte at a time', () => {
    for (let size = 1; size <= stream.length; size++) {
      const got = readThrough(new FrameDecoder(1024, direct), stream, () => size);
      expect(hex(got), `reads of ${size}`).toEqual(expected);
    }
  });

  it('never hands out a frame that shares memory with the scratch buffer', () => {
    // readThrough overwrites the scratch after every read: a frame still viewing it would read 0xee.
    const scratch = Buffer.alloc(stream.length);
    const got = readThrough(new FrameDecoder(1024), stream, () => Infinity, scratch);
    expect(hex(got)).toEqual(expected);
    for (const f of got) expect(f.length === 0 || f.buffer !== scratch.buffer).toBe(true);
  });

  it('reads a large frame straight into a buffer of its own size, copying only its first read', () => {
    const big = Buffer.alloc(3 * DIRECT_READ_MIN_BYTES);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
    const bytes = Buffer.concat([frame(Buffer.from('small')), frame(big), frame(Buffer.from('after'))]);
    const scratch = Buffer.alloc(64 * 1024);
    let copied = 0;
    const origCopy = Buffer.prototype.copy;
    const decoder = new FrameDecoder(1 << 20);
    let got: Buffer[];
    Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
      const n = origCopy.apply(this, args);
      // Only the decoder's copies: readThrough's own copies come from `bytes`.
      if (this.buffer !== bytes.buffer) copied += n;
      return n;
    };
    try {
      got = readThrough(decoder, bytes, () => 16 * 1024 + 3, scratch);
    } finally {
      Buffer.prototype.copy = origCopy;
    }
    expect(got.map((f) => f.length)).toEqual([5, big.length, 5]);
    expect(got[1]!.equals(big)).toBe(true);
    expect(got[1]!.buffer.byteLength).toBe(big.length);
    expect(got[2]!.toString()).toBe('after');
    // The small frames and the big frame's first read are copied out of the scratch once; the rest is read in place.
    expect(copied).toBe(5 + (16 * 1024 + 3 - 4 - 5 - 4) + 5);
  });

  it('does not size a buffer from a prefix before its memory is reserved', () => {
    const decoder = new FrameDecoder(1 << 20);
    const scratch = Buffer.alloc(64);
    encodeSizePrefix(512 * 1024).copy(scratch);
    decoder.pushRead(scratch, 4);
    expect(decoder.pendingBodySize()).toBe(512 * 1024);
    decoder.endRead(false);
    expect(decoder.readTarget(scratch)).toBe(scratch);
    decoder.endRead(true);
    expect(decoder.readTarget(scratch).length).toBe(512 * 1024);
  });

  it('reads into the scratch once a frame read in place is complete but not yet taken', () => {
    const decoder = new FrameDecoder(1024, 3);
    const scratch = Buffer.alloc(64);
    const bytes = Buffer.concat([frame(Buffer.from('first frame')), frame(Buffer.from('second'))]);
    bytes.copy(scratch, 0, 0, 6);
    decoder.pushRead(scratch, 6);
    expect(decoder.pendingBodySize()).toBe(11);
    decoder.endRead(true);
    const body = decoder.readTarget(scratch);
    bytes.copy(body, 0, 6, 15);
    decoder.pushRead(body, 9);
    decoder.endRead(true);
    // Not taken (the connection was closing, or paused): an empty target would read as an error.
    expect(decoder.readTarget(scratch)).toBe(scratch);
    bytes.copy(scratch, 0, 15);
    decoder.pushRead(scratch, bytes.length - 15);
    decoder.endRead(true);
    scratch.fill(0xee);
    expect(decoder.next()?.toString()).toBe('first frame');
    expect(decoder.next()?.toString()).toBe('second');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('still refuses an oversized prefix, and reads into the scratch after it', () => {
    const decoder = new FrameDecoder(100, direct);
    const scratch = Buffer.alloc(64);
    encodeSizePrefix(101).copy(scratch);
    decoder.pushRead(scratch, 4);
    expect(() => decoder.next()).toThrow(FrameSizeError);
    decoder.endRead(true);
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.readTarget(scratch)).toBe(scratch);
  });
});
