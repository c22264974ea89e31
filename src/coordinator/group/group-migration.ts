/**
 * Online migration between classic and consumer groups (KIP-848): the embedded consumer
 * protocol a classic member speaks (Kafka's ConsumerProtocol: an int16 version, then the
 * subscription or assignment struct), and the conversion of a whole group from one type to
 * the other, as Kafka's ConsumerGroup.fromClassicGroup and ClassicGroup.fromConsumerGroup.
 *
 * Nothing here writes records or touches the groups map: the managers do, so a conversion
 * is appended and replayed like any other change.
 */
import { DecodeError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { readConsumerProtocolAssignment, sizeConsumerProtocolAssignment, writeConsumerProtocolAssignment } from '../../protocol/generated/data/consumer-protocol-assignment.js';
import { type ConsumerProtocolSubscription, readConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js';
import type { ClassicMemberMetadata } from '../../protocol/generated/group-coordinator/consumer-group-member-metadata-value.js';
import { ConsumerGroup, type ConsumerMember, MemberState, NO_PARTITIONS, type TopicPartitions, newConsumerMember } from './consumer-group.js';
import { CONSUMER_PROTOCOL_TYPE, ClassicGroup, Member, type Protocol } from './group.js';

/** Topic names and ids, as the coordinator's topics view gives them. */
interface TopicsView {
  byName(name: string): { topicId: string } | undefined;
  byId(topicId: string): { name: string } | undefined;
}

/** group.consumer.migration.policy */
export type MigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';

export function upgradeEnabled(p: MigrationPolicy): boolean {
  return p === 'upgrade' || p === 'bidirectional';
}

export function downgradeEnabled(p: MigrationPolicy): boolean {
  return p === 'downgrade' || p === 'bidirectional';
}

/** The highest ConsumerProtocol version; newer ones are read as this one (their extra fields are ignored). */
const CONSUMER_PROTOCOL_MAX_VERSION = 3;

/** A conversion Kafka refuses: the request answers GROUP_ID_NOT_FOUND with this message. */
export class MigrationError extends Error {}

/** The version a member's subscription was written with (Kafka's ConsumerProtocol.deserializeVersion). */
export function subscriptionVersion(metadata: Buffer): number {
  if (metadata.length < 2) throw new DecodeError('consumer protocol subscription without a version');
  const v = metadata.readInt16BE(0);
  if (v < 0) throw new DecodeError(`consumer protocol subscription version ${v}`);
  return Math.min(v, CONSUMER_PROTOCOL_MAX_VERSION);
}

export function decodeSubscription(metadata: Buffer): ConsumerProtocolSubscription {
  const r = new Reader(metadata);
  r.int16();
  return readConsumerProtocolSubscription(r, subscriptionVersion(metadata));
}

/** A member's partitions as a ConsumerProtocol assignment of `version` (the one of its subscription). */
export function encodeAssignment(a: TopicPartitions, topics: TopicsView, version: number): Buffer {
  const assignment = {
    assignedPartitions: [...a].flatMap(([topicId, ps]) => {
      const name = topics.byId(topicId)?.name;
      return name === undefined ? [] : [{ topic: name, partitions: [...ps].sort((x, y) => x - y) }];
    }),
    userData: null,
  };
  const w = Writer.alloc(2 + sizeConsumerProtocolAssignment(assignment, version));
  w.int16(version);
  writeConsumerProtocolAssignment(w, assignment, version);
  return w.finish();
}

/** Topic names to ids; topics that do not exist (any more) are left out, as Kafka's toTopicPartitionMap. */
export function byTopicId(list: ReadonlyArray<{ topic: string; partitions: readonly number[] }>, topics: TopicsView): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const { topic, partitions } of list) {
    const id = topics.byName(topic)?.topicId;
    if (id === undefined || partitions.length === 0) continue;
    out.set(id, new Set([...(out.get(id) ?? []), ...partitions]));
  }
  return out;
}

/** What a consumer group keeps of a classic member's JoinGroup (ConsumerGroupMemberMetadataValue.ClassicMemberMetadata). */
export function classicMemberMetadata(sessionTimeoutMs: number, protocols: readonly Protocol[]): ClassicMemberMetadata {
  return { sessionTimeoutMs, supportedProtocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata })) };
}

/**
 * Kafka's ConsumerGroup.fromClassicGroup: every member keeps the assignment of the last
 * generation, as a stable member at that generation's epoch, and the classic group's
 * generation becomes the group and target assignment epoch.
 */
export function consumerGroupFromClassic(classic: ClassicGroup, topics: TopicsView): ConsumerGroup {
  const group = new ConsumerGroup(classic.groupId);
  const epoch = classic.generationId;
  group.groupEpoch = epoch;
  group.assignmentEpoch = epoch;
  for (const m of classic.members.values()) {
    let assigned: TopicPartitions = NO_PARTITIONS;
    let subscription: ConsumerProtocolSubscription;
    try {
      if (m.assignment.length > 0) {
        const r = new Reader(m.assignment);
        r.int16();
        const a = readConsumerProtocolAssignment(r, 0);
        if (a.userData !== null && a.userData.length > 0) {
          throw new MigrationError(
            `Cannot upgrade classic group ${classic.groupId} to consumer group because an unsupported custom assignor is in use. Please refer to the documentation or switch to a default assignor before re-attempting the upgrade.`,
          );
        }
        assigned = byTopicId(a.assignedPartitions, topics);
      }
      subscription = decodeSubscription(m.metadata(classic.protocolName));
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      throw new MigrationError(`Cannot upgrade classic group ${classic.groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    const member: ConsumerMember = {
      ...newConsumerMember(m.memberId),
      memberEpoch: epoch,
      previousMemberEpoch: epoch,
      state: MemberState.STABLE,
      instanceId: m.groupInstanceId,
      rackId: subscription.rackId,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: subscription.topics,
      assignedPartitions: assigned,
      assignmentEpochs: new Map([...assigned].map(([topicId, ps]) => [topicId, new Map([...ps].map((p) => [p, epoch]))])),
      classicMemberMetadata: classicMemberMetadata(m.sessionTimeoutMs, m.protocols),
    };
    group.targetAssignment.set(m.memberId, assigned);
    group.putMember(member);
  }
  return group;
}

/**
 * Kafka's ClassicGroup.fromConsumerGroup: the classic members that remain (and one `joining`
 * in the place of the static member it `replaces`), stable at the group epoch, each with its
 * target assignment encoded in the version of its subscription.
 */
export function classicGroupFromConsumer(
  group: ConsumerGroup,
  leaving: ReadonlySet<string>,
  topics: TopicsView,
  now: () => number,
  joining?: { member: ConsumerMember; replaces: string },
): ClassicGroup {
  const classic = new ClassicGroup(group.groupId, now, now());
  classic.generationId = group.groupEpoch;
  classic.protocolType = CONSUMER_PROTOCOL_TYPE;
  const members = [...group.members.values()].filter((m) => !leaving.has(m.memberId) && m.memberId !== joining?.replaces);
  for (const m of joining ? [...members, joining.member] : members) {
    if (m.classicMemberMetadata === null) continue;
    const protocols = m.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata }));
    classic.add(new Member(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.classicMemberMetadata.sessionTimeoutMs, CONSUMER_PROTOCOL_TYPE, protocols), null);
  }
  classic.protocolName = classic.selectProtocol();
  classic.subscribedTopics = classic.computeSubscribedTopics();
  for (const m of classic.members.values()) {
    // A member taking a static instance's place takes its assignment.
    const owner = m.memberId === joining?.member.memberId ? joining.replaces : m.memberId;
    m.assignment = encodeAssignment(group.targetAssignment.get(owner) ?? NO_PARTITIONS, topics, subscriptionVersion(m.metadata(classic.protocolName)));
  }
  classic.state = 'Stable';
  return classic;
}
