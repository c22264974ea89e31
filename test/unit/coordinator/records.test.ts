import { beforeAll, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { decodeGroupRecord, encodeRecordKey, encodeRecordValue, loadRecordFamily, type GroupRecord } from '../../../src/coordinator/group/records.js';

// The share and streams groups' codecs load on first use (a coordinator loads them before their first record).
beforeAll(() => Promise.all([loadRecordFamily('share'), loadRecordFamily('streams')]));

function javaString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}

describe('__consumer_offsets records', () => {
  it('writes an offset commit as Kafka does: key type 1, value version 3', () => {
    const rec: GroupRecord = {
      type: 'offset',
      key: { group: 'g', topic: 't', partition: 7 },
      value: { offset: 42n, leaderEpoch: 5, metadata: 'md', commitTimestamp: 1000n, expireTimestamp: -1n, topicId: ZERO_UUID },
    };
    const key = encodeRecordKey(rec);
    expect(key).toEqual(Buffer.concat([Buffer.from([0, 1]), javaString('g'), javaString('t'), Buffer.from([0, 0, 0, 7])]));
    const value = encodeRecordValue(rec)!;
    const expected = Buffer.alloc(2 + 8 + 4);
    expected.writeInt16BE(3, 0);
    expected.writeBigInt64BE(42n, 2);
    expected.writeInt32BE(5, 10);
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(1000n);
    expect(value).toEqual(Buffer.concat([expected, javaString('md'), ts]));
    expect(decodeGroupRecord(key, value)).toEqual({ ...rec, value: { ...rec.value, unknownTaggedFields: undefined } });
  });

  it('uses value version 1 when an expire timestamp is set', () => {
    const rec: GroupRecord = {
      type: 'offset',
      key: { group: 'g', topic: 't', partition: 0 },
      value: { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 99n, topicId: ZERO_UUID },
    };
    const value = encodeRecordValue(rec)!;
    expect(value.readInt16BE(0)).toBe(1);
    expect(decodeGroupRecord(encodeRecordKey(rec), value)).toMatchObject({ value: { expireTimestamp: 99n, leaderEpoch: -1 } });
  });

  it('writes group metadata with key type 2 and value version 3; null values are tombstones', () => {
    const rec: GroupRecord = {
      type: 'group',
      key: { group: 'grp' },
      value: {
        protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 123n,
        members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 3000, sessionTimeout: 10000, subscription: Buffer.from('sub'), assignment: Buffer.from('asg') }],
      },
    };
    const key = encodeRecordKey(rec);
    expect(key).toEqual(Buffer.concat([Buffer.from([0, 2]), javaString('grp')]));
    const value = encodeRecordValue(rec)!;
    expect(value.readInt16BE(0)).toBe(3);
    const back = decodeGroupRecord(key, value);
    expect(back?.type).toBe('group');
    expect(back?.value).toMatchObject({ generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 123n });
    expect(decodeGroupRecord(key, null)).toEqual({ type: 'group', key: { group: 'grp' }, value: null });
    expect(encodeRecordValue({ ...rec, value: null })).toBeNull();
  });

  it('reads offset keys of type 0 and skips record types it does not own', () => {
    const key0 = Buffer.concat([Buffer.from([0, 0]), javaString('g'), javaString('t'), Buffer.from([0, 0, 0, 1])]);
    expect(decodeGroupRecord(key0, null)).toEqual({ type: 'offset', key: { group: 'g', topic: 't', partition: 1 }, value: null });
    // Type 18 (StreamsGroupPartitionMetadataKey, which Kafka no longer writes): nobody's record here.
    expect(decodeGroupRecord(Buffer.concat([Buffer.from([0, 18]), javaString('g')]), null)).toBeNull();
    expect(() => decodeGroupRecord(Buffer.from([0]), null)).toThrow();
  });

  it('writes and reads every consumer group record type with its Kafka key type and value version 0', () => {
    const topicId = 'AQIDBAUGBwgJCgsMDQ4PEA';
    const tps = [{ topicId, partitions: [0, 2] }];
    const records: GroupRecord[] = [
      { type: 'consumerGroupMetadata', key: { groupId: 'g' }, value: { epoch: 3, metadataHash: -5n } },
      { type: 'consumerGroupPartitionMetadata', key: { groupId: 'g' }, value: { topics: [{ topicId, topicName: 't', numPartitions: 3, partitionMetadata: [] }] } },
      {
        type: 'consumerGroupMemberMetadata', key: { groupId: 'g', memberId: 'm' },
        value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: 'x.*', rebalanceTimeoutMs: 300, serverAssignor: 'range', classicMemberMetadata: null },
      },
      { type: 'consumerGroupTargetAssignmentMetadata', key: { groupId: 'g' }, value: { assignmentEpoch: 3, assignmentTimestamp: 9n } },
      { type: 'consumerGroupTargetAssignmentMember', key: { groupId: 'g', memberId: 'm' }, value: { topicPartitions: tps } },
      {
        type: 'consumerGroupCurrentMemberAssignment', key: { groupId: 'g', memberId: 'm' },
        value: { memberEpoch: 3, previousMemberEpoch: 2, state: 1, assignedPartitions: tps.map((t) => ({ ...t, assignmentEpochs: null })), partitionsPendingRevocation: [] },
      },
      { type: 'consumerGroupRegularExpression', key: { groupId: 'g', regularExpression: 'x.*' }, value: { topics: ['xa'], version: 1n, timestamp: 2n } },
    ];
    const keyTypes = [3, 4, 5, 6, 7, 8, 16];
    records.forEach((rec, i) => {
      const key = encodeRecordKey(rec);
      const value = encodeRecordValue(rec)!;
      expect([key.readInt16BE(0), value.readInt16BE(0)]).toEqual([keyTypes[i], 0]);
      const decoded = JSON.parse(JSON.stringify(decodeGroupRecord(key, value), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      expect(decoded).toEqual(JSON.parse(JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))));
      expect(decodeGroupRecord(key, null)).toMatchObject({ type: rec.type, value: null });
    });
  });

  it('writes and reads every share group record type with its Kafka key type (10-15) and value version 0', () => {
    const topicId = 'AQIDBAUGBwgJCgsMDQ4PEA';
    const tps = [{ topicId, partitions: [0, 2] }];
    const records: GroupRecord[] = [
      { type: 'shareGroupMemberMetadata', key: { groupId: 'g', memberId: 'm' }, value: { rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'] } },
      { type: 'shareGroupMetadata', key: { groupId: 'g' }, value: { epoch: 3, metadataHash: -5n } },
      { type: 'shareGroupTargetAssignmentMetadata', key: { groupId: 'g' }, value: { assignmentEpoch: 3, assignmentTimestamp: 9n } },
      { type: 'shareGroupTargetAssignmentMember', key: { groupId: 'g', memberId: 'm' }, value: { topicPartitions: tps } },
      { type: 'shareGroupCurrentMemberAssignment', key: { groupId: 'g', memberId: 'm' }, value: { memberEpoch: 3, previousMemberEpoch: 2, state: 0, assignedPartitions: tps } },
      {
        type: 'shareGroupStatePartitionMetadata', key: { groupId: 'g' },
        value: { initializingTopics: [{ topicId, topicName: 't', partitions: [1] }], initializedTopics: [{ topicId, topicName: 't', partitions: [0, 2] }], deletingTopics: [{ topicId, topicName: 'u' }] },
      },
    ];
    const keyTypes = [10, 11, 12, 13, 14, 15];
    records.forEach((rec, i) => {
      const key = encodeRecordKey(rec);
      const value = encodeRecordValue(rec)!;
      expect([key.readInt16BE(0), value.readInt16BE(0)]).toEqual([keyTypes[i], 0]);
      const decoded = JSON.parse(JSON.stringify(decodeGroupRecord(key, value), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      expect(decoded).toEqual(JSON.parse(JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))));
      expect(decodeGroupRecord(key, null)).toMatchObject({ type: rec.type, value: null });
    });
  });
});
