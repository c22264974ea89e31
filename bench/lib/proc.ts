/**
 * Process plumbing for the broker benchmark: spawning with a hard time limit, reading a
 * process's RSS and CPU time from /proc, probing a broker with an ApiVersions request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** Runs a command to completion, killing it (and only it) after `timeoutMs`. */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 200_000) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64

export interface ProcSample {
  rssMb: number;
  cpuSeconds: number;
}

/** RSS and user+system CPU of one process (threads included), or null when it is gone. */
export function sample(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the comm: index 11 = utime, 12 = stime (man 5 proc, counting from state = 0).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMb: rss ? Number(rss[1]) / 1024 : 0, cpuSeconds: ticks / CLK_TCK };
  } catch {
    return null;
  }
}

/**
 * user+system CPU of a process's main thread alone (for Node, the event loop; the libuv pool,
 * GC helpers and the compiler are other threads), or null when it is gone.
 */
export function mainThreadCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU time of a process in ms at nanosecond resolution: the sum of its live threads' run time
 * from /proc/PID/task/TID/schedstat (stat's utime+stime count 10 ms ticks, too coarse for a
 * startup). Threads that have exited are not counted. Null when the process is gone.
 */
export function cpuMsPrecise(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}

/** Wall-clock start time of a process, in epoch ms (10 ms resolution). */
export function processStartEpochMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  const btime = Number(/btime (\d+)/.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  return btime * 1000 + (startTicks * 1000) / CLK_TCK;
}

/** Samples a process every `everyMs` and keeps the peak RSS. */
export class Sampler {
  peakRssMb = 0;
  #timer: NodeJS.Timeout;
  constructor(readonly pid: number, everyMs = 100) {
    this.#timer = setInterval(() => {
      const s = sample(pid);
      if (s && s.rssMb > this.peakRssMb) this.peakRssMb = s.rssMb;
    }, everyMs);
    this.#timer.unref();
  }
  resetPeak(): void {
    this.peakRssMb = sample(this.pid)?.rssMb ?? 0;
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Sends ApiVersions v0 and resolves with the API keys the broker supports, or rejects when the
 * connection is refused or no answer comes within `timeoutMs`.
 */
export function apiVersions(host: string, port: number, timeoutMs = 2000): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('ApiVersions timeout'));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
    sock.on('connect', () => {
      const clientId = Buffer.from('bench');
      const body = Buffer.alloc(10 + clientId.length);
      body.writeInt16BE(18, 0); // ApiVersions
      body.writeInt16BE(0, 2); // v0
      body.writeInt32BE(1, 4); // correlation id
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      sock.write(Buffer.concat([size, body]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      clearTimeout(timer);
      sock.destroy();
      // size, correlation id, error code, [api key, min, max]. An error or an answer shorter
      // than its own count (one crashed cluster-bench) is "not ready yet": the poller asks again.
      const keys = new Set<number>();
      const n = buf.length < 14 ? -1 : buf.readInt32BE(10);
      if (n < 0 || buf.readInt16BE(8) !== 0 || buf.length < 14 + n * 6) return reject(new Error('no usable ApiVersions answer'));
      for (let i = 0; i < n; i++) keys.add(buf.readInt16BE(14 + i * 6));
      resolve(keys);
    });
  });
}

/** Polls until the broker answers ApiVersions; resolves with the epoch ms of the answer. */
export async function waitReady(host: () => [string, number] | null, deadlineMs: number, everyMs = 1): Promise<{ at: number; keys: Set<number> }> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const target = host();
    if (target) {
      try {
        const keys = await apiVersions(target[0], target[1], 1000);
        return { at: Date.now(), keys };
      } catch {
        // not yet
      }
    }
    if (Date.now() > deadline) throw new Error('broker not ready in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function killTree(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
}

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
