/**
 * OffsetFetch (key 9), v0-v9. v0-v7 ask for one group, v8+ for several. Topics null (v2+)
 * asks for every committed offset of the group. A partition without an offset answers -1
 * and empty metadata. With requireStable (v7+), a partition whose offset an open transaction
 * is changing (TxnOffsetCommit not yet ended by its marker) answers UNSTABLE_OFFSET_COMMIT,
 * and the client retries. v0/v1 have no top-level error, so a group-level error (the
 * coordinator loading) goes on every partition asked for. v9+ names the member of a
 * consumer group asking (KIP-848): an unknown member or an old epoch fails the group.
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
import { defineHandler, schemaVersions } from '../handler.js';

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

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  ...schemaVersions(ApiKey.OffsetFetch),
  codec,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    if (v < 8) return singleGroup(fetchGroup(ctx.broker, req.groupId, req.topics, v, req.requireStable), v);
    return { ...defaultOffsetFetchResponse(), groups: req.groups.map((g) => groupEntry(g.groupId, fetchGroup(ctx.broker, g.groupId, g.topics, v, req.requireStable, v >= 9 ? g : undefined))) };
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
