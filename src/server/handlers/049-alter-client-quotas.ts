/**
 * AlterClientQuotas (key 49), v0-v1. Each entity's changes are validated on their own, as
 * Kafka's controller does (src/server/quota/client-quota-entities.ts has the rules and
 * messages), and the valid ones applied together and persisted unless validateOnly; a failed
 * entity gets INVALID_REQUEST and its message. Entries naming the same entity, or one entry
 * naming a key twice, are refused as Kafka's "Ignoring duplicate entity", answered once per
 * entity. A key whose last value is removed leaves the entity, as in Kafka.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
  type AlterClientQuotasResponseEntryData,
  type OpData,
  defaultAlterClientQuotasResponse,
  codec,
} from '../../protocol/generated/049-alter-client-quotas.js';
import { entityKey, type QuotaEntity } from '../../storage/index.js';
import { components, describeEntity, entityError, entityOf, opError } from '../quota/client-quota-entities.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

function validate(entity: QuotaEntity, ops: readonly OpData[], entries: number): string | undefined {
  const duplicate = `Ignoring duplicate entity ${describeEntity(entity)}`;
  if (entries > 1) return duplicate;
  const entityProblem = entityError(entity);
  if (entityProblem !== undefined) return entityProblem;
  if (new Set(ops.map((o) => o.key)).size !== ops.length) return duplicate;
  for (const op of ops) {
    const problem = opError(entity, op.key, op.value, op.remove);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

export const alterClientQuotasHandler = defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  ...schemaVersions(ApiKey.AlterClientQuotas),
  codec,
  async handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER_CONFIGS);
    const byEntity = new Map<string, { entity: QuotaEntity; ops: OpData[]; entries: number }>();
    for (const e of req.entries) {
      const entity = entityOf(e.entity);
      const key = entityKey(entity);
      const seen = byEntity.get(key);
      if (seen) seen.entries++;
      else byEntity.set(key, { entity, ops: e.ops, entries: 1 });
    }
    const results: AlterClientQuotasResponseEntryData[] = [];
    const changes: Array<{ entity: QuotaEntity; values: Record<string, number | null> }> = [];
    for (const { entity, ops, entries } of byEntity.values()) {
      const problem = validate(entity, ops, entries);
      results.push({ errorCode: problem === undefined ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST, errorMessage: problem ?? null, entity: components(entity) });
      if (problem === undefined) changes.push({ entity, values: Object.fromEntries(ops.map((o) => [o.key, o.remove ? null : o.value])) });
    }
    if (!req.validateOnly && changes.length > 0) await ctx.broker.clientQuotas.alter(changes);
    return { ...defaultAlterClientQuotasResponse(), entries: results };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultAlterClientQuotasResponse(),
      entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: components(entityOf(e.entity)) })),
    };
  },
});
