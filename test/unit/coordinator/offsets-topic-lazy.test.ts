/**
 * __consumer_offsets is created on first need, as Kafka creates it on the first
 * FindCoordinator for a group: a broker whose clients never use groups never opens its
 * partitions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { type FindCoordinatorResponse, defaultFindCoordinatorRequest } from '../../../src/protocol/generated/010-find-coordinator.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function offsetsPartitions(): Promise<number | undefined> {
  const res = await h!.client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    ...defaultMetadataRequest(),
    allowAutoTopicCreation: false,
    topics: [{ name: '__consumer_offsets', topicId: ZERO_UUID }],
  });
  const t = res.topics[0]!;
  return t.errorCode === 0 ? t.partitions.length : undefined;
}

function findCoordinator(keyType: number): Promise<FindCoordinatorResponse> {
  return h!.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { ...defaultFindCoordinatorRequest(), keyType, coordinatorKeys: ['g'] });
}

describe('__consumer_offsets is created lazily', () => {
  it('does not exist after startup; the first FindCoordinator for a group creates it', async () => {
    h = await openHarness({ config: { 'offsets.topic.num.partitions': 7 } });
    expect(await offsetsPartitions()).toBeUndefined();
    // A transactional id's coordinator does not need it.
    expect((await findCoordinator(1)).coordinators[0]!.errorCode).toBe(0);
    expect(await offsetsPartitions()).toBeUndefined();
    const res = await findCoordinator(0);
    expect(res.coordinators[0]).toMatchObject({ key: 'g', errorCode: 0 });
    expect(await offsetsPartitions()).toBe(7);
    // A second FindCoordinator finds it in place.
    expect((await findCoordinator(0)).coordinators[0]!.errorCode).toBe(0);
    expect(await offsetsPartitions()).toBe(7);
  });
});
