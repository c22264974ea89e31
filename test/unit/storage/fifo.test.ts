import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/storage/fifo.js';

describe('Fifo', () => {
  it('gives items back in the order they came, across the drops of its consumed front', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    // Pushes outpace shifts, then the queue drains: every compaction point is crossed.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(next++);
      for (let i = 0; i < 200; i++) out.push(q.shift()!);
      expect(q.length).toBe(next - out.length);
    }
    while (q.length > 0) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(q.shift()).toBeUndefined();
    q.push(7);
    expect(q.length).toBe(1);
    expect(q.shift()).toBe(7);
  });
});
