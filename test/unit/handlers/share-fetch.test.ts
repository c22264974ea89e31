/**
 * ShareFetch and ShareAcknowledge over the wire: share sessions, acquisition by several
 * members of one share group on one partition, acknowledgements, redelivery, and the state
 * surviving a restart. Member ids are chosen here (no ShareGroupHeartbeat needed: Kafka's
 * share fetch path does not check membership either).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ShareFetchResponse, defaultShareFetchRequest } from '../../../src/protocol/generated/078-share-fetch.js';
import { type ShareAcknowledgeResponse, defaultShareAcknowledgeRequest } from '../../../src/protocol/generated/079-share-acknowledge.js';
import { type IncrementalAlterConfigsResponse, defaultIncrementalAlterConfigsRequest } from '../../../src/protocol/generated/044-incremental-alter-configs.js';
import { batches } from '../../../src/protocol/records/record-batch.js';
import { decodeRecords } from '../../../src/protocol/records/records.js';
import { type Harness, createTopic, openHarness, produceBatch } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';

const GROUP_RESOURCE = 32;
const SET = 0;
const ACCEPT = 1, RELEASE = 2, REJECT = 3;

type Batch = { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] };

async function setGroupConfig(client: RawClient, group: string, configs: Record<string, string>): Promise<void> {
  const res = await client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
    ...defaultIncrementalAlterConfigsRequest(),
    resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: SET, value })) }],
  });
  expect(res.responses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** Produces `batchCount` batches of `perBatch` records each. */
async function produce(client: RawClient, topic: string, batchCount: number, perBatch: number): Promise<void> {
  for (let b = 0; b < batchCount; b++) await produceBatch(client, topic, 0, Array.from({ length: perBatch }, (_, i) => BigInt(1000 + i)));
}

interface Fetched {
  res: ShareFetchResponse;
  /** Offsets delivered to the member: records inside the acquired ranges. */
  offsets: bigint[];
  deliveryCounts: number[];
}

function delivered(res: ShareFetchResponse): Fetched {
  const offsets: bigint[] = [];
  const deliveryCounts: number[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) {
      const data = p.records as Buffer;
      const present = new Set<bigint>();
      for (const { header, at } of batches(data)) for (const r of decodeRecords(data, at)) present.add(header.baseOffset + BigInt(r.offsetDelta));
      for (const a of p.acquiredRecords) {
        for (let o = a.firstOffset; o <= a.lastOffset; o++) {
          if (!present.has(o)) continue;
          offsets.push(o);
          deliveryCounts.push(a.deliveryCount);
        }
      }
    }
  }
  return { res, offsets, deliveryCounts };
}

function shareFetch(client: RawClient, o: { group: string; member: string; epoch: number; topicId: string; maxRecords?: number; acks?: Batch[]; maxWaitMs?: number; version?: number; mode?: number; batchSize?: number }): Promise<Fetched> {
  return client
    .request<ShareFetchResponse>(ApiKey.ShareFetch, o.version ?? 1, {
      ...defaultShareFetchRequest(),
      groupId: o.group,
      memberId: o.member,
      shareSessionEpoch: o.epoch,
      maxWaitMs: o.maxWaitMs ?? 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: o.maxRecords ?? 500,
      batchSize: o.batchSize ?? 500,
      shareAcquireMode: o.mode ?? 0,
      topics: [{ topicId: o.topicId, partitions: [{ partitionIndex: 0, partitionMaxBytes: 0, acknowledgementBatches: o.acks ?? [] }] }],
    })
    .then(delivered);
}

function shareAck(client: RawClient, o: { group: string; member: string; epoch: number; topicId: string; acks: Batch[] }): Promise<ShareAcknowledgeResponse> {
  return client.request<ShareAcknowledgeResponse>(ApiKey.ShareAcknowledge, 1, {
    ...defaultShareAcknowledgeRequest(),
    groupId: o.group,
    memberId: o.member,
    shareSessionEpoch: o.epoch,
    topics: [{ topicId: o.topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: o.acks }] }],
  });
}

function range(first: number, last: number): bigint[] {
  return Array.from({ length: last - first + 1 }, (_, i) => BigInt(first + i));
}

describe('ShareFetch and ShareAcknowledge', () => {
  let h: Harness;
  let second: RawClient;
  beforeAll(async () => {
    h = await openHarness({ config: { 'group.share.max.share.sessions': '3' } });
    second = await RawClient.connect(h.broker.host, h.broker.port);
  });
  afterAll(async () => {
    await second.close();
    await h.close();
  });

  it('two members on one partition get disjoint records; accepted ones are done, released ones come back with a higher delivery count', async () => {
    const topicId = await createTopic(h.client, 'share-two');
    await setGroupConfig(h.client, 'sg-two', { 'share.auto.offset.reset': 'earliest' });
    await produce(h.client, 'share-two', 3, 10);

    const a = await shareFetch(h.client, { group: 'sg-two', member: 'member-a', epoch: 0, topicId, maxRecords: 10 });
    expect(a.res.errorCode).toBe(ErrorCode.NONE);
    expect(a.res.acquisitionLockTimeoutMs).toBe(30_000);
    const b = await shareFetch(second, { group: 'sg-two', member: 'member-b', epoch: 0, topicId, maxRecords: 10 });
    expect(a.offsets).toEqual(range(0, 9));
    expect(b.offsets).toEqual(range(10, 19));
    expect(a.deliveryCounts.every((c) => c === 1)).toBe(true);

    // A accepts what it has; B releases its records and, in the same request, gets them back.
    const acked = await shareAck(h.client, { group: 'sg-two', member: 'member-a', epoch: 1, topicId, acks: [{ firstOffset: 0n, lastOffset: 9n, acknowledgeTypes: [ACCEPT] }] });
    expect([acked.errorCode, acked.responses[0]!.partitions[0]!.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const again = await shareFetch(second, { group: 'sg-two', member: 'member-b', epoch: 1, topicId, maxRecords: 10, acks: [{ firstOffset: 10n, lastOffset: 19n, acknowledgeTypes: [RELEASE] }] });
    expect(again.res.responses[0]!.partitions[0]!.acknowledgeErrorCode).toBe(ErrorCode.NONE);
    expect(again.offsets).toEqual(range(10, 19));
    expect(again.deliveryCounts.every((c) => c === 2)).toBe(true);

    // A gets the rest; acknowledging an offset it does not hold is INVALID_RECORD_STATE.
    const rest = await shareFetch(h.client, { group: 'sg-two', member: 'member-a', epoch: 2, topicId, maxRecords: 10 });
    expect(rest.offsets).toEqual(range(20, 29));
    const wrong = await shareAck(h.client, { group: 'sg-two', member: 'member-a', epoch: 3, topicId, acks: [{ firstOffset: 10n, lastOffset: 10n, acknowledgeTypes: [ACCEPT] }] });
    expect(wrong.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    // Reject archives: nobody gets 20-29 again, and B's records still are B's.
    await shareAck(h.client, { group: 'sg-two', member: 'member-a', epoch: 4, topicId, acks: [{ firstOffset: 20n, lastOffset: 29n, acknowledgeTypes: [REJECT] }] });
    const none = await shareFetch(h.client, { group: 'sg-two', member: 'member-a', epoch: 5, topicId });
    expect(none.offsets).toEqual([]);

    // Closing the session (epoch -1) releases what the member still holds.
    const closed = await shareAck(second, { group: 'sg-two', member: 'member-b', epoch: -1, topicId, acks: [{ firstOffset: 10n, lastOffset: 14n, acknowledgeTypes: [ACCEPT] }] });
    expect(closed.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const redelivered = await shareFetch(h.client, { group: 'sg-two', member: 'member-a', epoch: 6, topicId });
    expect(redelivered.offsets).toEqual(range(15, 19));
    expect(redelivered.deliveryCounts.every((c) => c === 3)).toBe(true);
    await shareAck(h.client, { group: 'sg-two', member: 'member-a', epoch: -1, topicId, acks: [] });
  });

  it('answers session errors as Kafka does', async () => {
    const topicId = await createTopic(h.client, 'share-sessions');
    const base = { group: 'sg-sessions', topicId };
    expect((await shareFetch(h.client, { ...base, member: 'm1', epoch: 3 })).res.errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    expect((await shareFetch(h.client, { ...base, member: 'm1', epoch: 0, acks: [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [ACCEPT] }] })).res.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await shareFetch(h.client, { ...base, member: '', epoch: 0 })).res.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await shareFetch(h.client, { ...base, member: 'm1', epoch: 0 })).res.errorCode).toBe(ErrorCode.NONE);
    expect((await shareFetch(h.client, { ...base, member: 'm1', epoch: 7 })).res.errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await shareAck(h.client, { ...base, member: 'm1', epoch: 0, acks: [] })).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await shareAck(h.client, { ...base, member: 'm2', epoch: 1, acks: [] })).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    // A malformed acknowledgement batch is the partition's INVALID_REQUEST.
    const bad = await shareAck(h.client, { ...base, member: 'm1', epoch: 1, acks: [{ firstOffset: 5n, lastOffset: 4n, acknowledgeTypes: [ACCEPT] }] });
    expect(bad.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // group.share.max.share.sessions is 3: m1, m2 and m3 fit, m4 does not until one closes.
    for (const m of ['m2', 'm3']) expect((await shareFetch(h.client, { ...base, member: m, epoch: 0 })).res.errorCode).toBe(ErrorCode.NONE);
    expect((await shareFetch(h.client, { ...base, member: 'm4', epoch: 0 })).res.errorCode).toBe(ErrorCode.SHARE_SESSION_LIMIT_REACHED);
    // Re-opening an existing member's session is no new session.
    expect((await shareFetch(h.client, { ...base, member: 'm3', epoch: 0 })).res.errorCode).toBe(ErrorCode.NONE);
    for (const m of ['m1', 'm2', 'm3']) expect((await shareAck(h.client, { ...base, member: m, epoch: -1, acks: [] })).errorCode).toBe(ErrorCode.NONE);
    expect((await shareFetch(h.client, { ...base, member: 'm4', epoch: 0 })).res.errorCode).toBe(ErrorCode.NONE);
    await shareAck(h.client, { ...base, member: 'm4', epoch: -1, acks: [] });
  });

  it('a waiting fetch gets records produced while it waits; a closed connection releases its records', async () => {
    const topicId = await createTopic(h.client, 'share-wait');
    const waiter = await RawClient.connect(h.broker.host, h.broker.port);
    // The default share.auto.offset.reset is latest: the group starts at the end.
    const open = await shareFetch(waiter, { group: 'sg-wait', member: 'w1', epoch: 0, topicId });
    expect(open.offsets).toEqual([]);
    const pending = shareFetch(waiter, { group: 'sg-wait', member: 'w1', epoch: 1, topicId, maxWaitMs: 30_000 });
    await produce(h.client, 'share-wait', 1, 4);
    const got = await pending;
    expect(got.offsets).toEqual(range(0, 3));
    await waiter.close();
    // The session of the closed connection is gone and its records are available again.
    let other: Fetched;
    do other = await shareFetch(second, { group: 'sg-wait', member: 'w2', epoch: 0, topicId, maxWaitMs: 100 });
    while (other.offsets.length === 0);
    expect(other.offsets).toEqual(range(0, 3));
    expect(other.deliveryCounts.every((c) => c === 2)).toBe(true);
    await shareAck(second, { group: 'sg-wait', member: 'w2', epoch: -1, acks: [], topicId });
  });

  it('record-limit mode (v2) acquires exactly maxRecords; batch mode cuts ranges to batchSize', async () => {
    const topicId = await createTopic(h.client, 'share-modes');
    await setGroupConfig(h.client, 'sg-modes', { 'share.auto.offset.reset': 'earliest' });
    await produce(h.client, 'share-modes', 2, 10);
    const limited = await shareFetch(h.client, { group: 'sg-modes', member: 'r1', epoch: 0, topicId, maxRecords: 3, version: 2, mode: 1 });
    expect(limited.offsets).toEqual(range(0, 2));
    const batched = await shareFetch(second, { group: 'sg-modes', member: 'r2', epoch: 0, topicId, maxRecords: 3, batchSize: 4 });
    // Whole log batches: the rest of the first (3-9), cut into ranges of at most 4.
    expect(batched.offsets).toEqual(range(3, 9));
    expect(batched.res.responses[0]!.partitions[0]!.acquiredRecords.map((r) => [r.firstOffset, r.lastOffset])).toEqual([[3n, 6n], [7n, 9n]]);
    for (const [c, m] of [[h.client, 'r1'], [second, 'r2']] as const) await shareAck(c, { group: 'sg-modes', member: m, epoch: -1, acks: [], topicId });
  });
});

describe('share.isolation.level', () => {
  it('read_committed acquires only committed records, up to the last stable offset; read_uncommitted skips only the markers', async () => {
    const h = await openHarness();
    try {
      const topicId = await createTopic(h.client, 'share-txn');
      for (const g of ['sg-rc', 'sg-ru']) await setGroupConfig(h.client, g, { 'share.auto.offset.reset': 'earliest', ...(g === 'sg-rc' && { 'share.isolation.level': 'read_committed' }) });
      const kafka = new Kafka({ brokers: [h.broker.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ transactionalId: 'share-txn', maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: 'share-txn', messages: [{ value: 'c' }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'share-txn', messages: [{ value: 'a' }] });
      await aborted.abort();
      const open = await producer.transaction();
      await open.send({ topic: 'share-txn', messages: [{ value: 'o' }] });
      // Offsets: 0 committed, 1 its marker, 2 aborted, 3 its marker, 4 still open.
      expect((await shareFetch(h.client, { group: 'sg-rc', member: 'rc', epoch: 0, topicId })).offsets).toEqual([0n]);
      expect((await shareFetch(h.client, { group: 'sg-ru', member: 'ru', epoch: 0, topicId })).offsets).toEqual([0n, 2n, 4n]);
      await open.commit();
      expect((await shareFetch(h.client, { group: 'sg-rc', member: 'rc', epoch: 1, topicId })).offsets).toEqual([4n]);
      await producer.disconnect();
    } finally {
      await h.close();
    }
  });
});

describe('share state across a restart', () => {
  it('acknowledged records are not delivered again and the rest are not lost', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-share-'));
    try {
      let h = await openHarness({ dataDir });
      const topicId = await createTopic(h.client, 'share-restart');
      await setGroupConfig(h.client, 'sg-restart', { 'share.auto.offset.reset': 'earliest' });
      await produce(h.client, 'share-restart', 4, 5);
      const first = await shareFetch(h.client, { group: 'sg-restart', member: 'x', epoch: 0, topicId, maxRecords: 10 });
      expect(first.offsets).toEqual(range(0, 9));
      // Accept 0-4 and 7-9, release 5-6; 10-19 were never fetched.
      const acks = [
        { firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [ACCEPT] },
        { firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [RELEASE, RELEASE, ACCEPT, ACCEPT, ACCEPT] },
      ];
      const acked = await shareAck(h.client, { group: 'sg-restart', member: 'x', epoch: 1, topicId, acks });
      expect(acked.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      await h.close();

      h = await openHarness({ dataDir });
      const after = await shareFetch(h.client, { group: 'sg-restart', member: 'y', epoch: 0, topicId, maxRecords: 100 });
      expect(after.offsets).toEqual([5n, 6n, ...range(10, 19)]);
      expect(after.deliveryCounts.slice(0, 2)).toEqual([2, 2]);
      await h.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
