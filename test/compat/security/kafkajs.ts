/**
 * kafkajs against the security profile: kafkajs.ts <bootstrap> <target>, client "kafkajs".
 * SASL PLAIN and SCRAM on SASL_PLAINTEXT and SASL_SSL, TLS with the test CA (and a client
 * certificate on the mTLS listener); errors are results where the scenario is about the error.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { bootstrap, runScenarios, waitFor } from '../lib/harness.js';

const { Kafka, logLevel } = kafkajs;
const listeners = Object.fromEntries(process.env.COMPAT_LISTENERS!.split(',').map((e) => e.split('=') as [string, string]));
const certs = process.env.COMPAT_CERTS!;
const ca = readFileSync(`${certs}/ca.pem`, 'utf8');

function client(over: Partial<KafkaConfig>): InstanceType<typeof Kafka> {
  return new Kafka({ brokers: [bootstrap], clientId: 'skiff-compat-security-kafkajs', logLevel: logLevel.NOTHING, retry: { retries: 2 }, ...over });
}
const sasl = (mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', password = 'alice-secret'): SASLOptions => ({ mechanism, username: 'alice', password }) as SASLOptions;

/** Three keyed records in (acks=all), then read back by a consumer group from the start. */
async function produceConsume(kafka: InstanceType<typeof Kafka>, topic: string): Promise<unknown> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const sent = await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: topic });
  const got: unknown[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push([message.offset, String(message.key), String(message.value)]) });
    await waitFor(() => got.length >= 3, 20_000, 'three records');
  } finally {
    await consumer.disconnect();
  }
  return { sent: sent.map((r) => ({ partition: r.partition, baseOffset: r.baseOffset, errorCode: r.errorCode })), consumed: got };
}

/** The error a client with these settings gets when it connects an admin: its class and text. */
async function connectError(kafka: InstanceType<typeof Kafka>): Promise<unknown> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return { error: null };
  } catch (err) {
    const e = err as Error & { type?: string };
    return { error: e.name, type: e.type, message: e.message };
  } finally {
    await admin.disconnect();
  }
}

const version = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version;

await runScenarios({
  client: 'kafkajs',
  versions: { kafkajs: version },
  scenarios: {
    'sec-kafkajs-plain': () => produceConsume(client({ sasl: sasl('plain') }), 'sec-kafkajs-plain'),
    'sec-kafkajs-scram-sha-256': () => produceConsume(client({ sasl: sasl('scram-sha-256') }), 'sec-kafkajs-scram-256'),
    'sec-kafkajs-scram-sha-512': () => produceConsume(client({ sasl: sasl('scram-sha-512') }), 'sec-kafkajs-scram-512'),
    'sec-kafkajs-ssl': () => produceConsume(client({ brokers: [listeners.SSL!], ssl: { ca } }), 'sec-kafkajs-ssl'),
    'sec-kafkajs-mtls': () =>
      produceConsume(
        client({ brokers: [listeners.MTLS!], ssl: { ca, cert: readFileSync(`${certs}/client-cert.pem`), key: readFileSync(`${certs}/client.key`) } }),
        'sec-kafkajs-mtls',
      ),
    'sec-kafkajs-sasl-ssl-scram': () => produceConsume(client({ brokers: [listeners.SASL_SSL!], ssl: { ca }, sasl: sasl('scram-sha-512') }), 'sec-kafkajs-sasl-ssl'),
    'sec-kafkajs-denied-produce': async () => {
      const producer = client({ sasl: sasl('plain'), retry: { retries: 0 } }).producer();
      await producer.connect();
      try {
        await producer.send({ topic: 'sec-denied', acks: -1, messages: [{ value: 'v', partition: 0 }] });
        return { error: null };
      } catch (err) {
        const e = err as Error & { type?: string };
        return { error: e.name, type: e.type };
      } finally {
        await producer.disconnect();
      }
    },
    // The wrong protocol for the port: both brokers close the connection; the client says so.
    'sec-kafkajs-tls-to-sasl-plaintext': () => connectError(client({ ssl: { ca }, sasl: sasl('plain'), retry: { retries: 0 }, connectionTimeout: 5000 })),
    'sec-kafkajs-plaintext-to-ssl': () => connectError(client({ brokers: [listeners.SSL!], retry: { retries: 0 }, connectionTimeout: 5000 })),
    'sec-kafkajs-wrong-password-plain': () => connectError(client({ sasl: sasl('plain', 'wrong'), retry: { retries: 0 } })),
    'sec-kafkajs-wrong-password-scram': () => connectError(client({ sasl: sasl('scram-sha-256', 'wrong'), retry: { retries: 0 } })),
  },
});
