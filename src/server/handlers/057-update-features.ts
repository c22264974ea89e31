/**
 * UpdateFeatures (key 57), v0-v2. Skiff's feature levels are fixed (src/server/features.ts),
 * so the only update that passes is one to the level already finalized, which changes nothing
 * (validateOnly or not); an upgrade within Kafka's supported range to a level Skiff does not
 * finalize (group.version 1, say) is refused with INVALID_UPDATE_VERSION. Refusals follow
 * Kafka's FeatureControlManager, the first failing update failing the whole request with
 * INVALID_UPDATE_VERSION and its message: an unknown feature, an unknown upgrade type, a level
 * outside the supported range, a lower level asked as an upgrade, and any metadata.version
 * downgrade (safe: it might delete metadata; unsafe: not supported). v0's allowDowngrade means
 * a safe downgrade. On success v0-v1 list each feature with NONE; v2 lists none.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type FeatureUpdateKey,
  type UpdateFeaturesRequest,
  type UpdateFeaturesResponse,
  defaultUpdateFeaturesResponse,
  codec,
} from '../../protocol/generated/057-update-features.js';
import { SUPPORTED_FEATURES, finalizedLevel } from '../features.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

const UPGRADE = 1;
const SAFE_DOWNGRADE = 2;
const UNSAFE_DOWNGRADE = 3;

function refusal(u: FeatureUpdateKey, upgradeType: number, nodeId: number): string | undefined {
  const level = u.maxVersionLevel;
  const invalid = (why: string) => `Invalid update version ${level} for feature ${u.feature}. ${why}`;
  const supported = SUPPORTED_FEATURES.find((f) => f.name === u.feature);
  if (!supported) return invalid(`Local controller ${nodeId} does not support this feature.`);
  if (upgradeType < UPGRADE || upgradeType > UNSAFE_DOWNGRADE) return invalid('The controller does not support the given upgrade type.');
  if (level < supported.minVersion || level > supported.maxVersion) {
    return invalid(`Local controller ${nodeId} only supports versions ${supported.minVersion}-${supported.maxVersion}`);
  }
  const current = finalizedLevel(u.feature);
  if (level > current) return invalid(`Skiff's feature levels are fixed: ${u.feature} stays at ${current}.`);
  if (level === current) return undefined;
  if (upgradeType === UPGRADE) return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.");
  if (u.feature === 'metadata.version') {
    const why = upgradeType === SAFE_DOWNGRADE ? 'Refusing to perform the requested downgrade because it might delete metadata information.' : 'Unsafe metadata downgrade is not supported in this version.';
    return `Unsupported metadata.version downgrade from ${current} to ${level}. ${why}`;
  }
  return invalid("Can't downgrade the version of this feature.");
}

export const updateFeaturesHandler = defineHandler<UpdateFeaturesRequest, UpdateFeaturesResponse>({
  ...schemaVersions(ApiKey.UpdateFeatures),
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER);
    const { apiVersion } = ctx;
    for (const u of req.featureUpdates) {
      const upgradeType = apiVersion === 0 ? (u.allowDowngrade ? SAFE_DOWNGRADE : UPGRADE) : u.upgradeType;
      const why = refusal(u, upgradeType, ctx.broker.nodeId);
      if (why !== undefined) {
        return {
          ...defaultUpdateFeaturesResponse(),
          errorCode: ErrorCode.INVALID_UPDATE_VERSION,
          errorMessage: `The update failed for all features since the following feature had an error: ${why}`,
          results: [],
        };
      }
    }
    return {
      ...defaultUpdateFeaturesResponse(),
      errorMessage: null,
      results: apiVersion >= 2 ? [] : req.featureUpdates.map((u) => ({ feature: u.feature, errorCode: ErrorCode.NONE, errorMessage: 'NONE' })),
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultUpdateFeaturesResponse(), errorCode, errorMessage: null, results: [] };
  },
});
