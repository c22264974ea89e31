import { KAFKA_CLIENT_METRICS_KEYS } from './kafka-keys.js';

/**
 * Client metrics subscriptions (CLIENT_METRICS resources, KIP-714): which metrics (name
 * prefixes), how often clients push them, and which clients match. Checked as Kafka's
 * ClientMetricsConfigs.validate checks them.
 */

export const CLIENT_MATCH_KEYS = [
  'client_instance_id',
  'client_id',
  'client_software_name',
  'client_software_version',
  'client_source_address',
  'client_source_port',
] as const;

const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 3_600_000;

export interface ClientMetricsProblem {
  code: 'INVALID_REQUEST' | 'INVALID_CONFIG';
  message: string;
}

/** The first failure of Kafka's checks on a subscription's would-be settings, or undefined. */
export function clientMetricsProblem(name: string, configs: Readonly<Record<string, string>>): ClientMetricsProblem | undefined {
  if (name === '') return { code: 'INVALID_REQUEST', message: "Subscription name can't be empty" };
  for (const key of Object.keys(configs)) {
    if (!KAFKA_CLIENT_METRICS_KEYS.has(key)) return { code: 'INVALID_REQUEST', message: `Unknown client metrics configuration: ${key}` };
  }
  const interval = configs['interval.ms'];
  if (interval !== undefined) {
    const n = /^\s*[+-]?\d+\s*$/.test(interval) ? Number(interval) : NaN;
    if (!(n >= MIN_INTERVAL_MS && n <= MAX_INTERVAL_MS)) {
      return { code: 'INVALID_REQUEST', message: `Invalid value ${interval} for interval.ms, interval must be between 100 and 3600000 (1 hour)` };
    }
  }
  for (const pattern of listItems(configs.match)) {
    if (matchProblem(pattern)) return { code: 'INVALID_CONFIG', message: `Illegal client matching pattern: ${pattern}` };
  }
  return undefined;
}

function matchProblem(pattern: string): boolean {
  const eq = pattern.indexOf('=');
  if (eq <= 0 || eq === pattern.length - 1) return true;
  const key = pattern.slice(0, eq).trim();
  if (!(CLIENT_MATCH_KEYS as readonly string[]).includes(key)) return true;
  try {
    new RegExp(pattern.slice(eq + 1).trim());
    return false;
  } catch {
    return true;
  }
}

function listItems(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
