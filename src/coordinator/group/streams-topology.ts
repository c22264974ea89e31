/**
 * A streams group's topology against the topics that exist (Kafka's InternalTopicManager):
 * missing source topics, the partition counts of repartition topics (derived from the
 * subtopologies writing to them), copartitioning, changelog topics with one partition per
 * task, and the internal topics still to create. The outcome is never persisted: it is
 * recomputed whenever the topology or the topics change.
 */
import type { StreamsGroupTopologyValue } from '../../protocol/generated/group-coordinator/streams-group-topology-value.js';

type Subtopology = StreamsGroupTopologyValue['subtopologies'][number];

/** Kafka's StreamsGroupHeartbeatResponse.Status codes. */
export const StreamsStatus = {
  STALE_TOPOLOGY: 0,
  MISSING_SOURCE_TOPICS: 1,
  INCORRECTLY_PARTITIONED_TOPICS: 2,
  MISSING_INTERNAL_TOPICS: 3,
  SHUTDOWN_APPLICATION: 4,
  ASSIGNMENT_DELAYED: 5,
} as const;

export interface InternalTopic {
  name: string;
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ConfiguredTopology {
  topologyEpoch: number;
  /** True when every topic is there with the expected partitions: tasks can be assigned. */
  ready: boolean;
  /** subtopology id → number of tasks (only when ready). */
  tasks: ReadonlyMap<string, number>;
  /** subtopology id → the topics whose partition i is read by task i. */
  inputTopics: ReadonlyMap<string, readonly string[]>;
  internalTopicsToCreate: InternalTopic[];
  /** The status to report while not ready. */
  problem: { code: number; detail: string } | null;
}

class TopicConfigurationError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kafka's summary of topic names in messages: sorted, at most 10 shown. */
function summarize(names: Iterable<string>): string {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, 10).join(', ');
  return sorted.length > 10 ? `[${shown}, ...] (${sorted.length} topics)` : `[${shown}]`;
}

/** `partitionsOf` answers for existing topics only. */
export function configureTopology(topology: StreamsGroupTopologyValue, partitionsOf: (topic: string) => number | undefined): ConfiguredTopology {
  const notReady = (code: number, detail: string, toCreate: InternalTopic[] = []): ConfiguredTopology => ({
    topologyEpoch: topology.epoch,
    ready: false,
    tasks: new Map(),
    inputTopics: new Map(),
    internalTopicsToCreate: toCreate,
    problem: { code, detail },
  });
  const missing = new Set<string>();
  for (const s of topology.subtopologies) for (const t of s.sourceTopics) if (partitionsOf(t) === undefined) missing.add(t);
  if (missing.size > 0) return notReady(StreamsStatus.MISSING_SOURCE_TOPICS, `Source topics ${summarize(missing)} are missing.`);
  try {
    const decided = decidePartitionCounts(topology.subtopologies, partitionsOf);
    const count = (t: string): number => partitionsOf(t) ?? decided.get(t)!;
    const tasks = new Map<string, number>();
    const inputTopics = new Map<string, readonly string[]>();
    for (const s of topology.subtopologies) {
      const inputs = [...s.sourceTopics, ...s.repartitionSourceTopics.map((t) => t.name)];
      tasks.set(s.subtopologyId, Math.max(0, ...inputs.map(count)));
      inputTopics.set(s.subtopologyId, inputs);
    }
    const toCreate = new Map<string, InternalTopic>();
    for (const s of topology.subtopologies) {
      for (const t of s.repartitionSourceTopics) toCreate.set(t.name, internalTopic(t, decided.get(t.name) ?? t.partitions, {}));
      // One changelog partition per task of the subtopology; changelogs are compacted.
      for (const t of s.stateChangelogTopics) toCreate.set(t.name, internalTopic(t, tasks.get(s.subtopologyId)!, { 'cleanup.policy': 'compact' }));
    }
    for (const [name, t] of [...toCreate]) {
      const existing = partitionsOf(name);
      if (existing === undefined) continue;
      toCreate.delete(name);
      if (existing !== t.partitions) {
        throw new TopicConfigurationError(StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS, `Existing topic ${name} has different number of partitions: expected ${t.partitions}, found ${existing}`);
      }
    }
    if (toCreate.size > 0) return notReady(StreamsStatus.MISSING_INTERNAL_TOPICS, `Internal topics are missing: ${summarize(toCreate.keys())}`, [...toCreate.values()]);
    return { topologyEpoch: topology.epoch, ready: true, tasks, inputTopics, internalTopicsToCreate: [], problem: null };
  } catch (err) {
    if (err instanceof TopicConfigurationError) return notReady(err.code, err.message);
    throw err;
  }
}

function internalTopic(t: { name: string; partitions: number; replicationFactor: number; topicConfigs: Array<{ key: string; value: string }> }, partitions: number, defaults: Record<string, string>): InternalTopic {
  const configs: Record<string, string> = { ...defaults };
  for (const c of t.topicConfigs) configs[c.key] = c.value;
  return { name: t.name, partitions, replicationFactor: t.replicationFactor === 0 ? -1 : t.replicationFactor, configs };
}

/**
 * Kafka's RepartitionTopics and CopartitionedTopicsEnforcer: a repartition topic without a
 * set count gets the largest count among the inputs of the subtopologies writing to it,
 * repeated until nothing changes; then each copartition group is made consistent.
 */
function decidePartitionCounts(subtopologies: readonly Subtopology[], partitionsOf: (topic: string) => number | undefined): Map<string, number> {
  const decided = new Map<string, number>();
  for (const s of subtopologies) for (const t of s.repartitionSourceTopics) if (t.partitions > 0) decided.set(t.name, t.partitions);
  const known = (t: string): number | undefined => partitionsOf(t) ?? decided.get(t);
  const flexible = new Set<string>();
  for (const s of subtopologies) for (const t of s.repartitionSourceTopics) if (t.partitions === 0) flexible.add(t.name);
  let progress = true;
  while (progress) {
    progress = false;
    for (const topic of flexible) {
      if (decided.has(topic)) continue;
      let max: number | undefined;
      for (const s of subtopologies) {
        if (!s.repartitionSinkTopics.includes(topic)) continue;
        for (const input of [...s.sourceTopics, ...s.repartitionSourceTopics.map((t) => t.name)]) {
          const n = known(input);
          if (n !== undefined) max = Math.max(max ?? 0, n);
        }
      }
      if (max !== undefined) {
        decided.set(topic, max);
        progress = true;
      }
    }
  }
  const undecided = [...flexible].filter((t) => !decided.has(t));
  if (undecided.length > 0) {
    throw new TopicConfigurationError(StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS, `Failed to compute number of partitions for all repartition topics. Make sure that all upstream topics exist: ${summarize(undecided)}`);
  }
  for (const s of subtopologies) {
    for (const g of s.copartitionGroups) {
      const sources = g.sourceTopics.map((i) => s.sourceTopics[i]!).filter((t) => t !== undefined);
      const repartition = g.repartitionSourceTopics.map((i) => s.repartitionSourceTopics[i]?.name).filter((t): t is string => t !== undefined);
      enforceCopartitioning(sources, repartition, flexible, partitionsOf, decided);
    }
  }
  return decided;
}

function enforceCopartitioning(sources: string[], repartition: string[], flexible: ReadonlySet<string>, partitionsOf: (topic: string) => number | undefined, decided: Map<string, number>): void {
  const sourceCounts = new Set(sources.map((t) => partitionsOf(t)!));
  if (sourceCounts.size > 1) {
    throw new TopicConfigurationError(
      StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS,
      `Following topics do not have the same number of partitions: [${sources.map((t) => `${t}=${partitionsOf(t)}`).sort().join(', ')}]`,
    );
  }
  const fixed = repartition.filter((t) => !flexible.has(t));
  const fixedCounts = new Set(fixed.map((t) => decided.get(t)!));
  let target: number;
  if (sourceCounts.size === 1) target = [...sourceCounts][0]!;
  else if (fixedCounts.size > 0) target = [...fixedCounts][0]!;
  else target = Math.max(...repartition.map((t) => decided.get(t)!));
  for (const t of fixed) {
    if (decided.get(t) !== target) {
      throw new TopicConfigurationError(
        StreamsStatus.INCORRECTLY_PARTITIONED_TOPICS,
        `Number of partitions [${decided.get(t)}] of repartition topic [${t}] doesn't match number of partitions [${target}] of the source topic.`,
      );
    }
  }
  for (const t of repartition) if (flexible.has(t)) decided.set(t, target);
}
