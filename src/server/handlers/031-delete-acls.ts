/**
 * DeleteAcls (key 31), v0-v3: removes the bindings matching each filter and lists them per
 * filter. Needs ALTER on the cluster; SECURITY_DISABLED without an authorizer.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type DeleteAclsRequest, type DeleteAclsResponse, defaultDeleteAclsResponse, codec } from '../../protocol/generated/031-delete-acls.js';
import { invalidFilter, type AclFilter } from '../../security/acl.js';
import { authorizedOnCluster, Operation } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const deleteAclsHandler = defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  ...schemaVersions(ApiKey.DeleteAcls),
  codec,
  async handle(req, ctx) {
    const authorizer = ctx.broker.authorizer;
    const everyOne = (errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({
      ...defaultDeleteAclsResponse(),
      filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (authorizer === undefined) return everyOne(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizedOnCluster(ctx, Operation.ALTER)) return everyOne(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const filters: AclFilter[] = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    const problems = filters.map(invalidFilter);
    const removed = await authorizer.delete(filters.filter((_, i) => problems[i] === undefined));
    let next = 0;
    const filterResults = problems.map((problem) =>
      problem !== undefined
        ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] }
        : {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            matchingAcls: removed[next++]!.map((acl) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...acl })),
          },
    );
    return { ...defaultDeleteAclsResponse(), filterResults };
  },
  errorResponse(req, errorCode) {
    return { ...defaultDeleteAclsResponse(), filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) };
  },
});
