/** Kafka's value checks on settings Skiff keeps without acting on them, and the generated table. */
import { describe, expect, it } from 'vitest';
import { KAFKA_BROKER_KEYS, KAFKA_GROUP_KEYS, KAFKA_TOPIC_KEYS, kafkaValueProblem } from '../../../src/config/kafka-keys.js';
import { BROKER_CONFIGS } from '../../../src/config/broker-configs.js';
import { TOPIC_CONFIGS } from '../../../src/config/topic-configs.js';
import { dynamicBrokerProblem } from '../../../src/config/dynamic-broker.js';
import { groupConfigProblem } from '../../../src/config/group-configs.js';

const key = (name: string) => KAFKA_BROKER_KEYS.get(name)!;

describe('kafkaValueProblem', () => {
  it('checks types and ranges with Kafka ConfigDef messages', () => {
    expect(kafkaValueProblem(key('num.io.threads'), '4')).toBeUndefined();
    expect(kafkaValueProblem(key('num.io.threads'), '0')).toBe('Value must be at least 1');
    expect(kafkaValueProblem(key('num.io.threads'), '2147483648')).toBe('Not a number of type INT');
    expect(kafkaValueProblem(key('log.retention.ms'), '9223372036854775807')).toBeUndefined();
    expect(kafkaValueProblem(key('log.retention.ms'), '9223372036854775808')).toBe('Not a number of type LONG');
    expect(kafkaValueProblem(key('auto.create.topics.enable'), 'TRUE')).toBeUndefined();
    expect(kafkaValueProblem(key('auto.create.topics.enable'), 'yes')).toBe('Expected value to be either true or false');
    expect(kafkaValueProblem(KAFKA_TOPIC_KEYS.get('min.cleanable.dirty.ratio')!, '1.5')).toBe('Value must be no more than 1.0');
  });
});

describe('the generated table', () => {
  it('holds Kafka 4.3 settings for every setting Skiff reads', () => {
    expect(KAFKA_BROKER_KEYS.size).toBe(340);
    expect(KAFKA_TOPIC_KEYS.size).toBe(33);
    expect(KAFKA_GROUP_KEYS.size).toBe(17);
    for (const def of BROKER_CONFIGS) if (!def.name.startsWith('skiff.')) expect(KAFKA_BROKER_KEYS.has(def.name), def.name).toBe(true);
    for (const def of TOPIC_CONFIGS) expect(KAFKA_TOPIC_KEYS.has(def.name), def.name).toBe(true);
  });
});

describe('dynamic broker and group checks', () => {
  it('refuse static and per-broker-only settings, then bad values', () => {
    expect(dynamicBrokerProblem('broker', { 'log.retention.ms': '1000', 'num.io.threads': '4', listeners: 'PLAINTEXT://:9092' })).toBeUndefined();
    expect(dynamicBrokerProblem('default', { 'process.roles': 'broker', 'node.id': '2' })).toBe('Cannot update these configs dynamically: [process.roles, node.id]');
    expect(dynamicBrokerProblem('default', { 'log.cleanup.policy': 'delete', 'compression.type': 'zip' })).toMatch(/^Invalid value zip for configuration compression.type: /);
  });

  it('bound group settings by the broker settings named after them', () => {
    const broker = (name: string) => ({ 'group.share.min.record.lock.duration.ms': '15000', 'group.streams.max.standby.replicas': '2' })[name] ?? null;
    expect(groupConfigProblem({ 'share.record.lock.duration.ms': '10000' }, broker)).toBe(
      'share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms',
    );
    expect(groupConfigProblem({ 'streams.num.standby.replicas': '3' }, broker)).toBe('streams.num.standby.replicas must be less than or equal to group.streams.max.standby.replicas');
    expect(groupConfigProblem({ 'consumer.session.timeout.ms': '5000', 'consumer.heartbeat.interval.ms': '5000' }, () => null)).toBe(
      'consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms',
    );
    expect(groupConfigProblem({ 'streams.num.standby.replicas': '2' }, broker)).toBeUndefined();
  });
});
