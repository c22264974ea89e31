/**
 * Zigzag varints read straight from record bytes, without a Reader and without throwing, for
 * the walks over every record of a batch (produce validation, the log cleaner), which must not
 * allocate per record. Each call returns the value and leaves where it ended in `scan.end`:
 * -1 when the bytes before `limit` hold no whole varint of at most its width.
 */
export const scan = { end: 0 };

/** A zigzag varint (int32), at most 5 bytes. */
export function scanVarint(d: Uint8Array, pos: number, limit: number): number {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= limit) break;
    const b = d[pos++]!;
    u |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      scan.end = pos;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  scan.end = -1;
  return 0;
}

/** A zigzag varlong as a number (exact within ±2^53), at most 10 bytes. */
export function scanVarlong(d: Uint8Array, pos: number, limit: number): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) break;
    const b = d[pos++]!;
    u += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      scan.end = pos;
      // zigzag: even -> n/2, odd -> -(n+1)/2
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
  }
  scan.end = -1;
  return 0;
}
