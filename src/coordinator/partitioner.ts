/**
 * Which partition of an internal topic owns a key, chosen as Kafka chooses it:
 * (Java String.hashCode(key) & 0x7fffffff) % partitions. Java hashes UTF-16 code units,
 * so does this; the same group id lands on the same __consumer_offsets partition as in Kafka.
 */

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions <= 0) throw new RangeError(`partition count ${partitions}`);
  return (javaStringHashCode(key) & 0x7fffffff) % partitions;
}
