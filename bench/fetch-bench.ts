/**
 * Skiff's fetch path alone: fills a data dir once with 1 KiB records (librdkafka, 6
 * partitions), then, each round, starts Skiff on it and reads everything back with
 * kafka-consumer-perf-test and with librdkafka. Prints MB/s and the broker's CPU per GiB
 * fetched (utime+stime from /proc), medians. The data is read from segment files (the tail
 * cache holds only the newest bytes), so this is the cold-read path; the page cache is warm
 * after the fill. `SKIFF_BIN=<other build>/bin/skiff.js` points it at another build for an A/B;
 * `--prof` runs the broker under node --cpu-prof and prints the top self time per round.
 *
 *   npx tsx bench/fetch-bench.ts [rounds=3] [mib=512] [--prof] [--no-rdkafka]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startSkiff, kafkaLibsReady } from './lib/brokers.js';
import { ensurePythonClient, javaConsume, rdkafka } from './lib/clients.js';
import { median, sample } from './lib/proc.js';
import { summarise } from './profile-summary.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rounds = Number(args[0] ?? 3);
const mib = Number(args[1] ?? 512);
const prof = process.argv.includes('--prof');
const doRdkafka = !process.argv.includes('--no-rdkafka');
const records = mib * 1024;
const err = await ensurePythonClient();
if (err) throw new Error(err);
if (!kafkaLibsReady()) throw new Error('Kafka release not fetched: run test/compat/kafka/kafka.sh fetch');

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-fetch-'));
const rows = new Map<string, { mbs: number[]; cpu: number[] }>();
function note(name: string, mbs: number, cpuSeconds: number): void {
  const r = rows.get(name) ?? { mbs: [], cpu: [] };
  r.mbs.push(mbs);
  r.cpu.push(cpuSeconds / ((records * 1024) / 2 ** 30));
  rows.set(name, r);
  process.stderr.write(`${name}: ${mbs.toFixed(1)} MB/s, ${r.cpu.at(-1)!.toFixed(2)} s/GiB broker CPU\n`);
}

try {
  const fill = await startSkiff({ numPartitions: 6, dataDir });
  const f = await rdkafka('produce', { bootstrap: fill.bootstrap, topic: 'fetch', count: records, size: 1024, acks: '1' }, 300_000);
  await fill.stop();
  if (!f.ok) throw new Error(f.error);
  process.stderr.write(`filled ${mib} MiB: ${f.values.mb_s?.toFixed(0)} MB/s\n`);

  for (let round = 0; round < rounds; round++) {
    const profDir = join(REPO, `.cache/bench/profiles/fetch-${round}`);
    rmSync(profDir, { recursive: true, force: true });
    const b = await startSkiff({ numPartitions: 6, dataDir, nodeFlags: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
    try {
      const cpu = (): number => sample(b.pid)!.cpuSeconds;
      // Group and consumer-offsets setup is not fetch work: one small read first.
      await javaConsume({ bootstrap: b.bootstrap, topic: 'fetch', records: 1, group: `warm-${round}`, timeoutMs: 60_000 });
      let c0 = cpu();
      const j = await javaConsume({ bootstrap: b.bootstrap, topic: 'fetch', records, group: `bench-${round}`, timeoutMs: 180_000 });
      if (!j.ok) throw new Error(j.error);
      note('java consumer', j.values.mb_s!, cpu() - c0);
      if (doRdkafka) {
        c0 = cpu();
        const r = await rdkafka('consume', { bootstrap: b.bootstrap, topic: 'fetch', partitions: 6, count: records }, 180_000);
        if (!r.ok) throw new Error(r.error);
        note('rdkafka consumer', r.values.mb_s!, cpu() - c0);
      }
      process.stderr.write(`round ${round + 1}: RSS ${sample(b.pid)!.rssMb.toFixed(0)} MB\n`);
    } finally {
      await b.stop();
    }
    if (prof) {
      const file = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'))!;
      process.stdout.write(`\n=== round ${round + 1}: ${join(profDir, file)}\n${summarise(join(profDir, file), 20)}\n`);
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
process.stdout.write(`case (median of ${rounds}, ${mib} MiB)   MB/s   broker CPU s/GiB\n`);
for (const [name, r] of rows) {
  process.stdout.write(`${name.padEnd(24)} ${median(r.mbs)!.toFixed(1).padStart(8)} ${median(r.cpu)!.toFixed(2).padStart(12)}\n`);
}
