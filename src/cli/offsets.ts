/** Offset lookups and commits shared by consume and group: ListOffsets, OffsetFetch, OffsetCommit. */
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { codec as listOffsetsCodec } from '../protocol/generated/002-list-offsets.js';
import { codec as offsetCommitCodec } from '../protocol/generated/008-offset-commit.js';
import { codec as offsetFetchCodec } from '../protocol/generated/009-offset-fetch.js';
import { check, KafkaError, retrying, type Cluster, type Connection } from './client.js';

/** The last OffsetCommit and OffsetFetch version that names topics (v10 sends ids). */
const OFFSETS_BY_NAME_MAX = 9;

/** ListOffsets special timestamps. */
export const LATEST = -1n;
export const EARLIEST = -2n;

export type TopicPartitions = Map<string, number[]>;

/**
 * The offset for `timestamp` (LATEST, EARLIEST or a time in ms) of each partition, asked of
 * each partition's leader. A timestamp after the last record gives -1, as in Kafka.
 */
export async function listOffsets(cluster: Cluster, wanted: TopicPartitions, timestamp: bigint): Promise<Map<string, bigint>> {
  const md = await cluster.metadata([...wanted.keys()]);
  const byLeader = new Map<number, Array<[string, number]>>();
  for (const [topic, partitions] of wanted) {
    const t = md.topics.find((x) => x.name === topic);
    if (!t) throw new KafkaError(3, `topic ${topic}`);
    check(t.errorCode, `topic ${topic}`);
    for (const p of partitions) {
      const leader = t.partitions.find((x) => x.partitionIndex === p)?.leaderId;
      if (leader === undefined) throw new KafkaError(3, `partition ${topic}-${p}`);
      if (leader < 0) throw new KafkaError(5, `partition ${topic}-${p}`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), [topic, p]]);
    }
  }
  const out = new Map<string, bigint>();
  await Promise.all(
    [...byLeader].map(async ([leader, tps]) => {
      const conn = await cluster.node(leader);
      const topics = [...new Set(tps.map(([t]) => t))];
      const res = await conn.request(listOffsetsCodec, () => ({
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 30_000,
        topics: topics.map((name) => ({
          name,
          partitions: tps.filter(([t]) => t === name).map(([, p]) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
        })),
      }));
      for (const t of res.topics) {
        for (const p of t.partitions) {
          check(p.errorCode, `listing offsets of ${t.name}-${p.partitionIndex}`);
          out.set(tpKey(t.name, p.partitionIndex), p.oldStyleOffsets.length > 0 ? p.oldStyleOffsets[0]! : p.offset);
        }
      }
    }),
  );
  return out;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Committed offsets of a group (-1: none), for the given partitions or (null) all it has. */
export function fetchCommitted(coordinator: Connection, groupId: string, topics: TopicPartitions | null): Promise<Map<string, bigint>> {
  return retrying(() => fetchCommittedOnce(coordinator, groupId, topics));
}

async function fetchCommittedOnce(coordinator: Connection, groupId: string, topics: TopicPartitions | null): Promise<Map<string, bigint>> {
  const wanted = topics === null ? null : [...topics].map(([name, partitionIndexes]) => ({ name, topicId: ZERO_UUID, partitionIndexes }));
  const res = await coordinator.request(offsetFetchCodec, (v) =>
    v >= 8
      ? { groupId: '', topics: [], requireStable: true, groups: [{ groupId, memberId: null, memberEpoch: -1, topics: wanted }] }
      : { groupId, topics: wanted, requireStable: v >= 7, groups: [] },
    OFFSETS_BY_NAME_MAX,
  );
  const group = res.groups[0];
  const code = group ? group.errorCode : res.errorCode;
  check(code, `fetching the offsets of group ${groupId}`);
  const out = new Map<string, bigint>();
  for (const t of group ? group.topics : res.topics) {
    for (const p of t.partitions) {
      check(p.errorCode, `fetching the offset of group ${groupId} for ${t.name}-${p.partitionIndex}`);
      out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    }
  }
  return out;
}

export interface Commit {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Commits offsets; outside a generation (generation -1, no member id) for an empty group. */
export async function commitOffsets(coordinator: Connection, groupId: string, commits: Commit[], generationId = -1, memberId = ''): Promise<void> {
  if (commits.length === 0) return;
  const topics = [...new Set(commits.map((c) => c.topic))];
  const res = await coordinator.request(offsetCommitCodec, () => ({
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: topics.map((name) => ({
      name,
      topicId: ZERO_UUID,
      partitions: commits
        .filter((c) => c.topic === name)
        .map((c) => ({ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
    })),
  }), OFFSETS_BY_NAME_MAX);
  for (const t of res.topics) for (const p of t.partitions) check(p.errorCode, `committing the offset of group ${groupId} for ${t.name}-${p.partitionIndex}`);
}
