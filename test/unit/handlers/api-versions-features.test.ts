/** ApiVersions v3+ feature flags: what Skiff finalizes, and where they are left out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ApiVersionsResponse, defaultApiVersionsRequest } from '../../../src/protocol/generated/018-api-versions.js';
import { type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h.close();
});

const apiVersions = (version: number, clientSoftwareName = 'skiff-test') =>
  h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, version, { ...defaultApiVersionsRequest(), clientSoftwareName, clientSoftwareVersion: '1' });

describe('ApiVersions feature flags', () => {
  it("lists Kafka 4.3's features as supported, up to the levels Skiff has", async () => {
    const res = await apiVersions(4);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.supportedFeatures).toEqual([
      { name: 'metadata.version', minVersion: 7, maxVersion: 21 },
      { name: 'kraft.version', minVersion: 0, maxVersion: 0 },
      { name: 'transaction.version', minVersion: 0, maxVersion: 0 },
      { name: 'group.version', minVersion: 0, maxVersion: 1 },
      { name: 'share.version', minVersion: 0, maxVersion: 0 },
      { name: 'streams.version', minVersion: 0, maxVersion: 0 },
      { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 0 },
    ]);
  });

  it('leaves out ranges starting at 0 below v4, as Kafka does for clients before KIP-1022', async () => {
    const res = await apiVersions(3);
    expect(res.supportedFeatures).toEqual([{ name: 'metadata.version', minVersion: 7, maxVersion: 21 }]);
    // Finalized levels are never 0, so nothing is left out of them.
    expect(res.finalizedFeatures.map((f) => f.name)).toEqual(['metadata.version', 'group.version']);
  });

  it('finalizes metadata.version and group.version 1 (KIP-848 groups); transactions v2 is not served', async () => {
    const res = await apiVersions(4);
    expect(res.finalizedFeaturesEpoch).toBe(0n);
    expect(res.finalizedFeatures).toEqual([
      { name: 'metadata.version', minVersionLevel: 21, maxVersionLevel: 21 },
      { name: 'group.version', minVersionLevel: 1, maxVersionLevel: 1 },
    ]);
    expect(res.finalizedFeatures.map((f) => f.name)).not.toContain('transaction.version');
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
