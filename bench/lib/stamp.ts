/**
 * Where a result was taken: the commit (and whether the tree differed from it) and the
 * machine, with its load average. Stamped on every file under bench/results/.
 */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { REPO } from './brokers.js';
import { run } from './proc.js';
import type { RunMeta } from './report.js';

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
}

export async function machine(): Promise<Omit<RunMeta['machine'], 'loadavg_at_end'>> {
  const cpu = cpus();
  const java = await run('java', ['-version'], { timeoutMs: 20_000 });
  return {
    cpu_model: cpu[0]?.model.trim() ?? '?',
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: `Linux ${release()}`,
    node: process.version,
    java: java.stderr.split('\n')[0] ?? '?',
    loadavg_at_start: loadavg(),
  };
}

/** The commit the broker under test was built from, and whether the tree differed from it. */
export async function commit(): Promise<RunMeta['commit']> {
  const head = await run('git', ['rev-parse', 'HEAD'], { timeoutMs: 20_000, cwd: REPO });
  if (head.code !== 0) return null;
  const status = await run('git', ['status', '--porcelain', '--untracked-files=no'], { timeoutMs: 20_000, cwd: REPO });
  return { sha: head.stdout.trim(), dirty: status.code !== 0 || status.stdout.trim() !== '' };
}
