/**
 * The ACLs the security scenarios rely on, created as User:admin (the super user) before any
 * client runs: every user may do anything with topics and groups named sec-*, and alice is
 * denied Write on sec-denied (which exists), so a produce there fails on authorization alone.
 * Creating the same ACLs again is a no-op, on Kafka as on Skiff.
 */
import kafkajs from 'kafkajs';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

const kafka = new Kafka({
  brokers: [process.argv[2]!],
  clientId: 'skiff-compat-security-setup',
  sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' },
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
await admin.connect();
try {
  const all = { principal: 'User:*', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW, resourcePatternType: ResourcePatternTypes.PREFIXED };
  await admin.createAcls({
    acl: [
      { ...all, resourceType: AclResourceTypes.TOPIC, resourceName: 'sec-' },
      { ...all, resourceType: AclResourceTypes.GROUP, resourceName: 'sec-' },
      {
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.DENY,
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'sec-denied',
        resourcePatternType: ResourcePatternTypes.LITERAL,
      },
    ],
  });
  const existing = await admin.listTopics();
  if (!existing.includes('sec-denied')) await admin.createTopics({ topics: [{ topic: 'sec-denied', numPartitions: 1 }], waitForLeaders: true });
  process.stderr.write(`[security setup@${process.argv[3]}] ACLs and sec-denied in place\n`);
} finally {
  await admin.disconnect();
}
