/**
 * Authorized-operation bit fields as Kafka answers them without an authorizer: every
 * operation the resource type supports (bit n set for AclOperation code n).
 */
const READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8;
const CLUSTER_ACTION = 9, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11, IDEMPOTENT_WRITE = 12;

function bits(...ops: number[]): number {
  return ops.reduce((acc, op) => acc | (1 << op), 0);
}

/** Sent when the client did not ask for authorized operations. */
export const OPERATIONS_OMITTED = -2147483648;

export const TOPIC_OPERATIONS = bits(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const CLUSTER_OPERATIONS = bits(CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE);
export const GROUP_OPERATIONS = bits(READ, DESCRIBE, DELETE);
