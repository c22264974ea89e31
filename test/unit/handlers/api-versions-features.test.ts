/** ApiVersions v3+ feature flags: what Skiff finalizes, and where they are left out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ApiVersionsResponse, defaultApiVersionsRequest } from '../../../src/protocol/generated/018-api-versions.js';
import { type Harness, openHarness } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h.close();
});

const apiVersions = (version: number, clientSoftwareName = 'skiff-test') =>
  h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, version, { ...defaultApiVersionsRequest(), clientSoftwareName, clientSoftwareVersion: '1' });

const FINALIZED = [
  { name: 'metadata.version', minVersionLevel: 30, maxVersionLevel: 30 },
  { name: 'transaction.version', minVersionLevel: 2, maxVersionLevel: 2 },
  { name: 'group.version', minVersionLevel: 1, maxVersionLevel: 1 },
  { name: 'share.version', minVersionLevel: 1, maxVersionLevel: 1 },
];

describe('ApiVersions feature flags', () => {
  it("lists Kafka 4.3.1's features with its supported ranges", async () => {
    const res = await apiVersions(4);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.supportedFeatures).toEqual([
      { name: 'metadata.version', minVersion: 7, maxVersion: 30 },
      { name: 'kraft.version', minVersion: 0, maxVersion: 1 },
      { name: 'transaction.version', minVersion: 0, maxVersion: 2 },
      { name: 'group.version', minVersion: 0, maxVersion: 1 },
      { name: 'share.version', minVersion: 0, maxVersion: 1 },
      { name: 'streams.version', minVersion: 0, maxVersion: 1 },
      { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1 },
    ]);
  });

  it('leaves out ranges starting at 0 below v4, as Kafka does for clients before KIP-1022', async () => {
    const res = await apiVersions(3);
    expect(res.supportedFeatures).toEqual([{ name: 'metadata.version', minVersion: 7, maxVersion: 30 }]);
    expect(res.finalizedFeatures).toEqual(FINALIZED);
  });

  it('finalizes metadata.version, transaction.version 2 (transactions v2), group.version 1 (KIP-848 groups) and share.version 1 (KIP-932 share groups), not streams groups', async () => {
    const res = await apiVersions(4);
    expect(res.finalizedFeaturesEpoch).toBe(0n);
    expect(res.finalizedFeatures).toEqual(FINALIZED);
    expect(res.finalizedFeatures.map((f) => f.name)).not.toContain('streams.version');
    expect(res.zkMigrationReady).toBe(false);
  });

  it('leaves the features out of an error answer, as Kafka does', async () => {
    const res = await apiVersions(3, 'bad name!');
    expect(res.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(res.supportedFeatures).toEqual([]);
    expect(res.finalizedFeatures).toEqual([]);
    expect(res.finalizedFeaturesEpoch).toBe(-1n);
  });

  it('has no features below v3, where the fields do not exist', async () => {
    const res = await apiVersions(2);
    expect(res.supportedFeatures).toEqual([]);
    expect(res.finalizedFeaturesEpoch).toBe(-1n);
  });
});

describe('ApiVersions: Produce from v0 (KAFKA-18659)', () => {
  it('lists Produce from v0 as Kafka 4 does, and closes a connection that sends Produce v2', async () => {
    const res = await apiVersions(3);
    expect(res.apiKeys.find((k) => k.apiKey === ApiKey.Produce)).toMatchObject({ minVersion: 0 });
    const other = await RawClient.connect(h.broker.host, h.broker.port);
    const sent = other.request(ApiKey.Produce, 2, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] });
    await expect(sent).rejects.toThrow(/connection closed/);
    await other.closed;
    // Served versions start at v3: the harness's own connection is unaffected.
    expect((await apiVersions(3)).errorCode).toBe(ErrorCode.NONE);
  });
});
