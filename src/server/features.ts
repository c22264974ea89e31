/**
 * The feature flags ApiVersions v3+ reports (KIP-584), for the features Kafka 4.3 has.
 *
 * Skiff finalizes the levels of Kafka 3.9 (what `kafka-features version-mapping
 * --release-version 3.9` prints), the release whose behaviour it has: metadata.version 21
 * (3.9-IV0); transaction.version 0, since transactions v2 (KIP-890: Produce v12, EndTxn v5) is
 * not served and a client that saw level 2 would switch to it; group.version 1 as Kafka 4.3
 * (the KIP-848 consumer group protocol, which clients use only when it is finalized); share.version and streams.version 0 (no
 * share or streams groups); kraft.version 0 (no KRaft quorum to reconfigure);
 * eligible.leader.replicas.version 0 (one node, no ELR). Supported ranges stop at those
 * levels: Skiff cannot be upgraded to a level it lacks (UpdateFeatures refuses it).
 * As in Kafka, a feature finalized at level 0 is left out of FinalizedFeatures.
 * A real Kafka 4.3.1 answers metadata.version 7-30 finalized 30, transaction.version 0-2
 * finalized 2, group/share/streams/kraft.version 0-1 finalized 1.
 */
import type { FinalizedFeatureKey, SupportedFeatureKey } from '../protocol/generated/018-api-versions.js';

interface Feature {
  name: string;
  minVersion: number;
  /** The finalized level, which is also the highest supported. */
  level: number;
}

/** The oldest metadata.version Kafka 4 supports (3.3-IV3), and 3.9-IV0. */
const FEATURES: readonly Feature[] = [
  { name: 'metadata.version', minVersion: 7, level: 21 },
  { name: 'kraft.version', minVersion: 0, level: 0 },
  { name: 'transaction.version', minVersion: 0, level: 0 },
  { name: 'group.version', minVersion: 0, level: 1 },
  { name: 'share.version', minVersion: 0, level: 0 },
  { name: 'streams.version', minVersion: 0, level: 0 },
  { name: 'eligible.leader.replicas.version', minVersion: 0, level: 0 },
];

/** Features never change while Skiff runs: one epoch for good. */
export const FINALIZED_FEATURES_EPOCH = 0n;

export const SUPPORTED_FEATURES: readonly SupportedFeatureKey[] = FEATURES.map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.level }));

export const FINALIZED_FEATURES: readonly FinalizedFeatureKey[] = FEATURES.filter((f) => f.level > 0).map((f) => ({
  name: f.name,
  maxVersionLevel: f.level,
  minVersionLevel: f.level,
}));

/** The finalized level of a feature Skiff knows (0 when not finalized), for UpdateFeatures. */
export function finalizedLevel(name: string): number {
  return FEATURES.find((f) => f.name === name)?.level ?? 0;
}
