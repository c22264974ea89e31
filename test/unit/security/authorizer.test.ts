import { describe, expect, it } from 'vitest';
import { Operation, PatternType, Permission, ResourceType, invalidBinding, type AclBinding } from '../../../src/security/acl.js';
import { Authorizer } from '../../../src/security/authorizer.js';

const STANDARD = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

function acl(over: Partial<AclBinding>): AclBinding {
  return {
    resourceType: ResourceType.TOPIC,
    resourceName: 'orders',
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: Operation.READ,
    permissionType: Permission.ALLOW,
    ...over,
  };
}

async function authorizer(acls: AclBinding[], settings: Record<string, string> = {}): Promise<Authorizer> {
  const a = (await Authorizer.open({ 'authorizer.class.name': STANDARD, ...settings }, null))!;
  await a.create(acls);
  return a;
}

const alice = { principal: 'User:alice', host: '10.0.0.1' };

describe('Authorizer (StandardAuthorizer semantics)', () => {
  it('is absent without authorizer.class.name and refuses an unknown class', async () => {
    expect(await Authorizer.open({}, null)).toBeUndefined();
    await expect(Authorizer.open({ 'authorizer.class.name': 'com.example.Mine' }, null)).rejects.toThrow(/authorizer\.class\.name/);
  });

  it('allows what a literal binding allows, and DESCRIBE through READ; nothing else', async () => {
    const a = await authorizer([acl({})]);
    expect(a.authorize(alice, Operation.READ, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Operation.DESCRIBE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Operation.WRITE, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize({ ...alice, principal: 'User:bob' }, Operation.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Operation.READ, ResourceType.TOPIC, 'orders-2')).toBe(false);
  });

  it('lets a DENY win over any ALLOW, matches prefixes, wildcards and hosts', async () => {
    const a = await authorizer([
      acl({ resourceName: 'pay', patternType: PatternType.PREFIXED, operation: Operation.ALL }),
      acl({ resourceName: 'payroll', permissionType: Permission.DENY, operation: Operation.WRITE }),
      acl({ resourceName: '*', principal: 'User:*', operation: Operation.DESCRIBE, host: '10.0.0.2' }),
    ]);
    expect(a.authorize(alice, Operation.WRITE, ResourceType.TOPIC, 'payments')).toBe(true);
    expect(a.authorize(alice, Operation.WRITE, ResourceType.TOPIC, 'payroll')).toBe(false);
    expect(a.authorize(alice, Operation.READ, ResourceType.TOPIC, 'payroll')).toBe(true);
    expect(a.authorize({ principal: 'User:carol', host: '10.0.0.2' }, Operation.DESCRIBE, ResourceType.TOPIC, 'anything')).toBe(true);
    expect(a.authorize({ principal: 'User:carol', host: '10.0.0.3' }, Operation.DESCRIBE, ResourceType.TOPIC, 'anything')).toBe(false);
  });

  it('allows super.users everything, and a resource without bindings only with allow.everyone.if.no.acl.found', async () => {
    const strict = await authorizer([acl({})], { 'super.users': 'User:admin;User:ops' });
    expect(strict.authorize({ principal: 'User:ops', host: 'h' }, Operation.DELETE, ResourceType.CLUSTER, 'kafka-cluster')).toBe(true);
    expect(strict.authorize(alice, Operation.READ, ResourceType.GROUP, 'g')).toBe(false);
    const open = await authorizer([acl({})], { 'allow.everyone.if.no.acl.found': 'true' });
    expect(open.authorize(alice, Operation.READ, ResourceType.GROUP, 'g')).toBe(true);
    // The topic has a binding (for alice's READ): bob is not let in by the default.
    expect(open.authorize({ principal: 'User:bob', host: 'h' }, Operation.READ, ResourceType.TOPIC, 'orders')).toBe(false);
  });

  it('checks new bindings as Kafka does', () => {
    expect(invalidBinding(acl({ patternType: PatternType.MATCH }))).toBe('Invalid patternType 2');
    expect(invalidBinding(acl({ operation: Operation.ANY }))).toBe('Invalid operation 1');
    expect(invalidBinding(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'mine' }))).toBe('The only valid name for the CLUSTER resource is kafka-cluster');
    expect(invalidBinding(acl({ principal: 'alice' }))).toMatch(/no colon/);
    expect(invalidBinding(acl({}))).toBeUndefined();
  });
});
