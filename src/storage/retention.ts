/**
 * Which old segments go: Kafka's three rules (log start offset passed them, retention.ms,
 * retention.bytes), each deleting a prefix of whole closed segments. The active segment is
 * never deleted here; it goes once it rolls.
 */
export interface RetentionSegment {
  readonly baseOffset: bigint;
  readonly size: number;
  /** Largest batch timestamp, -1 when unknown (such segments are not aged out). */
  readonly maxTimestamp: bigint;
}

export interface RetentionPolicy {
  retentionMs: number;
  retentionBytes: number;
  logStartOffset: bigint;
  nowMs: number;
}

export type RetentionReason = 'log-start-offset' | 'retention-ms' | 'retention-bytes';

/** How many of the oldest segments to delete, and the rule that reached furthest. */
export function segmentsToDelete(
  segments: readonly RetentionSegment[],
  policy: RetentionPolicy,
): { count: number; reason: RetentionReason | undefined } {
  const closed = segments.length - 1;
  let count = 0;
  let reason: RetentionReason | undefined;
  const consider = (n: number, why: RetentionReason): void => {
    if (n > count) {
      count = n;
      reason = why;
    }
  };

  let n = 0;
  while (n < closed && segments[n + 1]!.baseOffset <= policy.logStartOffset) n++;
  consider(n, 'log-start-offset');

  if (policy.retentionMs >= 0) {
    const cutoff = BigInt(policy.nowMs - policy.retentionMs);
    n = 0;
    while (n < closed && segments[n]!.maxTimestamp >= 0n && segments[n]!.maxTimestamp < cutoff) n++;
    consider(n, 'retention-ms');
  }

  if (policy.retentionBytes >= 0) {
    let excess = -policy.retentionBytes;
    for (const s of segments) excess += s.size;
    n = 0;
    while (n < closed && excess - segments[n]!.size >= 0) {
      excess -= segments[n]!.size;
      n++;
    }
    consider(n, 'retention-bytes');
  }
  return { count, reason };
}
