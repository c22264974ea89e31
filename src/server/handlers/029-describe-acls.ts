/**
 * DescribeAcls (key 29), v0-v3: the bindings matching a filter, grouped by resource pattern.
 * Needs DESCRIBE on the cluster. Without an authorizer Kafka answers SECURITY_DISABLED;
 * MirrorMaker 2 (topic ACL sync) and kafka-acls --list read that as "no ACLs here".
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeAclsRequest,
  type DescribeAclsResponse,
  type DescribeAclsResource,
  defaultDescribeAclsResponse,
  codec,
} from '../../protocol/generated/029-describe-acls.js';
import { invalidFilter } from '../../security/acl.js';
import { authorizedOnCluster, Operation } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const describeAclsHandler = defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  ...schemaVersions(ApiKey.DescribeAcls),
  codec,
  async handle(req, ctx) {
    const authorizer = ctx.broker.authorizer;
    if (authorizer === undefined) return { ...defaultDescribeAclsResponse(), errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' };
    if (!authorizedOnCluster(ctx, Operation.DESCRIBE)) return { ...defaultDescribeAclsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const filter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const invalid = invalidFilter(filter);
    if (invalid !== undefined) return { ...defaultDescribeAclsResponse(), errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid };
    const resources = new Map<string, DescribeAclsResource>();
    for (const acl of authorizer.acls(filter)) {
      const key = JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType]);
      let resource = resources.get(key);
      if (resource === undefined) {
        resource = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] };
        resources.set(key, resource);
      }
      resource.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType });
    }
    return { ...defaultDescribeAclsResponse(), resources: [...resources.values()] };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeAclsResponse(), errorCode };
  },
});
