/**
 * Skiff startup: spawn `node bin/skiff.js start` on a fixed free port, poll (every event-loop
 * turn) for the first TCP connect accepted and the first ApiVersions answered, then read the
 * idle RSS 3 s later. Prints medians of N spawns.
 *
 *   npx tsx bench/startup-bench.ts [N=9]
 *
 * A CPU profile of one startup: node --cpu-prof --cpu-prof-dir=DIR bin/skiff.js start ...,
 * then `npx tsx bench/profile-summary.ts DIR/*.cpuprofile`.
 */
import { createServer } from 'node:net';
import { measureSkiffStartup } from './lib/brokers.js';
import { median } from './lib/proc.js';

const n = Number(process.argv[2] ?? 9);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const connect: number[] = [];
const ready: number[] = [];
const rss: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < n; i++) {
  const r = await measureSkiffStartup(await freePort());
  connect.push(r.connectMs);
  ready.push(r.readyMs);
  rss.push(r.idleRssMb);
  cpu.push(r.cpuMsAtReady);
  process.stderr.write(`#${i + 1}: connect ${r.connectMs.toFixed(1)} ms, ApiVersions ${r.readyMs.toFixed(1)} ms (CPU ${r.cpuMsAtReady.toFixed(0)} ms), idle RSS ${r.idleRssMb.toFixed(1)} MB\n`);
}
const f = (v: number | null): string => (v === null ? '—' : v.toFixed(1));
process.stdout.write(
  `Skiff startup, median of ${n}: TCP connect accepted ${f(median(connect))} ms (min ${f(Math.min(...connect))}), ` +
    `first ApiVersions answered ${f(median(ready))} ms (min ${f(Math.min(...ready))}), CPU used by then ${f(median(cpu))} ms, idle RSS ${f(median(rss))} MB\n`,
);
