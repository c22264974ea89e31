/**
 * DescribeUserScramCredentials (key 50), v0: each user's SCRAM mechanisms and iterations
 * (never salts or keys), as Kafka's ScramImage.describe: every user when none is named,
 * RESOURCE_NOT_FOUND for a user without credentials, DUPLICATE_RESOURCE for a user named twice.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResult,
  defaultDescribeUserScramCredentialsResponse,
  codec,
} from '../../protocol/generated/050-describe-user-scram-credentials.js';
import { SCRAM_TYPE } from '../../security/scram.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { CLUSTER_NAME } from '../../security/acl.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const describeUserScramCredentialsHandler = defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  ...schemaVersions(ApiKey.DescribeUserScramCredentials),
  codec,
  handle(req, ctx) {
    requireAuthorized(ctx, Operation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
    const { broker } = ctx;
    const stored = broker.scram.users();
    // User to whether it was named more than once.
    const users = new Map<string, boolean>();
    if (req.users === null || req.users.length === 0) {
      for (const user of stored.keys()) users.set(user, false);
    } else {
      for (const { name } of req.users) users.set(name, users.has(name));
    }
    const results: DescribeUserScramCredentialsResult[] = [];
    for (const [user, duplicate] of users) {
      const credentials = stored.get(user);
      if (duplicate) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
      } else if (credentials === undefined) {
        results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
      } else {
        const credentialInfos = [...credentials].map(([mechanism, c]) => ({ mechanism: SCRAM_TYPE[mechanism], iterations: c.iterations }));
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos });
      }
    }
    return { ...defaultDescribeUserScramCredentialsResponse(), results };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeUserScramCredentialsResponse(), errorCode };
  },
});
