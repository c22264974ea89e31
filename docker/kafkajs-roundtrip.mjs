// kafkajs against a Skiff container: produces `count` messages to a topic and consumes them back
// with a consumer group, within 30 s. Used by docker/test.sh and docker/testcontainers-check.mjs.
//   node docker/kafkajs-roundtrip.mjs BROKER TOPIC COUNT
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const TIMEOUT_MS = 30_000;

/** Resolves with the number of this run's messages read back; throws on a timeout. */
export async function roundTrip(broker, topic, count) {
  const run = randomUUID();
  const kafka = new Kafka({ clientId: 'skiff-docker-test', brokers: [broker], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${run}:${i}` }));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `skiff-docker-test-${run}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read back ${seen.size} of ${count} messages from ${topic}`)), TIMEOUT_MS);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const value = message.value?.toString() ?? '';
            if (value.startsWith(`${run}:`)) seen.add(value);
            if (seen.size === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return seen.size;
  } finally {
    await consumer.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [broker, topic, count] = process.argv.slice(2);
  const consumed = await roundTrip(broker, topic, Number(count));
  process.stdout.write(`kafkajs: produced and consumed ${consumed} messages on ${topic}\n`);
}
