/**
 * Raw-protocol differential: the same requests, built with Skiff's generated codecs at several
 * API versions, sent to a broker; the decoded responses are printed after normalization (see
 * normalize()), and test/compat/run.ts compares Kafka's answers with Skiff's field by field.
 *
 * A version a broker does not support shows up as {"unsupported": ...} (Kafka closes the
 * connection for such requests, except ApiVersions which answers UNSUPPORTED_VERSION).
 */
import { Reader } from '../../../src/protocol/codec/reader.js';
import { BatchHeader, batches, Compression, Field } from '../../../src/protocol/records/record-batch.js';
import { buildBatch, decodeRecords } from '../../../src/protocol/records/records.js';
import { compress } from '../../../src/protocol/records/compression.js';
import { API_CODECS } from '../../../src/protocol/generated/api-codecs.js';
import { RawClient } from '../../support/raw-client.js';
import { plainRecords, rawBatch, rawRecord, varint } from '../../support/raw-batches.js';
import { bootstrap, runScenarios } from '../lib/harness.js';
import { addClusterAdminScenarios } from './cluster-admin-scenarios.js';

const [host, portStr] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), bootstrap.slice(bootstrap.lastIndexOf(':') + 1)];
const port = Number(portStr);
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
const BASE_TS = 1_700_000_000_000n;

// ------------------------------------------------------------------------------ normalization

/**
 * Broker-specific values become placeholders: cluster ids, topic ids (non-zero uuids), ports,
 * wall-clock timestamps, throttle times, and record batches become decoded batch summaries.
 */
function normalize(v: unknown, key = '', keepMessages = false): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return normalize(v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString(), key, keepMessages);
  if (Buffer.isBuffer(v)) return key === 'records' ? summarizeRecords(v) : v.toString('hex');
  if (Array.isArray(v)) return v.map((x) => normalize(x, key, keepMessages));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'unknownTaggedFields') continue;
      out[k] = normalize(x, k, keepMessages);
    }
    return out;
  }
  if (typeof v === 'string') {
    if (key === 'clusterId') return '<cluster-id>';
    // Free text: only whether there is one is compared (FINDINGS.md lists the texts), unless a
    // scenario asks for the words too.
    if (key === 'errorMessage' && !keepMessages) return '<message>';
    if (/topicId$/i.test(key) && v !== ZERO_UUID) return '<topic-id>';
    return v;
  }
  if (typeof v === 'number') {
    if (key === 'port') return '<port>';
    if (key === 'throttleTimeMs') return 0;
    // Wall-clock times (LogAppendTime stamps and the like); producer timestamps here are BASE_TS-relative.
    if (v > 1_600_000_000_000 && v < 2_500_000_000_000 && !(v >= Number(BASE_TS) && v < Number(BASE_TS) + 1_000_000)) return '<now>';
  }
  return v;
}

function summarizeRecords(buf: Buffer): unknown {
  const out = [];
  for (const { header, at } of batches(buf)) {
    const h: BatchHeader = header;
    const ts = (t: bigint) => (t >= BASE_TS && t < BASE_TS + 1_000_000n ? `base+${t - BASE_TS}` : t < 0n ? String(t) : '<now>');
    out.push({
      baseOffset: Number(h.baseOffset),
      lastOffset: Number(h.lastOffset),
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      magic: h.magic,
      attributes: h.attributes,
      baseTimestamp: ts(h.baseTimestamp),
      maxTimestamp: ts(h.maxTimestamp),
      producerId: Number(h.producerId),
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      crcMatchesProducer: h.isLogAppendTime ? 'n/a' : true,
      records: decodeRecords(buf, at).map((r) => ({
        offsetDelta: r.offsetDelta,
        timestampDelta: r.timestampDelta,
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
        headers: r.headers.map((x) => `${x.key}=${x.value?.toString() ?? '<null>'}`),
      })),
    });
  }
  return out;
}

// ------------------------------------------------------------------------------ requests

/** One request on its own connection; keepMessages compares error messages word for word. */
async function call(apiKey: number, version: number, body: unknown, keepMessages = false): Promise<unknown> {
  const c = await RawClient.connect(host, port);
  c.clientId = 'skiff-compat-raw';
  try {
    const res = await Promise.race([
      c.request(apiKey, version, { ...(API_CODECS.get(apiKey)!.defaultRequest() as object), ...(body as object) }),
      new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 10 s')), 10_000)),
    ]);
    return normalize(res, '', keepMessages);
  } catch (err) {
    const msg = (err as Error).message;
    return { unsupported: /closed/.test(msg) ? 'connection closed' : msg };
  } finally {
    await c.close().catch(() => {});
  }
}

const batch = (n: number, opts: { compression?: number; tag?: string } = {}) =>
  buildBatch({
    baseTimestamp: BASE_TS,
    compression: (opts.compression ?? Compression.none) as any,
    records: Array.from({ length: n }, (_, i) => ({
      timestampDelta: i * 10,
      key: Buffer.from(`k${i}`),
      value: i === 1 ? null : Buffer.from(`${opts.tag ?? 'v'}${i}`),
      headers: i === 0 ? [{ key: 'h', value: Buffer.from('x') }] : [],
    })),
  });

const metadataBody = (_version: number, topics: string[] | null, allowAutoTopicCreation = true) => ({
  topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
  allowAutoTopicCreation,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

async function topicId(topic: string): Promise<string> {
  const c = await RawClient.connect(host, port);
  try {
    const res: any = await c.request(3, 12, metadataBody(12, [topic]));
    return res.topics[0].topicId;
  } finally {
    await c.close();
  }
}

const produceBody = (topic: string, partition: number, records: Buffer) => ({
  transactionalId: null,
  acks: -1,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

async function ensureTopic(topic: string): Promise<void> {
  // Metadata with auto-creation, then wait for a leader (Kafka answers LEADER_NOT_AVAILABLE first).
  for (let i = 0; i < 40; i++) {
    const c = await RawClient.connect(host, port);
    const res: any = await c.request(3, 9, metadataBody(9, [topic]));
    await c.close();
    if (res.topics[0].errorCode === 0 && res.topics[0].partitions.every((p: any) => p.leaderId >= 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${topic} has no leader`);
}

// ------------------------------------------------------------------------------ scenarios

const CORE_APIS = [0, 1, 2, 3, 18, 19];
const COMMON_TOPIC_CONFIGS = [
  'cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
  'index.interval.bytes', 'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.before.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms',
  'unclean.leader.election.enable',
];
const scenarios: Record<string, () => Promise<unknown>> = {};
const LO_TOPIC = 'raw-list-offsets';
let loReady: Promise<void> | undefined;


/**
 * The lowest version Kafka 4.3.1 advertises for each core API. A broker that also serves older
 * versions (Skiff keeps some that Kafka 4 dropped, for old clients) has a range at least Kafka's,
 * so the minimum is compared from there: a broker starting higher still differs.
 */
const KAFKA_MIN_VERSION: Readonly<Record<number, number>> = { 0: 0, 1: 4, 2: 1, 3: 0, 18: 0, 19: 2 };
for (const v of [0, 3]) {
  scenarios[`api-versions-v${v}-core-ranges`] = async () => {
    const res: any = await call(18, v, { clientSoftwareName: 'skiff-compat', clientSoftwareVersion: '1.0' });
    const ranges = res.apiKeys
      ?.filter((k: any) => CORE_APIS.includes(k.apiKey))
      .map((k: any) => ({ ...k, minVersion: Math.max(k.minVersion, KAFKA_MIN_VERSION[k.apiKey]!) }));
    return { errorCode: res.errorCode, ranges };
  };
}
scenarios['api-versions-v3-all-keys'] = async () => {
  const res: any = await call(18, 3, { clientSoftwareName: 'skiff-compat', clientSoftwareVersion: '1.0' });
  return { apiKeys: res.apiKeys?.map((k: any) => k.apiKey) };
};
for (const v of [3, 4]) {
  // The shape of the feature flags: which features exist, that finalized levels lie within
  // the supported ranges, and that metadata.version is finalized. The levels themselves
  // differ by design (src/server/features.ts); api-versions-features-levels shows them.
  scenarios[`api-versions-v${v}-features-shape`] = async () => {
    const res: any = await call(18, v, { clientSoftwareName: 'skiff-compat', clientSoftwareVersion: '1.0' });
    const supported = new Map<string, any>(res.supportedFeatures.map((f: any) => [f.name, f]));
    return {
      supported: [...supported.keys()].sort(),
      rangesValid: res.supportedFeatures.every((f: any) => f.minVersion <= f.maxVersion),
      // Below v4 Kafka lists no supported range starting at 0, though such features may be finalized.
      finalizedWithinSupported: res.finalizedFeatures.every((f: any) => {
        const s = supported.get(f.name);
        return f.minVersionLevel === f.maxVersionLevel && f.maxVersionLevel > 0 && (s === undefined ? v < 4 : f.maxVersionLevel <= s.maxVersion);
      }),
      metadataVersionFinalized: res.finalizedFeatures.some((f: any) => f.name === 'metadata.version'),
      epochKnown: res.finalizedFeaturesEpoch >= 0n,
      zkMigrationReady: res.zkMigrationReady,
    };
  };
}
scenarios['api-versions-features-levels'] = async () => {
  const res: any = await call(18, 4, { clientSoftwareName: 'skiff-compat', clientSoftwareVersion: '1.0' });
  const byName = (a: any[]) => [...a].sort((x, y) => (x.name < y.name ? -1 : 1));
  return { supported: byName(res.supportedFeatures), finalized: byName(res.finalizedFeatures) };
};
for (const v of [5, 6]) {
  // A group that does not exist: Dead without error before v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043).
  scenarios[`describe-groups-v${v}-missing`] = async () => {
    // Kafka creates __consumer_offsets on the first FindCoordinator, then loads it: until then
    // it answers COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR.
    let res: any;
    for (let i = 0; i < 100; i++) {
      await call(10, 4, { keyType: 0, coordinatorKeys: ['raw-missing-group'] });
      res = await call(15, v, { groups: ['raw-missing-group'], includeAuthorizedOperations: false }, true);
      if (![14, 15, 16].includes(res.groups[0].errorCode)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return res;
  };
}
for (const v of [0, 1, 2]) {
  // v2 (KIP-1073) asks for fenced brokers too and marks each broker fenced or not.
  scenarios[`describe-cluster-v${v}`] = async () =>
    call(60, v, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: v >= 2 });
}
scenarios['api-versions-v127-unsupported'] = async () => {
  // A version above the broker's range: Kafka answers v0 with UNSUPPORTED_VERSION and its ranges.
  const c = await RawClient.connect(host, port);
  try {
    const raw = await c.requestRaw(18, 127, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }).catch((e) => e as Error);
    if (raw instanceof Error) return { unsupported: raw.message };
    const r = new Reader(raw);
    return { errorCode: r.int16() };
  } finally {
    await c.close().catch(() => {});
  }
};

for (const v of [4, 8, 9, 10, 12, 13]) {
  scenarios[`metadata-v${v}`] = async () => {
    const topic = `raw-metadata-v${v}`;
    await ensureTopic(topic);
    const again: any = await call(3, v, metadataBody(v, [topic]));
    const missing: any = await call(3, v, metadataBody(v, [`raw-missing-v${v}`], false));
    return { existing: again, missingNoAutoCreate: missing.topics ?? missing };
  };
}
// A fixed id no broker hands out: Kafka's random v4 ids never have all bits set.
const UNKNOWN_TOPIC_ID = '_____________________w';
const byId = (topicId: string, name: string | null) => ({ topics: [{ topicId, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
scenarios['metadata-v12-by-topic-id'] = async () => {
  // What kafka-topics --describe --topic-id sends (name ""), and a null name, an unknown id, and a name plus id.
  const topic = 'raw-metadata-by-id';
  await ensureTopic(topic);
  const id = await topicId(topic);
  return {
    emptyName: await call(3, 12, byId(id, '')),
    nullName: await call(3, 12, byId(id, null)),
    unknownId: await call(3, 12, byId(UNKNOWN_TOPIC_ID, '')),
    otherNameWithId: await call(3, 12, byId(id, 'raw-missing-by-id')),
  };
};
scenarios['metadata-v10-v11-by-topic-id'] = async () => {
  // These versions carry a topic id field, but Kafka refuses to look topics up by it.
  const topic = 'raw-metadata-by-id';
  await ensureTopic(topic);
  const id = await topicId(topic);
  const out: Record<string, unknown> = {};
  for (const v of [10, 11]) out[`v${v}`] = { nullName: await call(3, v, byId(id, null)), nameAndId: await call(3, v, byId(id, topic)) };
  return out;
};
scenarios['metadata-auto-create-first-answer'] = async () => {
  // The answer to the Metadata request that auto-creates a topic (clients retry until a leader shows).
  const out: Record<string, unknown> = {};
  for (const v of [4, 9, 12]) {
    const first: any = await call(3, v, metadataBody(v, [`raw-metadata-first-v${v}`]));
    out[`v${v}`] = first.topics?.map((t: any) => ({ errorCode: t.errorCode, partitions: t.partitions.length })) ?? first;
  }
  return out;
};

for (const v of [3, 5, 7, 8, 9, 11, 12]) {
  scenarios[`produce-v${v}`] = async () => {
    const topic = `raw-produce-v${v}`;
    await ensureTopic(topic);
    const first = await call(0, v, produceBody(topic, 0, batch(3)));
    const second = await call(0, v, produceBody(topic, 0, batch(2, { compression: Compression.gzip, tag: 'g' })));
    return { first, second };
  };
}
scenarios['produce-error-partitions'] = async () => {
  // Partition-level errors: a partition that does not exist, a topic nobody created.
  const out: Record<string, unknown> = {};
  await ensureTopic('raw-produce-errors');
  for (const v of [3, 8, 11]) {
    out[`v${v}-badPartition`] = await call(0, v, produceBody('raw-produce-errors', 7, batch(1)));
    out[`v${v}-unknownTopic`] = await call(0, v, produceBody(`raw-produce-never-created-v${v}`, 0, batch(1)));
  }
  return out;
};
scenarios['produce-acks1'] = async () => {
  const topic = 'raw-produce-acks1';
  await ensureTopic(topic);
  return call(0, 9, { ...produceBody(topic, 0, batch(2)), acks: 1 });
};

const FETCH_TOPIC = 'raw-fetch';
let fetchReady: Promise<void> | undefined;
function prepareFetch(): Promise<void> {
  fetchReady ??= (async () => {
    await ensureTopic(FETCH_TOPIC);
    await call(0, 9, produceBody(FETCH_TOPIC, 0, batch(3)));
    await call(0, 9, produceBody(FETCH_TOPIC, 0, batch(2, { compression: Compression.lz4, tag: 'l' })));
  })();
  return fetchReady;
}
for (const v of [4, 7, 11, 12, 13, 15, 16, 17, 18]) {
  scenarios[`fetch-v${v}`] = async () => {
    await prepareFetch();
    const id = v >= 13 ? await topicId(FETCH_TOPIC) : ZERO_UUID;
    const req = (fetchOffset: bigint, partition = 0) => ({
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1_048_576,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: FETCH_TOPIC, topicId: id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_048_576, replicaDirectoryId: ZERO_UUID }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    return {
      fromZero: await call(1, v, req(0n)),
      fromMiddleOfBatch: await call(1, v, req(1n)),
      atEnd: await call(1, v, req(5n)),
    };
  };
  if (v === 4 || v === 12 || v === 16) {
    scenarios[`fetch-error-partitions-v${v}`] = async () => {
      await prepareFetch();
      const id = v >= 13 ? await topicId(FETCH_TOPIC) : ZERO_UUID;
      const req = (fetchOffset: bigint, partition: number) => ({
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 1_048_576,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: FETCH_TOPIC, topicId: id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_048_576, replicaDirectoryId: ZERO_UUID }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      return { outOfRange: await call(1, v, req(100n, 0)), badPartition: await call(1, v, req(0n, 9)) };
    };
  }
}

for (const v of [1, 4, 6, 7, 8, 10, 11]) {
  scenarios[`list-offsets-v${v}`] = async () => {
    loReady ??= (async () => {
      await ensureTopic(LO_TOPIC);
      await call(0, 9, produceBody(LO_TOPIC, 0, batch(3)));
      await call(0, 9, produceBody(LO_TOPIC, 0, batch(3)));
    })();
    await loReady;
    const q = (timestamp: bigint, partition = 0) =>
      call(2, v, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 5000,
        topics: [{ name: LO_TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
      });
    const out: Record<string, unknown> = {
      earliest: await q(-2n),
      latest: await q(-1n),
      byTimeAfterAll: await q(BASE_TS + 100_000n),
      badPartition: await q(-1n, 5),
    };
    if (v >= 8) out.earliestLocal = await q(-4n);
    // Without tiered storage: latest tiered (v9+) and earliest pending upload (v11, KIP-1023);
    // older versions, and a negative timestamp no version knows, get UNSUPPORTED_VERSION.
    out.latestTiered = await q(-5n);
    out.earliestPendingUpload = await q(-6n);
    out.unknownNegative = await q(-10n);
    return out;
  };
}

scenarios['list-offsets-by-timestamp'] = async () => {
  // Two batches of three records, timestamps base+0, +10, +20 each: the first offset whose
  // timestamp is at or after the target, with that record's timestamp; -3 = the record with the
  // largest timestamp (earliest such offset).
  loReady ??= (async () => {
    await ensureTopic(LO_TOPIC);
    await call(0, 9, produceBody(LO_TOPIC, 0, batch(3)));
    await call(0, 9, produceBody(LO_TOPIC, 0, batch(3)));
  })();
  await loReady;
  const out: Record<string, unknown> = {};
  for (const v of [1, 7]) {
    for (const [name, timestamp] of [['beforeAll', BASE_TS - 1n], ['exact+10', BASE_TS + 10n], ['between+15', BASE_TS + 15n], ...(v >= 7 ? [['maxTimestamp', -3n]] : [])] as Array<[string, bigint]>) {
      const res: any = await call(2, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: LO_TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
      const p = res.topics?.[0]?.partitions?.[0];
      out[`v${v}-${name}`] = p ? { errorCode: p.errorCode, offset: p.offset, timestamp: p.timestamp } : res;
    }
  }
  return out;
};

for (const v of [2, 4, 5, 7]) {
  scenarios[`create-topics-v${v}`] = async () => {
    const t = (name: string, numPartitions: number, replicationFactor: number, configs: Array<{ name: string; value: string }> = []) => ({
      name,
      numPartitions,
      replicationFactor,
      assignments: [],
      configs,
    });
    // Configs in the answer (v5+): the ones both brokers know, minus message.timestamp.after.max.ms
    // (its own scenario); validateOnly's topic id likewise.
    const req = async (topics: unknown[], validateOnly = false) => {
      const res: any = await call(19, v, { topics, timeoutMs: 5000, validateOnly });
      for (const t of res.topics ?? []) {
        if (Array.isArray(t.configs)) t.configs = t.configs.filter((c: any) => COMMON_TOPIC_CONFIGS.includes(c.name));
        if (validateOnly) delete t.topicId;
      }
      return res;
    };
    return {
      create: await req([t(`raw-create-v${v}`, 3, 1, [{ name: 'retention.ms', value: '3600000' }])]),
      again: await req([t(`raw-create-v${v}`, 3, 1)]),
      invalidName: await req([t('bad name!', 1, 1)]),
      replicationFactor3: await req([t(`raw-create-rf3-v${v}`, 1, 3)]),
      zeroPartitions: await req([t(`raw-create-zero-v${v}`, 0, 1)]),
      defaults: await req([t(`raw-create-defaults-v${v}`, -1, -1)]),
      validateOnly: await req([t(`raw-create-validate-v${v}`, 2, 1)], true),
      badConfig: await req([t(`raw-create-badconfig-v${v}`, 1, 1, [{ name: 'retention.ms', value: 'soon' }])]),
    };
  };
}

scenarios['create-topics-config-set'] = async () => {
  // CreateTopics v7 lists every topic config with its value and source.
  const res: any = await call(19, 7, { topics: [{ name: 'raw-create-config-set', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  const configs = res.topics?.[0]?.configs ?? [];
  return { names: configs.map((c: any) => c.name).sort(), values: Object.fromEntries(configs.map((c: any) => [c.name, `${c.value} (source ${c.configSource})`])) };
};
// ------------------------------------------------------------------------------ configs
// DescribeConfigs and IncrementalAlterConfigs on every resource type. Changes to the shared
// broker are harmless (a longer cleaner backoff) and removed again.

const describeBody = (resourceType: number, resourceName: string, configurationKeys: string[] | null = null) => ({
  resources: [{ resourceType, resourceName, configurationKeys }],
  includeSynonyms: true,
  includeDocumentation: false,
});
const alterBody = (resourceType: number, resourceName: string, configs: Array<[string, number, string | null]>) => ({
  resources: [{ resourceType, resourceName, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
  validateOnly: false,
});
const entriesOf = (res: any, withValues: boolean) =>
  Object.fromEntries(
    (res.results?.[0]?.configs ?? []).map((c: any) => [
      c.name,
      `${c.readOnly ? 'read-only' : 'dynamic'} type ${c.configType}${c.isSensitive ? ' sensitive' : ''}` +
        (withValues ? ` = ${c.value} (source ${c.configSource}; ${c.synonyms.map((x: any) => `${x.source}:${x.name}=${x.value}`).join(', ')})` : ''),
    ]),
  );

scenarios['describe-configs-broker-entries'] = async () => {
  // Values depend on each broker's setup: names and flags only.
  const res: any = await call(32, 4, describeBody(4, '1'));
  return { errorCode: res.results?.[0]?.errorCode, entries: entriesOf(res, false) };
};
scenarios['describe-configs-topic-entries'] = async () => {
  await ensureTopic('raw-describe-configs-topic');
  return entriesOf(await call(32, 4, describeBody(2, 'raw-describe-configs-topic')), true);
};
// Kafka's broker applies a committed config change a moment after the answer (longer on a busy
// machine): a value is read until it is what the change made it, for at most 20 s.
const settle = async (resourceType: number, name: string, key: string, done: (value: string | undefined) => boolean) => {
  for (let i = 0; i < 100; i++) {
    const res: any = await call(32, 4, describeBody(resourceType, name, [key]));
    if (done(res.results?.[0]?.configs?.[0]?.value)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
};

scenarios['configs-dynamic-broker'] = async () => {
  const out: Record<string, unknown> = {};
  out.setDefault = await call(44, 1, alterBody(4, '', [['log.cleaner.backoff.ms', 0, '16000']]), true);
  out.setBroker = await call(44, 1, alterBody(4, '1', [['log.cleaner.backoff.ms', 0, '17000']]), true);
  await settle(4, '1', 'log.cleaner.backoff.ms', (v) => v === '17000');
  out.defaults = entriesOf(await call(32, 4, describeBody(4, '')), true);
  out.broker = entriesOf(await call(32, 4, describeBody(4, '1', ['log.cleaner.backoff.ms'])), true);
  out.static = await call(44, 1, alterBody(4, '1', [['node.id', 0, '5']]), true);
  out.perBrokerOnly = await call(44, 1, alterBody(4, '', [['listeners', 0, 'PLAINTEXT://:1']]), true);
  out.outOfRange = await call(44, 1, alterBody(4, '', [['log.segment.bytes', 0, '1000']]), true);
  out.notANumber = await call(44, 1, alterBody(4, '', [['log.retention.ms', 0, 'soon']]), true);
  out.deleteBroker = await call(44, 1, alterBody(4, '1', [['log.cleaner.backoff.ms', 1, null]]), true);
  out.deleteDefault = await call(44, 1, alterBody(4, '', [['log.cleaner.backoff.ms', 1, null]]), true);
  await settle(4, '1', 'log.cleaner.backoff.ms', (v) => v !== '16000' && v !== '17000');
  out.after = entriesOf(await call(32, 4, describeBody(4, '1', ['log.cleaner.backoff.ms'])), true);
  return out;
};
scenarios['configs-broker-logger'] = async () => {
  const out: Record<string, unknown> = {};
  out.set = await call(44, 1, alterBody(8, '1', [['root', 0, 'INFO']]), true);
  out.root = entriesOf(await call(32, 4, describeBody(8, '1', ['root'])), true);
  out.badLevel = await call(44, 1, alterBody(8, '1', [['root', 0, 'LOUD']]), true);
  out.unknownLogger = await call(44, 1, alterBody(8, '1', [['raw.no.such.logger', 0, 'DEBUG']]), true);
  out.deleteRoot = await call(44, 1, alterBody(8, '1', [['root', 1, null]]), true);
  out.append = await call(44, 1, alterBody(8, '1', [['root', 2, 'INFO']]), true);
  out.otherNode = await call(44, 1, alterBody(8, '7', []), true);
  return out;
};
scenarios['configs-group'] = async () => {
  const out: Record<string, unknown> = {};
  const group = 'raw-configs-group';
  out.set = await call(44, 1, alterBody(32, group, [['consumer.session.timeout.ms', 0, '50000'], ['share.auto.offset.reset', 0, 'earliest']]), true);
  await settle(32, group, 'consumer.session.timeout.ms', (v) => v === '50000');
  out.described = entriesOf(await call(32, 4, describeBody(32, group)), true);
  out.belowMin = await call(44, 1, alterBody(32, group, [['consumer.session.timeout.ms', 0, '1000']]), true);
  out.unknown = await call(44, 1, alterBody(32, group, [['colour', 0, 'red']]), true);
  out.delete = await call(44, 1, alterBody(32, group, [['consumer.session.timeout.ms', 1, null], ['share.auto.offset.reset', 1, null]]), true);
  await settle(32, group, 'consumer.session.timeout.ms', (v) => v !== '50000');
  out.after = entriesOf(await call(32, 4, describeBody(32, group, ['consumer.session.timeout.ms'])), true);
  return out;
};
scenarios['configs-client-metrics'] = async () => {
  const out: Record<string, unknown> = {};
  const name = 'raw-configs-metrics';
  out.set = await call(44, 1, alterBody(16, name, [['metrics', 0, 'org.apache.kafka.producer.'], ['interval.ms', 0, '1000']]), true);
  out.append = await call(44, 1, alterBody(16, name, [['metrics', 2, 'org.apache.kafka.consumer.']]), true);
  await settle(16, name, 'metrics', (v) => v?.includes('consumer') === true);
  out.described = entriesOf(await call(32, 4, describeBody(16, name)), true);
  out.badInterval = await call(44, 1, alterBody(16, name, [['interval.ms', 0, '10']]), true);
  out.badMatch = await call(44, 1, alterBody(16, name, [['match', 0, 'nickname=x']]), true);
  out.unknown = await call(44, 1, alterBody(16, name, [['colour', 0, 'red']]), true);
  out.delete = await call(44, 1, alterBody(16, name, [['metrics', 1, null], ['interval.ms', 1, null]]), true);
  await settle(16, name, 'interval.ms', (v) => v !== '1000');
  out.after = entriesOf(await call(32, 4, describeBody(16, name)), true);
  return out;
};
scenarios['create-topics-validate-only-topic-id'] = async () => {
  const res: any = await call(19, 7, { topics: [{ name: 'raw-create-validate-id', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true });
  return { topicId: res.topics?.[0]?.topicId };
};

// ------------------------------------------------------------------------------ produce validation
// Batches that break one of Kafka's LogValidator rules, built byte by byte: the answer (error
// code, offsets, recordErrors, message) and what the partition holds afterwards.

/** Each case produced (v9 unless said) to a fresh topic, then the log end offset and a good batch. */
async function produceCases(topic: string, cases: Record<string, Buffer | { records: Buffer; version?: number }>): Promise<unknown> {
  await ensureTopic(topic);
  const out: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(cases)) {
    const { records, version = 9 } = Buffer.isBuffer(c) ? { records: c } : c;
    out[name] = await call(0, version, produceBody(topic, 0, records), true);
  }
  const latest: any = await call(2, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
  out.logEndOffsetAfter = latest.topics?.[0]?.partitions?.[0]?.offset ?? latest;
  out.goodBatchAfter = await call(0, 9, produceBody(topic, 0, batch(2)));
  return out;
}

scenarios['produce-validate-compressed-counts'] = () =>
  produceCases('raw-validate-counts', {
    gzipOneRecordLastOffsetDeltaMax: rawBatch(compress(Compression.gzip, plainRecords(1)), { attributes: Compression.gzip, recordCount: 1, lastOffsetDelta: 0x7fffffff }),
    gzipTwoRecordsCountOne: rawBatch(compress(Compression.gzip, plainRecords(2)), { attributes: Compression.gzip, recordCount: 1, lastOffsetDelta: 0 }),
    gzipOneRecordCountTwo: rawBatch(compress(Compression.gzip, plainRecords(1)), { attributes: Compression.gzip, recordCount: 2, lastOffsetDelta: 1 }),
    lz4CountThreeLastOffsetDeltaOne: rawBatch(compress(Compression.lz4, plainRecords(3)), { attributes: Compression.lz4, recordCount: 3, lastOffsetDelta: 1 }),
    zstdZeroRecords: rawBatch(compress(Compression.zstd, Buffer.alloc(0)), { attributes: Compression.zstd, recordCount: 0, lastOffsetDelta: -1 }),
    noneZeroRecords: rawBatch(Buffer.alloc(0), { recordCount: 0, lastOffsetDelta: -1 }),
  });

scenarios['produce-validate-corrupt-codec-data'] = () => {
  const gz = compress(Compression.gzip, plainRecords(3));
  const flipped = Buffer.from(gz);
  for (let i = 12; i < flipped.length - 8; i++) flipped[i] ^= 0x5a;
  return produceCases('raw-validate-codec', {
    plainBytesMarkedGzip: rawBatch(plainRecords(2), { attributes: Compression.gzip, recordCount: 2, lastOffsetDelta: 1 }),
    corruptDeflateBody: rawBatch(flipped, { attributes: Compression.gzip, recordCount: 3, lastOffsetDelta: 2 }),
    truncatedGzip: rawBatch(gz.subarray(0, gz.length - 12), { attributes: Compression.gzip, recordCount: 3, lastOffsetDelta: 2 }),
    plainBytesMarkedSnappy: rawBatch(plainRecords(2), { attributes: Compression.snappy, recordCount: 2, lastOffsetDelta: 1 }),
    plainBytesMarkedLz4: rawBatch(plainRecords(2), { attributes: Compression.lz4, recordCount: 2, lastOffsetDelta: 1 }),
    plainBytesMarkedZstd: rawBatch(plainRecords(2), { attributes: Compression.zstd, recordCount: 2, lastOffsetDelta: 1 }),
  });
};

scenarios['produce-validate-malformed-records'] = () => {
  const hugeHeaderCount = Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(0x7fffffff)]);
  const negativeHeaderCount = Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(-2)]);
  const keyPastRecord = Buffer.concat([varint(0), varint(0), varint(50), Buffer.from('k'), varint(-1), varint(0)]);
  const extraBytes = Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(0), Buffer.from([1, 2, 3])]);
  const headerPastRecord = Buffer.concat([varint(0), varint(0), varint(-1), varint(-1), varint(1), varint(40), Buffer.from('h')]);
  const one = (body: Buffer, compression = 0) => {
    const section = rawRecord(0, null, null, body);
    return rawBatch(compression ? compress(compression as any, section) : section, { attributes: compression, recordCount: 1, lastOffsetDelta: 0 });
  };
  const lengthPastBatch = Buffer.concat([varint(200), Buffer.from([0]), varint(0), varint(0), varint(-1), varint(-1), varint(0)]);
  return produceCases('raw-validate-records', {
    hugeHeaderCount: one(hugeHeaderCount),
    hugeHeaderCountGzip: one(hugeHeaderCount, Compression.gzip),
    negativeHeaderCount: one(negativeHeaderCount),
    keyLengthPastRecord: one(keyPastRecord),
    headerPastRecord: one(headerPastRecord),
    bytesLeftInRecord: one(extraBytes),
    bytesLeftInRecordZstd: one(extraBytes, Compression.zstd),
    recordLengthPastBatch: rawBatch(lengthPastBatch, { recordCount: 1, lastOffsetDelta: 0 }),
    bytesAfterLastRecord: rawBatch(Buffer.concat([plainRecords(1), Buffer.from([0, 0])]), { recordCount: 1, lastOffsetDelta: 0 }),
    bytesAfterLastRecordSnappy: rawBatch(compress(Compression.snappy, Buffer.concat([plainRecords(1), Buffer.from([0, 0])])), { attributes: Compression.snappy, recordCount: 1, lastOffsetDelta: 0 }),
  });
};

scenarios['produce-validate-size-lies'] = () => {
  const lie = (length: (real: number) => number) => {
    const b = rawBatch(plainRecords(3), { recordCount: 3, lastOffsetDelta: 2 });
    b.writeInt32BE(length(b.readInt32BE(Field.batchLength)), Field.batchLength);
    return b;
  };
  return produceCases('raw-validate-size-lies', {
    batchLengthPastPayload: lie((n) => n + 100),
    batchLengthShort: lie((n) => n - 5),
    batchLengthBelowHeader: lie(() => 10),
    batchLengthNegative: lie(() => -1),
    headerCutShort: rawBatch(plainRecords(3), { recordCount: 3, lastOffsetDelta: 2 }).subarray(0, 40),
  });
};

scenarios['produce-validate-base-offset'] = () =>
  produceCases('raw-validate-base-offset', {
    baseOffset1000: rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, baseOffset: 1000n }),
    baseOffsetMinus5: rawBatch(plainRecords(2), { recordCount: 2, lastOffsetDelta: 1, baseOffset: -5n }),
    baseOffset1000Gzip: rawBatch(compress(Compression.gzip, plainRecords(2)), { attributes: Compression.gzip, recordCount: 2, lastOffsetDelta: 1, baseOffset: 1000n }),
  });

scenarios['produce-validate-transactional-without-transaction'] = () =>
  produceCases('raw-validate-txn', {
    noTransactionalId: rawBatch(plainRecords(1), { recordCount: 1, lastOffsetDelta: 0, attributes: 0x10, producerId: 4242n }),
    noTransactionalIdV3: { records: rawBatch(plainRecords(1), { recordCount: 1, lastOffsetDelta: 0, attributes: 0x10, producerId: 4242n }), version: 3 },
  });

scenarios['produce-validate-crc'] = () => {
  const bad = Buffer.from(batch(2));
  bad.writeUInt32BE((bad.readUInt32BE(Field.crc) ^ 1) >>> 0, Field.crc);
  return produceCases('raw-validate-crc', { badCrc: bad, badCrcV3: { records: bad, version: 3 } });
};

scenarios['produce-validate-record-errors'] = async () => {
  // KIP-467: per-record errors with their index and message (v8+), here keyless records on a compacted topic.
  const topic = 'raw-validate-compacted';
  await call(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000, validateOnly: false });
  const records = (compression: number) => {
    const section = Buffer.concat([rawRecord(0, 'k0', 'v0'), rawRecord(1, null, 'v1'), rawRecord(2, 'k2', 'v2'), rawRecord(3, null, 'v3'), rawRecord(4, null, 'v4'), rawRecord(5, null, 'v5')]);
    return rawBatch(compression ? compress(compression as any, section) : section, { attributes: compression, recordCount: 6, lastOffsetDelta: 5 });
  };
  return produceCases(topic, {
    v7: { records: records(0), version: 7 },
    v8: { records: records(0), version: 8 },
    v11: { records: records(0), version: 11 },
    v11Gzip: { records: records(Compression.gzip), version: 11 },
  });
};

scenarios['describe-log-dirs-v4-v5'] = async () => {
  // The log dir's path and space figures are the broker's own; compared: whether it answered,
  // the partitions listed, and (v5) whether the dir is cordoned.
  const topic = 'raw-log-dirs';
  await ensureTopic(topic);
  const q = async (v: number) => {
    const res: any = await call(35, v, { topics: [{ topic, partitions: [0, 7] }] });
    if (!res.results) return res;
    return {
      errorCode: res.errorCode,
      results: res.results.map((r: any) => ({
        errorCode: r.errorCode,
        isCordoned: r.isCordoned,
        topics: r.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, offsetLag: p.offsetLag, isFutureKey: p.isFutureKey })) })),
      })),
    };
  };
  return { v4: await q(4), v5: await q(5) };
};

// ------------------------------------------------------------------------------ topic ids (Produce v13, OffsetCommit/OffsetFetch v10)

scenarios['produce-v13-by-topic-id'] = async () => {
  const topic = 'raw-produce-v13';
  await ensureTopic(topic);
  const id = await topicId(topic);
  const body = (topicId: string, partition: number) => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: '', topicId, partitionData: [{ index: partition, records: batch(2) }] }] });
  return { known: await call(0, 13, body(id, 0)), badPartition: await call(0, 13, body(id, 7)), unknownId: await call(0, 13, body(UNKNOWN_TOPIC_ID, 0)) };
};

scenarios['offset-commit-fetch-v10'] = async () => {
  // Committed by id (v10) and by name (v9); fetched by id: asked partitions, an unknown id, all.
  const topic = 'raw-offsets-v10';
  await ensureTopic(topic);
  const id = await topicId(topic);
  const group = 'raw-offsets-v10-group';
  await groupCoordinatorReady(group);
  const part = (committedOffset: bigint) => [{ partitionIndex: 0, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' }];
  const commit = (v: number, topics: Array<{ name: string; topicId: string; offset: bigint }>) =>
    call(8, v, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: part(t.offset) })) });
  const fetch = (topics: Array<{ topicId: string; partitionIndexes: number[] }> | null) =>
    call(9, 10, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: topics?.map((t) => ({ name: '', ...t })) ?? null }] });
  return {
    commitById: await commit(10, [{ name: '', topicId: id, offset: 4n }, { name: '', topicId: UNKNOWN_TOPIC_ID, offset: 1n }]),
    commitByNameV9: await commit(9, [{ name: topic, topicId: ZERO_UUID, offset: 5n }]),
    fetchAsked: await fetch([{ topicId: id, partitionIndexes: [0, 1] }, { topicId: UNKNOWN_TOPIC_ID, partitionIndexes: [0] }]),
    fetchAll: await fetch(null),
  };
};

// ------------------------------------------------------------------------------ transactions (v2 and the markers)

/** Each run its own transactional ids: a broker keeps them across runs of the same harness. */
const RUN = Date.now().toString(36);

async function initProducer(transactionalId: string): Promise<{ producerId: bigint; producerEpoch: number }> {
  // Kafka creates __transaction_state on the first FindCoordinator for a transactional id and
  // answers COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR until its partition is loaded.
  for (let i = 0; i < 100; i++) {
    const c = await RawClient.connect(host, port);
    try {
      await c.request(10, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
      const res: any = await c.request(22, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      if (res.errorCode === 0) return { producerId: res.producerId, producerEpoch: res.producerEpoch };
    } finally {
      await c.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`InitProducerId for ${transactionalId} kept failing`);
}

/** Kafka answers EndTxn once the prepare record is written; the markers follow. Wait for them. */
async function completed(transactionalId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res: any = await call(65, 0, { transactionalIds: [transactionalId] });
    const state = res.transactionStates?.[0]?.transactionState;
    if (state !== 'PrepareCommit' && state !== 'PrepareAbort') return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${transactionalId} stays prepared`);
}

// Current timestamps: Kafka rolls a segment per batch whose records are older than segment.ms.
const txnBatch = (producerId: bigint, producerEpoch: number, baseSequence: number, tag: string) =>
  buildBatch({ producerId, producerEpoch, baseSequence, isTransactional: true, baseTimestamp: BigInt(Date.now()), records: [{ key: Buffer.from('k'), value: Buffer.from(tag) }] });

const produceTxn = (v: number, transactionalId: string, topic: string, records: Buffer) => call(0, v, { ...produceBody(topic, 0, records), transactionalId });

/**
 * What committed reads show of partition 0, fetched from each next offset until nothing more
 * comes (a Fetch reads one segment). Offsets, attributes, epochs relative to the first batch, values.
 */
async function readCommitted(topic: string): Promise<unknown> {
  const batchesSeen: unknown[] = [];
  const aborted = new Set<number>();
  let first: number | undefined;
  let offset = 0n;
  let last: any;
  for (let i = 0; i < 20; i++) {
    const res: any = await call(1, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1_048_576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_048_576, replicaDirectoryId: ZERO_UUID }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    last = res.responses?.[0]?.partitions?.[0];
    if (!last) return res;
    for (const a of last.abortedTransactions ?? []) aborted.add(a.firstOffset);
    const got = last.records ?? [];
    for (const b of got) {
      first ??= b.producerEpoch;
      batchesSeen.push({ baseOffset: b.baseOffset, attributes: b.attributes, epochStep: b.producerEpoch - first!, values: b.records.map((r: any) => r.value) });
    }
    if (got.length === 0) break;
    offset = BigInt(got.at(-1).lastOffset + 1);
  }
  return { highWatermark: last.highWatermark, lastStableOffset: last.lastStableOffset, abortedFirstOffsets: [...aborted].sort((a, b) => a - b), batches: batchesSeen };
}

/** Kafka creates __consumer_offsets on the first FindCoordinator for a group and loads it before answering. */
async function groupCoordinatorReady(groupId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const found: any = await call(10, 4, { key: '', keyType: 0, coordinatorKeys: [groupId] });
    if (found.coordinators?.[0]?.errorCode === 0) {
      const res: any = await call(9, 9, { groupId: '', topics: [], requireStable: false, groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }] });
      if (res.groups?.[0]?.errorCode === 0) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no coordinator for group ${groupId}`);
}

scenarios['txn-v2-produce-end-txn-v5'] = async () => {
  // Produce v12 adds the partition itself; EndTxn v5 bumps the epoch at every end and answers
  // it; a retry (the epoch before) is answered as done; an abort needs no open transaction.
  const topic = 'raw-txn-v2';
  await ensureTopic(topic);
  const id = `raw-txn-v2-${RUN}`;
  const { producerId, producerEpoch: e0 } = await initProducer(id);
  const end = async (producerEpoch: number, committed: boolean) => {
    const res: any = await call(26, 5, { transactionalId: id, producerId, producerEpoch, committed });
    return { errorCode: res.errorCode, sameProducerId: res.producerId === Number(producerId), epochStep: res.producerEpoch < 0 ? res.producerEpoch : res.producerEpoch - e0 };
  };
  const step = (r: any) => r.responses?.[0]?.partitionResponses?.[0]?.errorCode ?? r;
  const out: Record<string, unknown> = {};
  out.produceV11WithoutAdd = step(await produceTxn(11, id, topic, txnBatch(producerId, e0, 0, 'x')));
  out.produceV12 = step(await produceTxn(12, id, topic, txnBatch(producerId, e0, 0, 'a')));
  out.commit = await end(e0, true);
  out.afterCommit = await completed(id);
  out.retryCommit = await end(e0, true);
  out.retryAsAbort = await end(e0, false);
  out.produceNextEpoch = step(await produceTxn(12, id, topic, txnBatch(producerId, e0 + 1, 0, 'b')));
  out.abort = await end(e0 + 1, false);
  out.afterAbort = await completed(id);
  out.staleEpoch = await end(e0, true);
  out.commitNothingOpen = await end(e0 + 2, true);
  out.abortNothingOpen = await end(e0 + 2, false);
  out.afterEmptyAbort = await completed(id);
  out.staleProduce = step(await produceTxn(12, id, topic, txnBatch(producerId, e0 + 1, 1, 'c')));
  out.read = await readCommitted(topic);
  return out;
};

scenarios['txn-v2-txn-offset-commit-v5'] = async () => {
  // TxnOffsetCommit v5 adds the group's partition itself (v4 needs AddOffsetsToTxn first).
  const topic = 'raw-txn-v2-offsets';
  await ensureTopic(topic);
  const id = `raw-txn-v2-offsets-${RUN}`;
  const group = 'raw-txn-v2-group';
  await groupCoordinatorReady(group);
  const { producerId, producerEpoch } = await initProducer(id);
  const commit = (v: number) =>
    call(28, v, {
      transactionalId: id,
      groupId: group,
      producerId,
      producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
  const v4 = await commit(4);
  const v5 = await commit(5);
  const state: any = await call(65, 0, { transactionalIds: [id] });
  const ended: any = await call(26, 5, { transactionalId: id, producerId, producerEpoch, committed: true });
  await completed(id);
  const fetched = await call(9, 9, { groupId: '', topics: [], requireStable: true, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, topicId: ZERO_UUID, partitionIndexes: [0] }] }] });
  const t = state.transactionStates?.[0];
  return { v4, v5, ongoing: t && { state: t.transactionState, topics: t.topics.map((x: any) => x.topic) }, endTxn: ended.errorCode, fetched, staleEpochV5: await commit(5) };
};

scenarios['write-txn-markers'] = async () => {
  // What the admin client's abortTransaction sends to a partition leader for a hanging
  // transaction: the marker ends it; an older coordinator or producer epoch is refused.
  const topic = 'raw-write-txn-markers';
  await ensureTopic(topic);
  const id = `raw-write-markers-${RUN}`;
  const { producerId, producerEpoch } = await initProducer(id);
  const produced: any = await produceTxn(12, id, topic, txnBatch(producerId, producerEpoch, 0, 'hanging'));
  const write = (v: number, epoch: number, coordinatorEpoch: number, partitions = [0], name = topic, transactionVersion = 0) =>
    call(27, v, { markers: [{ producerId, producerEpoch: epoch, transactionResult: false, topics: [{ name, partitionIndexes: partitions }], coordinatorEpoch, transactionVersion }] });
  // Kafka answers from a hash map: partitions in no set order.
  const markers = (r: any) => r.markers?.[0]?.topics.map((t: any) => ({ ...t, partitions: [...t.partitions].sort((a: any, b: any) => a.partitionIndex - b.partitionIndex) })) ?? r;
  return {
    produced: produced.responses?.[0]?.partitionResponses?.[0]?.errorCode,
    before: await readCommitted(topic),
    abort: markers(await write(1, producerEpoch, 10, [0, 5])),
    after: await readCommitted(topic),
    olderCoordinatorEpoch: markers(await write(2, producerEpoch, 9)),
    newerProducerEpoch: markers(await write(2, producerEpoch + 1, 10)),
    // Transactions v2 markers carry an epoch bumped past the partition's: the same epoch again.
    sameEpochTransactionV2: markers(await write(2, producerEpoch + 1, 10, [0], topic, 2)),
    newerEpochTransactionV2: markers(await write(2, producerEpoch + 2, 10, [0], topic, 2)),
    olderProducerEpoch: markers(await write(2, producerEpoch, 10)),
    unknownTopic: markers(await write(2, producerEpoch + 1, 10, [0], 'raw-write-markers-never-created')),
    v0: await write(0, producerEpoch + 1, 10),
  };
};

scenarios['list-transactions-v2'] = async () => {
  // The transactional id pattern (v2): a whole-id match; empty or null means no filter.
  const ids = ['raw-lt-pay-1', 'raw-lt-pay-2', 'raw-lt-xpay-3'];
  for (const id of ids) await initProducer(id);
  const list = async (transactionalIdPattern: string | null, v = 2) => {
    const res: any = await call(66, v, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern });
    return { errorCode: res.errorCode, ids: res.transactionStates?.map((t: any) => t.transactionalId).filter((t: string) => t.startsWith('raw-lt-')).sort() ?? res };
  };
  return { pay: await list('raw-lt-pay-.*'), partial: await list('raw-lt-pay'), empty: await list(''), none: await list(null), invalid: await list('raw-lt-[') };
};
addClusterAdminScenarios(scenarios, { call, ensureTopic, host, port });

await runScenarios({ client: 'raw', versions: { codecs: 'Skiff generated (schemas/)' }, scenarios, timeoutMs: 30_000 });
process.exit(0);
