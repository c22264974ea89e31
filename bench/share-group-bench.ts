/**
 * Records/s through a share group (KIP-932) with 1, 4 and 16 franz-go share consumers on one
 * partition, Skiff beside Apache Kafka (kafka.sh's release) on this machine, one broker after
 * the other. The topic is filled first (franz-bench); each run uses a fresh group that reads it
 * from the start; the rate is taken from the first record to the last, so joining the group is
 * not in it (it is shown apart). Prints a Markdown table.
 *
 *   npx tsx bench/share-group-bench.ts [--records N] [--skiff-only]
 *
 * Not a test: nothing passes or fails on a number. Every run is bounded (record count and a
 * time limit per client) and every broker started here is stopped here.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaAvailable, kafkaLibsReady, kafkaVersion, REPO, startKafka, startSkiff, type StartedBroker } from './lib/brokers.js';
import { ensureFranzBench, franzProduce } from './lib/clients.js';
import { run } from './lib/proc.js';

const { values: flags } = parseArgs({ options: { records: { type: 'string' }, 'skiff-only': { type: 'boolean' } } });
const RECORDS = Number(flags.records ?? 200_000);
const CONSUMERS = [1, 4, 16];
const SHARE_DIR = join(REPO, 'bench/clients/share-bench');
const SHARE_BIN = join(REPO, '.cache/bench/share-bench');

async function ensureShareBench(): Promise<void> {
  const mtime = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : 0);
  const built = mtime(SHARE_BIN);
  if (built > 0 && ['main.go', 'go.mod', 'go.sum'].every((f) => mtime(join(SHARE_DIR, f)) < built)) return;
  const r = await run('go', ['build', '-o', SHARE_BIN, '.'], { timeoutMs: 300_000, cwd: SHARE_DIR });
  if (r.code !== 0) throw new Error(`go build of bench/clients/share-bench failed: ${r.stderr.slice(-500)}`);
}

interface Row {
  consumers: number;
  records_per_sec?: number;
  first_record_s?: number;
  redelivered?: number;
  error?: string;
}

async function measure(broker: StartedBroker): Promise<Row[]> {
  const topic = 'share-bench';
  const produced = await franzProduce({ bootstrap: broker.bootstrap, topic, count: RECORDS, size: 100, acks: '-1' }, 120_000);
  if (!produced.ok) throw new Error(`produce: ${produced.error}`);
  // franz-bench produces one record more first (its metadata warm-up).
  const count = RECORDS + 1;
  const rows: Row[] = [];
  for (const n of CONSUMERS) {
    const args = ['-bootstrap', broker.bootstrap, '-topic', topic, '-group', `share-bench-${n}`, '-count', String(count), '-consumers', String(n), '-deadline', '170s'];
    const r = await run(SHARE_BIN, args, { timeoutMs: 180_000 });
    try {
      const v = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { records_per_sec: number; first_record_s: number; records: number };
      rows.push({ consumers: n, records_per_sec: v.records_per_sec, first_record_s: v.first_record_s, redelivered: v.records - count });
    } catch {
      rows.push({ consumers: n, error: (r.stderr || r.stdout).trim().split('\n').at(-1) ?? `exit ${r.code}` });
    }
  }
  return rows;
}

const built = await ensureFranzBench();
if (built) throw new Error(built);
await ensureShareBench();
const results: Array<{ name: string; rows: Row[] }> = [];
for (const name of flags['skiff-only'] || !kafkaAvailable() || !kafkaLibsReady() ? ['skiff'] : ['skiff', 'kafka']) {
  const broker = name === 'skiff' ? await startSkiff({ numPartitions: 1 }) : await startKafka({ numPartitions: 1 });
  try {
    results.push({ name: name === 'kafka' ? `Kafka ${kafkaVersion()}` : 'Skiff', rows: await measure(broker) });
  } finally {
    await broker.stop();
  }
}

const cell = (r: Row | undefined): string => (r === undefined ? '' : r.error !== undefined ? `error: ${r.error}` : `${Math.round(r.records_per_sec!).toLocaleString('en-US')} (${r.first_record_s!.toFixed(1)} s, ${r.redelivered} again)`);
console.log(`Share group, one partition, ${RECORDS.toLocaleString('en-US')} records of 100 B; records/s from the first record to the last (first record after; deliveries beyond one per record)\n`);
console.log(`| consumers | ${results.map((r) => r.name).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
for (const n of CONSUMERS) console.log(`| ${n} | ${results.map((r) => cell(r.rows.find((x) => x.consumers === n))).join(' | ')} |`);
