import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { RawClient } from '../../support/raw-client.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_bob="bob-secret";';

let dataDir: string;
let broker: RunningBroker;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-handler-authz-'));
  broker = await startBroker({
    dataDir,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
    },
  });
});
afterAll(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function as(user: string): Promise<RawClient> {
  const raw = await RawClient.connect('127.0.0.1', broker.port);
  await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
  const auth = await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${user}-secret`) });
  expect(auth.errorCode).toBe(ErrorCode.NONE);
  return raw;
}

const DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

describe('cluster-level admin APIs need their cluster operation', () => {
  it('a principal without ACLs is refused with CLUSTER_AUTHORIZATION_FAILED', async () => {
    const bob = await as('bob');
    try {
      expect((await bob.request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [] })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode).toBe(DENIED);
      const altered = await bob.request(ApiKey.AlterClientQuotas, 1, {
        entries: [{ entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }],
        validateOnly: false,
      });
      expect(altered.entries[0].errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 1000, featureUpdates: [], validateOnly: false })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.UnregisterBroker, 0, { brokerId: 999 })).errorCode).toBe(DENIED);
      const moved = await bob.request(ApiKey.AlterReplicaLogDirs, 1, { dirs: [{ path: '/nowhere', topics: [{ name: 't', partitions: [0] }] }] });
      expect(moved.results[0].partitions[0].errorCode).toBe(DENIED);
      expect((await bob.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(DENIED);
      const markers = await bob.request(ApiKey.WriteTxnMarkers, 1, {
        markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: true, topics: [{ name: 't', partitionIndexes: [0] }], coordinatorEpoch: 0 }],
      });
      expect(markers.markers[0].topics[0].partitions[0].errorCode).toBe(DENIED);
    } finally {
      await bob.close();
    }
  });

  it('the super user gets past the checks', async () => {
    const admin = await as('admin');
    try {
      expect((await admin.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 1000, featureUpdates: [], validateOnly: false })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(ErrorCode.NONE);
      expect((await admin.request(ApiKey.UnregisterBroker, 0, { brokerId: 999 })).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
      expect((await admin.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(ErrorCode.NONE);
      const moved = await admin.request(ApiKey.AlterReplicaLogDirs, 1, { dirs: [{ path: '/nowhere', topics: [{ name: 't', partitions: [0] }] }] });
      expect(moved.results[0].partitions[0].errorCode).toBe(ErrorCode.LOG_DIR_NOT_FOUND);
    } finally {
      await admin.close();
    }
  });
});

describe('without an authorizer', () => {
  it('the same requests are allowed', async () => {
    const plain = await startBroker();
    try {
      const raw = await RawClient.connect('127.0.0.1', plain.port);
      expect((await raw.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await raw.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(ErrorCode.NONE);
      expect((await raw.request(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(ErrorCode.NONE);
      await raw.close();
    } finally {
      await plain.close();
    }
  });
});
