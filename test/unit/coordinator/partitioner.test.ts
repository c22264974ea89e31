import { describe, expect, it } from 'vitest';
import { javaStringHashCode, partitionForKey } from '../../../src/coordinator/partitioner.js';

describe('partitioner', () => {
  it('hashes strings as Java String.hashCode does', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // UTF-16 code units, as Java: a surrogate pair counts as two chars.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
  });

  it('chooses (hashCode & 0x7fffffff) % partitions', () => {
    expect(partitionForKey('hello', 50)).toBe(99162322 % 50);
    expect(partitionForKey('polygenelubricants', 50)).toBe(0);
    const negative = javaStringHashCode('my-consumer-group-1');
    expect(partitionForKey('my-consumer-group-1', 50)).toBe((negative & 0x7fffffff) % 50);
    expect(() => partitionForKey('x', 0)).toThrow(RangeError);
  });
});
