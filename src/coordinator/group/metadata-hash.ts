/**
 * The metadata hash the consumer, share and streams groups keep: it changes when one of the
 * topics is created, deleted or gains partitions (and, with `withRacks`, when the racks of a
 * partition's replicas change, KIP-1101), which is what makes a new target assignment due.
 * Kafka hashes the same facts with another function.
 */
import { createHash } from 'node:crypto';

/** The part of the managers' TopicsView the hash reads. */
interface TopicFacts {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  partitionRacks?(name: string, partition: number): readonly string[];
}

export function topicsMetadataHash(view: TopicFacts, topics: ReadonlySet<string>, withRacks: boolean): bigint {
  const parts: string[] = [];
  for (const name of [...topics].sort()) {
    const t = view.byName(name);
    if (!t) continue;
    parts.push(`${name}\u0000${t.topicId}\u0000${t.partitions}`);
    if (withRacks && view.partitionRacks) for (let p = 0; p < t.partitions; p++) parts.push([...view.partitionRacks(name, p)].sort().join('\u0000'));
  }
  if (parts.length === 0) return 0n;
  return createHash('sha256').update(parts.join('\u0001')).digest().readBigInt64BE(0);
}
