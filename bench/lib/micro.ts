/**
 * The in-process micro-benchmarks (codecs + CRC-32C, compression, storage, and the log cleaner
 * when bench/cleaner-bench.ts exists), each run in its own process so one cannot disturb
 * another's JIT or heap. Their output is kept as text.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './brokers.js';
import { run } from './proc.js';

export interface MicroSection {
  title: string;
  command: string;
  text: string;
}

const TSX = join(REPO, 'node_modules/.bin/tsx');

export async function runMicro(smoke: boolean): Promise<MicroSection[]> {
  const out: MicroSection[] = [];
  const script = async (title: string, file: string, args: string[]): Promise<void> => {
    const r = await run(TSX, [join(REPO, 'bench', file), ...args], { timeoutMs: 300_000, cwd: REPO });
    const text = r.code === 0 ? r.stdout : `FAILED (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${(r.stderr || r.stdout).slice(-1500)}`;
    out.push({ title, command: `npx tsx bench/${file} ${args.join(' ')}`.trim(), text });
  };
  const smokeFlag = smoke ? ['--smoke'] : [];
  await script('Codecs and CRC-32C (bench/codec-bench.ts)', 'codec-bench.ts', smokeFlag);
  await script('Compression (bench/compression-bench.ts)', 'compression-bench.ts', smokeFlag);
  await script('Storage (bench/storage-bench.ts)', 'storage-bench.ts', smoke ? ['16'] : ['128']);
  // Another engineer's; it exports benchCleaner({ smoke }) and prints its rows when run directly.
  if (existsSync(join(REPO, 'bench/cleaner-bench.ts'))) await script('Log cleaner (bench/cleaner-bench.ts)', 'cleaner-bench.ts', smokeFlag);
  return out;
}
