/**
 * The persisted form of a share partition's in-flight records (Kafka's PersisterStateBatch):
 * ranges of offsets with one delivery state and delivery count each, and how a write is
 * folded into what is already known (Kafka's PersisterStateBatchCombiner): a later batch
 * wins where ranges overlap, nothing below the start offset is kept, and neighbours with the
 * same state and count become one range.
 */

/** Kafka's RecordState ids, as __share_group_state stores them. */
export const RecordState = {
  AVAILABLE: 0,
  ACQUIRED: 1,
  ACKNOWLEDGED: 2,
  ARCHIVED: 4,
} as const;
export type RecordStateId = (typeof RecordState)[keyof typeof RecordState];

export interface StateRange {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryState: number;
  deliveryCount: number;
}

/** `current` with `incoming` laid over it, trimmed to `startOffset` and coalesced; neither input is changed. */
export function mergeStateBatches(current: readonly StateRange[], incoming: readonly StateRange[], startOffset: bigint): StateRange[] {
  let out: StateRange[] = current.map((b) => ({ ...b }));
  for (const b of incoming) {
    if (b.lastOffset < b.firstOffset) continue;
    const next: StateRange[] = [];
    for (const c of out) {
      if (c.lastOffset < b.firstOffset || c.firstOffset > b.lastOffset) {
        next.push(c);
        continue;
      }
      if (c.firstOffset < b.firstOffset) next.push({ ...c, lastOffset: b.firstOffset - 1n });
      if (c.lastOffset > b.lastOffset) next.push({ ...c, firstOffset: b.lastOffset + 1n });
    }
    next.push({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount });
    out = next;
  }
  out.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const merged: StateRange[] = [];
  for (const b of out) {
    if (b.lastOffset < startOffset) continue;
    const r = b.firstOffset < startOffset ? { ...b, firstOffset: startOffset } : b;
    const prev = merged[merged.length - 1];
    if (prev && prev.lastOffset + 1n === r.firstOffset && prev.deliveryState === r.deliveryState && prev.deliveryCount === r.deliveryCount) prev.lastOffset = r.lastOffset;
    else merged.push(r);
  }
  return merged;
}
