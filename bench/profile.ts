/**
 * CPU profiles of Skiff's produce and fetch paths under load (node --cpu-prof), summarised by
 * bench/profile-summary.ts. Profiles land in .cache/bench/profiles/ (large; not committed).
 *
 *   npx tsx bench/profile.ts [records=1000000]
 *
 * 1. produce: Skiff (6 partitions, on disk) under --cpu-prof; librdkafka and
 *    kafka-producer-perf-test produce 100-byte records, acks=1.
 * 2. fetch: the same data dir reopened under --cpu-prof (cold: nothing in the tail cache);
 *    librdkafka reads everything back twice (the second pass from the page cache).
 */
import { mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startSkiff, kafkaLibsReady } from './lib/brokers.js';
import { ensurePythonClient, javaProduce, rdkafka } from './lib/clients.js';
import { summarise } from './profile-summary.js';

const records = Number(process.argv[2] ?? 1_000_000);
const out = join(REPO, '.cache/bench/profiles');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const err = await ensurePythonClient();
if (err) throw new Error(err);
const dataDir = mkdtempSync(join(tmpdir(), 'skiff-prof-'));

async function phase(name: string, body: (bootstrap: string) => Promise<void>): Promise<void> {
  const dir = join(out, name);
  const b = await startSkiff({ numPartitions: 6, dataDir, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  await body(b.bootstrap);
  await b.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  process.stdout.write(`\n=== ${name}: ${join(dir, file)}\n${summarise(join(dir, file), 30)}\n`);
}

try {
  await phase('produce', async (bootstrap) => {
    const r = await rdkafka('produce', { bootstrap, topic: 'prof', count: records, size: 100, acks: '1' }, 120_000);
    process.stdout.write(`rdkafka produce: ${JSON.stringify(r.values)}\n`);
    if (kafkaLibsReady()) {
      const j = await javaProduce({ bootstrap, topic: 'prof-j', records: records / 2, size: 100, acks: '1', timeoutMs: 120_000 });
      process.stdout.write(`java produce: ${JSON.stringify(j.values)}\n`);
    }
  });
  await phase('fetch', async (bootstrap) => {
    for (let pass = 1; pass <= 2; pass++) {
      const r = await rdkafka('consume', { bootstrap, topic: 'prof', partitions: 6, count: records }, 120_000);
      process.stdout.write(`rdkafka consume pass ${pass}: ${JSON.stringify(r.values)}\n`);
    }
  });
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
