import { describe, expect, it } from 'vitest';
import { placeReplicas, rackAlternatedBrokers } from '../../../src/cluster/replica-placement.js';

const brokers = (racks: Array<string | null>) => racks.map((rack, i) => ({ id: i + 1, rack }));

describe('replica placement', () => {
  it('spreads leaders round the brokers and never puts two replicas of a partition on one broker', () => {
    const placed = placeReplicas(brokers([null, null, null]), 6, 3, { start: 0, shift: 0 });
    expect(placed.map((r) => r[0])).toEqual([1, 2, 3, 1, 2, 3]);
    for (const r of placed) expect(new Set(r).size).toBe(3);
    // The follower shift moves on after a full round, as in Kafka's assignment.
    expect(placed[0]).toEqual([1, 2, 3]);
    expect(placed[3]).toEqual([1, 3, 2]);
  });

  it('alternates racks and gives every partition replicas on distinct racks while racks remain', () => {
    const list = brokers(['a', 'a', 'b', 'b', 'c', 'c']);
    expect(rackAlternatedBrokers(list).map((b) => b.id)).toEqual([1, 3, 5, 2, 4, 6]);
    const rackOf = new Map(list.map((b) => [b.id, b.rack]));
    for (const start of [0, 1, 2, 3, 4, 5]) {
      for (const r of placeReplicas(list, 12, 3, { start, shift: start })) {
        expect(new Set(r.map((id) => rackOf.get(id))).size).toBe(3);
      }
    }
  });

  it('refuses a replication factor above the broker count with Kafka\'s message', () => {
    expect(() => placeReplicas(brokers([null, null]), 1, 3)).toThrow('only 2 broker(s) are registered');
  });
});
