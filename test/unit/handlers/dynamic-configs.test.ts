/**
 * Settings changed at runtime: BROKER (per broker and cluster default), BROKER_LOGGER, GROUP
 * and CLIENT_METRICS resources through IncrementalAlterConfigs / AlterConfigs, described with
 * DescribeConfigs and kept across a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../../src/broker.js';
import { resolveConfig } from '../../../src/config/load.js';
import { KAFKA_BROKER_CONFIG_KEYS, KAFKA_TOPIC_CONFIG_KEYS } from '../../../src/config/kafka-config-defs.js';
import { silentLogger } from '../../../src/log.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  defaultDescribeConfigsRequest,
} from '../../../src/protocol/generated/032-describe-configs.js';
import { type AlterConfigsResponse, defaultAlterConfigsRequest } from '../../../src/protocol/generated/033-alter-configs.js';
import {
  type IncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsRequest,
} from '../../../src/protocol/generated/044-incremental-alter-configs.js';
import { type ListConfigResourcesResponse } from '../../../src/protocol/generated/074-list-config-resources.js';
import { type ConsumerGroupHeartbeatResponse, defaultConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/068-consumer-group-heartbeat.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';
import type { RawClient } from '../../support/raw-client.js';

const TOPIC = 2, BROKER = 4, BROKER_LOGGER = 8, CLIENT_METRICS = 16, GROUP = 32;
const SET = 0, DELETE = 1, APPEND = 2;
const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, DEFAULT: 5, LOGGER: 6, CLIENT_METRICS: 7, GROUP: 8 };

type Op = { name: string; configOperation: number; value: string | null };

async function incremental(client: RawClient, resourceType: number, resourceName: string, configs: Op[], validateOnly = false) {
  const res = await client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
    ...defaultIncrementalAlterConfigsRequest(),
    validateOnly,
    resources: [{ resourceType, resourceName, configs }],
  });
  const r = res.responses[0]!;
  return [r.errorCode, r.errorMessage] as const;
}

async function describeOne(client: RawClient, resourceType: number, resourceName: string, keys: string[] | null = null): Promise<DescribeConfigsResult> {
  const res = await client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    ...defaultDescribeConfigsRequest(),
    includeSynonyms: true,
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
  });
  return res.results[0]!;
}

async function entry(client: RawClient, resourceType: number, resourceName: string, key: string) {
  return (await describeOne(client, resourceType, resourceName, [key])).configs[0];
}

describe('dynamic broker settings', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
    await createTopic(h.client, 'dyn', 1);
    await createTopic(h.client, 'dyn-own', 1, { 'retention.ms': '1000' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a cluster default and a per-broker value reach topics without an override, with Kafka synonyms', async () => {
    expect(await incremental(h.client, BROKER, '', [{ name: 'log.retention.ms', configOperation: SET, value: '7000' }])).toEqual([0, null]);
    expect(await entry(h.client, TOPIC, 'dyn', 'retention.ms')).toMatchObject({ value: '7000', configSource: SOURCE.DYNAMIC_DEFAULT });
    expect(await incremental(h.client, BROKER, '1', [{ name: 'log.retention.ms', configOperation: SET, value: '5000' }])).toEqual([0, null]);
    const retention = await entry(h.client, TOPIC, 'dyn', 'retention.ms');
    expect(retention).toMatchObject({ value: '5000', configSource: SOURCE.DYNAMIC_BROKER });
    expect(retention!.synonyms).toEqual([
      { name: 'log.retention.ms', value: '5000', source: SOURCE.DYNAMIC_BROKER },
      { name: 'log.retention.ms', value: '7000', source: SOURCE.DYNAMIC_DEFAULT },
      { name: 'log.retention.hours', value: '168', source: SOURCE.DEFAULT },
    ]);
    expect(await entry(h.client, TOPIC, 'dyn-own', 'retention.ms')).toMatchObject({ value: '1000', configSource: SOURCE.TOPIC });

    const broker = await entry(h.client, BROKER, '1', 'log.retention.ms');
    expect(broker).toMatchObject({ value: '5000', configSource: SOURCE.DYNAMIC_BROKER, readOnly: false });
    const defaults = await describeOne(h.client, BROKER, '');
    expect(defaults.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([['log.retention.ms', '7000', SOURCE.DYNAMIC_DEFAULT]]);

    expect(await incremental(h.client, BROKER, '1', [{ name: 'log.retention.ms', configOperation: DELETE, value: null }])).toEqual([0, null]);
    expect(await incremental(h.client, BROKER, '', [{ name: 'log.retention.ms', configOperation: DELETE, value: null }])).toEqual([0, null]);
    expect(await entry(h.client, TOPIC, 'dyn', 'retention.ms')).toMatchObject({ value: '604800000', configSource: SOURCE.DEFAULT });
  });

  it('refuses what Kafka refuses, with its messages', async () => {
    expect(await incremental(h.client, BROKER, '1', [{ name: 'node.id', configOperation: SET, value: '3' }, { name: 'skiff.memory', configOperation: SET, value: 'false' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Cannot update these configs dynamically: [node.id, skiff.memory]',
    ]);
    expect(await incremental(h.client, BROKER, '', [{ name: 'listeners', configOperation: SET, value: 'PLAINTEXT://:1' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Cannot update these configs at default cluster level, broker id must be specified: [listeners]',
    ]);
    expect(await incremental(h.client, BROKER, '', [{ name: 'log.segment.bytes', configOperation: SET, value: '1000000' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Invalid value 1000000 for configuration log.segment.bytes: Value must be at least 1048576',
    ]);
    expect(await incremental(h.client, BROKER, '', [{ name: 'log.retention.ms', configOperation: SET, value: 'abc' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Invalid value abc for configuration log.retention.ms: Not a number of type LONG',
    ]);
    expect(await incremental(h.client, BROKER, '1', [{ name: 'message.max.bytes', configOperation: APPEND, value: '5' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Config value append is not allowed for config key: message.max.bytes',
    ]);
    expect((await describeOne(h.client, BROKER, '')).configs).toEqual([]);
  });

  it('keeps a name Kafka does not know, described as sensitive; validateOnly keeps nothing', async () => {
    expect(await incremental(h.client, BROKER, '1', [{ name: 'custom.thing', configOperation: SET, value: 'x' }], true)).toEqual([0, null]);
    expect((await describeOne(h.client, BROKER, '1', ['custom.thing'])).configs).toEqual([]);
    expect(await incremental(h.client, BROKER, '1', [{ name: 'custom.thing', configOperation: SET, value: 'x' }])).toEqual([0, null]);
    expect(await entry(h.client, BROKER, '1', 'custom.thing')).toMatchObject({ value: null, isSensitive: true, readOnly: true, configSource: SOURCE.DYNAMIC_BROKER });
    await incremental(h.client, BROKER, '1', [{ name: 'custom.thing', configOperation: DELETE, value: null }]);
  });

  it('the legacy AlterConfigs replaces a level whole', async () => {
    const alter = async (configs: Array<{ name: string; value: string }>) =>
      (await h.client.request<AlterConfigsResponse>(ApiKey.AlterConfigs, 2, {
        ...defaultAlterConfigsRequest(),
        resources: [{ resourceType: BROKER, resourceName: '', configs }],
      })).responses[0]!.errorCode;
    expect(await alter([{ name: 'log.cleaner.threads', value: '2' }, { name: 'message.max.bytes', value: '2000000' }])).toBe(0);
    expect(await entry(h.client, TOPIC, 'dyn', 'max.message.bytes')).toMatchObject({ value: '2000000', configSource: SOURCE.DYNAMIC_DEFAULT });
    expect(await alter([{ name: 'log.cleaner.threads', value: '3' }])).toBe(0);
    expect((await describeOne(h.client, BROKER, '')).configs.map((c) => [c.name, c.value])).toEqual([['log.cleaner.threads', '3']]);
    expect(await alter([])).toBe(0);
  });

  it('lists every broker and topic setting Kafka 4.3 has, read-only where Kafka cannot change it', async () => {
    const broker = await describeOne(h.client, BROKER, '1');
    const names = new Set(broker.configs.map((c) => c.name));
    for (const key of KAFKA_BROKER_CONFIG_KEYS) expect(names.has(key.name), key.name).toBe(true);
    // Skiff's own settings appear when given, as Kafka lists what its config file names.
    expect(names.has('skiff.memory')).toBe(true);
    expect(names.has('skiff.fsync.on.ack')).toBe(false);
    const byName = new Map(broker.configs.map((c) => [c.name, c]));
    expect(byName.get('num.io.threads')).toMatchObject({ readOnly: false, value: '8', configType: 3 });
    expect(byName.get('process.roles')).toMatchObject({ readOnly: true });
    expect(byName.get('ssl.keystore.password')).toMatchObject({ isSensitive: true, value: null, configType: 9 });
    const topic = await describeOne(h.client, TOPIC, 'dyn');
    expect(topic.configs.map((c) => c.name)).toEqual(KAFKA_TOPIC_CONFIG_KEYS.map((k) => k.name));
    expect(topic.configs.find((c) => c.name === 'local.retention.ms')).toMatchObject({ value: '-2', synonyms: [{ name: 'log.local.retention.ms', value: '-2', source: SOURCE.DEFAULT }] });
  });
});

describe('topics follow dynamic broker defaults in their logs', () => {
  it('the partition log of a topic without an override gets the new retention at once', async () => {
    const broker = await Broker.open(resolveConfig([{ source: 't', values: { 'skiff.memory': true } }]), silentLogger());
    try {
      await broker.topics.create({ name: 'follow', numPartitions: 1, replicationFactor: 1, configs: {} });
      await broker.topics.create({ name: 'own', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': '1000' } });
      await broker.dynamicConfigs.setBroker('default', { 'log.retention.ms': '60000', 'log.segment.bytes': '2097152' });
      expect(broker.topics.partition('follow', 0)!.config).toMatchObject({ retentionMs: 60_000, segmentBytes: 2_097_152 });
      expect(broker.topics.partition('own', 0)!.config.retentionMs).toBe(1000);
      expect(broker.topics.effectiveConfig('follow')['retention.ms']).toBe(60_000);
    } finally {
      await broker.close();
    }
  });
});

describe('dynamic settings survive a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-dyn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('broker, group and client metrics settings are read back from the data dir', async () => {
    const first = await openHarness({ dataDir: dir });
    await createTopic(first.client, 'kept', 1);
    expect(await incremental(first.client, BROKER, '', [{ name: 'log.retention.ms', configOperation: SET, value: '9000' }])).toEqual([0, null]);
    expect(await incremental(first.client, GROUP, 'g1', [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '50000' }])).toEqual([0, null]);
    expect(await incremental(first.client, CLIENT_METRICS, 'sub', [{ name: 'interval.ms', configOperation: SET, value: '1000' }])).toEqual([0, null]);
    await first.close();

    const second = await openHarness({ dataDir: dir });
    try {
      expect(await entry(second.client, TOPIC, 'kept', 'retention.ms')).toMatchObject({ value: '9000', configSource: SOURCE.DYNAMIC_DEFAULT });
      expect(await entry(second.client, GROUP, 'g1', 'consumer.session.timeout.ms')).toMatchObject({ value: '50000', configSource: SOURCE.GROUP });
      expect(await entry(second.client, CLIENT_METRICS, 'sub', 'interval.ms')).toMatchObject({ value: '1000', configSource: SOURCE.CLIENT_METRICS });
    } finally {
      await second.close();
    }
  });
});

describe('broker loggers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness({ logLevel: 'error' });
  });
  afterAll(async () => {
    await h.close();
  });

  const level = async (name: string) => (await describeOne(h.client, BROKER_LOGGER, '1')).configs.find((c) => c.name === name)?.value;

  it('sets an area level, returns it to root on DELETE, and follows root otherwise', async () => {
    expect(await level('skiff.storage')).toBe('ERROR');
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'skiff.storage', configOperation: SET, value: 'DEBUG' }])).toEqual([0, null]);
    expect(await level('skiff.storage')).toBe('DEBUG');
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'root', configOperation: SET, value: 'WARN' }])).toEqual([0, null]);
    expect([await level('root'), await level('skiff.storage'), await level('skiff.topics')]).toEqual(['WARN', 'DEBUG', 'WARN']);
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'skiff.storage', configOperation: DELETE, value: null }])).toEqual([0, null]);
    expect(await level('skiff.storage')).toBe('WARN');
  });

  it('refuses bad levels, removing root and list operations, applying none of a refused request', async () => {
    expect(await incremental(h.client, BROKER_LOGGER, '1', [
      { name: 'skiff.topics', configOperation: SET, value: 'TRACE' },
      { name: 'skiff.storage', configOperation: SET, value: 'BOGUS' },
    ])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Cannot set the log level of skiff.storage to BOGUS as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN',
    ]);
    expect(await level('skiff.topics')).not.toBe('TRACE');
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'root', configOperation: DELETE, value: null }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Removing the log level of the root logger is not allowed',
    ]);
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'kafka.server.KafkaApis', configOperation: SET, value: 'DEBUG' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Logger kafka.server.KafkaApis does not exist!',
    ]);
    expect(await incremental(h.client, BROKER_LOGGER, '2', [])).toEqual([ErrorCode.INVALID_REQUEST, 'Unexpected node id. Expected 1, but received 2']);
    expect(await incremental(h.client, BROKER_LOGGER, '1', [{ name: 'root', configOperation: APPEND, value: 'INFO' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'APPEND operation is not allowed for the BROKER_LOGGER resource',
    ]);
  });
});

describe('group and client metrics resources', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('groups: checked against the broker bounds, described over the broker synonyms', async () => {
    expect(await incremental(h.client, GROUP, 'g', [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '1000' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms',
    ]);
    expect(await incremental(h.client, GROUP, 'g', [{ name: 'foo', configOperation: SET, value: '1' }])).toEqual([ErrorCode.INVALID_CONFIG, 'Unknown group config name: foo']);
    expect(await incremental(h.client, GROUP, 'g', [{ name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: '50000' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms',
    ]);
    expect(await incremental(h.client, GROUP, 'g', [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '50000' }])).toEqual([0, null]);
    const session = await entry(h.client, GROUP, 'g', 'consumer.session.timeout.ms');
    expect(session).toMatchObject({ value: '50000', configSource: SOURCE.GROUP });
    expect(session!.synonyms).toEqual([
      { name: 'consumer.session.timeout.ms', value: '50000', source: SOURCE.GROUP },
      { name: 'group.consumer.session.timeout.ms', value: '45000', source: SOURCE.DEFAULT },
    ]);
    expect((await entry(h.client, GROUP, 'g', 'share.auto.offset.reset'))!.synonyms).toEqual([{ name: 'share.auto.offset.reset', value: 'latest', source: SOURCE.DEFAULT }]);
    expect((await describeOne(h.client, GROUP, '')).errorMessage).toBe('Group name must not be empty');
    // A group with settings but no members is listed, as kafka-configs --describe needs.
    const groups = (await h.client.request<ListConfigResourcesResponse>(ApiKey.ListConfigResources, 1, { resourceTypes: [GROUP] })).configResources;
    expect(groups.map((r) => r.resourceName)).toContain('g');
  });

  it("a consumer group's heartbeat answer carries its own consumer.heartbeat.interval.ms", async () => {
    await createTopic(h.client, 'cfg-hb', 1);
    const join = (groupId: string) =>
      h.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
        ...defaultConsumerGroupHeartbeatRequest(), groupId, memberId: 'member-1', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['cfg-hb'], topicPartitions: [],
      });
    expect(await incremental(h.client, GROUP, 'hb-own', [{ name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: '9000' }])).toEqual([0, null]);
    const own = await join('hb-own');
    const plain = await join('hb-plain');
    expect([own.errorCode, own.heartbeatIntervalMs, plain.errorCode, plain.heartbeatIntervalMs]).toEqual([ErrorCode.NONE, 9000, ErrorCode.NONE, 5000]);
  });

  it('client metrics: interval bounds, match patterns, no list operations, removal', async () => {
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [{ name: 'interval.ms', configOperation: SET, value: '10' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Invalid value 10 for interval.ms, interval must be between 100 and 3600000 (1 hour)',
    ]);
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [{ name: 'match', configOperation: SET, value: 'client_nickname=x' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      'Illegal client matching pattern: client_nickname=x',
    ]);
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [{ name: 'colour', configOperation: SET, value: 'x' }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      'Unknown client metrics configuration: colour',
    ]);
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [
      { name: 'metrics', configOperation: SET, value: 'org.apache.kafka.producer.' },
      { name: 'match', configOperation: SET, value: 'client_id=app-.*' },
    ])).toEqual([0, null]);
    // Kafka's controller knows no client metrics types, so it refuses list operations even here.
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [{ name: 'metrics', configOperation: APPEND, value: 'org.apache.kafka.consumer.' }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      "Can't APPEND to key metrics because its type is not LIST.",
    ]);
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [{ name: 'metrics', configOperation: SET, value: 'org.apache.kafka.producer.,org.apache.kafka.consumer.' }])).toEqual([0, null]);
    // The subscription is what telemetry serves and ListConfigResources lists.
    const listed = async () =>
      (await h.client.request<ListConfigResourcesResponse>(ApiKey.ListConfigResources, 1, { resourceTypes: [CLIENT_METRICS] })).configResources.map((r) => r.resourceName);
    expect(await listed()).toEqual(['cm']);
    const described = await describeOne(h.client, CLIENT_METRICS, 'cm');
    expect(described.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ['interval.ms', '300000', SOURCE.DEFAULT],
      ['match', 'client_id=app-.*', SOURCE.CLIENT_METRICS],
      ['metrics', 'org.apache.kafka.producer.,org.apache.kafka.consumer.', SOURCE.CLIENT_METRICS],
    ]);
    expect(await incremental(h.client, CLIENT_METRICS, 'cm', [
      { name: 'metrics', configOperation: DELETE, value: null },
      { name: 'match', configOperation: DELETE, value: null },
    ])).toEqual([0, null]);
    expect((await describeOne(h.client, CLIENT_METRICS, 'cm')).configs.every((c) => c.configSource === SOURCE.DEFAULT)).toBe(true);
    expect(await listed()).toEqual([]);
  });
});
