/**
 * ACL bindings and filters with Kafka's codes (AclOperation, ResourceType, PatternType,
 * AclPermissionType), the checks Kafka makes on a new binding, and filter matching for
 * DescribeAcls and DeleteAcls.
 *
 * src/security (TLS contexts, SASL mechanisms, SCRAM credentials, the authorizer) sits on
 * config and storage (through src/storage/index.ts), below the request layer that uses it.
 */

export const Operation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8,
  CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15,
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The only name the cluster resource has. */
export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A filter: null strings and ANY codes match everything; MATCH patterns match as an authorizer would. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

const MAX_CODE = { resourceType: ResourceType.USER, operation: Operation.TWO_PHASE_COMMIT, permissionType: Permission.ALLOW, patternType: PatternType.PREFIXED };

/** Why Kafka refuses to create `acl` (INVALID_REQUEST), or undefined. */
export function invalidBinding(acl: AclBinding): string | undefined {
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED) return `Invalid patternType ${acl.patternType}`;
  if (acl.resourceType <= ResourceType.ANY || acl.resourceType > MAX_CODE.resourceType) return `Invalid resourceType ${acl.resourceType}`;
  if (acl.operation <= Operation.ANY || acl.operation > MAX_CODE.operation) return `Invalid operation ${acl.operation}`;
  if (acl.permissionType <= Permission.ANY || acl.permissionType > MAX_CODE.permissionType) return `Invalid permissionType ${acl.permissionType}`;
  if (acl.resourceName === '') return 'Resource name should not be empty';
  if (acl.resourceType === ResourceType.CLUSTER && acl.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!/^[^:]+:.+$/s.test(acl.principal)) return `Could not parse principal from \`${acl.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (acl.host === '') return 'Host should not be empty';
  return undefined;
}

/** Why a filter cannot be used (INVALID_REQUEST), or undefined. */
export function invalidFilter(f: AclFilter): string | undefined {
  if (f.resourceType === ResourceType.UNKNOWN || f.resourceType > MAX_CODE.resourceType) return `Invalid resourceType ${f.resourceType}`;
  if (f.patternType === PatternType.UNKNOWN || f.patternType > MAX_CODE.patternType) return `Invalid patternType ${f.patternType}`;
  if (f.operation === Operation.UNKNOWN || f.operation > MAX_CODE.operation) return `Invalid operation ${f.operation}`;
  if (f.permissionType === Permission.UNKNOWN || f.permissionType > MAX_CODE.permissionType) return `Invalid permissionType ${f.permissionType}`;
  return undefined;
}

function codeMatches(filter: number, value: number): boolean {
  return filter === 1 /* ANY */ || filter === value;
}

export function filterMatches(f: AclFilter, acl: AclBinding): boolean {
  if (!codeMatches(f.resourceType, acl.resourceType)) return false;
  if (!codeMatches(f.operation, acl.operation) || !codeMatches(f.permissionType, acl.permissionType)) return false;
  if (f.principal !== null && f.principal !== acl.principal) return false;
  if (f.host !== null && f.host !== acl.host) return false;
  if (f.patternType === PatternType.MATCH) {
    // Every binding that would apply to the named resource: literal (or wildcard) and prefixes of it.
    if (f.resourceName === null) return true;
    if (acl.patternType === PatternType.LITERAL) return acl.resourceName === f.resourceName || acl.resourceName === WILDCARD;
    return f.resourceName.startsWith(acl.resourceName);
  }
  if (!codeMatches(f.patternType, acl.patternType)) return false;
  return f.resourceName === null || f.resourceName === acl.resourceName;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType &&
    a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType
  );
}
