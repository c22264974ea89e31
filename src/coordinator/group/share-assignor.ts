/**
 * The share group assignor (KIP-932), Kafka's SimpleAssignor ("simple"). Unlike a consumer
 * group's, a partition may go to several members: with more members than partitions each
 * partition is shared by ceil(members / partitions) of them; with fewer, each member gets a
 * balanced share of the partitions. As Kafka's builders:
 *
 * - every member gets a desired count, ceil(p * (i + 1)) - ceil(p * i) for the i-th member
 *   where p = sharing * partitions / members, so the counts add up and differ by at most one;
 * - a member keeps what it had (stickiness) unless it no longer subscribes to the topic, the
 *   partition is shared by more members than desired, or the member has more than its count;
 * - partitions short of members then go to members short of partitions, in turn.
 *
 * When every member subscribes to the same topics the balance is over all their partitions
 * (Kafka's homogeneous builder); otherwise it is worked out topic by topic among that topic's
 * subscribers (the heterogeneous builder). Only assignable partitions (their share state is
 * initialized) are assigned. Kafka walks members and partitions in Java hash order; here they
 * go in member id and partition order, so which member gets which partition may differ from
 * Kafka's while the counts are the same.
 */
import type { TopicPartitions } from './consumer-group.js';

export interface ShareAssignmentSpec {
  /** Members with the topic ids they subscribe to. */
  members: ReadonlyArray<{ memberId: string; topics: ReadonlySet<string> }>;
  /** topic id → the partitions that may be assigned (initialized share state). */
  assignable: ReadonlyMap<string, readonly number[]>;
  /** The current target assignment, for stickiness. */
  previous: (memberId: string) => TopicPartitions | undefined;
}

export const SHARE_ASSIGNOR_NAME = 'simple';

type Partition = string; // `${topicId}:${partition}`
const key = (topicId: string, p: number): Partition => `${topicId}:${p}`;

/** One balancing unit: some partitions shared among some members. */
function assignUnit(partitions: readonly Partition[], memberIds: readonly string[], previous: ReadonlyMap<string, ReadonlySet<Partition>>, homogeneous: boolean): Map<string, Set<Partition>> {
  const out = new Map(memberIds.map((m) => [m, new Set<Partition>()]));
  if (memberIds.length === 0 || partitions.length === 0) return out;
  const targets = new Set(partitions);
  const sharing = Math.ceil(memberIds.length / partitions.length);
  const precise = (sharing * partitions.length) / memberIds.length;
  const desired = new Map(memberIds.map((m, i) => [m, Math.ceil(precise * (i + 1)) - Math.ceil(precise * i)]));
  const byPartition = new Map<Partition, string[]>();
  // 1. Keep what each member had of the unit's partitions.
  for (const m of memberIds) {
    for (const tp of previous.get(m) ?? []) {
      if (!targets.has(tp)) continue;
      out.get(m)!.add(tp);
      byPartition.set(tp, [...(byPartition.get(tp) ?? []), m]);
    }
  }
  const overfilled = (m: string) => out.get(m)!.size > desired.get(m)!;
  const drop = (m: string, tp: Partition) => {
    out.get(m)!.delete(tp);
    byPartition.set(tp, byPartition.get(tp)!.filter((x) => x !== m));
  };
  const revokeOvershared = () => {
    for (const [tp, holders] of byPartition) {
      // Overfilled members give up an over-shared partition first, then the others.
      for (const pass of [true, false]) {
        for (const m of [...holders]) {
          if (byPartition.get(tp)!.length <= sharing) break;
          if (overfilled(m) === pass) drop(m, tp);
        }
      }
    }
  };
  const revokeOverfilled = () => {
    for (const m of memberIds) for (const tp of [...out.get(m)!].sort().reverse()) if (overfilled(m)) drop(m, tp);
  };
  if (homogeneous) {
    revokeOvershared();
    revokeOverfilled();
  } else {
    revokeOverfilled();
    revokeOvershared();
  }
  // 2. Partitions short of members go to members short of partitions, in turn.
  const unfilled = memberIds.filter((m) => out.get(m)!.size < desired.get(m)!);
  let turn = 0;
  for (const tp of partitions) {
    const holders = byPartition.get(tp) ?? [];
    let tries = 0;
    while (holders.length < sharing && unfilled.length > 0 && tries < unfilled.length) {
      const m = unfilled[turn % unfilled.length]!;
      if (holders.includes(m)) {
        turn++;
        tries++;
        continue;
      }
      out.get(m)!.add(tp);
      holders.push(m);
      tries = 0;
      if (out.get(m)!.size >= desired.get(m)!) unfilled.splice(turn % unfilled.length, 1);
      else turn++;
    }
    byPartition.set(tp, holders);
    if (unfilled.length === 0) break;
  }
  return out;
}

export function assignShareGroup(spec: ShareAssignmentSpec): Map<string, TopicPartitions> {
  const memberIds = spec.members.map((m) => m.memberId).sort();
  const topicsOf = new Map(spec.members.map((m) => [m.memberId, m.topics]));
  const previous = new Map(memberIds.map((m) => [m, new Set([...(spec.previous(m) ?? [])].flatMap(([t, ps]) => [...ps].map((p) => key(t, p))))]));
  const partitionsOf = (topicId: string) => (spec.assignable.get(topicId) ?? []).map((p) => key(topicId, p));
  const first = topicsOf.get(memberIds[0] ?? '');
  const homogeneous = first !== undefined && memberIds.every((m) => sameSet(topicsOf.get(m)!, first));
  const result = new Map(memberIds.map((m) => [m, new Set<Partition>()]));
  if (homogeneous) {
    const partitions = [...first].sort().flatMap(partitionsOf);
    for (const [m, ps] of assignUnit(partitions, memberIds, previous, true)) result.set(m, ps);
  } else {
    const topics = [...new Set(spec.members.flatMap((m) => [...m.topics]))].sort();
    for (const topicId of topics) {
      const subscribers = memberIds.filter((m) => topicsOf.get(m)!.has(topicId));
      for (const [m, ps] of assignUnit(partitionsOf(topicId), subscribers, previous, false)) for (const tp of ps) result.get(m)!.add(tp);
    }
  }
  const out = new Map<string, TopicPartitions>();
  for (const [m, ps] of result) {
    const byTopic = new Map<string, Set<number>>();
    for (const tp of ps) {
      const at = tp.lastIndexOf(':');
      const topicId = tp.slice(0, at);
      let set = byTopic.get(topicId);
      if (!set) byTopic.set(topicId, (set = new Set()));
      set.add(Number(tp.slice(at + 1)));
    }
    out.set(m, byTopic);
  }
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
