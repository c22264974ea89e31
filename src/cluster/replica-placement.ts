/**
 * Where a new partition's replicas go, as Kafka's rack-aware assignment places them: leaders
 * go round the brokers from a start index, each following replica is shifted further along,
 * and with racks the broker list alternates racks and a partition takes a broker of a rack it
 * has not used yet while one remains. The start and shift are random in Kafka; here they are
 * parameters (random by default) so that tests can pin them.
 */

export interface PlacementBroker {
  id: number;
  rack: string | null;
}

export class PlacementError extends Error {}

/** Brokers ordered so that neighbours are on different racks: a1, b1, c1, a2, b2, ... */
export function rackAlternatedBrokers(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b]);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const b = byRack.get(r)![i];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

/**
 * Replica lists for partitions [firstPartition, firstPartition + count). Racks are honoured when
 * every broker has one (Kafka refuses a mix unless told to ignore racks; Skiff then ignores them).
 */
export function placeReplicas(
  brokers: readonly PlacementBroker[],
  count: number,
  replicationFactor: number,
  opts: { firstPartition?: number; start?: number; shift?: number } = {},
): number[][] {
  const n = brokers.length;
  if (replicationFactor > n) {
    throw new PlacementError(`Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${n} broker(s) are registered or some brokers have all their log directories cordoned.`);
  }
  const rackAware = brokers.every((b) => b.rack !== null) && new Set(brokers.map((b) => b.rack)).size > 1;
  const ordered = rackAware ? rackAlternatedBrokers(brokers) : [...brokers].sort((x, y) => x.id - y.id);
  const start = opts.start ?? Math.floor(Math.random() * n);
  let shift = opts.shift ?? Math.floor(Math.random() * n);
  const first = opts.firstPartition ?? 0;
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const p = first + i;
    if (p > 0 && p % n === 0) shift++;
    const leaderIndex = (p + start) % n;
    const replicas = [ordered[leaderIndex]!];
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(ordered[replicaIndex(leaderIndex, shift, j, n)]!);
    } else {
      const racks = new Set(ordered.map((b) => b.rack));
      const usedRacks = new Set([replicas[0]!.rack]);
      for (let k = 0; replicas.length < replicationFactor && k < n * n; k++) {
        const b = ordered[replicaIndex(leaderIndex, shift, k, n)]!;
        if (replicas.includes(b)) continue;
        // A rack that already holds a replica waits until every rack holds one.
        if (usedRacks.has(b.rack) && usedRacks.size < racks.size) continue;
        replicas.push(b);
        usedRacks.add(b.rack);
        if (usedRacks.size === racks.size) usedRacks.clear();
      }
    }
    out.push(replicas.map((b) => b.id));
  }
  return out;
}

function replicaIndex(first: number, shift: number, j: number, n: number): number {
  if (n === 1) return first;
  const s = 1 + ((shift + j) % (n - 1));
  return (first + s) % n;
}
