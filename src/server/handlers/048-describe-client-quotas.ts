/**
 * DescribeClientQuotas (key 48), v0-v1. The quotas set with AlterClientQuotas whose entity
 * passes the filter: each component names a type and an exact name, the default (null) or
 * any name; strict admits only entities with exactly the filter's types (so an empty strict
 * filter matches nothing, an empty lax one everything). Refused filters, with Kafka's codes
 * and messages: an unknown entity type UNSUPPORTED_VERSION; a type twice, an unknown match
 * type, a match string contradicting the match type, or ip mixed with user or client-id
 * INVALID_REQUEST, with null entries.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
  defaultDescribeClientQuotasResponse,
  codec,
} from '../../protocol/generated/048-describe-client-quotas.js';
import { checkFilter, components, FilterError, matches } from '../quota/client-quota-entities.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

export const describeClientQuotasHandler = defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  ...schemaVersions(ApiKey.DescribeClientQuotas),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.DESCRIBE_CONFIGS);
    try {
      checkFilter(req.components);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      return {
        ...defaultDescribeClientQuotasResponse(),
        errorCode: err.unsupported ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.INVALID_REQUEST,
        errorMessage: err.message,
        entries: null,
      };
    }
    const entries = ctx.broker.clientQuotas
      .list()
      .filter((q) => matches(q.entity, req.components, req.strict))
      .map((q) => ({ entity: components(q.entity), values: Object.entries(q.values).map(([key, value]) => ({ key, value })) }));
    return { ...defaultDescribeClientQuotasResponse(), errorMessage: '', entries };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeClientQuotasResponse(), errorCode, errorMessage: null, entries: null };
  },
});
