import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameSizeError, encodeSizePrefix } from '../../../src/server/framing.js';
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
