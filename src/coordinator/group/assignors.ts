/**
 * Server-side assignors of consumer groups (KIP-848), selected by name through
 * ConsumerGroupHeartbeat's ServerAssignor or group.consumer.assignors (the first is the
 * default, as in Kafka):
 *
 * - uniform: every partition of a subscribed topic goes to one of its subscribers, as evenly
 *   as subscriptions allow, keeping a partition where it was whenever balance permits
 *   (Kafka's UniformAssignor has the same goals; the exact placement may differ).
 * - range: per topic, the subscribers sorted by member id get consecutive ranges, the first
 *   ones one more when the count does not divide evenly (co-partitioned topics land together,
 *   as with Kafka's RangeAssignor).
 */
import type { TopicPartitions } from './consumer-group.js';

export interface AssignmentSpec {
  /** Members with the topic ids they subscribe to. */
  members: ReadonlyArray<{ memberId: string; topics: ReadonlySet<string> }>;
  /** topic id → partition count, for every subscribed topic that exists. */
  topics: ReadonlyMap<string, number>;
  /** The current target assignment, for stickiness. */
  previous: (memberId: string) => TopicPartitions | undefined;
}

export interface Assignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, TopicPartitions>;
}

type Mutable = Map<string, Map<string, Set<number>>>;

function emptyAssignment(spec: AssignmentSpec): Mutable {
  return new Map(spec.members.map((m) => [m.memberId, new Map<string, Set<number>>()]));
}

function add(a: Mutable, memberId: string, topicId: string, partition: number): void {
  const byTopic = a.get(memberId)!;
  let ps = byTopic.get(topicId);
  if (!ps) byTopic.set(topicId, (ps = new Set()));
  ps.add(partition);
}

export const uniformAssignor: Assignor = {
  name: 'uniform',
  assign(spec) {
    const out = emptyAssignment(spec);
    const load = new Map(spec.members.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>();
    const key = (topicId: string, p: number) => `${topicId}:${p}`;
    const subscribers = new Map<string, string[]>();
    for (const m of spec.members) for (const t of m.topics) if (spec.topics.has(t)) subscribers.set(t, [...(subscribers.get(t) ?? []), m.memberId]);
    // Partitions stay with their previous owner when it still subscribes to the topic.
    for (const m of spec.members) {
      for (const [topicId, ps] of spec.previous(m.memberId) ?? []) {
        const count = spec.topics.get(topicId);
        if (count === undefined || !m.topics.has(topicId)) continue;
        for (const p of ps) {
          if (p >= count || owner.has(key(topicId, p))) continue;
          owner.set(key(topicId, p), m.memberId);
          load.set(m.memberId, load.get(m.memberId)! + 1);
        }
      }
    }
    const leastLoaded = (candidates: readonly string[]) => candidates.reduce((best, id) => (load.get(id)! < load.get(best)! ? id : best));
    // The others go to the least loaded subscriber.
    for (const [topicId, count] of [...spec.topics].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const subs = subscribers.get(topicId);
      if (!subs) continue;
      for (let p = 0; p < count; p++) {
        if (owner.has(key(topicId, p))) continue;
        const to = leastLoaded(subs);
        owner.set(key(topicId, p), to);
        load.set(to, load.get(to)! + 1);
      }
    }
    // Then partitions move from a member to a subscriber with at least two fewer, until none can:
    // each move lowers the sum of squared loads, so this ends.
    for (let moved = true; moved; ) {
      moved = false;
      for (const [k, from] of owner) {
        const topicId = k.slice(0, k.lastIndexOf(':'));
        const to = leastLoaded(subscribers.get(topicId)!);
        if (load.get(to)! + 2 <= load.get(from)!) {
          owner.set(k, to);
          load.set(from, load.get(from)! - 1);
          load.set(to, load.get(to)! + 1);
          moved = true;
        }
      }
    }
    for (const [k, memberId] of owner) {
      const at = k.lastIndexOf(':');
      add(out, memberId, k.slice(0, at), Number(k.slice(at + 1)));
    }
    return out;
  },
};

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(spec) {
    const out = emptyAssignment(spec);
    for (const [topicId, count] of spec.topics) {
      const subs = spec.members.filter((m) => m.topics.has(topicId)).map((m) => m.memberId).sort();
      if (subs.length === 0) continue;
      const quota = Math.floor(count / subs.length);
      const extra = count % subs.length;
      let p = 0;
      subs.forEach((memberId, i) => {
        const n = quota + (i < extra ? 1 : 0);
        for (let j = 0; j < n; j++) add(out, memberId, topicId, p++);
      });
    }
    return out;
  },
};

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([uniformAssignor, rangeAssignor].map((a) => [a.name, a]));

/** group.consumer.assignors entries: a short name, or Kafka's class name of the same assignor. */
export function assignorByConfigName(name: string): Assignor | undefined {
  const short = name.trim();
  if (short === 'org.apache.kafka.coordinator.group.assignor.UniformAssignor') return uniformAssignor;
  if (short === 'org.apache.kafka.coordinator.group.assignor.RangeAssignor') return rangeAssignor;
  return ASSIGNORS.get(short);
}
