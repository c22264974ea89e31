/**
 * AlterReplicaLogDirs (key 34), v1-v2. Skiff has one log dir (DescribeLogDirs' path, "memory"
 * in memory), so moving a replica there is moving it where it already is: Kafka answers NONE
 * for such a partition, UNKNOWN_TOPIC_OR_PARTITION for one it does not host, and
 * LOG_DIR_NOT_FOUND for every partition sent to a path that is not one of its log dirs (a
 * relative path resolves against the working directory first, as Kafka's File does).
 */
import { resolve } from 'node:path';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type AlterReplicaLogDirsRequest,
  type AlterReplicaLogDirsResponse,
  type AlterReplicaLogDirTopicResult,
  defaultAlterReplicaLogDirsResponse,
  codec,
} from '../../protocol/generated/034-alter-replica-log-dirs.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { Operation, requireAuthorizedOnCluster } from '../authorize.js';
import { MEMORY_LOG_DIR } from './035-describe-log-dirs.js';

export const alterReplicaLogDirsHandler = defineHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse>({
  ...schemaVersions(ApiKey.AlterReplicaLogDirs),
  // Kafka 4 removed v0 (KIP-896).
  minVersion: 1,
  codec,
  handle(req, ctx) {
    requireAuthorizedOnCluster(ctx, Operation.ALTER);
    const { broker } = ctx;
    const isLogDir = (path: string) => (broker.dataDir === null ? path === MEMORY_LOG_DIR : resolve(path) === broker.dataDir);
    const results: AlterReplicaLogDirTopicResult[] = [];
    for (const dir of req.dirs) {
      const known = isLogDir(dir.path);
      for (const t of dir.topics) {
        results.push({
          topicName: t.name,
          partitions: t.partitions.map((partitionIndex) => ({
            partitionIndex,
            errorCode: !known ? ErrorCode.LOG_DIR_NOT_FOUND : broker.topics.partition(t.name, partitionIndex) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        });
      }
    }
    return { ...defaultAlterReplicaLogDirsResponse(), results };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultAlterReplicaLogDirsResponse(),
      results: req.dirs.flatMap((d) => d.topics.map((t) => ({ topicName: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode })) }))),
    };
  },
});
