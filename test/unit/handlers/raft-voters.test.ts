/**
 * AddRaftVoter and RemoveRaftVoter: Skiff answers as Kafka's KRaft leader does at kraft.version 0
 * (cluster id, then the voter, then the controller endpoint, then UNSUPPORTED_VERSION).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { type ApiVersionsResponse, defaultApiVersionsRequest } from '../../../src/protocol/generated/018-api-versions.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { type AddRaftVoterRequest, type AddRaftVoterResponse, defaultAddRaftVoterRequest } from '../../../src/protocol/generated/080-add-raft-voter.js';
import { type RemoveRaftVoterResponse, defaultRemoveRaftVoterRequest } from '../../../src/protocol/generated/081-remove-raft-voter.js';
import { type Harness, openHarness } from '../../support/admin-fixture.js';

const DIR_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
let h: Harness;
let clusterId: string;

beforeAll(async () => {
  h = await openHarness();
  const meta = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: [] });
  clusterId = meta.clusterId!;
});
afterAll(async () => {
  await h.close();
});

function add(version: number, fields: Partial<AddRaftVoterRequest>) {
  const req: AddRaftVoterRequest = {
    ...defaultAddRaftVoterRequest(),
    clusterId: null,
    timeoutMs: 30000,
    voterId: 2,
    voterDirectoryId: DIR_ID,
    listeners: [{ name: 'CONTROLLER', host: 'localhost', port: 9093 }],
    ...fields,
  };
  return h.client.request<AddRaftVoterResponse>(ApiKey.AddRaftVoter, version, req);
}

function remove(fields: { clusterId?: string | null; voterId?: number; voterDirectoryId?: string }) {
  return h.client.request<RemoveRaftVoterResponse>(ApiKey.RemoveRaftVoter, 0, {
    ...defaultRemoveRaftVoterRequest(),
    clusterId: null,
    voterId: 1,
    voterDirectoryId: DIR_ID,
    ...fields,
  });
}

describe('AddRaftVoter', () => {
  it('is advertised at v0 to v1, like Kafka 4.3.1', async () => {
    const res = await h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(res.apiKeys.find((k) => k.apiKey === ApiKey.AddRaftVoter)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(res.apiKeys.find((k) => k.apiKey === ApiKey.RemoveRaftVoter)).toMatchObject({ minVersion: 0, maxVersion: 0 });
  });

  it('a well-formed request gets UNSUPPORTED_VERSION at kraft.version 0, on v0 and v1', async () => {
    for (const [version, id] of [[0, null], [1, clusterId], [1, null]] as const) {
      const res = await add(version, { clusterId: id, ackWhenCommitted: version === 0 || id === null });
      expect(res).toMatchObject({
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        errorMessage: "Cluster doesn't support adding voter because the kraft.version feature is 0",
      });
    }
  });

  it('checks the cluster id first, then the voter, then the controller endpoint', async () => {
    // A wrong cluster id wins over a bad voter.
    expect(await add(1, { clusterId: 'other', voterId: -1 })).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID,
      errorMessage: `The given id "other" doesn't match the cluster id "${clusterId}"`,
    });
    // A bad voter wins over a missing endpoint.
    for (const bad of [{ voterId: -1 }, { voterDirectoryId: ZERO_UUID }]) {
      expect(await add(0, { ...bad, listeners: [] })).toMatchObject({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Add voter request didn't include a valid voter",
      });
    }
    expect(await add(0, { listeners: [] })).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: "Add voter request didn't include the endpoint (Endpoints(endpoints={})) for the default listener ListenerName(CONTROLLER)",
    });
    const other = await add(0, { listeners: [{ name: 'PLAINTEXT', host: 'h', port: 9092 }] });
    expect(other.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(other.errorMessage).toContain('for the default listener ListenerName(CONTROLLER)');
  });
});

describe('RemoveRaftVoter', () => {
  it('a well-formed request gets UNSUPPORTED_VERSION at kraft.version 0', async () => {
    for (const id of [null, clusterId]) {
      expect(await remove({ clusterId: id })).toMatchObject({
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        errorMessage: "Cluster doesn't support removing voter because the kraft.version feature is 0",
      });
    }
  });

  it('checks the cluster id first, then the voter', async () => {
    expect(await remove({ clusterId: 'other', voterId: -1 })).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID,
      errorMessage: `The given id "other" doesn't match the cluster id "${clusterId}"`,
    });
    for (const bad of [{ voterId: -1 }, { voterDirectoryId: ZERO_UUID }]) {
      expect(await remove(bad)).toMatchObject({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Remove voter request didn't include a valid voter",
      });
    }
  });
});
