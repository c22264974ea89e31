/**
 * The latency tables and p99 target rows of several `bench/run.ts --groups lat --runs 1 --out DIR`
 * runs taken as one: each such run starts Skiff, then Kafka, so a few of them in a row alternate
 * the brokers, and the medians here are over all of them (the report code of `make bench`, the
 * runs as recorded). Also the sender's own lateness (franz-bench's `lag_p99_ms`), to tell a run
 * where the client could not keep to its schedule.
 *
 *   npx tsx bench/latency-report.ts DIR [DIR ...]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './lib/proc.js';
import { buildRows, fmt, markdownTable, targetRows, targetTable, type BrokerName, type BrokerResults, type RunMeta } from './lib/report.js';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: npx tsx bench/latency-report.ts DIR [DIR ...]\n');
  process.exit(2);
}
const merged: Partial<Record<BrokerName, BrokerResults>> = {};
const metas: RunMeta[] = [];
for (const dir of dirs) {
  const { meta, results } = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as { meta: RunMeta; results: Partial<Record<BrokerName, BrokerResults>> };
  metas.push(meta);
  for (const name of ['skiff', 'kafka'] as const) {
    const res = results[name];
    if (!res) continue;
    const into = (merged[name] ??= { ...res, runs: [], startupMs: [], connectMs: [], startupCpuMs: [], nodeBootMs: [], idleRssMb: [], notes: [] });
    into.runs.push(...res.runs.map((r, i) => ({ ...r, run: into.runs.length + i + 1 })));
  }
}
const plan = metas[0]!.plan;
const rows = buildRows(plan, merged.skiff, merged.kafka).filter((r) => r.section.startsWith('latency'));
const out = [
  `${dirs.length} runs: ${metas.map((m) => `${m.generated.slice(11, 19)} (load ${m.machine.loadavg_at_start} → ${m.machine.loadavg_at_end})`).join(', ')}; ${metas[0]!.commit ? `commit ${metas[0]!.commit.sha.slice(0, 7)}${metas[0]!.commit.dirty ? ' with uncommitted changes' : ''}` : ''}`,
  '',
  targetTable(targetRows(plan, merged.skiff, merged.kafka).filter((r) => r.target === 'p99 produce latency')),
  markdownTable(rows),
  '',
  '| case | Skiff: sender late, p99 (µs) | Kafka: sender late, p99 (µs) |',
  '| --- | ---: | ---: |',
];
for (const c of [...new Set(merged.skiff?.runs.map((r) => r.case) ?? [])].filter((c) => c.startsWith('latency franz-go'))) {
  const lag = (res: BrokerResults | undefined): string => fmt((median(res?.runs.filter((r) => r.case === c && r.ok).map((r) => r.values.lag_p99_ms!) ?? []) ?? NaN) * 1000);
  out.push(`| ${c} | ${lag(merged.skiff)} | ${lag(merged.kafka)} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
