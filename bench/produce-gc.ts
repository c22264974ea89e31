/**
 * Garbage collection of Skiff's produce path under franz-go: the broker runs under
 * `node --trace-gc`, and per GiB produced this counts mark-compacts, scavenges and the pause
 * time V8 reports, beside broker CPU per GiB (all threads, and the event loop's thread) and its
 * peak RSS. Builds given with `--bin` (repeatable) are run alternately, N rounds each, and
 * medians printed, so an A/B on a busy machine compares like with like.
 *
 *   npx tsx bench/produce-gc.ts [rounds=3] [records=1000000] [--size 1024] [--acks=-1] [--partitions 1] [--bin A --bin B]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureFranzBench, franzProduce } from './lib/clients.js';
import { mainThreadCpuSeconds, median, sample, waitReady } from './lib/proc.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: '1024' },
    acks: { type: 'string', default: '-1' },
    partitions: { type: 'string', default: '1' },
    bin: { type: 'string', multiple: true },
  },
});
const rounds = Number(positionals[0] ?? 3);
const records = Number(positionals[1] ?? 1_000_000);
const bins = flags.bin?.length ? flags.bin : [join(import.meta.dirname, '../bin/skiff.js')];
const err = await ensureFranzBench();
if (err) throw new Error(err);

interface Round {
  markCompacts: number;
  scavenges: number;
  pauseMs: number;
  cpu: number;
  loop: number;
  mbs: number;
  /** The broker's peak RSS (VmHWM) by the end of the run. */
  peakRssMb: number;
}

async function once(bin: string, round: number): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-gc-'));
  const child = spawn(process.execPath, ['--trace-gc', bin, 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', '--override', `num.partitions=${flags.partitions}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const port = (): [string, number] | null => {
      const m = /"port":(\d+)/.exec(out);
      return m ? ['127.0.0.1', Number(m[1])] : null;
    };
    await waitReady(port, 20_000, 1);
    const before = out.length;
    const c0 = sample(child.pid!)!.cpuSeconds;
    const m0 = mainThreadCpuSeconds(child.pid!)!;
    const r = await franzProduce({ bootstrap: `127.0.0.1:${port()![1]}`, topic: `gc-${round}`, count: records, size: Number(flags.size), acks: flags.acks! }, 150_000);
    const cpu = sample(child.pid!)!.cpuSeconds - c0;
    const loop = mainThreadCpuSeconds(child.pid!)! - m0;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    if (!r.ok) throw new Error(r.error);
    const gib = r.values.bytes! / 2 ** 30;
    const trace = out.slice(before);
    const pauses = [...trace.matchAll(/MB, ([\d.]+) \/ [\d.]+ ms/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    return {
      markCompacts: (trace.match(/Mark-Compact/g)?.length ?? 0) / gib,
      scavenges: (trace.match(/Scavenge/g)?.length ?? 0) / gib,
      pauseMs: pauses / gib,
      cpu: cpu / gib,
      loop: loop / gib,
      mbs: r.values.mb_s!,
      peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = new Map<string, Round[]>(bins.map((b) => [b, []]));
for (let round = 0; round < rounds; round++) {
  for (const bin of bins) {
    const r = await once(bin, round);
    results.get(bin)!.push(r);
    process.stderr.write(
      `round ${round + 1} ${bin}: ${r.markCompacts.toFixed(0)} mark-compacts, ${r.scavenges.toFixed(0)} scavenges, ${r.pauseMs.toFixed(0)} ms GC pauses per GiB; CPU ${r.cpu.toFixed(2)} s/GiB (event loop ${r.loop.toFixed(2)}); ${r.mbs.toFixed(0)} MB/s; peak RSS ${r.peakRssMb.toFixed(0)} MB\n`,
    );
  }
}
const name = `franz-go ${flags.size} B acks=${flags.acks} ${flags.partitions} part.`;
for (const [bin, rs] of results) {
  const med = (f: (r: Round) => number): number => median(rs.map(f))!;
  process.stdout.write(
    `${name}, ${bin} (median of ${rs.length}) per GiB: ${med((r) => r.markCompacts).toFixed(0)} mark-compacts, ${med((r) => r.scavenges).toFixed(0)} scavenges, ${med((r) => r.pauseMs).toFixed(0)} ms GC pauses; CPU ${med((r) => r.cpu).toFixed(2)} s (event loop ${med((r) => r.loop).toFixed(2)}); ${med((r) => r.mbs).toFixed(0)} MB/s; peak RSS ${med((r) => r.peakRssMb).toFixed(0)} MB\n`,
  );
}
