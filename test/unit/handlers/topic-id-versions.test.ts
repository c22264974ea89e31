/** The versions that name topics by id: Produce v13, OffsetCommit v10, OffsetFetch v10. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

/** An id no topic has. */
const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

let h: Harness;
let idA: string;
let idB: string;
beforeAll(async () => {
  h = await openHarness();
  idA = await createTopic(h.client, 'tid-a', 2);
  idB = await createTopic(h.client, 'tid-b', 1);
});
afterAll(async () => {
  await h.close();
});

const batch = (value: string) => buildBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from(value) }] });

describe('Produce v13', () => {
  it('appends to the topic an id names and answers UNKNOWN_TOPIC_ID for an id it does not know', async () => {
    const res = await h.client.request(ApiKey.Produce, 13, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: '', topicId: idA, partitionData: [{ index: 1, records: batch('by id') }, { index: 5, records: batch('x') }] },
        { name: '', topicId: UNKNOWN_ID, partitionData: [{ index: 0, records: batch('y') }] },
      ],
    });
    expect(res.responses.map((t: { topicId: string }) => t.topicId)).toEqual([idA, UNKNOWN_ID]);
    expect(res.responses[0].partitionResponses.map((p: { errorCode: number }) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(res.responses[0].partitionResponses[0].baseOffset).toBe(0n);
    expect(res.responses[1].partitionResponses[0]).toMatchObject({ index: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, baseOffset: -1n });
    expect((await h.broker.consume('tid-a', { partition: 1 })).map((r) => r.value?.toString())).toEqual(['by id']);
  });
});

describe('OffsetCommit v10 and OffsetFetch v10', () => {
  const commit = (version: number, topics: Array<{ name: string; topicId: string; offset: bigint }>) =>
    h.client.request(ApiKey.OffsetCommit, version, {
      groupId: 'tid-group',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: [{ partitionIndex: 0, committedOffset: t.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] })),
    });

  it('commits by id, UNKNOWN_TOPIC_ID for an unknown id; v9 by name still answers UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const res = await commit(10, [
      { name: '', topicId: idA, offset: 3n },
      { name: '', topicId: UNKNOWN_ID, offset: 4n },
    ]);
    // Refused topics first, as Kafka answers.
    expect(res.topics).toEqual([
      { name: '', topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID }] },
      { name: '', topicId: idA, partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] },
    ]);
    const byName = await commit(9, [
      { name: 'tid-b', topicId: ZERO_UUID, offset: 9n },
      { name: 'tid-none', topicId: ZERO_UUID, offset: 1n },
    ]);
    expect(byName.topics.map((t: { partitions: Array<{ errorCode: number }> }) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE]);
  });

  it('fetches by id: the offsets asked for, UNKNOWN_TOPIC_ID for an unknown id, and every topic with its id', async () => {
    const fetch = (topics: Array<{ topicId: string; partitionIndexes: number[] }> | null) =>
      h.client.request(ApiKey.OffsetFetch, 10, {
        groupId: '',
        topics: [],
        requireStable: true,
        groups: [{ groupId: 'tid-group', memberId: null, memberEpoch: -1, topics: topics?.map((t) => ({ name: '', ...t })) ?? null }],
      });
    const asked = await fetch([
      { topicId: idA, partitionIndexes: [0, 1] },
      { topicId: UNKNOWN_ID, partitionIndexes: [0] },
    ]);
    const group = asked.groups[0];
    expect(group.errorCode).toBe(ErrorCode.NONE);
    expect(group.topics[0]).toMatchObject({ topicId: idA, partitions: [{ partitionIndex: 0, committedOffset: 3n, errorCode: 0 }, { partitionIndex: 1, committedOffset: -1n, errorCode: 0 }] });
    expect(group.topics[1]).toMatchObject({ topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, committedOffset: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_ID }] });
    const all = await fetch(null);
    const byId = new Map(all.groups[0].topics.map((t: { topicId: string; partitions: Array<{ committedOffset: bigint }> }) => [t.topicId, t.partitions[0]!.committedOffset]));
    expect(byId).toEqual(
      new Map([
        [idA, 3n],
        [idB, 9n],
      ]),
    );
  });
});
