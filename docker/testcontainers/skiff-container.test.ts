/**
 * SkiffContainer end to end: build nothing, start the image (SKIFF_IMAGE, default skiff:latest),
 * produce and consume with kafkajs. Skips with a message when no container runtime is reachable.
 * Run: npm test (in docker/testcontainers/), after `docker build -f docker/Dockerfile -t skiff .`
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { SkiffContainer, containerRuntimeAvailable } from './skiff-container.ts';

const require = createRequire(import.meta.url);
const available = await containerRuntimeAvailable();
const SKIP = available ? false : 'no container runtime (Docker engine) reachable: SkiffContainer test skipped';
if (SKIP) console.log(`# ${SKIP}`);

test('SkiffContainer: produce and consume through the mapped port', { skip: SKIP, timeout: 180_000 }, async () => {
  // kafkajs comes from the repository's devDependencies.
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const skiff = await new SkiffContainer().withConfig('num.partitions', 2).start();
  try {
    const kafka = new Kafka({ brokers: [skiff.getBootstrapServers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const [md] = await producer.send({ topic: 'tc-smoke', messages: [{ key: 'k', value: 'v' }] });
    await producer.disconnect();
    assert.equal(md!.errorCode, 0);
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['tc-smoke'] });
    await admin.disconnect();
    assert.equal(meta.topics[0]!.partitions.length, 2);
  } finally {
    await skiff.stop();
  }
});
