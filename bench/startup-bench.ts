/**
 * Skiff startup beside a bare Node: spawn `node bin/skiff.js start` on a fixed free port, poll
 * (every event-loop turn) for the first TCP connect accepted and the first ApiVersions
 * answered, then read the idle RSS 3 s later; each round also times `node -e 0` (spawn → exit)
 * and reads the RSS of a bare Node kept alive by a timer, 3 s after spawn. Prints min and
 * median of N rounds, wall and CPU time, and the difference to the bare Node, stamped with
 * the commit and the machine.
 *
 *   npx tsx bench/startup-bench.ts [N=10] [--bin PATH/bin/skiff.js ...] [--node PATH]
 *
 * Several --bin builds are measured in turn within each round (the order rotates), for an A/B on
 * a shared machine; --node runs them under another Node (e.g. .cache/node24/bin/node).
 *
 * A V8 startup snapshot of the broker, for comparison: `npx tsx bench/startup-snapshot.ts`, then
 * `--bin=--snapshot-blob=<the blob it prints>` (node takes the flag where the script would be).
 *
 * A CPU profile of one startup: node --cpu-prof --cpu-prof-dir=DIR bin/skiff.js start ...,
 * then `npx tsx bench/profile-summary.ts DIR/*.cpuprofile`.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBareNode, measureSkiffStartup, REPO } from './lib/brokers.js';
import { freePort } from './lib/ports.js';
import { median } from './lib/proc.js';

const { values, positionals } = parseArgs({
  options: { bin: { type: 'string', multiple: true }, node: { type: 'string' } },
  allowPositionals: true,
});
const n = Number(positionals[0] ?? 10);
const bins = values.bin ?? [process.env.SKIFF_BIN ?? join(REPO, 'bin/skiff.js')];
const node = values.node ?? process.execPath;


type Figures = Record<'connect' | 'ready' | 'cpuAtReady' | 'idleRss' | 'idleCpu', number[]>;
const byBin = new Map<string, Figures>(bins.map((b) => [b, { connect: [], ready: [], cpuAtReady: [], idleRss: [], idleCpu: [] }]));
const bare = { exit: [] as number[], idleRss: [] as number[], idleCpu: [] as number[] };

const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
for (let i = 0; i < n; i++) {
  for (let j = 0; j < bins.length; j++) {
    const bin = bins[(i + j) % bins.length]!;
    const r = await measureSkiffStartup(await freePort(), { bin, node });
    const f = byBin.get(bin)!;
    f.connect.push(r.connectMs);
    f.ready.push(r.readyMs);
    f.cpuAtReady.push(r.cpuMsAtReady);
    f.idleRss.push(r.idleRssMb);
    f.idleCpu.push(r.idleCpuMs);
    process.stderr.write(
      `#${i + 1} ${bin}: connect ${r.connectMs.toFixed(1)} ms, ApiVersions ${r.readyMs.toFixed(1)} ms (CPU ${r.cpuMsAtReady.toFixed(0)} ms), idle RSS ${r.idleRssMb.toFixed(1)} MB\n`,
    );
  }
  const b = await measureBareNode(node);
  bare.exit.push(b.exitMs);
  bare.idleRss.push(b.idleRssMb);
  bare.idleCpu.push(b.idleCpuMs);
  process.stderr.write(`#${i + 1} bare node: 'node -e 0' ${b.exitMs.toFixed(1)} ms, idle RSS ${b.idleRssMb.toFixed(1)} MB (CPU ${b.idleCpuMs.toFixed(0)} ms)\n`);
}

const f1 = (v: number | null): string => (v === null || Number.isNaN(v) ? '—' : v.toFixed(1));
const mm = (v: number[]): string => `${f1(Math.min(...v))} / ${f1(median(v))}`;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '') commit += ' (dirty)';
} catch {
  // not a checkout
}
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const out = [
  `Startup, ${n} rounds, min / median (CPU: all threads' run time from /proc/PID/task/*/schedstat). Commit ${commit}; ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${nodeVersion}; load average ${loadStart} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end.`,
  '',
  `| | spawn → TCP accept ms | spawn → ApiVersions answered ms | CPU by then ms | idle RSS MB | CPU at idle ms |`,
  `| --- | ---: | ---: | ---: | ---: | ---: |`,
  `| bare node (\`node -e 0\` spawn → exit; idle: a timer) | | ${mm(bare.exit)} | | ${mm(bare.idleRss)} | ${mm(bare.idleCpu)} |`,
];
const bareExit = median(bare.exit)!;
const bareRss = median(bare.idleRss)!;
const bareCpu = median(bare.idleCpu)!;
for (const [bin, f] of byBin) {
  const label = bins.length === 1 ? 'skiff' : bin;
  out.push(`| ${label} | ${mm(f.connect)} | ${mm(f.ready)} | ${mm(f.cpuAtReady)} | ${mm(f.idleRss)} | ${mm(f.idleCpu)} |`);
  out.push(`| ${label} − bare node (medians) | | ${f1(median(f.ready)! - bareExit)} | ${f1(median(f.cpuAtReady)! - bareCpu)} | ${f1(median(f.idleRss)! - bareRss)} | ${f1(median(f.idleCpu)! - bareCpu)} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
