// Run by scripts/pack-test.sh inside a project that installed the packed package: kafkajs
// produces and consumes against startBroker() and against `npx skiff start`. Plain output;
// exits non-zero on failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from 'skiff';

async function roundTrip(bootstrap, label) {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, clientId: 'pack-test' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'pack-test', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const values = ['one', 'two', 'three'];
  await producer.send({ topic: 'pack-test', compression: 1 /* gzip */, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'pack-test' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'pack-test', fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: consumed ${seen.length} of ${values.length} records`)), 30_000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value.toString());
          if (seen.length === values.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  if (seen.join() !== values.join()) throw new Error(`${label}: consumed ${seen.join()}`);
}

async function embedded() {
  const broker = await startBroker({ httpPort: 0 });
  try {
    await roundTrip(broker.bootstrap, 'startBroker()');
    // The console's files ship in the package too.
    const page = await fetch(broker.httpUrl);
    if (page.status !== 200 || !(await page.text()).includes('<html')) throw new Error(`console page: HTTP ${page.status}`);
    const fixture = await broker.consume('pack-test');
    if (fixture.length !== 3) throw new Error(`broker.consume saw ${fixture.length} records`);
    await broker.reset();
    if ((await broker.consume('pack-test').catch(() => [])).length !== 0) throw new Error('reset() kept records');
  } finally {
    await broker.close();
  }
  if (broker.dataDir !== null) throw new Error('startBroker() wrote to disk');
  console.log('pack-test: kafkajs against startBroker(): ok; console page served');
}

async function cli() {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-pack-data-'));
  // Its own process group, signalled as a whole as Ctrl+C in a terminal does: npx does not
  // pass SIGTERM on to the broker it started.
  const child = spawn('npx', ['skiff', 'start', '--port', '0', '--data-dir', dataDir, '--log-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // Already gone.
    }
  };
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // 'close': after the broker (npx's child, sharing the pipes) is gone too, not just npx.
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  try {
    const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const listening = await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const line = lines().find((l) => String(l.msg).startsWith('Skiff listening'));
        if (line) {
          clearInterval(timer);
          resolve(line);
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`npx skiff start exited: ${err}${out}`));
        }
      }, 50);
    });
    await roundTrip(listening.bootstrap, 'npx skiff start');
    const fetchPath = lines().find((l) => String(l.msg).startsWith('fetch '));
    signal('SIGINT');
    const status = await closed;
    // npx may itself end by the signal; the broker's own last line says whether it shut down cleanly.
    if ((status !== 0 && status !== 'SIGINT') || lines().at(-1)?.msg !== 'stopped') {
      throw new Error(`npx skiff start did not stop cleanly on SIGINT (${status}): ${err}${out.slice(-500)}`);
    }
    console.log(`pack-test: kafkajs against npx skiff start: ok (${fetchPath?.msg ?? 'no fetch path line'})`);
  } finally {
    signal('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Bounded: a hang is a failure, not a stuck CI run.
setTimeout(() => {
  console.log('pack-test: FAILED: timed out after 180 s');
  process.exit(1);
}, 180_000).unref();

try {
  await embedded();
  await cli();
} catch (e) {
  console.log(`pack-test: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
