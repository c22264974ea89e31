/**
 * Membership in a classic consumer group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) for
 * `skiff consume --group`. Offers the "range" assignor, which every Java and librdkafka
 * consumer also offers, so the CLI can share a group with them; as leader it assigns as
 * Kafka's RangeAssignor does.
 */
import { Reader } from '../protocol/codec/reader.js';
import { Writer } from '../protocol/codec/writer.js';
import { codec as heartbeatCodec } from '../protocol/generated/012-heartbeat.js';
import { codec as joinGroupCodec, type JoinGroupResponseMember } from '../protocol/generated/011-join-group.js';
import { codec as leaveGroupCodec } from '../protocol/generated/013-leave-group.js';
import { codec as syncGroupCodec } from '../protocol/generated/014-sync-group.js';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
  type ConsumerProtocolAssignment,
} from '../protocol/generated/data/consumer-protocol-assignment.js';
import { decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../protocol/generated/data/consumer-protocol-subscription.js';
import { check, KafkaError, retrying, type Cluster, type Connection } from './client.js';
import type { TopicPartitions } from './offsets.js';

const SESSION_TIMEOUT_MS = 10_000;
const REBALANCE_TIMEOUT_MS = 30_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
const MEMBER_ID_REQUIRED = 79;
const REBALANCE_IN_PROGRESS = 27;
const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;
const PROTOCOL = 'range';
/** COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR. */
const COORDINATOR_MOVED = new Set([15, 16]);

/** ConsumerProtocol bytes: an int16 version, then the struct in that version. */
function withVersion(version: number, body: Buffer): Buffer {
  const w = Writer.alloc(2);
  w.int16(version);
  return Buffer.concat([w.finish(), body]);
}

export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  if (bytes.length === 0) return { assignedPartitions: [], userData: null };
  const r = new Reader(bytes);
  const version = r.int16();
  // Newer versions only append fields; read what this codec knows.
  return decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
}

function decodeSubscription(bytes: Buffer): string[] {
  const r = new Reader(bytes);
  const version = r.int16();
  return decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), 3)).topics;
}

/** Kafka's RangeAssignor: per topic, members in id order take consecutive ranges, the first ones one extra. */
export function rangeAssign(members: ReadonlyArray<{ memberId: string; topics: string[] }>, partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions> {
  const out = new Map<string, TopicPartitions>(members.map((m) => [m.memberId, new Map()]));
  for (const [topic, count] of partitionCounts) {
    const subscribed = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    if (subscribed.length === 0) continue;
    const per = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    subscribed.forEach((id, i) => {
      const start = per * i + Math.min(i, extra);
      const n = per + (i < extra ? 1 : 0);
      if (n > 0) out.get(id)!.set(topic, Array.from({ length: n }, (_, k) => start + k));
    });
  }
  return out;
}

export class GroupMember {
  memberId = '';
  generationId = -1;
  #rejoinNeeded = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatError: Error | undefined;

  private constructor(
    readonly cluster: Cluster,
    public coordinator: Connection,
    readonly groupId: string,
    readonly topics: string[],
  ) {}

  static async create(cluster: Cluster, groupId: string, topics: string[]): Promise<GroupMember> {
    return new GroupMember(cluster, await cluster.coordinator(groupId), groupId, topics);
  }

  /** True once a heartbeat saw a rebalance: the caller commits, then calls join() again. */
  get rejoinNeeded(): boolean {
    if (this.#heartbeatError) throw this.#heartbeatError;
    return this.#rejoinNeeded;
  }

  /** Joins (or rejoins) the group and returns this member's partitions. */
  join(): Promise<TopicPartitions> {
    return retrying(async () => {
      try {
        return await this.#join();
      } catch (err) {
        // The coordinator moved, or (Kafka, first use) is still loading __consumer_offsets.
        if (err instanceof KafkaError && COORDINATOR_MOVED.has(err.errorCode)) this.coordinator = await this.cluster.coordinator(this.groupId);
        throw err;
      }
    });
  }

  async #join(): Promise<TopicPartitions> {
    this.#stopHeartbeat();
    this.#rejoinNeeded = false;
    const metadata = withVersion(0, encodeConsumerProtocolSubscription({ topics: this.topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0));
    for (;;) {
      const joined = await this.coordinator.request(joinGroupCodec, () => ({
        groupId: this.groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: PROTOCOL, metadata }],
        reason: null,
      }));
      if (joined.errorCode === MEMBER_ID_REQUIRED) {
        this.memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode === UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      check(joined.errorCode, `joining group ${this.groupId}`);
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      const assignments = joined.leader === joined.memberId ? await this.#assign(joined.members) : [];
      const synced = await this.coordinator.request(syncGroupCodec, () => ({
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: PROTOCOL,
        assignments,
      }));
      if (synced.errorCode === REBALANCE_IN_PROGRESS) continue;
      check(synced.errorCode, `syncing group ${this.groupId}`);
      this.#startHeartbeat();
      const mine: TopicPartitions = new Map();
      for (const tp of decodeAssignment(synced.assignment).assignedPartitions) mine.set(tp.topic, [...(mine.get(tp.topic) ?? []), ...tp.partitions]);
      return mine;
    }
  }

  async #assign(members: JoinGroupResponseMember[]): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) }));
    const md = await this.cluster.metadata([...new Set(subs.flatMap((s) => s.topics))]);
    const counts = new Map(md.topics.filter((t) => t.errorCode === 0).map((t) => [t.name!, t.partitions.length]));
    return [...rangeAssign(subs, counts)].map(([memberId, tps]) => ({
      memberId,
      assignment: withVersion(0, encodeConsumerProtocolAssignment({ assignedPartitions: [...tps].map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 0)),
    }));
  }

  #startHeartbeat(): void {
    this.#heartbeat = setInterval(() => {
      this.coordinator
        .request(heartbeatCodec, () => ({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null }))
        .then(
          (res) => {
            if (res.errorCode === REBALANCE_IN_PROGRESS || res.errorCode === ILLEGAL_GENERATION || res.errorCode === UNKNOWN_MEMBER_ID) this.#rejoinNeeded = true;
            else if (res.errorCode !== 0) check(res.errorCode, `heartbeat of group ${this.groupId}`);
          },
          (err: Error) => (this.#heartbeatError = err),
        )
        .catch((err: Error) => (this.#heartbeatError = err));
    }, HEARTBEAT_INTERVAL_MS).unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  async leave(): Promise<void> {
    this.#stopHeartbeat();
    if (this.memberId === '') return;
    const res = await this.coordinator.request(leaveGroupCodec, (v) => ({
      groupId: this.groupId,
      memberId: v < 3 ? this.memberId : '',
      members: v >= 3 ? [{ memberId: this.memberId, groupInstanceId: null, reason: null }] : [],
    }));
    check(res.errorCode, `leaving group ${this.groupId}`);
  }
}
