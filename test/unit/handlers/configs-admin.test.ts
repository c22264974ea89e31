/** DescribeConfigs, AlterConfigs and IncrementalAlterConfigs over the raw protocol. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  type DescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  defaultDescribeConfigsRequest,
} from '../../../src/protocol/generated/032-describe-configs.js';
import { type AlterConfigsResponse, defaultAlterConfigsRequest } from '../../../src/protocol/generated/033-alter-configs.js';
import {
  type IncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsRequest,
} from '../../../src/protocol/generated/044-incremental-alter-configs.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const GROUP = 32;
const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;

let h: Harness;
beforeAll(async () => {
  h = await openHarness({ config: { 'num.partitions': 2 } });
  await createTopic(h.client, 'cfg', 1, { 'retention.ms': '1000', 'segment.ms': '5000' });
});
afterAll(async () => {
  await h.close();
});

function resource(resourceType: number, resourceName: string, configurationKeys: string[] | null = null): DescribeConfigsResource {
  return { resourceType, resourceName, configurationKeys };
}

async function describeConfigs(version: number, resources: DescribeConfigsResource[], opts: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {}): Promise<DescribeConfigsResult[]> {
  const res = await h.client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, version, {
    ...defaultDescribeConfigsRequest(),
    includeSynonyms: opts.includeSynonyms ?? false,
    includeDocumentation: opts.includeDocumentation ?? false,
    resources,
  });
  return res.results;
}

async function topicValue(name: string, key: string): Promise<{ value: string | null; configSource: number } | undefined> {
  const [r] = await describeConfigs(4, [resource(TOPIC, name, [key])]);
  const c = r!.configs[0];
  return c && { value: c.value, configSource: c.configSource };
}

describe('DescribeConfigs', () => {
  it('v0 describes a topic with isDefault', async () => {
    const [r] = await describeConfigs(0, [resource(TOPIC, 'cfg')]);
    expect(r).toMatchObject({ errorCode: 0, resourceType: TOPIC, resourceName: 'cfg' });
    const retention = r!.configs.find((c) => c.name === 'retention.ms')!;
    expect(retention).toMatchObject({ value: '1000', isDefault: false, readOnly: false, isSensitive: false });
    expect(r!.configs.find((c) => c.name === 'segment.bytes')!.isDefault).toBe(true);
    expect(r!.configs.find((c) => c.name === 'cleanup.policy')!.value).toBe('delete');
  });

  it('v1 gives sources and, when asked, synonyms; keys filter the answer', async () => {
    const [r] = await describeConfigs(1, [resource(TOPIC, 'cfg', ['retention.ms', 'segment.bytes', 'no.such.key'])], { includeSynonyms: true });
    expect(r!.configs.map((c) => c.name).sort()).toEqual(['retention.ms', 'segment.bytes']);
    const retention = r!.configs.find((c) => c.name === 'retention.ms')!;
    expect(retention.configSource).toBe(1);
    expect(retention.synonyms[0]).toEqual({ name: 'retention.ms', value: '1000', source: 1 });
    // No broker setting given, and log.retention.ms (the primary synonym) has no default: Kafka
    // then lists the topic's own value alone.
    expect(retention.synonyms).toHaveLength(1);
    const [plain] = await describeConfigs(1, [resource(TOPIC, 'cfg', ['retention.ms'])]);
    expect(plain!.configs[0]!.synonyms).toEqual([]);
  });

  it('v3+ gives config types, and documentation only when asked', async () => {
    const [withDoc] = await describeConfigs(3, [resource(TOPIC, 'cfg', ['cleanup.policy', 'retention.ms'])], { includeDocumentation: true });
    const policy = withDoc!.configs.find((c) => c.name === 'cleanup.policy')!;
    expect(policy.configType).toBe(7);
    expect(policy.documentation).toMatch(/compact/);
    expect(withDoc!.configs.find((c) => c.name === 'retention.ms')!.configType).toBe(5);
    const [noDoc] = await describeConfigs(4, [resource(TOPIC, 'cfg', ['cleanup.policy'])]);
    expect(noDoc!.configs[0]!.documentation).toBeNull();
    expect(noDoc!.configs[0]!.configType).toBe(7);
  });

  it('answers unknown and illegal topics with their codes', async () => {
    const res = await describeConfigs(2, [resource(TOPIC, 'no-such-topic'), resource(TOPIC, 'bad/name')]);
    expect(res[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, configs: [] });
    expect(res[1]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(res[1]!.errorMessage).toContain('bad/name');
  });

  it('describes the broker by node id, the cluster default as empty, and refuses other ids', async () => {
    const res = await describeConfigs(4, [resource(BROKER, '1'), resource(BROKER, ''), resource(BROKER, '2'), resource(BROKER, 'one')]);
    const numPartitions = res[0]!.configs.find((c) => c.name === 'num.partitions')!;
    expect(numPartitions).toMatchObject({ value: '2', readOnly: true, configSource: 4 });
    expect(res[0]!.configs.find((c) => c.name === 'default.replication.factor')).toMatchObject({ value: '1', configSource: 5 });
    expect(res[1]).toMatchObject({ errorCode: 0, configs: [] });
    expect(res[2]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2' });
    expect(res[3]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker id must be an integer, but it is: one' });
  });

  it('describes the broker loggers and a group, and refuses unknown resource types', async () => {
    const [logger, empty, group] = await describeConfigs(4, [resource(BROKER_LOGGER, '1'), resource(BROKER_LOGGER, ''), resource(GROUP, 'g')]);
    expect(logger!.configs).toContainEqual(expect.objectContaining({ name: 'root', value: 'OFF', configSource: 6, readOnly: false }));
    expect(logger!.configs).toContainEqual(expect.objectContaining({ name: 'skiff.storage', value: 'OFF', configSource: 6 }));
    expect(empty).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker id must not be empty' });
    expect(group).toMatchObject({ errorCode: 0 });
    expect(group!.configs.find((c) => c.name === 'consumer.session.timeout.ms')).toMatchObject({ value: '45000', configSource: 5 });
    const all = await describeConfigs(4, [resource(TOPIC, 'cfg'), resource(3, 'x')]);
    expect(all.map((r) => [r.resourceName, r.errorCode, r.configs.length])).toEqual([
      ['cfg', ErrorCode.INVALID_REQUEST, 0],
      ['x', ErrorCode.INVALID_REQUEST, 0],
    ]);
  });
});

describe('AlterConfigs', () => {
  async function alter(version: number, resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; value: string | null }> }>, validateOnly = false) {
    const res = await h.client.request<AlterConfigsResponse>(ApiKey.AlterConfigs, version, { ...defaultAlterConfigsRequest(), validateOnly, resources });
    return res.responses;
  }

  it('v0 replaces every override of a topic', async () => {
    await createTopic(h.client, 'ac', 1, { 'retention.ms': '1000', 'segment.ms': '5000' });
    const res = await alter(0, [{ resourceType: TOPIC, resourceName: 'ac', configs: [{ name: 'retention.ms', value: '2000' }] }]);
    expect(res).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'ac' }]);
    expect(await topicValue('ac', 'retention.ms')).toEqual({ value: '2000', configSource: 1 });
    expect((await topicValue('ac', 'segment.ms'))!.configSource).toBe(5);
  });

  it('v1 validateOnly changes nothing; bad values, unknown topics and malformed resources are refused', async () => {
    await createTopic(h.client, 'ac-dry', 1, { 'retention.ms': '1000' });
    const dry = await alter(1, [{ resourceType: TOPIC, resourceName: 'ac-dry', configs: [{ name: 'retention.ms', value: '9' }] }], true);
    expect(dry[0]!.errorCode).toBe(0);
    expect((await topicValue('ac-dry', 'retention.ms'))!.value).toBe('1000');

    const res = await alter(1, [
      { resourceType: TOPIC, resourceName: 'ac-dry', configs: [{ name: 'retention.ms', value: 'later' }] },
      { resourceType: TOPIC, resourceName: 'ac-none', configs: [{ name: 'retention.ms', value: '5' }] },
      { resourceType: TOPIC, resourceName: 'ac-twice', configs: [] },
      { resourceType: TOPIC, resourceName: 'ac-twice', configs: [] },
      { resourceType: TOPIC, resourceName: 'ac-keys', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] },
      { resourceType: TOPIC, resourceName: 'ac-null', configs: [{ name: 'retention.ms', value: null }] },
      { resourceType: TOPIC, resourceName: '', configs: [] },
    ]);
    expect(res[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(res.slice(1).map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['ac-none', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'ac-none' does not exist."],
      ['ac-twice', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ['ac-twice', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ['ac-keys', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      ['ac-null', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'],
      ['', ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.'],
    ]);
  });

  it('v2 refuses static broker settings, accepts an empty change, and refuses other broker ids and loggers', async () => {
    const res = await alter(2, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', value: '1' }, { name: 'num.partitions', value: '3' }] },
      { resourceType: BROKER, resourceName: '', configs: [] },
      { resourceType: BROKER, resourceName: '7', configs: [] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
    ]);
    expect(res.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [num.partitions]'],
      [ErrorCode.NONE, null],
      [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 7'],
      [ErrorCode.INVALID_REQUEST, 'Unknown resource type 8'],
    ]);
  });
});

describe('IncrementalAlterConfigs', () => {
  async function incremental(version: number, resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; configOperation: number; value: string | null }> }>, validateOnly = false) {
    const res = await h.client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, version, {
      ...defaultIncrementalAlterConfigsRequest(),
      validateOnly,
      resources,
    });
    return res.responses;
  }

  it('v0 sets, appends to and subtracts from list settings, and deletes overrides', async () => {
    await createTopic(h.client, 'iac', 1, { 'segment.ms': '5000' });
    const first = await incremental(0, [{
      resourceType: TOPIC,
      resourceName: 'iac',
      configs: [
        { name: 'retention.ms', configOperation: SET, value: '4000' },
        { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
      ],
    }]);
    expect(first).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'iac' }]);
    expect(await topicValue('iac', 'retention.ms')).toEqual({ value: '4000', configSource: 1 });
    expect(await topicValue('iac', 'cleanup.policy')).toEqual({ value: 'delete,compact', configSource: 1 });
    expect((await topicValue('iac', 'segment.ms'))!.value).toBe('5000');

    const second = await incremental(1, [{
      resourceType: TOPIC,
      resourceName: 'iac',
      configs: [
        { name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' },
        { name: 'retention.ms', configOperation: DELETE, value: null },
      ],
    }]);
    expect(second[0]!.errorCode).toBe(0);
    expect((await topicValue('iac', 'cleanup.policy'))!.value).toBe('compact');
    expect((await topicValue('iac', 'retention.ms'))!.configSource).toBe(5);
  });

  it('refuses APPEND to a non-list setting, null values and unknown topics; validateOnly changes nothing', async () => {
    await createTopic(h.client, 'iac-b', 1);
    const res = await incremental(1, [
      { resourceType: TOPIC, resourceName: 'iac-b', configs: [{ name: 'retention.ms', configOperation: APPEND, value: '5' }] },
      { resourceType: TOPIC, resourceName: 'iac-c', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }] },
      { resourceType: TOPIC, resourceName: 'iac-d', configs: [{ name: 'retention.ms', configOperation: SET, value: null }] },
    ]);
    expect(res.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'iac-c' does not exist."],
      [ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'],
    ]);
    const dry = await incremental(0, [{ resourceType: TOPIC, resourceName: 'iac-b', configs: [{ name: 'retention.ms', configOperation: SET, value: '77' }] }], true);
    expect(dry[0]!.errorCode).toBe(0);
    expect((await topicValue('iac-b', 'retention.ms'))!.configSource).toBe(5);
  });

  it('broker resources: DELETE of an unset setting is a no-op, static settings are refused', async () => {
    const res = await incremental(1, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }] },
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'num.partitions', configOperation: SET, value: '5' }] },
      { resourceType: BROKER, resourceName: 'x', configs: [] },
    ]);
    expect(res.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.NONE, null],
      [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [num.partitions]'],
      [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
    ]);
  });
});
