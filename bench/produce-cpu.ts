/**
 * Skiff's produce path alone, loaded by franz-go (bench/clients/franz-bench), N rounds, medians:
 * throughput, broker CPU per GiB (utime+stime from /proc, all threads), the share of it on the
 * event loop's thread, and the client's CPU per GiB beside it, so that a figure says whether the client or the broker was the limit. A fresh
 * broker per round; `SKIFF_BIN=<other build>/bin/skiff.js` for an A/B against another build.
 *
 *   npx tsx bench/produce-cpu.ts [rounds=3] [records=1000000] [--size 1024] [--acks -1] [--partitions 1] [--compression none]
 */
import { parseArgs } from 'node:util';
import { startSkiff } from './lib/brokers.js';
import { ensureFranzBench, franzProduce } from './lib/clients.js';
import { mainThreadCpuSeconds, median, sample } from './lib/proc.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { size: { type: 'string', default: '1024' }, acks: { type: 'string', default: '-1' }, partitions: { type: 'string', default: '1' }, compression: { type: 'string', default: 'none' } },
});
const rounds = Number(positionals[0] ?? 3);
const records = Number(positionals[1] ?? 1_000_000);
const size = Number(flags.size);
const err = await ensureFranzBench();
if (err) throw new Error(err);

const mbs: number[] = [];
const brokerCpu: number[] = [];
const loopCpu: number[] = [];
const clientCpu: number[] = [];
for (let round = 0; round < rounds; round++) {
  const b = await startSkiff({ numPartitions: Number(flags.partitions) });
  try {
    const c0 = sample(b.pid)!.cpuSeconds;
    const m0 = mainThreadCpuSeconds(b.pid)!;
    const r = await franzProduce({ bootstrap: b.bootstrap, topic: `p-${round}`, count: records, size, acks: flags.acks!, compression: flags.compression! }, 150_000);
    const cpu = sample(b.pid)!.cpuSeconds - c0;
    const loop = mainThreadCpuSeconds(b.pid)! - m0;
    if (!r.ok) throw new Error(r.error);
    const gib = r.values.bytes! / 2 ** 30;
    mbs.push(r.values.mb_s!);
    brokerCpu.push(cpu / gib);
    loopCpu.push(loop / gib);
    clientCpu.push(r.values.client_cpu_s! / gib);
    process.stderr.write(
      `round ${round + 1}: ${r.values.mb_s!.toFixed(1)} MB/s, broker ${(cpu / gib).toFixed(2)} s/GiB (event loop ${(loop / gib).toFixed(2)}), client ${(r.values.client_cpu_s! / gib).toFixed(2)} s/GiB, RSS ${sample(b.pid)!.rssMb.toFixed(0)} MB\n`,
    );
  } finally {
    await b.stop();
  }
}
const name = `franz-go ${size} B acks=${flags.acks} ${flags.partitions} part.${flags.compression === 'none' ? '' : ` ${flags.compression}`}`;
process.stdout.write(`${name} (median of ${rounds}): ${median(mbs)!.toFixed(1)} MB/s, broker ${median(brokerCpu)!.toFixed(2)} s/GiB (event loop ${median(loopCpu)!.toFixed(2)}), client ${median(clientCpu)!.toFixed(2)} s/GiB\n`);
