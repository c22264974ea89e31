/**
 * What ShareFetch (78) and ShareAcknowledge (79) check alike, as Kafka's KafkaApis does: READ
 * on the group, a member id, the session epoch against the share session cache; and the
 * acknowledgements both carry, applied per partition after READ on its topic.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { AcknowledgementBatch } from '../coordinator/share/share-partition.js';
import type { SharePartitionManager } from '../coordinator/share/share-partition-manager.js';
import { type ShareSession, FINAL_EPOCH, INITIAL_EPOCH } from '../coordinator/share/share-sessions.js';
import { authorized, Operation, ResourceType } from './authorize.js';
import type { RequestContext } from './handler.js';

/** Kafka's bound on a share member id (a UUID's text form). */
const MAX_MEMBER_ID_LENGTH = 36;

export interface AcknowledgedPartition {
  topicId: string;
  partition: number;
  errorCode: number;
}

export interface AckTopic {
  topicId: string;
  partitions: ReadonlyArray<{ partitionIndex: number; acknowledgementBatches: readonly AcknowledgementBatch[] }>;
}

export function sharePartitions(ctx: RequestContext): SharePartitionManager {
  return ctx.broker.sharePartitions;
}

/** The request-level error of a share request's group and member, or NONE. */
export function checkGroupAndMember(ctx: RequestContext, groupId: string | null, memberId: string | null): number {
  if (!authorized(ctx, Operation.READ, ResourceType.GROUP, groupId ?? '')) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (groupId === null || groupId === '' || memberId === null || memberId === '' || memberId.length > MAX_MEMBER_ID_LENGTH) return ErrorCode.INVALID_REQUEST;
  return ErrorCode.NONE;
}

/** The session an acknowledgement-carrying request with a non-initial epoch belongs to, or its error. */
export function existingSession(ctx: RequestContext, groupId: string, memberId: string, epoch: number): ShareSession | number {
  if (epoch === INITIAL_EPOCH) return ErrorCode.INVALID_SHARE_SESSION_EPOCH;
  return sharePartitions(ctx).sessions.check(groupId, memberId, epoch);
}

export function isFinalEpoch(epoch: number): boolean {
  return epoch === FINAL_EPOCH;
}

/** Applies the acknowledgements of every partition that has some; one result per such partition. */
export async function applyAcknowledgements(ctx: RequestContext, groupId: string, memberId: string, topics: readonly AckTopic[], allowRenew: boolean): Promise<AcknowledgedPartition[]> {
  const manager = sharePartitions(ctx);
  const work: Array<Promise<AcknowledgedPartition>> = [];
  for (const t of topics) {
    const info = ctx.broker.topics.byId(t.topicId);
    const mayRead = info !== undefined && authorized(ctx, Operation.READ, ResourceType.TOPIC, info.name);
    for (const p of t.partitions) {
      if (p.acknowledgementBatches.length === 0) continue;
      const done = (errorCode: number) => ({ topicId: t.topicId, partition: p.partitionIndex, errorCode });
      if (info === undefined) work.push(Promise.resolve(done(ErrorCode.UNKNOWN_TOPIC_ID)));
      else if (!mayRead) work.push(Promise.resolve(done(ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
      else if (p.partitionIndex < 0 || p.partitionIndex >= info.partitions) work.push(Promise.resolve(done(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)));
      else if (!leads(ctx, info.name, p.partitionIndex)) work.push(Promise.resolve(done(ErrorCode.NOT_LEADER_OR_FOLLOWER)));
      else work.push(manager.acknowledge(groupId, memberId, t.topicId, p.partitionIndex, p.acknowledgementBatches, allowRenew).then(done));
    }
  }
  return Promise.all(work);
}

/** True unless a virtual cluster's peer leads the partition. */
export function leads(ctx: RequestContext, topic: string, partition: number): boolean {
  const state = ctx.broker.replicas?.state(topic, partition);
  return state === undefined || state.leader === ctx.broker.nodeId;
}

/** The lock duration a response announces: the group's share.record.lock.duration.ms. */
export function lockTimeoutMs(ctx: RequestContext, groupId: string | null): number {
  return sharePartitions(ctx).settings(groupId ?? '').lockDurationMs;
}

/** The sessions opened on each connection: they end when it closes (Kafka's connection disconnect listener). */
const sessionsByConnection = new WeakMap<AbortSignal, Set<ShareSession>>();

export function endWithConnection(ctx: RequestContext, session: ShareSession): void {
  const signal = ctx.connection.signal;
  let set = sessionsByConnection.get(signal);
  if (set === undefined) {
    const sessions = (set = new Set());
    sessionsByConnection.set(signal, sessions);
    const manager = sharePartitions(ctx);
    signal.addEventListener(
      'abort',
      () => {
        for (const s of sessions) if (manager.sessions.get(s.groupId, s.memberId) === s) void manager.closeSession(s);
        sessions.clear();
      },
      { once: true },
    );
  }
  // Sessions this connection replaced or closed are dropped here, so the set stays as small as the live ones.
  for (const s of set) if (sharePartitions(ctx).sessions.get(s.groupId, s.memberId) !== s) set.delete(s);
  set.add(session);
}
