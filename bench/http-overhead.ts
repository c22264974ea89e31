/**
 * Does the HTTP side cost the Kafka port anything? Produce and fetch throughput (librdkafka,
 * 1 KiB records, 6 partitions) against a Skiff with `--http-port`, with nobody on the HTTP port
 * ("quiet") and with a Prometheus-style scraper reading /metrics every second plus a console
 * page open in headless Chromium ("watched"; without Chromium the page's own polling of
 * /api/throughput and /api/groups is replayed instead). Rounds alternate quiet/watched
 * (ABBA) on a fresh broker each, so drift on a shared machine falls on both. Prints medians
 * and the spread of each mode (a difference inside the spread is run-to-run noise), and the
 * broker process's own CPU seconds for the load: Chromium is a process of its own, so on a
 * small machine it competes with the clients for cores; the broker's CPU shows what serving
 * the page and the scrapes costs the broker itself.
 *
 *   npx tsx bench/http-overhead.ts [rounds=4] [mib=128]
 *
 * Needs `make build` (runs bin/skiff.js). Never pass/fail; every load is bounded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startSkiff } from './lib/brokers.js';
import { ensurePythonClient, rdkafka, type Measured } from './lib/clients.js';
import { median as medianOrNull, sample } from './lib/proc.js';
import { freePort } from './lib/ports.js';

const median = (xs: readonly number[]): number => medianOrNull(xs) ?? NaN;

const args = process.argv.slice(2);
const rounds = Number(args[0] ?? 4);
const mib = Number(args[1] ?? 128);
const records = mib * 1024;
const TIMEOUT_MS = 300_000;
const SETTLE_MS = 5_000;

const err = await ensurePythonClient();
if (err) throw new Error(err);

function chromiumPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The scraper and the open page; returns a stop function and counts what was served. */
async function watch(base: string): Promise<{ stop(): Promise<{ scrapes: number; pageRequests: number }> }> {
  let scrapes = 0;
  let pageRequests = 0;
  const timers: NodeJS.Timeout[] = [];
  timers.push(
    setInterval(() => {
      void fetch(`${base}/metrics`).then(async (r) => {
        await r.text();
        scrapes++;
      });
    }, 1000),
  );
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  const exe = chromiumPath();
  if (exe !== undefined) {
    profile = mkdtempSync(join(tmpdir(), 'skiff-bench-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: exe,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('request', () => pageRequests++);
    await page.goto(`${base}/`);
  } else {
    for (const [path, ms] of [['/api/throughput', 2000], ['/api/groups', 1000]] as const) {
      timers.push(setInterval(() => void fetch(base + path).then(async (r) => (await r.text(), pageRequests++)), ms));
    }
  }
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
      return { scrapes, pageRequests };
    },
  };
}

const results: Record<'quiet' | 'watched', { produce: number[]; fetch: number[]; cpu: number[] }> = {
  quiet: { produce: [], fetch: [], cpu: [] },
  watched: { produce: [], fetch: [], cpu: [] },
};
const order: Array<'quiet' | 'watched'> = [];
for (let r = 0; r < rounds; r++) order.push(...(r % 2 === 0 ? (['quiet', 'watched'] as const) : (['watched', 'quiet'] as const)));

for (const [i, mode] of order.entries()) {
  const httpPort = await freePort();
  const broker = await startSkiff({ numPartitions: 6, extraArgs: ['--http-port', String(httpPort)] });
  const watcher = mode === 'watched' ? await watch(`http://127.0.0.1:${httpPort}`) : undefined;
  let p!: Measured;
  let f!: Measured;
  let served: { scrapes: number; pageRequests: number } | undefined;
  let cpu = NaN;
  try {
    // Both modes wait alike; a watched run's page has loaded and settled by the end.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = sample(broker.pid)?.cpuSeconds ?? NaN;
    p = await rdkafka('produce', { bootstrap: broker.bootstrap, topic: 'load', count: records, size: 1024, acks: '1' }, TIMEOUT_MS);
    f = await rdkafka('consume', { bootstrap: broker.bootstrap, topic: 'load', partitions: 6, count: records }, TIMEOUT_MS);
    cpu = (sample(broker.pid)?.cpuSeconds ?? NaN) - before;
  } finally {
    served = await watcher?.stop();
    await broker.stop();
  }
  if (!p.ok || !f.ok) throw new Error(`client failed: ${p.error ?? ''} ${f.error ?? ''}`);
  results[mode].produce.push(p.values.mb_s!);
  results[mode].fetch.push(f.values.mb_s!);
  results[mode].cpu.push(cpu);
  console.log(
    `run ${i + 1}/${order.length} ${mode.padEnd(7)} produce ${p.values.mb_s!.toFixed(1)} MB/s  fetch ${f.values.mb_s!.toFixed(1)} MB/s  broker CPU ${cpu.toFixed(2)} s` +
      (served ? `  (/metrics scrapes ${served.scrapes}, page requests ${served.pageRequests})` : ''),
  );
}

const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} MB/s (range ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
console.log(`\n${mib} MiB of 1 KiB records, 6 partitions, ${rounds} rounds per mode`);
const cpuQ = results.quiet.cpu;
const cpuW = results.watched.cpu;
console.log(`broker CPU for produce + fetch: quiet median ${median(cpuQ).toFixed(2)} s (range ${Math.min(...cpuQ).toFixed(2)}-${Math.max(...cpuQ).toFixed(2)}), watched median ${median(cpuW).toFixed(2)} s (range ${Math.min(...cpuW).toFixed(2)}-${Math.max(...cpuW).toFixed(2)})`);
for (const kind of ['produce', 'fetch'] as const) {
  const q = results.quiet[kind];
  const w = results.watched[kind];
  const diff = ((median(w) - median(q)) / median(q)) * 100;
  const noise = ((Math.max(...q) - Math.min(...q)) / median(q)) * 100;
  console.log(`${kind.padEnd(8)} quiet   ${fmt(q)}\n${''.padEnd(8)} watched ${fmt(w)}\n${''.padEnd(8)} watched vs quiet ${diff >= 0 ? '+' : ''}${diff.toFixed(1)}%, quiet run-to-run spread ${noise.toFixed(1)}%`);
}
