/**
 * The feature flags ApiVersions v3+ reports (KIP-584), for the features Kafka 4.3 has.
 *
 * Supported ranges are Kafka 4.3.1's. Finalized levels are what Kafka 4.3.1 sets for a new
 * cluster where Skiff has the behaviour behind them: metadata.version 30,
 * transaction.version 2 (transactions v2, KIP-890: Produce v12+ adds partitions, EndTxn v5
 * bumps the epoch; 4.x clients take that path when they see level 2, older ones keep the v1
 * path, and both are served), group.version 1 (KIP-848 consumer groups, which clients use
 * only when it is finalized) and share.version 1 (KIP-932 share groups, which Kafka 4.3.1
 * enables with it: there is no group.share.enable any more). The rest stay at level 0 until
 * Skiff serves them, since a client that saw a level would switch to APIs Skiff lacks:
 * streams.version (streams groups), kraft.version (no KRaft quorum to reconfigure),
 * eligible.leader.replicas.version (no ELR); Kafka 4.3.1 finalizes the first two at 1.
 * Levels never change (UpdateFeatures refuses any other).
 * As in Kafka, a feature finalized at level 0 is left out of FinalizedFeatures.
 */
import type { FinalizedFeatureKey, SupportedFeatureKey } from '../protocol/generated/018-api-versions.js';

interface Feature {
  name: string;
  minVersion: number;
  maxVersion: number;
  /** The finalized level. */
  level: number;
}

/** metadata.version runs from the oldest level Kafka 4 supports (3.3-IV3). */
const FEATURES: readonly Feature[] = [
  { name: 'metadata.version', minVersion: 7, maxVersion: 30, level: 30 },
  { name: 'kraft.version', minVersion: 0, maxVersion: 1, level: 0 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2, level: 2 },
  { name: 'group.version', minVersion: 0, maxVersion: 1, level: 1 },
  { name: 'share.version', minVersion: 0, maxVersion: 1, level: 1 },
  { name: 'streams.version', minVersion: 0, maxVersion: 1, level: 0 },
  { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1, level: 0 },
];

/** Features never change while Skiff runs: one epoch for good. */
export const FINALIZED_FEATURES_EPOCH = 0n;

export const SUPPORTED_FEATURES: readonly SupportedFeatureKey[] = FEATURES.map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion }));

export const FINALIZED_FEATURES: readonly FinalizedFeatureKey[] = FEATURES.filter((f) => f.level > 0).map((f) => ({
  name: f.name,
  maxVersionLevel: f.level,
  minVersionLevel: f.level,
}));

/** The finalized level of a feature Skiff knows (0 when not finalized), for UpdateFeatures. */
export function finalizedLevel(name: string): number {
  return FEATURES.find((f) => f.name === name)?.level ?? 0;
}
