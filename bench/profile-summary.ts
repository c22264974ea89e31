/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time, and self time by
 * file, so the hot path can be read without DevTools.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const url = cf.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/(dist\/|src\/)/, '$1');
    if (cf.functionName === '(idle)') idle += us;
    const key = `${cf.functionName || '(anonymous)'}  ${url}${url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = url || cf.functionName;
    files.set(fk, (files.get(fk) ?? 0) + us);
  }
  const busy = total - idle;
  const line = (k: string, us: number): string => `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`;
  const out = [`${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy (percentages are of busy time)`, 'top functions by self time:'];
  for (const [k, v] of [...fn].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(k, v));
  out.push('self time by file:');
  for (const [k, v] of [...files].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(line(k, v));
  return out.join('\n');
}

const arg = process.argv[2];
if (arg && import.meta.url.endsWith(process.argv[1]!.split('/').pop()!)) {
  process.stdout.write(`${summarise(arg, Number(process.argv[3] ?? 25))}\n`);
}
