/** DescribeCluster and DescribeLogDirs, in memory and on disk (where a restart matters). */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type DescribeClusterResponse, defaultDescribeClusterRequest } from '../../../src/protocol/generated/060-describe-cluster.js';
import { type DescribeLogDirsResponse, defaultDescribeLogDirsRequest } from '../../../src/protocol/generated/035-describe-log-dirs.js';
import { type ListOffsetsResponse, defaultListOffsetsPartition, defaultListOffsetsRequest } from '../../../src/protocol/generated/002-list-offsets.js';
import { type DeleteRecordsResponse, defaultDeleteRecordsRequest } from '../../../src/protocol/generated/021-delete-records.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { CLUSTER_OPERATIONS } from '../../../src/cluster/authorized-operations.js';
import { createTopic, type Harness, openHarness, produceBatch } from '../../support/admin-fixture.js';
import type { RawClient } from '../../support/raw-client.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-admin-')));
  dirs.push(d);
  return d;
}

async function logDirs(client: RawClient, version: number, topics: Array<{ topic: string; partitions: number[] }> | null) {
  return client.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, version, { ...defaultDescribeLogDirsRequest(), topics });
}

async function earliest(client: RawClient, topic: string): Promise<bigint> {
  const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name: topic, partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -2n }] }],
  });
  return res.topics[0]!.partitions[0]!.offset;
}

describe('DescribeCluster', () => {
  it('v0 to v2 describe the one broker; authorized operations only when asked', async () => {
    const h = await openHarness();
    try {
      const meta = await h.client.request<MetadataResponse>(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: [] });
      const v0 = await h.client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, { ...defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true });
      expect(v0).toMatchObject({
        errorCode: 0,
        errorMessage: null,
        clusterId: meta.clusterId,
        controllerId: 1,
        brokers: [{ brokerId: 1, host: meta.brokers[0]!.host, port: h.broker.port, rack: null }],
        clusterAuthorizedOperations: CLUSTER_OPERATIONS,
      });
      const v1 = await h.client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { ...defaultDescribeClusterRequest(), endpointType: 1 });
      expect(v1).toMatchObject({ errorCode: 0, endpointType: 1, clusterId: meta.clusterId, clusterAuthorizedOperations: -2147483648 });
      expect(v1.brokers).toHaveLength(1);
      // v2: with or without fenced brokers asked for, the one broker, not fenced.
      for (const includeFencedBrokers of [false, true]) {
        const v2 = await h.client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 2, { ...defaultDescribeClusterRequest(), endpointType: 1, includeFencedBrokers });
        expect(v2).toMatchObject({ errorCode: 0, endpointType: 1, brokers: [{ brokerId: 1, port: h.broker.port, rack: null, isFenced: false }] });
      }
    } finally {
      await h.close();
    }
  });

  it('refuses the controller endpoint type and unknown types', async () => {
    const h = await openHarness();
    try {
      const controllers = await h.client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { ...defaultDescribeClusterRequest(), endpointType: 2 });
      expect(controllers).toMatchObject({
        errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
        clusterId: '',
        brokers: [],
      });
      const unknown = await h.client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { ...defaultDescribeClusterRequest(), endpointType: 3 });
      expect(unknown).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 3' });
    } finally {
      await h.close();
    }
  });
});

describe('DescribeLogDirs', () => {
  it('in memory: one "memory" dir, partition sizes, no space figures', async () => {
    const h = await openHarness();
    try {
      await createTopic(h.client, 'ld', 2);
      await produceBatch(h.client, 'ld', 1, [1n, 2n, 3n]);
      const v0 = await logDirs(h.client, 0, [{ topic: 'ld', partitions: [0, 1, 5] }, { topic: 'ld-none', partitions: [0] }]);
      expect(v0.results).toHaveLength(1);
      const dir = v0.results[0]!;
      expect(dir).toMatchObject({ errorCode: 0, logDir: 'memory' });
      expect(dir.topics).toHaveLength(1);
      expect(dir.topics[0]!.name).toBe('ld');
      const sizes = new Map(dir.topics[0]!.partitions.map((p) => [p.partitionIndex, p]));
      expect([...sizes.keys()].sort()).toEqual([0, 1]);
      expect(sizes.get(0)!.partitionSize).toBe(0n);
      expect(sizes.get(1)!.partitionSize).toBeGreaterThan(61n);
      expect(sizes.get(1)).toMatchObject({ offsetLag: 0n, isFutureKey: false });
      const v4 = await logDirs(h.client, 4, null);
      expect(v4.errorCode).toBe(0);
      expect(v4.results[0]).toMatchObject({ totalBytes: -1n, usableBytes: -1n });
      expect(v4.results[0]!.topics.find((t) => t.name === 'ld')!.partitions).toHaveLength(2);
      // v5: the log dir is not cordoned (Skiff has no cordoned.log.dirs).
      const v5 = await logDirs(h.client, 5, [{ topic: 'ld', partitions: [1] }]);
      expect(v5.results[0]).toMatchObject({ errorCode: 0, logDir: 'memory', totalBytes: -1n, usableBytes: -1n, isCordoned: false });
      expect(v5.results[0]!.topics[0]!.partitions).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('on disk: the data dir, file-system space, and sizes and log start that survive a restart', async () => {
    const dataDir = tempDir();
    let h: Harness = await openHarness({ dataDir });
    try {
      await createTopic(h.client, 'disk', 1);
      await produceBatch(h.client, 'disk', 0, [10n, 11n, 12n, 13n]);
      const del = await h.client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, {
        ...defaultDeleteRecordsRequest(),
        timeoutMs: 1000,
        topics: [{ name: 'disk', partitions: [{ partitionIndex: 0, offset: 2n }] }],
      });
      expect(del.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 2n });
      const before = await logDirs(h.client, 4, [{ topic: 'disk', partitions: [0] }]);
      const dir = before.results[0]!;
      expect(dir.logDir).toBe(dataDir);
      expect(dir.totalBytes).toBeGreaterThan(0n);
      expect(dir.usableBytes).toBeGreaterThan(0n);
      expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
      const size = dir.topics[0]!.partitions[0]!.partitionSize;
      expect(size).toBeGreaterThan(0n);

      await h.close();
      h = await openHarness({ dataDir });
      const after = await logDirs(h.client, 3, [{ topic: 'disk', partitions: [0] }]);
      expect(after.results[0]!.topics[0]!.partitions[0]!.partitionSize).toBe(size);
      expect(await earliest(h.client, 'disk')).toBe(2n);
    } finally {
      await h.close();
    }
  });
});
