/**
 * One cluster scenario against a 3-broker Skiff and a 3-node Apache Kafka (KRaft, loopback,
 * test/compat/kafka/kafka-cluster.sh), with the results compared: Kafka's VerifiableProducer
 * (idempotent, acks=all) sends while the leader of partition 0 stops; the broker starts again,
 * rejoins the ISR, and kafka-leader-election gives it back its partition. Every acknowledged
 * record must be stored once, at its offset, in order, on both. Only when asked, by
 * `make compat-cluster` (its own vitest config: three JVMs take about a minute to start).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';

const KAFKA_SH = resolve('test/compat/kafka/kafka.sh');
const KAFKA_CLUSTER_SH = resolve('test/compat/kafka/kafka-cluster.sh');
const cache = process.env['KAFKA_CACHE'] ?? resolve('.cache/kafka/4.3.1');
const env = { ...process.env, KAFKA_CACHE: cache, KAFKA_CLUSTER_STATE: process.env['KAFKA_CLUSTER_STATE'] ?? resolve('.cache/kafka/cluster-compat') };
const run = promisify(execFile);
const RECORDS = 2000;

interface Target {
  bootstrap: string;
  stopBroker(id: number): Promise<void>;
  startBroker(id: number): Promise<void>;
}

interface Outcome {
  acked: number;
  lost: number;
  duplicated: number;
  misplaced: number;
  outOfOrder: number;
  election: string;
  preferredLeads: boolean;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`never: ${what}`);
}

async function scenario(target: Target, dir: string): Promise<Outcome> {
  const kafka = new Kafka({ brokers: target.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'cc', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    const p0 = async () => (await admin.fetchTopicMetadata({ topics: ['cc'] })).topics[0]!.partitions.find((p) => p.partitionId === 0)!;
    const { leader, replicas } = await p0();

    const props = join(dir, 'producer.properties');
    await writeFile(props, 'enable.idempotence=true\nacks=all\nretries=2147483647\ndelivery.timeout.ms=120000\n');
    const child = spawn(KAFKA_SH, ['tool', 'kafka-run-class', 'org.apache.kafka.tools.VerifiableProducer', '--bootstrap-server', target.bootstrap, '--topic', 'cc', '--max-messages', String(RECORDS), '--throughput', '1000', '--acks', '-1', '--command-config', props], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    while (!out.includes('producer_send_success') && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    await target.stopBroker(leader);
    expect(await exited).toBe(0);
    await target.startBroker(leader);
    await until('the restarted broker is back in the ISR of partition 0', async () => (await p0()).isr.includes(leader));

    const election = await run(KAFKA_SH, ['tool', 'kafka-leader-election', '--bootstrap-server', target.bootstrap, '--election-type', 'PREFERRED', '--topic', 'cc', '--partition', '0'], { env, timeout: 60_000 });
    const preferredLeads = (await p0()).leader === replicas[0];

    const acked = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { name: string; partition?: number; offset?: number; value?: string }).filter((e) => e.name === 'producer_send_success');
    const stored = new Map<number, Array<{ offset: string; value: string }>>([[0, []], [1, []], [2, []]]);
    const consumer = kafka.consumer({ groupId: 'cc-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'cc', fromBeginning: true });
    let count = 0;
    await consumer.run({ eachMessage: async ({ partition, message }) => {
      stored.get(partition)!.push({ offset: message.offset, value: message.value!.toString() });
      count++;
    } });
    await until('every acknowledged record was read', async () => count >= acked.length, 60_000).catch(() => undefined);
    await consumer.disconnect();

    let lost = 0;
    let duplicated = 0;
    let misplaced = 0;
    let outOfOrder = 0;
    for (const [p, records] of stored) {
      const values = records.map((r) => r.value);
      duplicated += values.length - new Set(values).size;
      const mine = acked.filter((e) => e.partition === p);
      const at = new Map(records.map((r) => [r.offset, r.value]));
      for (const e of mine) if (!values.includes(e.value!)) lost++;
      for (const e of mine) if (values.includes(e.value!) && at.get(String(e.offset)) !== e.value) misplaced++;
      const order = values.filter((v) => mine.some((e) => e.value === v));
      for (let i = 1; i < order.length; i++) if (Number(order[i]) < Number(order[i - 1])) outOfOrder++;
    }
    const said = election.stdout.includes('Successfully completed leader election') ? 'elected' : election.stdout.includes('Valid replica already elected') ? 'not needed' : election.stdout.trim();
    return { acked: acked.length, lost, duplicated, misplaced, outOfOrder, election: said, preferredLeads };
  } finally {
    await admin.disconnect();
  }
}

describe('a cluster scenario against Skiff and a 3-node Kafka', () => {
  let dir: string;
  let skiff: RunningCluster;
  let kafkaBootstrap: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cluster-compat-'));
    skiff = await startBroker({ brokers: 3, dataDir: join(dir, 'skiff'), config: { 'replica.fetch.wait.max.ms': 50 } });
    kafkaBootstrap = (await run(KAFKA_CLUSTER_SH, ['start'], { env, timeout: 300_000 })).stdout.trim();
  }, 330_000);

  afterAll(async () => {
    await skiff?.close();
    await run(KAFKA_CLUSTER_SH, ['stop'], { env, timeout: 120_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }, 150_000);

  it('keeps every acknowledged record across a leader restart and a preferred election, as Kafka does', async () => {
    const onSkiff = await scenario(
      { bootstrap: skiff.bootstrapServers, stopBroker: (id) => skiff.stopBroker(id), startBroker: (id) => skiff.startBroker(id) },
      dir,
    );
    const onKafka = await scenario(
      {
        bootstrap: kafkaBootstrap,
        stopBroker: (id) => run(KAFKA_CLUSTER_SH, ['stop-node', String(id)], { env, timeout: 60_000 }).then(() => undefined),
        startBroker: (id) => run(KAFKA_CLUSTER_SH, ['start-node', String(id)], { env, timeout: 180_000 }).then(() => undefined),
      },
      dir,
    );
    expect(onKafka).toEqual({ acked: RECORDS, lost: 0, duplicated: 0, misplaced: 0, outOfOrder: 0, election: 'elected', preferredLeads: true });
    expect(onSkiff).toEqual(onKafka);
  }, 600_000);
});
