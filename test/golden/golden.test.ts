/**
 * Golden frames captured from kafkajs (scripts/capture-golden.ts): every one decodes
 * with the generated codecs to the end of the frame and re-encodes byte for byte. The
 * other direction: responses encoded by the generated codecs decode with kafkajs's own
 * response decoders to the values we put in.
 */
import { ZERO_UUID } from '../../src/protocol/codec/uuid.js';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRequestFrame, encodeResponse, readRequestFrame } from '../../src/protocol/frame.js';
import { API_CODECS } from '../../src/protocol/generated/api-codecs.js';
import { API_INFO, ApiKey, requestHeaderVersion } from '../../src/protocol/generated/api-keys.js';
import type { ProduceRequest } from '../../src/protocol/generated/000-produce.js';
import { defaultFetchResponse } from '../../src/protocol/generated/001-fetch.js';
import type { MetadataRequest } from '../../src/protocol/generated/003-metadata.js';
import { defaultMetadataResponse } from '../../src/protocol/generated/003-metadata.js';
import type { JoinGroupRequest } from '../../src/protocol/generated/011-join-group.js';
import { defaultJoinGroupResponse } from '../../src/protocol/generated/011-join-group.js';
import { defaultApiVersionsResponse } from '../../src/protocol/generated/018-api-versions.js';
import type { CreateTopicsRequest } from '../../src/protocol/generated/019-create-topics.js';
import { defaultCreateTopicsResponse } from '../../src/protocol/generated/019-create-topics.js';
import { defaultDescribeConfigsResponse } from '../../src/protocol/generated/032-describe-configs.js';
import type { AlterPartitionReassignmentsRequest } from '../../src/protocol/generated/045-alter-partition-reassignments.js';
import { defaultAlterPartitionReassignmentsResponse } from '../../src/protocol/generated/045-alter-partition-reassignments.js';
import { defaultProduceResponse } from '../../src/protocol/generated/000-produce.js';
import { defaultOffsetFetchResponse } from '../../src/protocol/generated/009-offset-fetch.js';

interface GoldenEntry {
  apiKey: number;
  apiName: string;
  version: number;
  client: string;
  scenario: string;
  file: string;
  bytes: number;
}

const DIR = join(import.meta.dirname, 'kafkajs');
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as GoldenEntry[];
const load = (e: GoldenEntry) => readFileSync(join(DIR, e.file));

function decodeFrame(frame: Buffer) {
  const { header, headerVersion, body } = readRequestFrame(frame);
  const codec = API_CODECS.get(header.requestApiKey)!;
  const request = codec.decodeRequest(body, header.requestApiVersion);
  return { header, headerVersion, body, request };
}

function framesOf<T>(apiKey: number, version?: number): Array<{ e: GoldenEntry; request: T }> {
  return index
    .filter((e) => e.apiKey === apiKey && (version === undefined || e.version === version))
    .map((e) => ({ e, request: decodeFrame(load(e)).request as T }));
}

describe('golden kafkajs request frames', () => {
  it('index and directory agree, and the fixtures stay small', () => {
    const bins = readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();
    expect(index.map((e) => e.file).sort()).toEqual(bins);
    expect(new Set(bins).size).toBe(index.length);
    const total = index.reduce((n, e) => n + e.bytes, 0);
    expect(total).toBeLessThan(300 * 1024);
    for (const e of index) expect(load(e).length).toBe(e.bytes);
  });

  it('covers the flows the capture script drives', () => {
    const have = new Set(index.map((e) => `${e.apiName} v${e.version}`));
    for (const want of [
      'ApiVersions v2', 'Metadata v6', 'Metadata v1', 'CreateTopics v3', 'DeleteTopics v1', 'DescribeConfigs v2',
      'Produce v7', 'Produce v3', 'InitProducerId v1', 'ListOffsets v3', 'Fetch v11', 'Fetch v4', 'FindCoordinator v2',
      'JoinGroup v5', 'SyncGroup v3', 'Heartbeat v3', 'OffsetCommit v5', 'OffsetFetch v4', 'LeaveGroup v3',
      'AddPartitionsToTxn v1', 'EndTxn v1', 'AlterPartitionReassignments v0', 'ListPartitionReassignments v0',
      'SaslHandshake v1', 'SaslAuthenticate v1', 'CreateAcls v1', 'DescribeAcls v1', 'DeleteAcls v1',
    ]) {
      expect(have, want).toContain(want);
    }
  });

  for (const e of index) {
    it(`${e.file} (${e.scenario}) decodes to the end and re-encodes byte for byte`, () => {
      const frame = load(e);
      const { header, headerVersion, body, request } = decodeFrame(frame);
      expect(header.requestApiKey).toBe(e.apiKey);
      expect(header.requestApiVersion).toBe(e.version);
      expect(API_INFO.get(e.apiKey)!.name).toBe(e.apiName);
      expect(headerVersion).toBe(requestHeaderVersion(e.apiKey, e.version));
      expect(header.clientId).toMatch(/^skiff-golden/);
      expect(body.remaining).toBe(0);
      const again = encodeRequestFrame(API_CODECS.get(header.requestApiKey)!, header, request);
      expect(again.readInt32BE(0)).toBe(frame.length);
      expect(again.subarray(4).equals(frame)).toBe(true);
    });
  }
});

describe('golden frames carry what kafkajs was asked to send', () => {
  it('CreateTopics v3: three topics, partitions and a config entry', () => {
    const [{ request }] = framesOf<CreateTopicsRequest>(ApiKey.CreateTopics, 3);
    expect(request.topics.map((t) => [t.name, t.numPartitions])).toEqual([['golden-a', 3], ['golden-b', 1], ['golden-tx', 2]]);
    expect(request.topics[1]!.configs).toEqual([{ name: 'cleanup.policy', value: 'compact' }]);
    expect(request.validateOnly).toBe(false);
  });

  it('Metadata v6 asks for named topics; v1 frames come from the legacy pass', () => {
    const named = framesOf<MetadataRequest>(ApiKey.Metadata, 6).flatMap(({ request }) => request.topics?.map((t) => t.name) ?? []);
    expect(named).toContain('golden-a');
    expect(framesOf<MetadataRequest>(ApiKey.Metadata, 1).every(({ e }) => e.scenario.startsWith('legacy'))).toBe(true);
  });

  it('Produce frames carry record batches (magic 2), gzip ones compressed, idempotent ones with a producer id', () => {
    const frames = framesOf<ProduceRequest>(ApiKey.Produce);
    expect(frames.length).toBeGreaterThan(3);
    const scenarios = new Set<string>();
    for (const { e, request } of frames) {
      for (const t of request.topicData) {
        for (const p of t.partitionData) {
          const rec = p.records!;
          expect(rec.length).toBeGreaterThanOrEqual(61);
          expect(rec.readInt32BE(8) + 12).toBe(rec.length); // one batch per partition
          expect(rec.readInt8(16)).toBe(2); // magic
          const attributes = rec.readInt16BE(21);
          const producerId = rec.readBigInt64BE(43);
          if (e.scenario.includes('gzip')) {
            expect(attributes & 7).toBe(1);
            expect(rec.subarray(61, 63)).toEqual(Buffer.from([0x1f, 0x8b]));
          }
          if (e.scenario.includes('idempotent') || e.scenario.includes('transactional') || e.scenario === 'legacy-produce') {
            expect(producerId).toBeGreaterThanOrEqual(1000n);
          } else {
            expect(producerId).toBe(-1n);
          }
          if (e.scenario.includes('transactional')) {
            expect(request.transactionalId).toBe('golden-tx-id');
            expect(attributes & 0x10).toBe(0x10);
          }
          scenarios.add(e.scenario);
        }
      }
      expect(request.acks === 1 || request.acks === -1).toBe(true);
    }
    for (const s of ['produce-acks1', 'produce-acks-all', 'produce-gzip', 'produce-idempotent', 'produce-transactional']) expect(scenarios).toContain(s);
  });

  it('JoinGroup v5: the rejoin after MEMBER_ID_REQUIRED carries the member id', () => {
    const joins = framesOf<JoinGroupRequest>(ApiKey.JoinGroup, 5).map((f) => f.request);
    expect(joins.map((j) => j.memberId === '')).toEqual([true, false]);
    for (const j of joins) {
      expect(j.groupId).toBe('golden-group');
      expect(j.protocolType).toBe('consumer');
      expect(j.protocols[0]!.name).toBe('RoundRobinAssigner');
    }
  });

  it('SaslAuthenticate v1 carries the PLAIN token', () => {
    const [{ request }] = framesOf<{ authBytes: Buffer }>(ApiKey.SaslAuthenticate, 1);
    expect(request.authBytes.toString()).toBe('\0alice\0alice-secret');
  });

  it('AlterPartitionReassignments v0 is flexible: header v2, compact fields', () => {
    const [{ e, request }] = framesOf<AlterPartitionReassignmentsRequest>(ApiKey.AlterPartitionReassignments, 0);
    expect(decodeFrame(load(e)).headerVersion).toBe(2);
    expect(request.topics).toEqual([{ name: 'golden-a', partitions: [{ partitionIndex: 0, replicas: [1], unknownTaggedFields: undefined }], unknownTaggedFields: undefined }]);
  });
});

// kafkajs's response decoders take the bytes after the correlation id.
const require = createRequire(import.meta.url);
type KafkajsResponse = { decode(b: Buffer): Promise<Record<string, unknown>>; parse(d: unknown): Promise<Record<string, unknown>> };
function kafkajsResponse(api: string, version: number): KafkajsResponse {
  return require(`kafkajs/src/protocol/requests/${api}/v${version}/response.js`) as KafkajsResponse;
}
async function viaKafkajs(apiKey: number, version: number, api: string, value: unknown): Promise<Record<string, unknown>> {
  const frame = encodeResponse(API_CODECS.get(apiKey)!, version, 7, value);
  expect(frame.readInt32BE(0)).toBe(7);
  const r = kafkajsResponse(api, version);
  return r.parse(await r.decode(frame.subarray(4)));
}

describe('kafkajs decodes responses the generated codecs encode', () => {
  it('ApiVersions v2', async () => {
    const v = defaultApiVersionsResponse();
    v.apiKeys = [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }];
    v.throttleTimeMs = 5;
    const d = await viaKafkajs(ApiKey.ApiVersions, 2, 'apiVersions', v);
    expect(d.errorCode).toBe(0);
    expect(d.apiVersions).toEqual([{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }]);
    expect(d.clientSideThrottleTime).toBe(5);
  });

  it('Metadata v6', async () => {
    const v = defaultMetadataResponse();
    v.brokers = [{ nodeId: 1, host: 'h', port: 9092, rack: null }];
    v.clusterId = 'c';
    v.controllerId = 1;
    v.topics = [{ errorCode: 0, name: 'ü-topic', topicId: v.topics[0]?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, topicAuthorizedOperations: -2147483648,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }];
    const d = await viaKafkajs(ApiKey.Metadata, 6, 'metadata', v);
    expect(d.brokers).toEqual([{ nodeId: 1, host: 'h', port: 9092, rack: null }]);
    expect(d.clusterId).toBe('c');
    const topics = d.topicMetadata as Array<{ topic: string; partitionMetadata: Array<{ partitionId: number; leader: number; replicas: number[] }> }>;
    expect(topics[0]!.topic).toBe('ü-topic');
    expect(topics[0]!.partitionMetadata[0]).toMatchObject({ partitionId: 0, leader: 1, replicas: [1] });
  });

  it('Produce v7', async () => {
    const v = defaultProduceResponse();
    v.responses = [{ name: 't', topicId: ZERO_UUID, partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 12345678901n, logAppendTimeMs: -1n, logStartOffset: 3n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } }] }];
    const d = await viaKafkajs(ApiKey.Produce, 7, 'produce', v);
    expect(d.topics).toEqual([{ topicName: 't', partitions: [{ partition: 2, errorCode: 0, baseOffset: '12345678901', logAppendTime: '-1', logStartOffset: '3' }] }]);
  });

  it('Fetch v11 echoing a golden produce batch gives kafkajs back the messages it sent', async () => {
    const produce = framesOf<ProduceRequest>(ApiKey.Produce, 7).find((f) => f.e.scenario === 'produce-acks1')!.request;
    const part = produce.topicData[0]!.partitionData.find((p) => (p.records!.readInt32BE(57)) >= 2)!; // a batch with 2+ records
    const records = Buffer.from(part.records!);
    records.writeBigInt64BE(100n, 0);
    const v = defaultFetchResponse();
    v.responses = [{ topic: produce.topicData[0]!.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{
      partitionIndex: part.index, errorCode: 0, highWatermark: 200n, lastStableOffset: 200n, logStartOffset: 0n,
      divergingEpoch: { epoch: -1, endOffset: -1n }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1n, epoch: -1 },
      abortedTransactions: [], preferredReadReplica: -1, records,
    }] }];
    const d = await viaKafkajs(ApiKey.Fetch, 11, 'fetch', v);
    const responses = d.responses as Array<{ topicName: string; partitions: Array<{ highWatermark: string; messages: Array<{ key: Buffer | null; value: Buffer | null; offset: string; headers: Record<string, Buffer> }> }> }>;
    expect(responses[0]!.topicName).toBe('golden-a');
    const p = responses[0]!.partitions[0]!;
    expect(p.highWatermark).toBe('200');
    expect(p.messages.length).toBe(records.readInt32BE(57));
    expect(p.messages[0]!.offset).toBe('100');
    const sent = new Map([['k1', 'plain value'], ['tombstone', null], ['', 'no key'], ['ünïcødé', 'ünïcødé ✓']]);
    for (const m of p.messages) {
      const k = m.key?.toString() ?? '';
      expect(sent.has(k), k).toBe(true);
      expect(m.value === null ? null : m.value.toString()).toBe(sent.get(k));
      if (k === 'k1') expect(m.headers).toEqual({ h1: Buffer.from('v1'), trace: Buffer.from([0, 1, 2]) });
    }
  });

  it('JoinGroup v5 with MEMBER_ID_REQUIRED, and OffsetFetch v4', async () => {
    const j = defaultJoinGroupResponse();
    j.errorCode = 79;
    j.memberId = 'm-1';
    j.generationId = -1;
    await expect(viaKafkajs(ApiKey.JoinGroup, 5, 'joinGroup', j)).rejects.toMatchObject({ type: 'MEMBER_ID_REQUIRED', memberId: 'm-1' });
    const o = defaultOffsetFetchResponse();
    o.topics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }];
    const d = await viaKafkajs(ApiKey.OffsetFetch, 4, 'offsetFetch', o);
    expect(d.responses).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '42', metadata: '', errorCode: 0 }] }]);
  });

  it('CreateTopics v3, DescribeConfigs v2', async () => {
    const c = defaultCreateTopicsResponse();
    c.topics = [{ name: 'x', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] }];
    expect((await viaKafkajs(ApiKey.CreateTopics, 3, 'createTopics', c)).topicErrors).toEqual([{ topic: 'x', errorCode: 0, errorMessage: null }]);
    const dc = defaultDescribeConfigsResponse();
    dc.results = [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'x', configs: [
      { name: 'retention.ms', value: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [{ name: 'log.retention.ms', value: '1000', source: 4 }], configType: 0, documentation: null },
    ] }];
    const d = await viaKafkajs(ApiKey.DescribeConfigs, 2, 'describeConfigs', dc);
    const res = (d.resources as Array<{ resourceName: string; configEntries: Array<Record<string, unknown>> }>)[0]!;
    expect(res.resourceName).toBe('x');
    expect(res.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '1000', isSensitive: false, configSynonyms: [{ configName: 'log.retention.ms', configValue: '1000', configSource: 4 }] });
  });

  it('AlterPartitionReassignments v0 (flexible, response header v1)', async () => {
    const v = defaultAlterPartitionReassignmentsResponse();
    v.responses = [{ name: 'golden-a', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }];
    const d = await viaKafkajs(ApiKey.AlterPartitionReassignments, 0, 'alterPartitionReassignments', v);
    expect(d).toMatchObject({ throttleTime: 0, errorCode: 0, responses: [{ topic: 'golden-a', partitions: [{ partition: 0, errorCode: 0 }] }] });
  });
});
