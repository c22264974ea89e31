/**
 * Skiff's broker CPU per GiB and throughput for the headline cases, Skiff only, N rounds,
 * medians: librdkafka and kafka-producer-perf-test produce 100-byte records (acks=1, 6
 * partitions), then librdkafka reads 1 KiB records back from the file path. The broker's
 * utime+stime comes from /proc, so the figure is CPU, not wall-clock, and less sensitive to a
 * shared machine than throughput. Needs `npm run build` (bin/skiff.js runs dist/).
 *
 *   npx tsx bench/cpu-bench.ts [rounds=3] [records=500000] [--no-fetch] [--no-java]
 */
import { startSkiff, kafkaLibsReady } from './lib/brokers.js';
import { ensurePythonClient, javaProduce, rdkafka } from './lib/clients.js';
import { median, sample } from './lib/proc.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rounds = Number(args[0] ?? 3);
const records = Number(args[1] ?? 500_000);
const doFetch = !process.argv.includes('--no-fetch');
const doJava = !process.argv.includes('--no-java') && kafkaLibsReady();
const err = await ensurePythonClient();
if (err) throw new Error(err);

const rows = new Map<string, { mbs: number[]; cpu: number[] }>();
function note(name: string, bytes: number, seconds: number, cpuSeconds: number): void {
  const r = rows.get(name) ?? { mbs: [], cpu: [] };
  r.mbs.push(bytes / 1e6 / seconds);
  r.cpu.push(cpuSeconds / (bytes / 2 ** 30));
  rows.set(name, r);
  process.stderr.write(`${name}: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ${(cpuSeconds / (bytes / 2 ** 30)).toFixed(2)} s/GiB broker CPU\n`);
}

for (let round = 0; round < rounds; round++) {
  const b = await startSkiff({ numPartitions: 6 });
  try {
    const cpu = (): number => sample(b.pid)!.cpuSeconds;
    let c0 = cpu();
    let t0 = performance.now();
    const r = await rdkafka('produce', { bootstrap: b.bootstrap, topic: `pr-${round}`, count: records, size: 100, acks: '1' }, 120_000);
    if (!r.ok) throw new Error(r.error);
    note('rdkafka produce 100 B acks=1 6 part.', records * 100, (performance.now() - t0) / 1000, cpu() - c0);
    if (doJava) {
      c0 = cpu();
      t0 = performance.now();
      const j = await javaProduce({ bootstrap: b.bootstrap, topic: `pj-${round}`, records, size: 100, acks: '1', timeoutMs: 120_000 });
      if (!j.ok) throw new Error(j.error);
      note('java produce 100 B acks=1 6 part.', records * 100, (performance.now() - t0) / 1000, cpu() - c0);
    }
    if (doFetch) {
      const n = Math.floor(records / 2);
      const f = await rdkafka('produce', { bootstrap: b.bootstrap, topic: `fetch-${round}`, count: n, size: 1024, acks: '1' }, 120_000);
      if (!f.ok) throw new Error(f.error);
      // Warm-up outside the measurement: librdkafka's FindCoordinator (it has a group.id) makes
      // the broker create __consumer_offsets on first use, which is startup work, not fetch work.
      await rdkafka('consume', { bootstrap: b.bootstrap, topic: `fetch-${round}`, partitions: 6, count: 1 }, 60_000);
      c0 = cpu();
      t0 = performance.now();
      const c = await rdkafka('consume', { bootstrap: b.bootstrap, topic: `fetch-${round}`, partitions: 6, count: n }, 120_000);
      if (!c.ok) throw new Error(c.error);
      note('rdkafka fetch 1 KiB 6 part.', n * 1024, (performance.now() - t0) / 1000, cpu() - c0);
    }
    process.stderr.write(`round ${round + 1}: RSS ${sample(b.pid)!.rssMb.toFixed(0)} MB\n`);
  } finally {
    await b.stop();
  }
}
process.stdout.write(`case (median of ${rounds})                        MB/s (client wall)   broker CPU s/GiB\n`);
for (const [name, r] of rows) {
  process.stdout.write(`${name.padEnd(40)} ${median(r.mbs)!.toFixed(1).padStart(10)} ${median(r.cpu)!.toFixed(2).padStart(18)}\n`);
}
