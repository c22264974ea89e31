/**
 * DescribeAcls (key 29), v0-v3. Skiff has no authorizer, so it answers as Kafka does when none is
 * configured: SECURITY_DISABLED. Clients such as MirrorMaker 2 (topic ACL sync) and
 * kafka-acls --list read that as "no ACLs here"; an unsupported API would be an error to them.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type DescribeAclsRequest, type DescribeAclsResponse, defaultDescribeAclsResponse, codec } from '../../protocol/generated/029-describe-acls.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const describeAclsHandler = defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  ...schemaVersions(ApiKey.DescribeAcls),
  codec,
  async handle() {
    return { ...defaultDescribeAclsResponse(), errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeAclsResponse(), errorCode };
  },
});
