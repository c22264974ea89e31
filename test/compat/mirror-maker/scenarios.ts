/**
 * MirrorMaker 2 scenario (see scenarios.json). Run by ./run <bootstrap> <target>.
 *
 * The broker under test is the source; the harness's real Kafka (kafka.sh env with the runner's
 * KAFKA_STATE) is the target in both runs, so the runs compare Skiff -> Kafka with Kafka -> Kafka.
 * The runner runs both at once against the same target Kafka: every name MirrorMaker derives
 * from the source alias (mirrored topics, its Connect group and internal topics, the checkpoints
 * topic) and the consumer group therefore carry a per-target tag, and the result names them by
 * their role only.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaT } from 'kafkajs';
import { bootstrap, runScenarios, sleep, target } from '../lib/harness.js';

const { Kafka, logLevel } = kafkajs;
const HERE = dirname(fileURLToPath(import.meta.url));
const KAFKA_SH = join(HERE, '..', 'kafka', 'kafka.sh');
/** MirrorMaker's own log, kept beside the runner's raw results for digging into failures. */
const MM_LOG = join(HERE, '..', '..', '..', '.cache', 'compat', 'results', `mirror-maker-${target}.mm2.log`);

/** The source's cluster alias: "skiff" as the README's properties file has it; Kafka as source gets its own. */
const ALIAS = target === 'skiff' ? 'skiff' : 'apache';
const GROUP = `mm2-group-${target}`;
const TOPICS: Record<string, number> = { 'mm2-orders': 3, 'mm2-payments': 2 };
const FIRST = 12; // records per topic before MirrorMaker starts (the group consumes these)
const LATER = 5; // records per topic produced while MirrorMaker runs (the group resumes with these)

function targetBootstrap(): string {
  const env = execFileSync(KAFKA_SH, ['env'], { encoding: 'utf8' });
  const m = /^KAFKA_BOOTSTRAP=(.+)$/m.exec(env);
  if (!m) throw new Error('the target Kafka is not running (kafka.sh env has no KAFKA_BOOTSTRAP)');
  return m[1]!;
}

function client(brokers: string, id: string): KafkaT {
  return new Kafka({
    clientId: id,
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** The MirrorMaker 2 properties: the README's minimal file plus short intervals for a test. */
function mm2Properties(source: string, kafkaBootstrap: string): string {
  return [
    `clusters = ${ALIAS}, kafka`,
    `${ALIAS}.bootstrap.servers = ${source}`,
    `kafka.bootstrap.servers = ${kafkaBootstrap}`,
    `${ALIAS}->kafka.enabled = true`,
    `${ALIAS}->kafka.topics = ${Object.keys(TOPICS).join(', ')}`,
    `${ALIAS}->kafka.groups = ${GROUP}`,
    `${ALIAS}->kafka.emit.checkpoints.interval.seconds = 1`,
    `${ALIAS}->kafka.sync.group.offsets.enabled = true`,
    `${ALIAS}->kafka.sync.group.offsets.interval.seconds = 1`,
    // One offset sync per record: with fewer, a translated offset may lag behind (Kafka's
    // translation is conservative), and the scenario checks exact offsets.
    `${ALIAS}->kafka.offset.lag.max = 0`,
    // Both runs share the target; the Kafka-source run would otherwise mirror the heartbeats
    // topic the Skiff-source run writes there. Heartbeats play no part in the checks.
    'emit.heartbeats.enabled = false',
    'refresh.topics.interval.seconds = 2',
    'refresh.groups.interval.seconds = 2',
    // One broker on each side.
    'replication.factor = 1',
    'checkpoints.topic.replication.factor = 1',
    'heartbeats.topic.replication.factor = 1',
    'offset-syncs.topic.replication.factor = 1',
    'offset.storage.replication.factor = 1',
    'status.storage.replication.factor = 1',
    'config.storage.replication.factor = 1',
    '',
  ].join('\n');
}

type Rec = { partition: number; offset: string; key: string; value: string; headers: Record<string, string> };

/** Every record of `topics` up to the end offsets (a group-less read through a throwaway group). */
async function readAll(k: KafkaT, admin: Admin, topics: string[], groupId: string): Promise<Record<string, Rec[]>> {
  const ends = new Map<string, number>();
  for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${p.partition}`, Number(p.high));
  const want = [...ends.values()].reduce((a, b) => a + b, 0);
  const out: Record<string, Rec[]> = Object.fromEntries(topics.map((t) => [t, []]));
  if (want === 0) return out;
  const consumer = k.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let got = 0;
    await new Promise<void>((res, rej) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            out[topic]!.push(toRec(partition, message));
            if (++got === want) res();
          },
        })
        .catch(rej);
    });
  } finally {
    await consumer.disconnect();
  }
  for (const t of topics) out[t]!.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  return out;
}

function toRec(partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): Rec {
  const headers: Record<string, string> = {};
  for (const [h, v] of Object.entries(m.headers ?? {})) headers[h] = String(v);
  return { partition, offset: m.offset, key: String(m.key), value: String(m.value), headers };
}

async function produce(k: KafkaT, round: string, n: number): Promise<void> {
  // Idempotent: kafkajs retries a whole send when a just-created partition is not ready yet,
  // which would otherwise duplicate the records of the partitions that took it.
  const producer = k.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const topic of Object.keys(TOPICS)) {
      const messages = Array.from({ length: n }, (_, i) => ({
        key: `${topic}-key-${i % 7}`,
        value: `${topic} ${round} #${i}`,
        headers: { round },
      }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Committed offsets of `group` for `topics`, as {topic: [offset per partition]}. */
async function committed(admin: Admin, group: string, topics: string[]): Promise<Record<string, number[]>> {
  const res = await admin.fetchOffsets({ groupId: group, topics });
  return Object.fromEntries(res.map((t) => [t.topic, t.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset))]));
}

async function poll<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Starts MirrorMaker 2 through kafka.sh (which execs the JVM, so the pid is MirrorMaker's). */
function startMirrorMaker(props: string, logFile: string): ChildProcess {
  const out = openSync(logFile, 'w');
  return spawn(KAFKA_SH, ['tool', 'connect-mirror-maker', props], { stdio: ['ignore', out, out] });
}

async function stopMirrorMaker(mm: ChildProcess): Promise<void> {
  if (mm.exitCode !== null || mm.signalCode !== null || mm.pid === undefined) return;
  const exited = new Promise<void>((res) => mm.once('exit', () => res()));
  process.kill(mm.pid, 'SIGTERM');
  const killer = setTimeout(() => mm.pid !== undefined && mm.exitCode === null && process.kill(mm.pid, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

let running: ChildProcess | undefined;
// The harness's time limit abandons a scenario without unwinding it: stop MirrorMaker on exit too.
process.on('exit', () => {
  if (running?.pid !== undefined && running.exitCode === null) process.kill(running.pid, 'SIGKILL');
});

const t0 = Date.now();
/** Progress on stderr (kept in .cache/compat/results/mirror-maker-<target>.stderr). */
function step(what: string): void {
  process.stderr.write(`[mirror-maker@${target}] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);
}

async function skiffToKafka(): Promise<unknown> {
  const kafkaBootstrap = targetBootstrap();
  const src = client(bootstrap, 'skiff-compat-mm2-source');
  const dst = client(kafkaBootstrap, 'skiff-compat-mm2-target');
  const srcAdmin = src.admin();
  const dstAdmin = dst.admin();
  await srcAdmin.connect();
  await dstAdmin.connect();
  const work = mkdtempSync(join(tmpdir(), 'skiff-compat-mm2-'));
  const topics = Object.keys(TOPICS);
  const mirrored = topics.map((t) => `${ALIAS}.${t}`);
  try {
    await srcAdmin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: TOPICS[topic]! })) });
    await produce(src, 'first', FIRST);

    // The group reads everything produced so far and commits: that is where it left off.
    let firstTotal = 0;
    for (const t of topics) for (const p of await srcAdmin.fetchTopicOffsets(t)) firstTotal += Number(p.high);
    const groupConsumer = src.consumer({ groupId: GROUP });
    await groupConsumer.connect();
    let consumed = 0;
    try {
      for (const topic of topics) await groupConsumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((res, rej) => {
        groupConsumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
              for (const m of batch.messages) resolveOffset(m.offset);
              await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
              consumed += batch.messages.length;
              if (consumed >= firstTotal) res();
            },
          })
          .catch(rej);
      });
    } finally {
      await groupConsumer.disconnect();
    }
    const sourceOffsets = await committed(srcAdmin, GROUP, topics);
    step(`group committed ${JSON.stringify(sourceOffsets)}; starting MirrorMaker`);

    const props = join(work, 'mm2.properties');
    writeFileSync(props, mm2Properties(bootstrap, kafkaBootstrap));
    const mmLog = MM_LOG;
    mkdirSync(dirname(mmLog), { recursive: true });
    running = startMirrorMaker(props, mmLog);
    const mm = running;
    const resumed: (Rec & { topic: string })[] = [];
    let synced: Record<string, number[]>;
    let checkpointsTopic: boolean;
    try {
      const exitedEarly = () => {
        if (mm.exitCode !== null) throw new Error(`MirrorMaker exited (${mm.exitCode}): ${readFileSync(mmLog, 'utf8').slice(-800)}`);
      };
      // The group's offsets, translated to the mirrored topics, committed on Kafka by MirrorMaker.
      synced = await poll('synced group offsets on Kafka', 120_000, async () => {
        exitedEarly();
        const got = await committed(dstAdmin, GROUP, mirrored);
        return topics.every((t, i) => JSON.stringify(got[mirrored[i]!]) === JSON.stringify(sourceOffsets[t])) ? got : undefined;
      });
      step('group offsets synced on Kafka');
      checkpointsTopic = (await dstAdmin.listTopics()).includes(`${ALIAS}.checkpoints.internal`);
      // More records after the group left off: mirrored while MirrorMaker runs.
      await produce(src, 'later', LATER);
      const sourceEnds = async (a: Admin, names: string[]) =>
        JSON.stringify(await Promise.all(names.map(async (t) => (await a.fetchTopicOffsets(t)).sort((x, y) => x.partition - y.partition).map((p) => p.high))));
      const wantEnds = await sourceEnds(srcAdmin, topics);
      await poll('the later records on Kafka', 60_000, async () => {
        exitedEarly();
        return (await sourceEnds(dstAdmin, mirrored)) === wantEnds ? true : undefined;
      });
      step('later records mirrored');
    } finally {
      await stopMirrorMaker(mm);
      running = undefined;
      step('MirrorMaker stopped');
    }

    const source = await readAll(src, srcAdmin, topics, `mm2-verify-source-${target}`);
    const copy = await readAll(dst, dstAdmin, mirrored, `mm2-verify-target-${target}`);
    const same = topics.map((t, i) => JSON.stringify(source[t]) === JSON.stringify(copy[mirrored[i]!]));

    // A consumer in the group on Kafka picks up from the translated offsets: only the later records.
    const resume = dst.consumer({ groupId: GROUP, allowAutoTopicCreation: false });
    await resume.connect();
    try {
      for (const topic of mirrored) await resume.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((res, rej) => {
        resume
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              resumed.push({ topic: topic.replace(`${ALIAS}.`, '<alias>.'), ...toRec(partition, message) });
              if (resumed.length === LATER * topics.length) res();
            },
          })
          .catch(rej);
      });
      // Anything beyond the later records would show up here too.
      await sleep(1000);
    } finally {
      await resume.disconnect();
    }
    resumed.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(a.offset) - Number(b.offset));

    const described = await dstAdmin.fetchTopicMetadata({ topics: mirrored });
    return {
      mirroredTopics: Object.fromEntries(
        topics.map((t, i) => [
          t,
          {
            name: `<alias>.${t}`,
            partitions: described.topics.find((d) => d.name === mirrored[i])!.partitions.length,
            sameRecordsAsSource: same[i],
            records: copy[mirrored[i]!]!.length,
          },
        ]),
      ),
      sourceGroupOffsets: sourceOffsets,
      syncedGroupOffsetsOnKafka: Object.fromEntries(Object.entries(synced).map(([t, o]) => [t.replace(`${ALIAS}.`, '<alias>.'), o])),
      checkpointsTopic,
      resumedRecords: resumed,
      resumedOnlyLaterRecords: resumed.every((r) => r.headers.round === 'later'),
    };
  } finally {
    await srcAdmin.disconnect();
    await dstAdmin.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

await runScenarios({
  client: 'mirror-maker',
  versions: { 'connect-mirror': process.env.KAFKA_VERSION ?? '4.3.1' },
  scenarios: { 'skiff-to-kafka': skiffToKafka },
  timeoutMs: 240_000,
});
process.exit(0);
