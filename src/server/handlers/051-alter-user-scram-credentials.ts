/**
 * AlterUserScramCredentials (key 51), v0: upserts (salted passwords, turned into stored and
 * server keys) and deletions, with the checks of Kafka's ScramControlManager: one change per
 * user per request (DUPLICATE_RESOURCE), a name and a known mechanism, 4096-16384 iterations
 * (UNACCEPTABLE_CREDENTIAL), and only existing credentials deleted (RESOURCE_NOT_FOUND). The
 * valid changes are applied together and persisted before the answer.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
  type AlterUserScramCredentialsResult,
  defaultAlterUserScramCredentialsResponse,
  codec,
} from '../../protocol/generated/051-alter-user-scram-credentials.js';
import { credentialFromSaltedPassword, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISMS, SCRAM_TYPE, type ScramMechanism } from '../../security/scram.js';
import type { ScramChange } from '../../security/scram-credentials.js';
import { Operation, ResourceType, requireAuthorized } from '../authorize.js';
import { CLUSTER_NAME } from '../../security/acl.js';
import { defineHandler, schemaVersions } from '../handler.js';

interface Failure {
  code: number;
  message: string;
}

const DUPLICATE: Failure = { code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' };

function mechanismOf(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => SCRAM_TYPE[m] === type);
}

function checkNameAndMechanism(name: string, type: number): Failure | undefined {
  if (name === '') return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  if (mechanismOf(type) === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
  return undefined;
}

export const alterUserScramCredentialsHandler = defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  ...schemaVersions(ApiKey.AlterUserScramCredentials),
  codec,
  async handle(req, ctx) {
    requireAuthorized(ctx, Operation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME);
    const { broker } = ctx;
    const failures = new Map<string, Failure>();
    const changes = new Map<string, ScramChange>();
    for (const d of req.deletions) {
      if (failures.has(d.name)) continue;
      if (changes.delete(d.name)) {
        failures.set(d.name, DUPLICATE);
        continue;
      }
      const mechanism = mechanismOf(d.mechanism);
      const failure =
        checkNameAndMechanism(d.name, d.mechanism) ??
        (broker.scram.get(d.name, mechanism!) === undefined ? { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' } : undefined);
      if (failure !== undefined) failures.set(d.name, failure);
      else changes.set(d.name, { user: d.name, mechanism: mechanism!, credential: null });
    }
    const upserted = new Set<string>();
    for (const u of req.upsertions) {
      if (failures.has(u.name)) continue;
      if (changes.delete(u.name)) {
        failures.set(u.name, DUPLICATE);
        continue;
      }
      let failure = checkNameAndMechanism(u.name, u.mechanism);
      if (failure === undefined && u.iterations < MIN_ITERATIONS) failure = { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too few iterations' };
      if (failure === undefined && u.iterations > MAX_ITERATIONS) failure = { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too many iterations' };
      if (failure !== undefined) {
        failures.set(u.name, failure);
        continue;
      }
      const mechanism = mechanismOf(u.mechanism)!;
      changes.set(u.name, { user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, u.saltedPassword, u.salt, u.iterations) });
      upserted.add(u.name);
    }
    await broker.scram.apply([...changes.values()]);
    // Kafka's order: deletions, then upsertions, then failures.
    const ok = (user: string): AlterUserScramCredentialsResult => ({ user, errorCode: ErrorCode.NONE, errorMessage: null });
    const results = [
      ...[...changes.keys()].filter((u) => !upserted.has(u)).map(ok),
      ...[...changes.keys()].filter((u) => upserted.has(u)).map(ok),
      ...[...failures].map(([user, f]) => ({ user, errorCode: f.code, errorMessage: f.message })),
    ];
    return { ...defaultAlterUserScramCredentialsResponse(), results };
  },
  errorResponse(req, errorCode) {
    const users = new Set([...req.deletions, ...req.upsertions].map((c) => c.name));
    return { ...defaultAlterUserScramCredentialsResponse(), results: [...users].map((user) => ({ user, errorCode, errorMessage: null })) };
  },
});
