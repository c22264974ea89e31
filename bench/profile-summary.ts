/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time, and self time by
 * file, so the hot path can be read without DevTools. Frames of the bundle (dist/bundle) are
 * named by their source file through the bundle's source map when it is there.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [top=25]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  sampledMs: number;
  busyMs: number;
  /** the main thread's garbage collector (V8's helper threads are not in the profile) */
  gcMs: number;
  functions: Array<[string, number]>;
  files: Array<[string, number]>;
}

/** Source maps of the bundle's chunks, loaded once per chunk (null when a chunk has none). */
const maps = new Map<string, SourceMap | null>();
function sourceOf(url: string, line: number, column: number): string | null {
  if (!url.startsWith('file://') || !url.includes('/dist/bundle/')) return null;
  let map = maps.get(url);
  if (map === undefined) {
    const file = `${fileURLToPath(url)}.map`;
    map = existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null;
    maps.set(url, map);
  }
  const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry?.originalSource) return null;
  return `${entry.originalSource.replace(/^.*?\/(src|node_modules)\//, '$1/')}:${(entry.originalLine ?? 0) + 1}`;
}

/**
 * Self time per function and per file. `window` (microseconds of CLOCK_MONOTONIC, the clock of
 * V8's profile timestamps and of process.hrtime in another process) keeps only the samples taken
 * in it, so that a profile of the whole process life can be read for the load alone.
 */
export function summariseProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') idle += us;
    if (cf.functionName === '(garbage collector)') gc += us;
    const mapped = sourceOf(cf.url, cf.lineNumber, cf.columnNumber);
    const url = cf.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/(dist\/|src\/)/, '$1');
    const where = mapped ?? (url ? `${url}:${cf.lineNumber + 1}` : '');
    const key = `${cf.functionName || '(anonymous)'}  ${where}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = mapped ? mapped.slice(0, mapped.lastIndexOf(':')) : url || cf.functionName;
    files.set(fk, (files.get(fk) ?? 0) + us);
  }
  const ms = (entries: Map<string, number>, n: number): Array<[string, number]> =>
    [...entries]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [k, us / 1000]);
  return { sampledMs: total / 1000, busyMs: (total - idle) / 1000, gcMs: gc / 1000, functions: ms(fn, top), files: ms(files, 15) };
}

function formatSummary(s: ProfileSummary): string {
  const line = (k: string, ms: number): string => `${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / s.busyMs).toFixed(1).padStart(5)}%  ${k}`;
  return [
    `${s.sampledMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (percentages are of busy time)`,
    'top functions by self time:',
    ...s.functions.map(([k, v]) => line(k, v)),
    'self time by file:',
    ...s.files.map(([k, v]) => line(k, v)),
  ].join('\n');
}

export function summarise(file: string, top = 25): string {
  return formatSummary(summariseProfile(file, top));
}

const arg = process.argv[2];
if (arg && import.meta.url.endsWith(process.argv[1]!.split('/').pop()!)) {
  process.stdout.write(`${summarise(arg, Number(process.argv[3] ?? 25))}\n`);
}
