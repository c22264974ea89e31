import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { RawClient } from '../../support/raw-client.js';
import { saslAclConfig } from '../../support/sasl-acl-broker.js';

let dataDir: string;
let broker: RunningBroker;
const start = (): Promise<RunningBroker> => startBroker({ dataDir, config: saslAclConfig(['admin', 'alice', 'bob']) });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-acls-'));
  broker = await start();
});
afterAll(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function as(user: string): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], sasl: { mechanism: 'plain', username: user, password: `${user}-secret` }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

const aliceAcls: AclEntry[] = [
  { resourceType: AclResourceTypes.TOPIC, resourceName: 'granted-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
  { resourceType: AclResourceTypes.TOPIC, resourceName: 'granted-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
  { resourceType: AclResourceTypes.GROUP, resourceName: 'alice-group', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
];

describe('ACLs with StandardAuthorizer semantics', () => {
  it('the super user creates topics and ACLs; they are described and survive a restart', async () => {
    const admin = as('admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'granted-a' }, { topic: 'secret' }] });
    await admin.createAcls({ acl: aliceAcls });
    await admin.disconnect();

    await broker.close();
    broker = await start();
    const again = as('admin').admin();
    await again.connect();
    const described = await again.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    await again.disconnect();
    expect(described.resources.map((r) => [r.resourceType, r.resourceName, r.acls.length])).toEqual([
      [AclResourceTypes.TOPIC, 'granted-', 2],
      [AclResourceTypes.GROUP, 'alice-group', 1],
    ]);
  });

  it('alice writes and reads only what the ACLs grant; metadata hides the rest', async () => {
    const kafka = as('alice');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'granted-a', messages: [{ value: 'ok' }] });
    await expect(producer.send({ topic: 'secret', messages: [{ value: 'no' }] })).rejects.toMatchObject({ cause: { type: 'TOPIC_AUTHORIZATION_FAILED' } });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(['granted-a']);
    await admin.disconnect();

    const consumer = kafka.consumer({ groupId: 'alice-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'granted-a', fromBeginning: true });
    const value = await new Promise<string>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }).catch(reject);
    });
    await consumer.disconnect();
    expect(value).toBe('ok');
  });

  it('bob, with no ACLs, gets Kafka error codes', async () => {
    const raw = await RawClient.connect('127.0.0.1', broker.port);
    await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    await raw.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0bob\0bob-secret') });
    const metadata = await raw.request(ApiKey.Metadata, 12, { topics: [{ name: 'secret', topicId: ZERO_UUID }], allowAutoTopicCreation: false });
    expect(metadata.topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const join = await raw.request(ApiKey.JoinGroup, 5, { groupId: 'alice-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [] });
    expect(join.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const coordinator = await raw.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['alice-group'] });
    expect(coordinator.coordinators[0].errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const acls = await raw.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect(acls.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    await raw.close();
  });

  it('DeleteAcls removes what matches and lists it', async () => {
    const admin = as('admin').admin();
    await admin.connect();
    const res = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.GROUP, resourceName: 'alice-group', resourcePatternType: ResourcePatternTypes.MATCH, principal: 'User:alice', host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
    expect(res.filterResponses[0]!.matchingAcls.map((a) => a.resourceName)).toEqual(['alice-group']);
    await admin.disconnect();
  });
});

describe('without an authorizer', () => {
  it('the ACL APIs answer SECURITY_DISABLED', async () => {
    const plain = await startBroker();
    try {
      const raw = await RawClient.connect('127.0.0.1', plain.port);
      const acls = await raw.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      expect(acls).toMatchObject({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' });
      const created = await raw.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] });
      expect(created.results[0].errorCode).toBe(ErrorCode.SECURITY_DISABLED);
      await raw.close();
    } finally {
      await plain.close();
    }
  });
});
