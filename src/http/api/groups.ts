/**
 * Groups for the console: state, members and their assignments, lag per partition, and offset
 * resets. Classic groups show their generation's members; KIP-848 consumer groups show their
 * epochs, each member's epoch, current and target assignment, and whether it speaks the
 * classic protocol (a classic consumer in a consumer group).
 */
import { Reader } from '../../protocol/codec/reader.js';
import { decodeConsumerProtocolAssignment } from '../../protocol/generated/data/consumer-protocol-assignment.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { ConsumerGroupDescription } from '../../coordinator/group/group-coordinator.js';
import { type BrokerView, groupLag } from '../broker-views.js';
import { HttpError, type RouteTable } from '../routes.js';
import { errorName } from './errors.js';

export function groupRoutes(routes: RouteTable, broker: BrokerView): void {
  routes.get('/api/groups', () => ({
    json: broker.groups
      .listGroups([], [])
      .map((g) => {
        let lag = 0n;
        for (const l of groupLag(broker, g.groupId)) lag += l.lag;
        return { groupId: g.groupId, type: g.groupType, state: g.groupState, protocolType: g.protocolType, members: broker.groups.memberCount(g.groupId), lag };
      })
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1)),
  }));

  routes.get('/api/groups/:group', (req) => {
    const consumer = broker.groups.consumerGroupDescribe(req.params.group!);
    if (consumer.errorCode === ErrorCode.NONE) return { json: consumerGroupJson(broker, consumer) };
    const d = broker.groups.describeGroup(req.params.group!);
    if (d.errorCode !== ErrorCode.NONE) throw new HttpError(503, errorName(d.errorCode));
    if (d.groupState === 'Dead') throw new HttpError(404, `group ${d.groupId} does not exist`);
    return {
      json: {
        groupId: d.groupId,
        type: 'classic',
        state: d.groupState,
        protocolType: d.protocolType,
        protocol: d.protocolData,
        members: d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: assignmentOf(d.protocolType, m.memberAssignment) })),
        offsets: groupLag(broker, d.groupId),
      },
    };
  });

  routes.add(
    'POST',
    '/api/groups/:group/reset-offsets',
    async (req) => {
      const groupId = req.params.group!;
      const body = (await req.json()) as { topic?: unknown; to?: unknown; offset?: unknown };
      if (typeof body?.topic !== 'string') throw new HttpError(400, 'topic must be a string');
      const topic = broker.topics.get(body.topic);
      if (topic === undefined) throw new HttpError(404, `topic ${body.topic} does not exist`);
      if (body.to !== 'earliest' && body.to !== 'latest' && body.to !== 'offset') throw new HttpError(400, 'to must be earliest, latest or offset');
      if (body.to === 'offset' && !Number.isSafeInteger(body.offset)) throw new HttpError(400, 'offset must be an integer');
      // As kafka-consumer-groups --reset-offsets: only a group with no active members.
      const consumer = broker.groups.consumerGroupDescribe(groupId);
      const state = consumer.errorCode === ErrorCode.NONE ? consumer.groupState : broker.groups.groupState(groupId);
      if (state !== undefined && state !== 'Empty' && state !== 'Dead') {
        throw new HttpError(409, `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${state}.`);
      }
      const partitions = [];
      for (let p = 0; p < topic.partitions; p++) {
        const log = broker.topics.partition(topic.name, p)!;
        const wanted = body.to === 'earliest' ? log.logStartOffset : body.to === 'latest' ? log.highWatermark : BigInt(body.offset as number);
        const committedOffset = wanted < log.logStartOffset ? log.logStartOffset : wanted > log.highWatermark ? log.highWatermark : wanted;
        partitions.push({ partitionIndex: p, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' });
      }
      const result = await broker.groups.commitOffsets({
        groupId,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        apiVersion: 9,
        topics: [{ name: topic.name, partitions }],
      });
      const failure = typeof result === 'number' ? result : result.flat().find((c) => c !== ErrorCode.NONE);
      if (failure !== undefined && failure !== ErrorCode.NONE) throw new HttpError(409, errorName(failure));
      return { json: { groupId, topic: topic.name, offsets: partitions.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset })) } };
    },
    { mutates: true },
  );
}

function consumerGroupJson(broker: BrokerView, d: ConsumerGroupDescription) {
  const byName = (a: ConsumerGroupDescription['members'][number]['assignment']) => a.topicPartitions.map((t) => ({ topic: t.topicName, partitions: t.partitions }));
  return {
    groupId: d.groupId,
    type: 'consumer',
    state: d.groupState,
    protocolType: 'consumer',
    // The server-side assignor is what a classic group's protocol is: who decides the assignment.
    protocol: d.assignorName,
    groupEpoch: d.groupEpoch,
    assignmentEpoch: d.assignmentEpoch,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rackId: m.rackId,
      memberProtocol: m.memberType === 0 ? 'classic' : 'consumer',
      memberEpoch: m.memberEpoch,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: byName(m.assignment),
      targetAssignment: byName(m.targetAssignment),
    })),
    offsets: groupLag(broker, d.groupId),
  };
}

/** A consumer member's assigned partitions (the consumer protocol's assignment bytes); null for other protocols. */
function assignmentOf(protocolType: string, bytes: Buffer): Array<{ topic: string; partitions: number[] }> | null {
  if (protocolType !== 'consumer' || bytes.length < 2) return null;
  try {
    const version = bytes.readInt16BE(0);
    const a = decodeConsumerProtocolAssignment(new Reader(bytes, 2), Math.min(Math.max(version, 0), 3));
    return a.assignedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions }));
  } catch {
    return null;
  }
}
