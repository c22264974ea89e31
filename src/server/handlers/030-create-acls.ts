/**
 * CreateAcls (key 30), v0-v3: adds bindings, each checked as Kafka's AclControlManager does
 * (INVALID_REQUEST with its reason). Needs ALTER on the cluster; SECURITY_DISABLED without an
 * authorizer.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { type CreateAclsRequest, type CreateAclsResponse, defaultCreateAclsResponse, codec } from '../../protocol/generated/030-create-acls.js';
import { invalidBinding, type AclBinding } from '../../security/acl.js';
import { authorizedOnCluster, Operation } from '../authorize.js';
import { defineHandler, schemaVersions } from '../handler.js';

export const createAclsHandler = defineHandler<CreateAclsRequest, CreateAclsResponse>({
  ...schemaVersions(ApiKey.CreateAcls),
  codec,
  async handle(req, ctx) {
    const authorizer = ctx.broker.authorizer;
    const everyOne = (errorCode: number, errorMessage: string | null): CreateAclsResponse => ({
      ...defaultCreateAclsResponse(),
      results: req.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (authorizer === undefined) return everyOne(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizedOnCluster(ctx, Operation.ALTER)) return everyOne(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const valid: AclBinding[] = [];
    const results = req.creations.map((c) => {
      const binding: AclBinding = { ...c, patternType: c.resourcePatternType };
      const invalid = invalidBinding(binding);
      if (invalid !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid };
      valid.push(binding);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    });
    await authorizer.create(valid);
    return { ...defaultCreateAclsResponse(), results };
  },
  errorResponse(req, errorCode) {
    return { ...defaultCreateAclsResponse(), results: req.creations.map(() => ({ errorCode, errorMessage: null })) };
  },
});
