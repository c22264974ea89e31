import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenerSecurity } from '../../../src/config/security.js';
import {
  BROKER_CONFIGS,
  CONFIG_SOURCE,
  LONG_MAX,
  TOPIC_CONFIGS,
  advertisedEndpoint,
  describeBrokerConfigs,
  describeTopicConfigs,
  effectiveTopicConfigs,
  loadBrokerConfig,
  parseListeners,
  parseTopicConfigs,
  resolveConfig,
  topicDefaults,
} from '../../../src/config.js';
import { captureLogger } from '../server/helpers.js';
import { ConfigError } from '../../../src/errors.js';

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-config-'));
  const path = join(dir, 'skiff.yaml');
  await writeFile(path, text);
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('broker config defaults', () => {
  const { values, explicit } = resolveConfig([]);

  it("uses Kafka's defaults where Skiff does not deliberately differ", () => {
    expect(values['socket.request.max.bytes']).toBe(104_857_600);
    expect(values['message.max.bytes']).toBe(1_048_588);
    expect(values['num.partitions']).toBe(1);
    expect(values['default.replication.factor']).toBe(1);
    expect(values['auto.create.topics.enable']).toBe(true);
    expect(values['log.retention.hours']).toBe(168);
    expect(values['log.retention.ms']).toBeNull();
    expect(values['log.retention.bytes']).toBe(-1);
    expect(values['log.segment.bytes']).toBe(1_073_741_824);
    expect(values['log.roll.hours']).toBe(168);
    expect(values['log.index.interval.bytes']).toBe(4096);
    expect(values['log.flush.interval.messages']).toBe(LONG_MAX);
    expect(values['log.flush.interval.ms']).toBeNull();
    expect(values['offsets.topic.num.partitions']).toBe(50);
    expect(values['offsets.retention.minutes']).toBe(10_080);
    expect(values['group.min.session.timeout.ms']).toBe(6000);
    expect(values['group.max.session.timeout.ms']).toBe(1_800_000);
    expect(values['transaction.max.timeout.ms']).toBe(900_000);
    expect(values['transaction.state.log.num.partitions']).toBe(50);
    expect(values['log.cleaner.min.cleanable.ratio']).toBe(0.5);
    expect(values['log.cleanup.policy']).toEqual(['delete']);
    expect(values['node.id']).toBe(1);
    expect(values['max.connections']).toBe(2_147_483_647);
    expect(values['max.connections.per.ip']).toBe(2_147_483_647);
    expect(values['max.connections.per.ip.overrides']).toBe('');
    expect(values['connections.max.idle.ms']).toBe(600_000);
  });

  it('differs from Kafka where a dev broker should', () => {
    expect(values.listeners).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(values['log.dirs']).toEqual(['./data']);
    expect(values['group.initial.rebalance.delay.ms']).toBe(0);
    expect(values['skiff.memory']).toBe(false);
    expect(values['skiff.fsync.on.ack']).toBe(false);
    // Kafka: -1 (unbounded).
    expect(values['queued.max.request.bytes']).toBe(209_715_200);
    expect(explicit.size).toBe(0);
  });

  it('checks the connection and request memory settings as Kafka does', () => {
    const layer = (v: Record<string, unknown>) => [{ source: 'test', values: v }];
    expect(errorOf(() => resolveConfig(layer({ 'queued.max.request.bytes': 1000 }))).message).toMatch(
      /queued.max.request.bytes.*must be larger or equal to socket.request.max.bytes/,
    );
    expect(resolveConfig(layer({ 'queued.max.request.bytes': -1 })).values['queued.max.request.bytes']).toBe(-1);
    expect(resolveConfig(layer({ 'socket.request.max.bytes': 500_000_000 })).values['queued.max.request.bytes']).toBe(209_715_200);
    expect(errorOf(() => resolveConfig(layer({ 'max.connections.per.ip': 0 }))).key).toBe('max.connections.per.ip');
    expect(resolveConfig(layer({ 'max.connections.per.ip': 0, 'max.connections.per.ip.overrides': '10.0.0.1:5' })).values['max.connections.per.ip']).toBe(0);
    expect(errorOf(() => resolveConfig(layer({ 'max.connections.per.ip.overrides': 'nocount' }))).key).toBe('max.connections.per.ip.overrides');
    expect(errorOf(() => resolveConfig(layer({ 'max.connections': -1 }))).key).toBe('max.connections');
    const described = describeBrokerConfigs(resolveConfig(layer({ 'max.connections': 5 })), ['max.connections', 'queued.max.request.bytes']);
    expect(described.map((d) => [d.name, d.value, d.source])).toEqual([
      ['max.connections', '5', CONFIG_SOURCE.STATIC_BROKER_CONFIG],
      ['queued.max.request.bytes', '209715200', CONFIG_SOURCE.DEFAULT_CONFIG],
    ]);
  });

  it('has one entry per name in each table', () => {
    expect(new Set(BROKER_CONFIGS.map((d) => d.name)).size).toBe(BROKER_CONFIGS.length);
    expect(new Set(TOPIC_CONFIGS.map((d) => d.name)).size).toBe(TOPIC_CONFIGS.length);
    for (const def of TOPIC_CONFIGS) {
      for (const s of def.synonyms) expect(BROKER_CONFIGS.some((b) => b.name === s.name), `${def.name} <- ${s.name}`).toBe(true);
    }
  });
});

describe('loading from YAML', () => {
  it('reads flat Kafka property names', async () => {
    const file = await yamlFile('log.retention.ms: 1000\nnum.partitions: 4\nauto.create.topics.enable: false\n');
    const { values, explicit } = await loadBrokerConfig({ file });
    expect(values['log.retention.ms']).toBe(1000);
    expect(values['num.partitions']).toBe(4);
    expect(values['auto.create.topics.enable']).toBe(false);
    expect([...explicit].sort()).toEqual(['auto.create.topics.enable', 'log.retention.ms', 'num.partitions']);
  });

  it('flattens nested maps into property names', async () => {
    const file = await yamlFile(
      ['log:', '  retention:', '    ms: 1000', '    bytes: 2048', '  segment.bytes: 4096', 'group:', '  initial.rebalance.delay.ms: 250', ''].join('\n'),
    );
    const { values } = await loadBrokerConfig({ file });
    expect(values['log.retention.ms']).toBe(1000);
    expect(values['log.retention.bytes']).toBe(2048);
    expect(values['log.segment.bytes']).toBe(4096);
    expect(values['group.initial.rebalance.delay.ms']).toBe(250);
  });

  it('parses server.properties-style strings per type', async () => {
    const file = await yamlFile(
      [
        'log.retention.ms: "1000"',
        'auto.create.topics.enable: "FALSE"',
        'log.cleaner.min.cleanable.ratio: "0.25"',
        'log.cleanup.policy: "compact, delete"',
        'log.dirs: /var/skiff',
        'log.flush.interval.messages: 9223372036854775807',
        'log.message.timestamp.type: logappendtime',
        '',
      ].join('\n'),
    );
    const { values } = await loadBrokerConfig({ file });
    expect(values['log.retention.ms']).toBe(1000);
    expect(values['auto.create.topics.enable']).toBe(false);
    expect(values['log.cleaner.min.cleanable.ratio']).toBe(0.25);
    expect(values['log.cleanup.policy']).toEqual(['compact', 'delete']);
    expect(values['log.dirs']).toEqual(['/var/skiff']);
    expect(values['log.flush.interval.messages']).toBe(LONG_MAX);
    expect(values['log.message.timestamp.type']).toBe('LogAppendTime');
  });

  it('warns about unknown keys through the logger and goes on', async () => {
    const log = captureLogger('warn');
    const file = await yamlFile('num.partitions: 2\nlog.retention.msec: 5\nretention.ms: 7\n');
    const { values } = await loadBrokerConfig({ file, logger: log.logger });
    expect(values['num.partitions']).toBe(2);
    expect(log.lines.map((l) => l.key)).toEqual(['log.retention.msec', 'retention.ms']);
    expect(log.lines.every((l) => l.level === 40 && l.source === file)).toBe(true);
    expect(log.lines[1]!.msg).toContain('retention.ms is a topic setting; the broker-wide default is log.retention.ms');
  });

  it('keeps Kafka settings Skiff does not act on, checked as Kafka checks them, and describes them as given', async () => {
    const log = captureLogger('warn');
    const file = await yamlFile('num.io.threads: 4\nbackground.threads: 3\n');
    const config = await loadBrokerConfig({ file, logger: log.logger });
    expect(log.lines).toEqual([]);
    expect(describeBrokerConfigs(config, ['num.io.threads']).map((d) => [d.value, d.source])).toEqual([['4', CONFIG_SOURCE.STATIC_BROKER_CONFIG]]);
    const bad = await yamlFile('num.io.threads: 0\n');
    await expect(loadBrokerConfig({ file: bad })).rejects.toThrow(`config num.io.threads (from ${bad}): Value must be at least 1`);
  });

  it('names the key, the expected type and the value for a wrong type', async () => {
    const file = await yamlFile('log.retention.ms: soon\n');
    await expect(loadBrokerConfig({ file })).rejects.toThrow(
      `config log.retention.ms (from ${file}): expected long (an integer), got "soon" (string)`,
    );
  });

  it('rejects the same key given flat and nested', async () => {
    const file = await yamlFile('log.retention.ms: 1\nlog:\n  retention:\n    ms: 2\n');
    await expect(loadBrokerConfig({ file })).rejects.toThrow('config log.retention.ms (from ' + file + '): given twice');
  });

  it('reports unreadable files and bad YAML with the path', async () => {
    await expect(loadBrokerConfig({ file: '/nonexistent/skiff.yaml' })).rejects.toThrow('cannot read config file /nonexistent/skiff.yaml');
    const file = await yamlFile('a: [1,\n');
    await expect(loadBrokerConfig({ file })).rejects.toThrow(`config file ${file} is not valid YAML`);
  });

  it('applies settings over the file and shorthands over both', async () => {
    const file = await yamlFile('num.partitions: 2\nlisteners: PLAINTEXT://0.0.0.0:19092\nlog.dirs: /from/file\n');
    const config = await loadBrokerConfig({
      file,
      settings: { num: { partitions: 5 } },
      port: 0,
      dataDir: '/from/flag',
      memory: true,
    });
    expect(config.values['num.partitions']).toBe(5);
    expect(config.values.listeners).toBe('PLAINTEXT://0.0.0.0:0');
    expect(config.values['log.dirs']).toEqual(['/from/flag']);
    expect(config.values['skiff.memory']).toBe(true);
  });
});

describe('value validation', () => {
  const layer = (values: Record<string, unknown>) => [{ source: 'test', values }];

  it.each([
    ['num.partitions', 1.5, 'expected int (a 32-bit integer), got 1.5 (number)'],
    ['num.partitions', 0, 'must be at least 1, got 0'],
    ['num.partitions', '3000000000', 'expected int (a 32-bit integer), got "3000000000" (string)'],
    ['offsets.topic.replication.factor', 40_000, 'expected short (a 16-bit integer), got 40000 (number)'],
    ['auto.create.topics.enable', 'yes', 'expected boolean (true or false), got "yes" (string)'],
    ['log.cleanup.policy', 'shred', 'expected one of delete, compact, got "shred" (string)'],
    ['compression.type', 'brotli', 'expected one of uncompressed, zstd, lz4, snappy, gzip, producer, got "brotli" (string)'],
    ['log.cleaner.min.cleanable.ratio', 2, 'must be at most 1, got 2'],
    ['num.partitions', null, 'expected int (a 32-bit integer), got null'],
    ['log.retention.ms', '99999999999999999999', 'within ±9007199254740991 or 9223372036854775807'],
    ['listeners', 'localhost:9092', '"localhost:9092" is not NAME://host:port'],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,EXTERNAL:TLS', '"EXTERNAL:TLS" is not LISTENER_NAME:PROTOCOL'],
    ['connection.failed.authentication.delay.ms', '-5', 'expected a non-negative integer'],
  ])('%s = %j is refused: %s', (key, value, message) => {
    const err = errorOf(() => resolveConfig(layer({ [key]: value })));
    expect(err.key).toBe(key);
    expect(err.message).toContain(message);
  });

  it('keeps security settings as given, for each listener to resolve with its overrides first', () => {
    const config = resolveConfig(
      layer({
        listeners: 'PLAINTEXT://127.0.0.1:9092,EXTERNAL://127.0.0.1:9093',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,EXTERNAL:SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.external.sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
        'ssl.keystore.location': '/etc/kafka/broker.p12',
      }),
    );
    expect(config.values.listeners).toBe('PLAINTEXT://127.0.0.1:9092,EXTERNAL://127.0.0.1:9093');
    const external = listenerSecurity({ name: 'EXTERNAL', host: '127.0.0.1', port: 9093 }, config.security);
    expect(external.protocol).toBe('SASL_SSL');
    expect(external.mechanisms).toEqual(['SCRAM-SHA-512', 'PLAIN']);
    expect(external.get('ssl.keystore.location')).toBe('/etc/kafka/broker.p12');
    expect(listenerSecurity({ name: 'PLAINTEXT', host: '', port: 9092 }, config.security).protocol).toBe('PLAINTEXT');
  });

  it.each([
    ['listeners', 'EXTERNAL://127.0.0.1:9093', 'listener.security.protocol.map', 'no security protocol defined for listener EXTERNAL'],
    // Kafka's default mechanism is GSSAPI (Kerberos), which Skiff does not serve.
    ['listeners', 'SASL_PLAINTEXT://127.0.0.1:9094', 'sasl.enabled.mechanisms', 'GSSAPI is not one'],
  ])('%s = %j stops startup naming %s', (key, value, namedKey, message) => {
    const err = errorOf(() => resolveConfig(layer({ [key]: value })));
    expect(err.key).toBe(namedKey);
    expect(err.message).toContain(message);
  });

  it('reads nested security settings from a YAML file', async () => {
    const file = await yamlFile('ssl:\n  keystore:\n    location: /etc/kafka/broker.p12\n');
    expect((await loadBrokerConfig({ file })).security['ssl.keystore.location']).toBe('/etc/kafka/broker.p12');
  });

  it('accepts null for settings that default to null', () => {
    expect(resolveConfig(layer({ 'log.retention.ms': null })).values['log.retention.ms']).toBeNull();
  });

  it('checks rules across settings', () => {
    const err = errorOf(() =>
      resolveConfig(layer({ 'group.min.session.timeout.ms': 10_000, 'group.max.session.timeout.ms': 5_000 })),
    );
    expect(err.message).toBe(
      'config group.min.session.timeout.ms: must not exceed group.max.session.timeout.ms (5000), got 10000',
    );
  });

  it("checks the consumer group session timeout and heartbeat interval against their bounds (Kafka's GroupCoordinatorConfig)", () => {
    expect(errorOf(() => resolveConfig(layer({ 'group.consumer.session.timeout.ms': 30_000 }))).message).toBe(
      'config group.consumer.session.timeout.ms: must be greater than or equal to group.consumer.min.session.timeout.ms',
    );
    expect(errorOf(() => resolveConfig(layer({ 'group.consumer.heartbeat.interval.ms': 20_000 }))).message).toBe(
      'config group.consumer.heartbeat.interval.ms: must be less than or equal to group.consumer.max.heartbeat.interval.ms',
    );
    expect(errorOf(() => resolveConfig(layer({ 'group.consumer.min.session.timeout.ms': 70_000 }))).message).toBe(
      'config group.consumer.max.session.timeout.ms: must be greater than or equal to group.consumer.min.session.timeout.ms',
    );
    const low = { 'group.consumer.min.session.timeout.ms': 1000, 'group.consumer.min.heartbeat.interval.ms': 1000 };
    expect(errorOf(() => resolveConfig(layer({ ...low, 'group.consumer.session.timeout.ms': 2000, 'group.consumer.heartbeat.interval.ms': 2000 }))).message).toBe(
      'config group.consumer.heartbeat.interval.ms: must be less than group.consumer.session.timeout.ms',
    );
    const ok = resolveConfig(layer({ ...low, 'group.consumer.session.timeout.ms': 3000, 'group.consumer.heartbeat.interval.ms': 1000 }));
    expect([ok.values['group.consumer.session.timeout.ms'], ok.values['group.consumer.heartbeat.interval.ms']]).toEqual([3000, 1000]);
  });
});

describe('listeners', () => {
  it('parses names, hosts (IPv6 too) and ports', () => {
    expect(parseListeners('PLAINTEXT://:9092, controller://[::1]:9093')).toEqual([
      { name: 'PLAINTEXT', host: '', port: 9092 },
      { name: 'CONTROLLER', host: '::1', port: 9093 },
    ]);
  });

  it('advertises advertised.listeners, else the bound listener with a dialable host', () => {
    const bound = resolveConfig([{ source: 't', values: { listeners: 'PLAINTEXT://0.0.0.0:9092' } }]);
    expect(advertisedEndpoint(bound.values)).toEqual({ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 });
    const adv = resolveConfig([
      { source: 't', values: { listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://kafka:29092' } },
    ]);
    expect(advertisedEndpoint(adv.values)).toEqual({ name: 'PLAINTEXT', host: 'kafka', port: 29092 });
  });
});

describe('topic configs', () => {
  it('take broker synonyms, scaled to the topic unit, in precedence order', () => {
    expect(topicDefaults(resolveConfig([]).values)['retention.ms']).toBe(168 * 3_600_000);
    const minutes = resolveConfig([{ source: 't', values: { 'log.retention.minutes': 10, 'log.retention.hours': 1 } }]);
    expect(topicDefaults(minutes.values)['retention.ms']).toBe(600_000);
    const ms = resolveConfig([{ source: 't', values: { 'log.retention.ms': 1234, 'log.retention.minutes': 10 } }]);
    expect(topicDefaults(ms.values)['retention.ms']).toBe(1234);
    const forever = resolveConfig([{ source: 't', values: { 'log.retention.hours': -1 } }]);
    expect(topicDefaults(forever.values)['retention.ms']).toBe(-1);
  });

  it('map the broker defaults onto topic names', () => {
    const d = topicDefaults(
      resolveConfig([{ source: 't', values: { 'log.segment.bytes': 1_000_000, 'message.max.bytes': 5000, 'log.roll.ms': 60_000 } }]).values,
    );
    expect(d['segment.bytes']).toBe(1_000_000);
    expect(d['max.message.bytes']).toBe(5000);
    expect(d['segment.ms']).toBe(60_000);
    expect(d['cleanup.policy']).toEqual(['delete']);
    expect(d['message.timestamp.type']).toBe('CreateTime');
    expect(d['flush.ms']).toBe(LONG_MAX);
    expect(d['min.insync.replicas']).toBe(1);
  });

  it('parse topic-level strings and refuse unknown names', () => {
    expect(parseTopicConfigs({ 'retention.ms': '5000', 'cleanup.policy': 'compact' })).toEqual({
      'retention.ms': 5000,
      'cleanup.policy': ['compact'],
    });
    expect(errorOf(() => parseTopicConfigs({ 'retention.msec': '1' })).message).toBe('config retention.msec: unknown topic config');
    const config = resolveConfig([]);
    expect(effectiveTopicConfigs({ 'retention.ms': 5 }, config)['retention.ms']).toBe(5);
  });

  it('describe with sources and synonyms in Kafka order', () => {
    const config = resolveConfig([{ source: 't', values: { 'log.retention.minutes': 30 } }]);
    const [retention] = describeTopicConfigs({ 'retention.ms': 5000 }, config, ['retention.ms']);
    expect(retention).toMatchObject({ name: 'retention.ms', value: '5000', source: CONFIG_SOURCE.TOPIC_CONFIG, readOnly: false });
    // Kafka's synonyms start at the primary broker name (log.retention.ms), which has no value
    // here: the ones before it (log.retention.minutes, log.retention.hours) are dropped.
    expect(retention!.synonyms).toEqual([{ name: 'retention.ms', value: '5000', source: CONFIG_SOURCE.TOPIC_CONFIG }]);
    const [segment] = describeTopicConfigs({}, config, ['segment.bytes']);
    expect(segment!.synonyms).toEqual([{ name: 'log.segment.bytes', value: '1073741824', source: CONFIG_SOURCE.DEFAULT_CONFIG }]);
    const [inherited] = describeTopicConfigs({}, config, ['retention.ms']);
    expect(inherited).toMatchObject({ value: '1800000', source: CONFIG_SOURCE.DEFAULT_CONFIG, synonyms: [] });
    const [flush] = describeTopicConfigs({}, config, ['flush.messages']);
    expect(flush).toMatchObject({ value: '9223372036854775807', source: CONFIG_SOURCE.DEFAULT_CONFIG, typeCode: 5 });
    const withMs = resolveConfig([{ source: 't', values: { 'log.retention.ms': 60_000 } }]);
    expect(describeTopicConfigs({}, withMs, ['retention.ms'])[0]!.synonyms).toEqual([
      { name: 'log.retention.ms', value: '60000', source: CONFIG_SOURCE.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: CONFIG_SOURCE.DEFAULT_CONFIG },
    ]);
  });

  it('broker settings describe with static or default source, read-only where Kafka has them static', () => {
    const config = resolveConfig([{ source: 't', values: { 'num.partitions': 3 } }]);
    const described = describeBrokerConfigs(config, ['num.partitions', 'log.retention.ms', 'log.cleanup.policy', 'node.id']);
    // Read-only is Kafka's: log.* settings change at runtime, node.id and num.partitions do not.
    expect(described.map((d) => [d.name, d.value, d.source, d.readOnly])).toEqual([
      ['log.cleanup.policy', 'delete', CONFIG_SOURCE.DEFAULT_CONFIG, false],
      ['log.retention.ms', null, CONFIG_SOURCE.DEFAULT_CONFIG, false],
      ['node.id', '1', CONFIG_SOURCE.DEFAULT_CONFIG, true],
      ['num.partitions', '3', CONFIG_SOURCE.STATIC_BROKER_CONFIG, true],
    ]);
  });
});
