/**
 * The versions of each API that Skiff implements: the schema's range (Kafka 4.3.1's, with the
 * old versions Kafka 4 dropped), less versions whose new fields Skiff does not implement yet.
 * The broker advertises no more than this, and the CLI sends no more: a peer that sees a higher
 * version may switch behaviour (topic ids instead of names, transactions v2).
 */
import { API_INFO } from './generated/api-keys.js';

/** API key to the highest version implemented, where the schema goes further. */
const IMPLEMENTED_MAX: ReadonlyMap<number, number> = new Map([
  [52, 1], // Vote v2
  [63, 1], // BrokerHeartbeat v2
  [85, 0], // WriteShareGroupState v1
  [87, 0], // ReadShareGroupStateSummary v1
]);

/**
 * The range of `apiKey` Skiff implements: the schema's, less a latest version the schema marks
 * unstable (Kafka does not advertise those either) and versions not implemented yet.
 */
export function implementedVersions(apiKey: number): { minVersion: number; maxVersion: number } {
  const info = API_INFO.get(apiKey);
  if (!info) throw new Error(`no schema for api key ${apiKey}`);
  const schemaMax = info.maxVersion - (info.latestVersionUnstable ? 1 : 0);
  return { minVersion: info.minVersion, maxVersion: Math.min(schemaMax, IMPLEMENTED_MAX.get(apiKey) ?? Infinity) };
}
