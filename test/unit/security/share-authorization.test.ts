/** ShareFetch and ShareAcknowledge need READ on the group, then READ on each topic, as Kafka checks them. */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultShareFetchRequest } from '../../../src/protocol/generated/078-share-fetch.js';
import { defaultShareAcknowledgeRequest } from '../../../src/protocol/generated/079-share-acknowledge.js';
import { createTopic } from '../../support/admin-fixture.js';
import { type RawClient } from '../../support/raw-client.js';
import { useSaslAclBroker } from '../../support/sasl-acl-broker.js';

const TOPIC = 2, GROUP = 3, READ = 3, ALLOW = 3, LITERAL = 3;

const { as } = useSaslAclBroker('skiff-share-authz-', ['admin', 'bob']);

async function allowRead(admin: RawClient, resourceType: number, resourceName: string): Promise<void> {
  const created = await admin.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType, resourceName, resourcePatternType: LITERAL, principal: 'User:bob', host: '*', operation: READ, permissionType: ALLOW }] });
  expect(created.results[0].errorCode).toBe(ErrorCode.NONE);
}

describe('share requests and ACLs', () => {
  it('refuses the group first, then each topic the principal may not read', async () => {
    const admin = await as('admin');
    const bob = await as('bob');
    try {
      const topicId = await createTopic(admin, 'guarded');
      const fetch = (epoch: number) =>
        bob.request(ApiKey.ShareFetch, 1, { ...defaultShareFetchRequest(), groupId: 'sg-guarded', memberId: 'bob-1', shareSessionEpoch: epoch, maxRecords: 10, topics: [{ topicId, partitions: [{ partitionIndex: 0, partitionMaxBytes: 0, acknowledgementBatches: [] }] }] });
      expect((await fetch(0)).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const ack = await bob.request(ApiKey.ShareAcknowledge, 1, { ...defaultShareAcknowledgeRequest(), groupId: 'sg-guarded', memberId: 'bob-1', shareSessionEpoch: 1, topics: [] });
      expect(ack.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);

      await allowRead(admin, GROUP, 'sg-guarded');
      const denied = await fetch(0);
      expect([denied.errorCode, denied.responses[0].partitions[0].errorCode]).toEqual([ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
      const ackDenied = await bob.request(ApiKey.ShareAcknowledge, 1, {
        ...defaultShareAcknowledgeRequest(),
        groupId: 'sg-guarded',
        memberId: 'bob-1',
        shareSessionEpoch: 1,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }] }] }],
      });
      expect(ackDenied.responses[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      await allowRead(admin, TOPIC, 'guarded');
      const allowed = await fetch(0);
      expect([allowed.errorCode, allowed.responses[0].partitions[0].errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    } finally {
      await bob.close();
      await admin.close();
    }
  });
});
