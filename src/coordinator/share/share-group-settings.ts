/**
 * A share group's delivery settings, from its effective group configs (its own values over the
 * broker's group.share.* ones), and where a partition without state starts
 * (share.auto.offset.reset: latest, earliest, or by_duration:<ISO-8601 duration>).
 */
import type { PartitionLog } from '../../storage/index.js';

export interface ShareGroupSettings {
  lockDurationMs: number;
  deliveryCountLimit: number;
  maxRecordLocks: number;
  readCommitted: boolean;
  autoOffsetReset: string;
}

export function shareGroupSettings(config: Readonly<Record<string, string>>): ShareGroupSettings {
  return {
    lockDurationMs: Number(config['share.record.lock.duration.ms'] ?? 30_000),
    deliveryCountLimit: Number(config['share.delivery.count.limit'] ?? 5),
    maxRecordLocks: Number(config['share.partition.max.record.locks'] ?? 2000),
    readCommitted: config['share.isolation.level'] === 'read_committed',
    autoOffsetReset: config['share.auto.offset.reset'] ?? 'latest',
  };
}

const DURATION = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

/** java.time.Duration.parse's format (PnDTnHnMn.nS) in milliseconds, or undefined when it is not one. */
export function parseIsoDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || /T$/i.test(text) || text.toUpperCase() === 'P') return undefined;
  const [, sign, d, h, min, s, frac] = m;
  const ms = Number(d ?? 0) * 86_400_000 + Number(h ?? 0) * 3_600_000 + Number(min ?? 0) * 60_000 + Number(s ?? 0) * 1000 + (frac ? Math.sign(Number(s ?? 1) || 1) * Number(`0.${frac}`) * 1000 : 0);
  return sign === '-' ? -ms : ms;
}

/** The share-partition start offset of a partition a group starts to consume. */
export async function initialStartOffset(log: PartitionLog, autoOffsetReset: string, nowMs: number): Promise<bigint> {
  if (autoOffsetReset === 'earliest') return log.logStartOffset;
  if (autoOffsetReset.startsWith('by_duration:')) {
    const ms = parseIsoDurationMs(autoOffsetReset.slice('by_duration:'.length));
    if (ms !== undefined) {
      const found = await log.offsetForTimestamp(BigInt(Math.floor(nowMs - ms)));
      return found?.offset ?? log.highWatermark;
    }
  }
  return log.highWatermark;
}
