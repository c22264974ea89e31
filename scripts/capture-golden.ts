/**
 * Captures golden request frames from a real client (kafkajs). Starts a small fake
 * broker on 127.0.0.1 that answers with the generated codecs just well enough for
 * kafkajs to go through its admin, producer (plain, gzip, idempotent, transactional) and
 * consumer-group flows, and records every request frame it receives (without the size
 * prefix) under test/golden/kafkajs/, with an index.json describing them.
 *
 *   npx tsx scripts/capture-golden.ts [out dir]
 *
 * The fixtures are checked in; run this to refresh them. test/golden/golden.test.ts
 * decodes and re-encodes every fixture byte for byte.
 */
import { ZERO_UUID } from '../src/protocol/codec/uuid.js';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { DecodeError } from '../src/protocol/codec/errors.js';
import { encodeResponse, readRequestFrame } from '../src/protocol/frame.js';
import { API_CODECS } from '../src/protocol/generated/api-codecs.js';
import { API_INFO, ApiKey } from '../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../src/protocol/generated/errors.js';
import type { ProduceRequest, ProduceResponse } from '../src/protocol/generated/000-produce.js';
import type { FetchRequest, FetchResponse } from '../src/protocol/generated/001-fetch.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../src/protocol/generated/002-list-offsets.js';
import type { MetadataRequest, MetadataResponse } from '../src/protocol/generated/003-metadata.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../src/protocol/generated/008-offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../src/protocol/generated/009-offset-fetch.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../src/protocol/generated/010-find-coordinator.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../src/protocol/generated/011-join-group.js';
import type { HeartbeatResponse } from '../src/protocol/generated/012-heartbeat.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../src/protocol/generated/013-leave-group.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../src/protocol/generated/014-sync-group.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../src/protocol/generated/015-describe-groups.js';
import type { ListGroupsResponse } from '../src/protocol/generated/016-list-groups.js';
import type { ApiVersionsResponse } from '../src/protocol/generated/018-api-versions.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../src/protocol/generated/019-create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../src/protocol/generated/020-delete-topics.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../src/protocol/generated/021-delete-records.js';
import type { InitProducerIdResponse } from '../src/protocol/generated/022-init-producer-id.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../src/protocol/generated/024-add-partitions-to-txn.js';
import type { EndTxnRequest, EndTxnResponse } from '../src/protocol/generated/026-end-txn.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../src/protocol/generated/028-txn-offset-commit.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../src/protocol/generated/032-describe-configs.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../src/protocol/generated/033-alter-configs.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../src/protocol/generated/037-create-partitions.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../src/protocol/generated/042-delete-groups.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../src/protocol/generated/045-alter-partition-reassignments.js';
import type { ListPartitionReassignmentsResponse } from '../src/protocol/generated/046-list-partition-reassignments.js';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../src/protocol/generated/017-sasl-handshake.js';
import type { CreateAclsRequest, CreateAclsResponse } from '../src/protocol/generated/030-create-acls.js';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../src/protocol/generated/031-delete-acls.js';

const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = kafkajs;

const CLIENT = `kafkajs@${(JSON.parse(readFileSync(new URL('../node_modules/kafkajs/package.json', import.meta.url), 'utf8')) as { version: string }).version}`;
/** Frames kept per API key, version and scenario; identical frames (but for the correlation id) count once. */
const PER_SCENARIO = 2;
const NODE_ID = 1;
const CLUSTER_ID = 'skiff-golden-cluster';

export interface GoldenEntry {
  apiKey: number;
  apiName: string;
  version: number;
  client: string;
  scenario: string;
  file: string;
  bytes: number;
}

function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** Records request frames, deduplicated and capped, and writes them out at the end. */
class Recorder {
  scenario = 'startup';
  private readonly seen = new Set<string>();
  private readonly perKey = new Map<string, number>();
  private readonly perApiVersion = new Map<string, number>();
  readonly frames: Array<{ entry: GoldenEntry; frame: Buffer }> = [];

  record(frame: Buffer): void {
    if (frame.length < 8) return;
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const info = API_INFO.get(apiKey);
    if (!info) return;
    // The correlation id differs in every frame; ignore it when deduplicating.
    const norm = Buffer.from(frame);
    norm.writeInt32BE(0, 4);
    const digest = createHash('sha256').update(norm).digest('hex');
    if (this.seen.has(digest)) return;
    const key = `${apiKey}/${version}/${this.scenario}`;
    const n = this.perKey.get(key) ?? 0;
    if (n >= PER_SCENARIO) return;
    this.seen.add(digest);
    this.perKey.set(key, n + 1);
    const av = `${apiKey}/${version}`;
    const i = this.perApiVersion.get(av) ?? 0;
    this.perApiVersion.set(av, i + 1);
    const file = `${String(apiKey).padStart(3, '0')}-${kebab(info.name)}-v${version}-${i}.bin`;
    this.frames.push({
      entry: { apiKey, apiName: info.name, version, client: CLIENT, scenario: this.scenario, file, bytes: frame.length },
      frame: Buffer.from(frame),
    });
  }

  write(dir: string): GoldenEntry[] {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith('.bin') || f === 'index.json') rmSync(join(dir, f));
    const entries = this.frames.map((f) => f.entry).sort((a, b) => a.apiKey - b.apiKey || a.version - b.version || a.file.localeCompare(b.file));
    for (const { entry, frame } of this.frames) writeFileSync(join(dir, entry.file), frame);
    writeFileSync(join(dir, 'index.json'), JSON.stringify(entries, null, 2) + '\n');
    return entries;
  }
}

interface PartitionLog {
  batches: Array<{ base: bigint; last: bigint; data: Buffer }>;
  end: bigint;
}

/** Just enough broker for kafkajs: one node, in-memory logs, one consumer group member at a time. */
export class FakeBroker {
  private server: Server | undefined;
  port = 0;
  readonly topics = new Map<string, PartitionLog[]>();
  private readonly committed = new Map<string, bigint>();
  private generation = 0;
  private nextProducerId = 1000n;
  readonly errors: string[] = [];
  readonly sockets = new Set<Socket>();

  /** `caps` lowers the max version advertised for some APIs, to make the client use older versions. */
  constructor(
    private readonly onFrame: (frame: Buffer) => void,
    private readonly caps: ReadonlyMap<number, number> = new Map(),
  ) {}

  async start(): Promise<number> {
    this.server = createServer((s) => this.connection(s));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        this.onFrame(frame);
        // One request at a time per connection, answered in order, as a broker does.
        chain = chain.then(() => this.answer(socket, frame)).catch((e: unknown) => {
          this.errors.push(String(e));
          socket.destroy();
        });
      }
    });
  }

  private async answer(socket: Socket, frame: Buffer): Promise<void> {
    const { header, body } = readRequestFrame(frame);
    const codec = API_CODECS.get(header.requestApiKey);
    if (!codec) throw new DecodeError(`unknown api key ${header.requestApiKey}`);
    const request = codec.decodeRequest(body, header.requestApiVersion);
    body.expectEnd('request');
    const response = await this.handle(header.requestApiKey, header.requestApiVersion, request, header.clientId ?? '');
    if (response === undefined) return;
    const out = encodeResponse(codec, header.requestApiVersion, header.correlationId, response);
    const size = Buffer.alloc(4);
    size.writeInt32BE(out.length);
    if (!socket.destroyed) socket.write(Buffer.concat([size, out]));
  }

  private ensureTopic(name: string, partitions?: number): PartitionLog[] {
    let t = this.topics.get(name);
    if (!t) {
      const n = Math.min(3, Math.max(1, partitions ?? (name.length % 3) + 1));
      t = Array.from({ length: n }, () => ({ batches: [], end: 0n }));
      this.topics.set(name, t);
    }
    return t;
  }

  private append(log: PartitionLog, records: Buffer): bigint {
    const base = log.end;
    let pos = 0;
    while (pos + 61 <= records.length) {
      const len = records.readInt32BE(pos + 8);
      const data = Buffer.from(records.subarray(pos, pos + 12 + len));
      const lastOffsetDelta = data.readInt32BE(23);
      // The base offset is outside the CRC, so the broker may assign it.
      data.writeBigInt64BE(log.end, 0);
      log.batches.push({ base: log.end, last: log.end + BigInt(lastOffsetDelta), data });
      log.end += BigInt(lastOffsetDelta) + 1n;
      pos += 12 + len;
    }
    return base;
  }

  private async handle(apiKey: number, version: number, req: unknown, clientId: string): Promise<unknown> {
    const codec = API_CODECS.get(apiKey)!;
    switch (apiKey) {
      case ApiKey.ApiVersions: {
        const r: ApiVersionsResponse = codec.defaultResponse() as ApiVersionsResponse;
        r.apiKeys = [...API_INFO.values()].map((i) => ({ apiKey: i.apiKey, minVersion: i.minVersion, maxVersion: Math.min(i.maxVersion, this.caps.get(i.apiKey) ?? Infinity) }));
        return r;
      }
      case ApiKey.Metadata: {
        const q = req as MetadataRequest;
        const r = codec.defaultResponse() as MetadataResponse;
        r.brokers = [{ nodeId: NODE_ID, host: '127.0.0.1', port: this.port, rack: null }];
        r.clusterId = CLUSTER_ID;
        r.controllerId = NODE_ID;
        const names = q.topics === null ? [...this.topics.keys()] : q.topics.map((t) => t.name ?? '');
        r.topics = names.map((name) => {
          const known = this.topics.has(name);
          if (!known && !q.allowAutoTopicCreation) {
            return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
          }
          const parts = this.ensureTopic(name);
          return {
            errorCode: 0,
            name,
            topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
            isInternal: false,
            partitions: parts.map((_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: NODE_ID, leaderEpoch: 0, replicaNodes: [NODE_ID], isrNodes: [NODE_ID], offlineReplicas: [] })),
            topicAuthorizedOperations: -2147483648,
          };
        });
        if (version < 7) for (const t of r.topics) for (const p of t.partitions) p.leaderEpoch = -1;
        return r;
      }
      case ApiKey.CreateTopics: {
        const q = req as CreateTopicsRequest;
        const r = codec.defaultResponse() as CreateTopicsResponse;
        r.topics = q.topics.map((t) => {
          const exists = this.topics.has(t.name);
          if (!exists && !q.validateOnly) this.ensureTopic(t.name, t.numPartitions < 0 ? 1 : t.numPartitions);
          return { name: t.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: exists ? ErrorCode.TOPIC_ALREADY_EXISTS : 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
        });
        return r;
      }
      case ApiKey.DeleteTopics: {
        const q = req as DeleteTopicsRequest;
        const r = codec.defaultResponse() as DeleteTopicsResponse;
        r.responses = q.topicNames.map((name) => {
          const existed = this.topics.delete(name);
          return { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: existed ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
        });
        return r;
      }
      case ApiKey.CreatePartitions: {
        const q = req as CreatePartitionsRequest;
        const r = codec.defaultResponse() as CreatePartitionsResponse;
        r.results = q.topics.map((t) => {
          const parts = this.topics.get(t.name);
          if (parts && !q.validateOnly) while (parts.length < t.count) parts.push({ batches: [], end: 0n });
          return { name: t.name, errorCode: parts ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
        });
        return r;
      }
      case ApiKey.DescribeConfigs: {
        const q = req as DescribeConfigsRequest;
        const r = codec.defaultResponse() as DescribeConfigsResponse;
        r.results = q.resources.map((res) => ({
          errorCode: 0,
          errorMessage: null,
          resourceType: res.resourceType,
          resourceName: res.resourceName,
          configs: (res.configurationKeys ?? ['cleanup.policy', 'retention.ms']).map((name) => ({
            name,
            value: name === 'cleanup.policy' ? 'delete' : '604800000',
            readOnly: false,
            isDefault: version === 0,
            configSource: version >= 1 ? 5 : -1,
            isSensitive: false,
            synonyms: [],
            configType: 0,
            documentation: null,
          })),
        }));
        return r;
      }
      case ApiKey.AlterConfigs: {
        const q = req as AlterConfigsRequest;
        const r = codec.defaultResponse() as AlterConfigsResponse;
        r.responses = q.resources.map((res) => ({ errorCode: 0, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName }));
        return r;
      }
      case ApiKey.AlterPartitionReassignments: {
        const q = req as AlterPartitionReassignmentsRequest;
        const r = codec.defaultResponse() as AlterPartitionReassignmentsResponse;
        r.responses = q.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, errorMessage: null })) }));
        return r;
      }
      case ApiKey.ListPartitionReassignments: {
        return codec.defaultResponse() as ListPartitionReassignmentsResponse;
      }
      case ApiKey.DeleteRecords: {
        const q = req as DeleteRecordsRequest;
        const r = codec.defaultResponse() as DeleteRecordsResponse;
        r.topics = q.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: p.offset < 0n ? 0n : p.offset, errorCode: 0 })) }));
        return r;
      }
      case ApiKey.Produce: {
        const q = req as ProduceRequest;
        const r = codec.defaultResponse() as ProduceResponse;
        r.responses = q.topicData.map((t) => ({
          name: t.name,
          topicId: ZERO_UUID,
          partitionResponses: t.partitionData.map((p) => {
            const log = this.ensureTopic(t.name)[p.index];
            if (!log) return { index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
            const baseOffset = this.append(log, p.records ?? Buffer.alloc(0));
            return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
          }),
        }));
        return q.acks === 0 ? undefined : r;
      }
      case ApiKey.ListOffsets: {
        const q = req as ListOffsetsRequest;
        const r = codec.defaultResponse() as ListOffsetsResponse;
        r.topics = q.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const log = this.topics.get(t.name)?.[p.partitionIndex];
            const offset = !log ? -1n : p.timestamp === -2n ? 0n : log.end;
            const errorCode = log ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            return { partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: version === 0 ? [offset] : [], timestamp: -1n, offset: version === 0 ? -1n : offset, leaderEpoch: -1 };
          }),
        }));
        return r;
      }
      case ApiKey.Fetch: {
        const q = req as FetchRequest;
        const build = (): FetchResponse => {
          const r = codec.defaultResponse() as FetchResponse;
          r.responses = q.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => {
              const log = this.topics.get(t.topic)?.[p.partition];
              const batches = log ? log.batches.filter((b) => b.last >= p.fetchOffset).map((b) => b.data) : [];
              return {
                partitionIndex: p.partition,
                errorCode: log ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                highWatermark: log ? log.end : -1n,
                lastStableOffset: log ? log.end : -1n,
                logStartOffset: 0n,
                divergingEpoch: { epoch: -1, endOffset: -1n },
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
                snapshotId: { endOffset: -1n, epoch: -1 },
                abortedTransactions: version >= 4 ? [] : [],
                preferredReadReplica: -1,
                records: batches.length ? Buffer.concat(batches) : Buffer.alloc(0),
              };
            }),
          }));
          return r;
        };
        let r = build();
        const empty = r.responses.every((t) => t.partitions.every((p) => p.records === null || (Buffer.isBuffer(p.records) && p.records.length === 0)));
        if (empty && q.maxWaitMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(q.maxWaitMs, 150)));
          r = build();
        }
        return r;
      }
      case ApiKey.FindCoordinator: {
        const q = req as FindCoordinatorRequest;
        const r = codec.defaultResponse() as FindCoordinatorResponse;
        r.nodeId = NODE_ID;
        r.host = '127.0.0.1';
        r.port = this.port;
        if (version >= 4) r.coordinators = q.coordinatorKeys.map((key) => ({ key, nodeId: NODE_ID, host: '127.0.0.1', port: this.port, errorCode: 0, errorMessage: null }));
        return r;
      }
      case ApiKey.JoinGroup: {
        const q = req as JoinGroupRequest;
        const r = codec.defaultResponse() as JoinGroupResponse;
        if (q.memberId === '' && version >= 4) {
          r.errorCode = ErrorCode.MEMBER_ID_REQUIRED;
          r.memberId = `${clientId}-${randomUUID()}`;
          r.generationId = -1;
          r.leader = '';
          return r;
        }
        const memberId = q.memberId || `${clientId}-${randomUUID()}`;
        const protocol = q.protocols[0]!;
        r.generationId = ++this.generation;
        r.protocolName = protocol.name;
        r.leader = memberId;
        r.memberId = memberId;
        r.members = [{ memberId, groupInstanceId: version >= 5 ? q.groupInstanceId : null, metadata: protocol.metadata }];
        return r;
      }
      case ApiKey.SyncGroup: {
        const q = req as SyncGroupRequest;
        const r = codec.defaultResponse() as SyncGroupResponse;
        r.assignment = q.assignments.find((a) => a.memberId === q.memberId)?.assignment ?? Buffer.alloc(0);
        return r;
      }
      case ApiKey.Heartbeat:
        return codec.defaultResponse() as HeartbeatResponse;
      case ApiKey.LeaveGroup: {
        const q = req as LeaveGroupRequest;
        const r = codec.defaultResponse() as LeaveGroupResponse;
        if (version >= 3) r.members = q.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: 0 }));
        return r;
      }
      case ApiKey.OffsetCommit: {
        const q = req as OffsetCommitRequest;
        const r = codec.defaultResponse() as OffsetCommitResponse;
        r.topics = q.topics.map((t) => ({
          name: t.name,
          topicId: ZERO_UUID,
          partitions: t.partitions.map((p) => {
            this.committed.set(`${q.groupId}/${t.name}/${p.partitionIndex}`, p.committedOffset);
            return { partitionIndex: p.partitionIndex, errorCode: 0 };
          }),
        }));
        return r;
      }
      case ApiKey.TxnOffsetCommit: {
        const q = req as TxnOffsetCommitRequest;
        const r = codec.defaultResponse() as TxnOffsetCommitResponse;
        r.topics = q.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) }));
        return r;
      }
      case ApiKey.OffsetFetch: {
        const q = req as OffsetFetchRequest;
        const r = codec.defaultResponse() as OffsetFetchResponse;
        r.topics = (q.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((i) => ({
            partitionIndex: i,
            committedOffset: this.committed.get(`${q.groupId}/${t.name}/${i}`) ?? -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: 0,
          })),
        }));
        return r;
      }
      case ApiKey.DescribeGroups: {
        const q = req as DescribeGroupsRequest;
        const r = codec.defaultResponse() as DescribeGroupsResponse;
        r.groups = q.groups.map((groupId) => ({ errorCode: 0, errorMessage: null, groupId, groupState: 'Empty', protocolType: 'consumer', protocolData: '', members: [], authorizedOperations: -2147483648 }));
        return r;
      }
      case ApiKey.ListGroups: {
        const r = codec.defaultResponse() as ListGroupsResponse;
        r.groups = [{ groupId: 'golden-group', protocolType: 'consumer', groupState: '', groupType: '' }];
        return r;
      }
      case ApiKey.DeleteGroups: {
        const q = req as DeleteGroupsRequest;
        const r = codec.defaultResponse() as DeleteGroupsResponse;
        r.results = q.groupsNames.map((groupId) => ({ groupId, errorCode: 0 }));
        return r;
      }
      case ApiKey.InitProducerId: {
        const r = codec.defaultResponse() as InitProducerIdResponse;
        r.producerId = this.nextProducerId++;
        r.producerEpoch = 0;
        return r;
      }
      case ApiKey.AddPartitionsToTxn: {
        const q = req as AddPartitionsToTxnRequest;
        const r = codec.defaultResponse() as AddPartitionsToTxnResponse;
        r.resultsByTopicV3AndBelow = q.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: 0 })) }));
        return r;
      }
      case ApiKey.EndTxn: {
        const q = req as EndTxnRequest;
        const r = codec.defaultResponse() as EndTxnResponse;
        void q;
        return r;
      }
      case ApiKey.SaslHandshake: {
        const q = req as SaslHandshakeRequest;
        const r = codec.defaultResponse() as SaslHandshakeResponse;
        r.mechanisms = ['PLAIN'];
        r.errorCode = q.mechanism === 'PLAIN' ? 0 : ErrorCode.UNSUPPORTED_SASL_MECHANISM;
        return r;
      }
      case ApiKey.CreateAcls: {
        const q = req as CreateAclsRequest;
        const r = codec.defaultResponse() as CreateAclsResponse;
        r.results = q.creations.map(() => ({ errorCode: 0, errorMessage: null }));
        return r;
      }
      case ApiKey.DeleteAcls: {
        const q = req as DeleteAclsRequest;
        const r = codec.defaultResponse() as DeleteAclsResponse;
        r.filterResults = q.filters.map(() => ({ errorCode: 0, errorMessage: null, matchingAcls: [] }));
        return r;
      }
      default:
        // SaslAuthenticate (accepts anyone), DescribeAcls (none), AddOffsetsToTxn and anything else: an all-defaults answer (error code 0).
        return codec.defaultResponse();
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function drive(port: number, rec: Recorder, log: (s: string) => void): Promise<string[]> {
  const failed: string[] = [];
  const kafka = new Kafka({
    clientId: 'skiff-golden',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
  const step = async (name: string, f: () => Promise<unknown>) => {
    rec.scenario = name;
    try {
      await f();
      log(`ok   ${name}`);
    } catch (e) {
      failed.push(`${name}: ${(e as Error).message}`);
      log(`FAIL ${name}: ${(e as Error).message}`);
    }
  };

  const admin = kafka.admin();
  await step('admin', async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'golden-a', numPartitions: 3 },
        { topic: 'golden-b', numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'golden-tx', numPartitions: 2 },
      ],
    });
    await admin.fetchTopicMetadata({ topics: ['golden-a', 'golden-b'] });
    await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'golden-a', configNames: ['cleanup.policy', 'retention.ms'] }] });
    await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'golden-b' }] });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'golden-b', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'golden-b', count: 2 }] });
    await admin.fetchTopicOffsets('golden-a');
    await admin.listTopics();
  });
  await step('admin-flexible', async () => {
    await admin.alterPartitionReassignments({ topics: [{ topic: 'golden-a', partitionAssignment: [{ partition: 0, replicas: [1] }] }] });
    await admin.listPartitionReassignments({ topics: [{ topic: 'golden-a', partitions: [0, 1] }] });
  });

  const messages = [
    { key: 'k1', value: 'plain value', headers: { h1: 'v1', trace: Buffer.from([0, 1, 2]) } },
    { key: null, value: 'no key' },
    { key: 'tombstone', value: null },
    { key: 'ünïcødé', value: 'ünïcødé ✓', partition: 1, timestamp: '1700000000000' },
  ];
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await step('produce-acks1', async () => {
    await producer.connect();
    await producer.send({ topic: 'golden-a', acks: 1, messages });
  });
  await step('produce-acks-all', async () => {
    await producer.send({ topic: 'golden-a', acks: -1, messages: messages.slice(0, 2) });
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: 'golden-a', messages: [{ value: 'batch a' }] }, { topic: 'golden-b', messages: [{ key: 'b', value: 'batch b' }] }] });
  });
  await step('produce-gzip', async () => {
    await producer.send({ topic: 'golden-a', acks: 1, compression: CompressionTypes.GZIP, messages });
  });
  await step('produce-auto-create', async () => {
    await producer.send({ topic: 'golden-auto', acks: 1, messages: [{ value: 'auto' }] });
  });
  await producer.disconnect();

  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await step('produce-idempotent', async () => {
    await idem.connect();
    await idem.send({ topic: 'golden-a', acks: -1, messages: messages.slice(0, 3) });
    await idem.send({ topic: 'golden-a', acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'i', value: 'idempotent gzip' }] });
  });
  await idem.disconnect();

  const tx = kafka.producer({ transactionalId: 'golden-tx-id', idempotent: true, maxInFlightRequests: 1 });
  await step('produce-transactional', async () => {
    await tx.connect();
    const t = await tx.transaction();
    await t.send({ topic: 'golden-tx', messages: [{ key: 'tx', value: 'in a transaction' }] });
    await t.sendOffsets({ consumerGroupId: 'golden-group', topics: [{ topic: 'golden-a', partitions: [{ partition: 0, offset: '1' }] }] });
    await t.commit();
    const t2 = await tx.transaction();
    await t2.send({ topic: 'golden-tx', messages: [{ key: 'tx', value: 'aborted' }] });
    await t2.abort();
  });
  await tx.disconnect();

  const consumer = kafka.consumer({ groupId: 'golden-group', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, retry: { retries: 1 } });
  await step('consumer-group', async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: ['golden-a', 'golden-b'], fromBeginning: true });
    let received = 0;
    await consumer.run({
      autoCommitInterval: 200,
      eachMessage: async () => {
        received++;
      },
    });
    const deadline = Date.now() + 8000;
    while (received < 10 && Date.now() < deadline) await sleep(50);
    await sleep(800); // a few heartbeats, fetches and commits
    if (received < 10) throw new Error(`consumer got ${received} messages`);
  });
  await consumer.disconnect();

  await step('admin-groups', async () => {
    await admin.listGroups();
    await admin.describeGroups(['golden-group']);
    await admin.fetchOffsets({ groupId: 'golden-group', topics: ['golden-a'] });
    await admin.deleteTopicRecords({ topic: 'golden-a', partitions: [{ partition: 0, offset: '1' }] });
    await admin.deleteGroups(['golden-group']);
  });
  await step('admin-acls', async () => {
    const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
    const acl = { resourceType: AclResourceTypes.TOPIC, resourceName: 'golden-a', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW };
    await admin.createAcls({ acl: [acl] });
    await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: 'golden-a', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    await admin.deleteAcls({ filters: [acl] });
  });
  await step('admin-delete', async () => {
    await admin.deleteTopics({ topics: ['golden-a', 'golden-b', 'golden-tx', 'golden-auto'] });
  });
  await admin.disconnect();
  return failed;
}

/** Older versions kafkajs falls back to when a broker advertises less (record batches still, so Produce >= 3). */
const LEGACY_CAPS = new Map<number, number>([
  [ApiKey.Produce, 3],
  [ApiKey.Fetch, 4],
  [ApiKey.ListOffsets, 1],
  [ApiKey.Metadata, 1],
  [ApiKey.OffsetCommit, 2],
  [ApiKey.OffsetFetch, 1],
  [ApiKey.FindCoordinator, 0],
  [ApiKey.JoinGroup, 2],
  [ApiKey.SyncGroup, 0],
  [ApiKey.Heartbeat, 0],
  [ApiKey.LeaveGroup, 0],
  [ApiKey.CreateTopics, 1],
  [ApiKey.DeleteTopics, 0],
  [ApiKey.DescribeConfigs, 0],
  [ApiKey.InitProducerId, 0],
]);

async function driveLegacy(port: number, rec: Recorder, log: (s: string) => void): Promise<string[]> {
  const failed: string[] = [];
  const kafka = new Kafka({ clientId: 'skiff-golden-legacy', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
  const step = async (name: string, f: () => Promise<unknown>) => {
    rec.scenario = `legacy-${name}`;
    try {
      await f();
      log(`ok   legacy-${name}`);
    } catch (e) {
      failed.push(`legacy-${name}: ${(e as Error).message}`);
      log(`FAIL legacy-${name}: ${(e as Error).message}`);
    }
  };
  const admin = kafka.admin();
  await step('admin', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'legacy-a', numPartitions: 2 }] });
    await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'legacy-a' }] });
    await admin.fetchTopicOffsets('legacy-a');
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await step('produce', async () => {
    await producer.connect();
    await producer.send({ topic: 'legacy-a', acks: -1, messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }, { key: null, value: null, partition: 1 }] });
    await producer.send({ topic: 'legacy-a', acks: -1, compression: CompressionTypes.GZIP, messages: [{ value: 'gz' }] });
  });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'legacy-group', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100, retry: { retries: 1 } });
  await step('consumer-group', async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: ['legacy-a'], fromBeginning: true });
    let received = 0;
    await consumer.run({ autoCommitInterval: 200, eachMessage: async () => void received++ });
    const deadline = Date.now() + 8000;
    while (received < 3 && Date.now() < deadline) await sleep(50);
    await sleep(800);
    if (received < 3) throw new Error(`consumer got ${received} messages`);
  });
  await consumer.disconnect();
  await step('admin-delete', () => admin.deleteTopics({ topics: ['legacy-a'] }));
  await admin.disconnect();

  const sasl = new Kafka({ clientId: 'skiff-golden-sasl', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, retry: { retries: 1 } });
  const saslProducer = sasl.producer();
  await step('sasl-plain', async () => {
    await saslProducer.connect();
    await saslProducer.send({ topic: 'legacy-sasl', acks: 1, messages: [{ value: 'authenticated' }] });
  });
  await saslProducer.disconnect();
  return failed;
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(import.meta.dirname, '../test/golden/kafkajs');
  const rec = new Recorder();
  const broker = new FakeBroker((frame) => rec.record(frame));
  const port = await broker.start();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const failed = await drive(port, rec, log);
  await broker.stop();
  const legacy = new FakeBroker((frame) => rec.record(frame), LEGACY_CAPS);
  failed.push(...(await driveLegacy(await legacy.start(), rec, log)));
  await legacy.stop();
  broker.errors.push(...legacy.errors);
  const entries = rec.write(out);
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const byApi = new Map<string, number>();
  for (const e of entries) byApi.set(`${e.apiName} v${e.version}`, (byApi.get(`${e.apiName} v${e.version}`) ?? 0) + 1);
  for (const [k, n] of byApi) process.stdout.write(`  ${k}: ${n}\n`);
  process.stdout.write(`wrote ${entries.length} frames (${total} bytes) to ${out}\n`);
  if (broker.errors.length) process.stdout.write(`broker errors:\n  ${broker.errors.join('\n  ')}\n`);
  if (failed.length) process.stdout.write(`flows that failed:\n  ${failed.join('\n  ')}\n`);
  process.exitCode = broker.errors.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => setTimeout(() => process.exit(), 100).unref(),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
