/**
 * The ACL checks Kafka's KafkaApis makes on InitProducerId (idempotent producers),
 * OffsetFetch (per topic), AddPartitionsToTxn v4+ (brokers), DescribeConfigs (the order of
 * refused resources) and ElectLeaders (every partition), each against a principal with and
 * without the ACLs it needs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { Authorizer } from '../../../src/security/authorizer.js';
import { Operation, PatternType, Permission, ResourceType } from '../../../src/security/acl.js';
import { useSaslAclBroker } from '../../support/sasl-acl-broker.js';

const { as } = useSaslAclBroker('skiff-acl-checks-', ['admin', 'alice', 'bob', 'carol', 'dave']);

beforeAll(async () => {
  const admin = await as('admin');
  const topics = ['seen', 'hidden'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }));
  await admin.request(ApiKey.CreateTopics, 7, { topics, timeoutMs: 1000, validateOnly: false });
  const partitions = [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }];
  const committed = await admin.request(ApiKey.OffsetCommit, 8, {
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'seen', partitions }, { name: 'hidden', partitions }],
  });
  expect(committed.topics.map((t: { partitions: Array<{ errorCode: number }> }) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  await allow('User:alice', ResourceType.GROUP, 'g', Operation.DESCRIBE);
  await allow('User:alice', ResourceType.TOPIC, 'seen', Operation.DESCRIBE);
  await allow('User:alice', ResourceType.TOPIC, 'seen', Operation.DESCRIBE_CONFIGS);
});

async function allow(principal: string, resourceType: number, resourceName: string, operation: number, patternType: number = PatternType.LITERAL, permissionType: number = Permission.ALLOW): Promise<void> {
  const admin = await as('admin');
  const created = await admin.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType }] });
  expect(created.results[0].errorCode).toBe(ErrorCode.NONE);
}

describe('InitProducerId without a transactional id', () => {
  const idempotent = { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };

  it('needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic', async () => {
    expect((await (await as('bob')).request(ApiKey.InitProducerId, 4, idempotent)).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    await allow('User:bob', ResourceType.TOPIC, 'bob-', Operation.WRITE, PatternType.PREFIXED);
    expect((await (await as('bob')).request(ApiKey.InitProducerId, 4, idempotent)).errorCode).toBe(ErrorCode.NONE);
    await allow('User:carol', ResourceType.CLUSTER, 'kafka-cluster', Operation.IDEMPOTENT_WRITE);
    expect((await (await as('carol')).request(ApiKey.InitProducerId, 4, idempotent)).errorCode).toBe(ErrorCode.NONE);
    // A WRITE covered by a DENY of a prefix of it does not count.
    await allow('User:dave', ResourceType.TOPIC, 'dave-topic', Operation.WRITE);
    await allow('User:dave', ResourceType.TOPIC, 'dave', Operation.WRITE, PatternType.PREFIXED, Permission.DENY);
    expect((await (await as('dave')).request(ApiKey.InitProducerId, 4, idempotent)).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe('OffsetFetch', () => {
  const partitionCodes = (topics: Array<{ name: string; partitions: Array<{ errorCode: number; committedOffset: bigint }> }>) =>
    topics.map((t) => [t.name, t.partitions[0]!.errorCode, t.partitions[0]!.committedOffset]);

  it('leaves out topics the principal may not describe when all are asked for', async () => {
    const alice = await as('alice');
    const res = await alice.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }], requireStable: false });
    expect(partitionCodes(res.groups[0].topics)).toEqual([['seen', ErrorCode.NONE, 5n]]);
    const admin = await as('admin');
    const all = await admin.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }], requireStable: false });
    expect(all.groups[0].topics.map((t: { name: string }) => t.name).sort()).toEqual(['hidden', 'seen']);
  });

  it('answers TOPIC_AUTHORIZATION_FAILED on each partition of a named topic it may not describe, after the others', async () => {
    const alice = await as('alice');
    const named = [{ name: 'hidden', partitionIndexes: [0] }, { name: 'seen', partitionIndexes: [0] }];
    const v8 = await alice.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: named }], requireStable: false });
    expect(partitionCodes(v8.groups[0].topics)).toEqual([['seen', ErrorCode.NONE, 5n], ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n]]);
    const v7 = await alice.request(ApiKey.OffsetFetch, 7, { groupId: 'g', topics: named, requireStable: false });
    expect(partitionCodes(v7.topics)).toEqual([['seen', ErrorCode.NONE, 5n], ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n]]);
  });
});

describe('AddPartitionsToTxn v4+', () => {
  it('comes from brokers only: CLUSTER_ACTION on the cluster', async () => {
    const batch = { transactions: [{ transactionalId: 'tx', producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: 'seen', partitions: [0] }] }] };
    const refused = await (await as('alice')).request(ApiKey.AddPartitionsToTxn, 4, batch);
    expect(refused.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(refused.resultsByTransaction).toEqual([]);
    const served = await (await as('admin')).request(ApiKey.AddPartitionsToTxn, 4, batch);
    expect(served.errorCode).toBe(ErrorCode.NONE);
    expect(served.resultsByTransaction.map((t: { transactionalId: string }) => t.transactionalId)).toEqual(['tx']);
  });
});

describe('DescribeConfigs', () => {
  it('puts the resources the principal may not describe after the described ones', async () => {
    const alice = await as('alice');
    const res = await alice.request(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'hidden', configurationKeys: ['retention.ms'] },
        { resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] },
        { resourceType: 2, resourceName: 'seen', configurationKeys: ['retention.ms'] },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(res.results.map((r: { resourceName: string; errorCode: number }) => [r.resourceName, r.errorCode])).toEqual([
      ['seen', ErrorCode.NONE],
      ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['1', ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    ]);
  });
});

describe('ElectLeaders for every partition (null)', () => {
  it('is refused without ALTER on the cluster, listing no topics', async () => {
    const res = await (await as('alice')).request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    expect(res.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(res.replicaElectionResults).toEqual([]);
    const allowed = await (await as('admin')).request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    expect(allowed.errorCode).toBe(ErrorCode.NONE);
  });
});

describe("Kafka's authorizeByResourceType", () => {
  const who = { principal: 'User:u', host: '127.0.0.1' };
  const binding = (resourceName: string, patternType: number, permissionType: number) => ({
    resourceType: ResourceType.TOPIC,
    resourceName,
    patternType,
    principal: 'User:u',
    host: '*',
    operation: Operation.WRITE,
    permissionType,
  });

  it('weighs each ALLOW against the DENYs that cover it', async () => {
    const authorizer = (await Authorizer.open({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' }, null))!;
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(false);
    await authorizer.create([binding('orders', PatternType.LITERAL, Permission.ALLOW)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(true);
    await authorizer.create([binding('orders', PatternType.LITERAL, Permission.DENY)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(false);
    await authorizer.create([binding('pay', PatternType.PREFIXED, Permission.ALLOW)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(true);
    await authorizer.create([binding('p', PatternType.PREFIXED, Permission.DENY)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(false);
    await authorizer.create([binding('*', PatternType.LITERAL, Permission.ALLOW)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(true);
    await authorizer.create([binding('*', PatternType.LITERAL, Permission.DENY)]);
    expect(authorizer.authorizeByResourceType(who, Operation.WRITE, ResourceType.TOPIC)).toBe(false);
  });
});
