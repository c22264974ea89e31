/**
 * DescribeLogDirs (key 35), v0-v5. Skiff has one log dir: the data dir's absolute path, or
 * "memory" for an in-memory broker. It lists the partitions asked for (all of them when
 * topics is null) that exist, with their size in bytes, offsetLag 0 (the log is its own
 * leader) and isFutureKey false; partitions and topics that do not exist are left out, as
 * Kafka leaves them out. totalBytes/usableBytes (v4) come from statfs of the data dir, as
 * Kafka's FileStore total and usable space; -1 in memory. isCordoned (v5, KIP-1066) is false:
 * Skiff has no cordoned.log.dirs, so its one log dir always takes new partitions.
 */
import { statfs } from 'node:fs/promises';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsTopic,
  defaultDescribeLogDirsResponse,
  defaultDescribeLogDirsResult,
  codec,
} from '../../protocol/generated/035-describe-log-dirs.js';
import type { BrokerServices } from '../services.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';

export const MEMORY_LOG_DIR = 'memory';
const LONG_MAX = 2n ** 63n - 1n;

async function space(dataDir: string | null): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  if (dataDir === null) return { totalBytes: -1n, usableBytes: -1n };
  const s = await statfs(dataDir, { bigint: true });
  // Kafka reports Long.MAX_VALUE for file systems too large for a long.
  const clamp = (n: bigint) => (n < 0n || n > LONG_MAX ? LONG_MAX : n);
  return { totalBytes: clamp(s.blocks * s.bsize), usableBytes: clamp(s.bavail * s.bsize) };
}

function listPartitions(broker: BrokerServices, req: DescribeLogDirsRequest): DescribeLogDirsTopic[] {
  const out: DescribeLogDirsTopic[] = [];
  const entry = (topic: string, index: number) => {
    const log = broker.topics.partition(topic, index);
    return log ? { partitionIndex: index, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false } : undefined;
  };
  if (req.topics === null) {
    for (const t of broker.topics.list()) {
      const partitions = [];
      for (let p = 0; p < t.partitions; p++) {
        const e = entry(t.name, p);
        if (e) partitions.push(e);
      }
      if (partitions.length > 0) out.push({ name: t.name, partitions });
    }
    return out;
  }
  const wanted = new Map<string, Set<number>>();
  for (const t of req.topics) {
    const set = wanted.get(t.topic) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    wanted.set(t.topic, set);
  }
  for (const [name, indexes] of wanted) {
    const partitions = [];
    for (const p of indexes) {
      const e = entry(name, p);
      if (e) partitions.push(e);
    }
    if (partitions.length > 0) out.push({ name, partitions });
  }
  return out;
}

export const describeLogDirsHandler = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  ...schemaVersions(ApiKey.DescribeLogDirs),
  codec,
  async handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.DESCRIBE);
    const { broker } = ctx;
    const result = {
      ...defaultDescribeLogDirsResult(),
      errorCode: ErrorCode.NONE,
      logDir: broker.dataDir ?? MEMORY_LOG_DIR,
      topics: listPartitions(broker, req),
      isCordoned: false,
      ...(await space(broker.dataDir)),
    };
    return { ...defaultDescribeLogDirsResponse(), errorCode: ErrorCode.NONE, results: [result] };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeLogDirsResponse(), errorCode, results: [] };
  },
});
