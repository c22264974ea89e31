/**
 * OffsetFetch (key 9), v0-v10. v0-v7 ask for one group, v8+ for several. Topics null (v2+)
 * asks for every committed offset of the group. A partition without an offset answers -1
 * and empty metadata. With requireStable (v7+), a partition whose offset an open transaction
 * is changing (TxnOffsetCommit not yet ended by its marker) answers UNSTABLE_OFFSET_COMMIT,
 * and the client retries. v0/v1 have no top-level error, so a group-level error (the
 * coordinator loading) goes on every partition asked for. v9+ names the member of a
 * consumer group asking (KIP-848): an unknown member or an old epoch fails the group. v10
 * names topics by id: an id the broker does not know answers UNKNOWN_TOPIC_ID on each of its
 * partitions, and a group's offsets for a topic that no longer exists are left out (no id to
 * name it by). Offsets of topics the principal may not describe are hidden as Kafka hides them.
 */
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  defaultOffsetFetchResponse,
  codec,
} from '../../protocol/generated/009-offset-fetch.js';
import type { FetchedOffsets } from '../../coordinator/group/group-coordinator.js';
import type { BrokerServices } from '../services.js';
import { authorized, Operation, requireAuthorized, ResourceType } from '../authorize.js';
import { defineHandler, schemaVersions, type RequestContext } from '../handler.js';

type TopicsAsked = Array<{ name: string; partitionIndexes: number[] }> | null;

function fetchGroup(broker: BrokerServices, groupId: string, topics: TopicsAsked, version: number, requireStable: boolean, member?: { memberId: string | null; memberEpoch: number }): FetchedOffsets {
  const fetched = broker.groups.fetchOffsets(groupId, topics, version >= 7 && requireStable, member);
  if (fetched.errorCode !== ErrorCode.NONE && topics !== null) {
    return {
      errorCode: fetched.errorCode,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          // Kafka puts the group error on partitions only where the top level cannot carry it.
          errorCode: version < 2 ? fetched.errorCode : ErrorCode.NONE,
        })),
      })),
    };
  }
  return fetched;
}

/** An answer for partitions of a topic the principal may not describe. */
function deniedPartitions(partitionIndexes: readonly number[]): FetchedOffsets['topics'][number]['partitions'] {
  return partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
}

/**
 * fetchGroup with Kafka's topic checks: offsets of topics the principal may not DESCRIBE are
 * left out when every topic is asked for, and answer TOPIC_AUTHORIZATION_FAILED on each
 * partition when named (after the fetched ones; nothing is added to a group-level error).
 */
function fetchDescribable(ctx: RequestContext, groupId: string, topics: TopicsAsked, version: number, requireStable: boolean, member?: { memberId: string | null; memberEpoch: number }): FetchedOffsets {
  const describable = (name: string): boolean => authorized(ctx, Operation.DESCRIBE, ResourceType.TOPIC, name);
  if (topics === null) {
    const f = fetchGroup(ctx.broker, groupId, null, version, requireStable, member);
    return f.errorCode === ErrorCode.NONE ? { ...f, topics: f.topics.filter((t) => describable(t.name)) } : f;
  }
  const allowed = topics.filter((t) => describable(t.name));
  const f = fetchGroup(ctx.broker, groupId, allowed, version, requireStable, member);
  if (f.errorCode !== ErrorCode.NONE || allowed.length === topics.length) return f;
  const denied = topics.filter((t) => !allowed.includes(t));
  return { ...f, topics: [...f.topics, ...denied.map((t) => ({ name: t.name, partitions: deniedPartitions(t.partitionIndexes) }))] };
}

function singleGroup(f: FetchedOffsets, version: number): OffsetFetchResponse {
  return {
    ...defaultOffsetFetchResponse(),
    errorCode: version >= 2 ? f.errorCode : 0,
    topics: f.topics.map((t) => ({
      name: t.name,
      topicId: ZERO_UUID,
      partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: version >= 5 ? p.committedLeaderEpoch : -1 })),
    })),
  };
}

function groupEntry(groupId: string, f: FetchedOffsets): OffsetFetchResponseGroup {
  return { groupId, errorCode: f.errorCode, topics: f.topics.map((t) => ({ ...t, topicId: ZERO_UUID })) };
}

type GroupAsked = OffsetFetchRequest['groups'][number];

/** v10: the group's topics asked by id, fetched by name, answered by id. */
function fetchGroupByIds(ctx: RequestContext, g: GroupAsked, requireStable: boolean): OffsetFetchResponseGroup {
  const { broker } = ctx;
  const asked = g.topics?.map((t) => ({ topicId: t.topicId, name: broker.topics.byId(t.topicId)?.name, partitionIndexes: t.partitionIndexes }));
  const byName = asked?.flatMap((t) => (t.name === undefined ? [] : [{ name: t.name, partitionIndexes: t.partitionIndexes }])) ?? null;
  const f = fetchDescribable(ctx, g.groupId, byName, 10, requireStable, g);
  const found = new Map(f.topics.map((t) => [t.name, t]));
  const idOf = (name: string) => broker.topics.get(name)?.topicId;
  const topics =
    asked === undefined
      ? f.topics.flatMap((t) => {
          const topicId = idOf(t.name);
          return topicId === undefined ? [] : [{ ...t, topicId }];
        })
      : asked.map((t) => {
          const fetched = t.name === undefined ? undefined : found.get(t.name);
          if (fetched) return { ...fetched, topicId: t.topicId };
          const errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          return { name: '', topicId: t.topicId, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })) };
        });
  return { groupId: g.groupId, errorCode: f.errorCode, topics };
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  ...schemaVersions(ApiKey.OffsetFetch),
  codec,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    if (v < 8) {
      requireAuthorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, req.groupId);
      return singleGroup(fetchDescribable(ctx, req.groupId, req.topics, v, req.requireStable), v);
    }
    const fetchOrDeny = (g: (typeof req.groups)[number]): OffsetFetchResponseGroup => {
      if (!authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, g.groupId)) return groupEntry(g.groupId, { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] });
      if (v >= 10) return fetchGroupByIds(ctx, g, req.requireStable);
      return groupEntry(g.groupId, fetchDescribable(ctx, g.groupId, g.topics, v, req.requireStable, v >= 9 ? g : undefined));
    };
    return { ...defaultOffsetFetchResponse(), groups: req.groups.map(fetchOrDeny) };
  },
  errorResponse(req, errorCode, ctx) {
    const v = ctx.apiVersion;
    const failed = (topics: TopicsAsked): FetchedOffsets => ({
      errorCode,
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: v < 2 ? errorCode : 0 })),
      })),
    });
    if (v < 8) return singleGroup(failed(req.topics), v);
    return { ...defaultOffsetFetchResponse(), groups: req.groups.map((g) => groupEntry(g.groupId, failed(g.topics))) };
  },
});
