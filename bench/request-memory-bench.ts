/**
 * The partial-frame memory attack: N connections each announce a frame of socket.request.max.bytes
 * (100 MB) and send all but the last MB of it, never completing it. Prints the broker's peak
 * RSS (VmHWM) while they send and its RSS after they are gone, once with the bound off
 * (queued.max.request.bytes=-1, Kafka's default and Skiff's behaviour before the bound) and
 * once with Skiff's default. Bounded in time: each run sends for at most --seconds.
 *
 *   npx tsx bench/request-memory-bench.ts [--connections 20] [--seconds 30]
 *
 * Needs `make build` (runs bin/skiff.js); SKIFF_BIN=/path/to/skiff.js measures another build.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './lib/brokers.js';
import { killTree } from './lib/proc.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
  },
});
const CONNECTIONS = Number(args.connections);
const SECONDS = Number(args.seconds);
const FRAME = 104_857_600;
const SENT = FRAME - 1024 * 1024;
const SKIFF_BIN = process.env.SKIFF_BIN ?? join(REPO, 'bin/skiff.js');
const CHUNK = Buffer.alloc(1024 * 1024, 0x61);

function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function startBroker(overrides: string[]): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [SKIFF_BIN, 'start', '--memory', '--port', '0', '--log-level', 'info', ...overrides.flatMap((o) => ['--override', o])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  child.stdout!.resume();
  return {
    pid: child.pid!,
    port,
    async stop() {
      killTree(child);
      await exited;
    },
  };
}

/** Sends the size prefix and SENT body bytes with back-pressure, until done or the deadline. */
async function attack(port: number, deadline: number): Promise<{ socket: Socket; sent: number }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(FRAME, 0);
  socket.write(prefix);
  let sent = 0;
  while (sent < SENT && Date.now() < deadline && !socket.destroyed) {
    const n = Math.min(CHUNK.length, SENT - sent);
    sent += n;
    if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        socket.once('drain', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  return { socket, sent };
}

async function measure(label: string, overrides: string[]): Promise<void> {
  const broker = await startBroker(overrides);
  try {
    const idle = memoryMb(broker.pid);
    const deadline = Date.now() + SECONDS * 1000;
    const results = await Promise.all(Array.from({ length: CONNECTIONS }, () => attack(broker.port, deadline)));
    // Let the broker take in what is in flight before reading its peak.
    await new Promise((r) => setTimeout(r, 1000));
    const during = memoryMb(broker.pid);
    for (const r of results) r.socket.destroy();
    await new Promise((r) => setTimeout(r, 3000));
    const after = memoryMb(broker.pid);
    const sentMb = results.reduce((n, r) => n + r.sent, 0) / 1024 / 1024;
    const complete = results.filter((r) => r.sent === SENT).length;
    process.stdout.write(
      `${label.padEnd(42)} idle ${idle.rss.toFixed(0).padStart(5)} MB | peak RSS ${during.peak.toFixed(0).padStart(5)} MB | ` +
        `RSS 3 s after the clients left ${after.rss.toFixed(0).padStart(5)} MB | client bytes written ${sentMb.toFixed(0)} MB, ${complete}/${CONNECTIONS} connections wrote all ${Math.round(SENT / 1024 / 1024)} MB\n`,
    );
  } finally {
    await broker.stop();
  }
}

process.stdout.write(`${CONNECTIONS} connections x ${Math.round(SENT / 1024 / 1024)} MB of a ${FRAME / 1024 / 1024} MB frame, at most ${SECONDS} s of sending (${SKIFF_BIN})\n`);
await measure('queued.max.request.bytes=-1 (unbounded)', ['queued.max.request.bytes=-1']);
await measure('queued.max.request.bytes default (200 MiB)', []);
