/**
 * Kafka's small text files: offset checkpoints (recovery point, log start offset), the leader
 * epoch checkpoint and partition.metadata. Parsers return undefined on anything malformed so
 * the caller falls back to the safe choice (full recovery, no cached epochs).
 */
const VERSION = '0';

/** "0\n<count>\n<topic> <partition> <offset>\n..." keyed by partition folder name. */
export function formatOffsetCheckpoint(entries: ReadonlyArray<{ topic: string; partition: number; offset: bigint }>): string {
  let out = `${VERSION}\n${entries.length}\n`;
  for (const e of entries) out += `${e.topic} ${e.partition} ${e.offset}\n`;
  return out;
}

export function parseOffsetCheckpoint(text: string): Map<string, bigint> | undefined {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== VERSION || lines.length < 2) return undefined;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length - 2 !== count) return undefined;
  const out = new Map<string, bigint>();
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !/^-?\d+$/.test(parts[2]!)) return undefined;
    out.set(`${parts[0]}-${parts[1]}`, BigInt(parts[2]!));
  }
  return out;
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  let out = `${VERSION}\n${entries.length}\n`;
  for (const e of entries) out += `${e.epoch} ${e.startOffset}\n`;
  return out;
}

export function parseLeaderEpochCheckpoint(text: string): EpochEntry[] | undefined {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== VERSION || lines.length < 2) return undefined;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length - 2 !== count) return undefined;
  const out: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m === null) return undefined;
    out.push({ epoch: Number(m[1]), startOffset: BigInt(m[2]!) });
  }
  return out;
}

export function formatPartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}\n`;
}

export function parsePartitionMetadata(text: string): string | undefined {
  const m = /^version: 0\ntopic_id: ([A-Za-z0-9_-]{22})\n?$/.exec(text);
  return m?.[1];
}
