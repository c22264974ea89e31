import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/client.js';
import { compileFormat, recordJson, type ConsumedRecord } from '../../../src/cli/format.js';
import { rangeAssign } from '../../../src/cli/group-member.js';

const rec: ConsumedRecord = {
  topic: 'orders',
  partition: 2,
  offset: 41n,
  timestamp: 1_700_000_000_123n,
  key: Buffer.from('k1'),
  value: Buffer.from('hello'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
};

describe('consume --format', () => {
  it('expands every kcat token and escape', () => {
    expect(compileFormat('%t/%p@%o %k=%s (%v) %K %S %T [%h] 100%%\\t|\\n')(rec)).toBe('orders/2@41 k1=hello (hello) 2 5 1700000000123 [a=1,b=] 100%\t|\n');
  });

  it('prints null keys and values as nothing, their lengths as -1', () => {
    expect(compileFormat('[%k][%s] %K %S')({ ...rec, key: null, value: null })).toBe('[][] -1 -1');
  });

  it('rejects an unknown token', () => {
    expect(() => compileFormat('%x')).toThrow(UsageError);
  });

  it('--json keeps null apart from empty', () => {
    expect(recordJson({ ...rec, key: null, value: Buffer.alloc(0) })).toMatchObject({ key: null, value: '', offset: 41n });
  });
});

describe('range assignment (consume --group as leader)', () => {
  it('gives the first members one extra partition, per topic, in member id order', () => {
    const got = rangeAssign(
      [
        { memberId: 'm2', topics: ['t', 'u'] },
        { memberId: 'm1', topics: ['t'] },
      ],
      new Map([
        ['t', 5],
        ['u', 2],
      ]),
    );
    expect(got.get('m1')).toEqual(new Map([['t', [0, 1, 2]]]));
    expect(got.get('m2')).toEqual(new Map([['t', [3, 4]], ['u', [0, 1]]]));
  });

  it('leaves members beyond the partition count without partitions', () => {
    const got = rangeAssign(['a', 'b', 'c'].map((memberId) => ({ memberId, topics: ['t'] })), new Map([['t', 2]]));
    expect([...got.values()].map((m) => m.get('t') ?? [])).toEqual([[0], [1], []]);
  });
});
