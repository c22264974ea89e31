/**
 * The broker started from a V8 startup snapshot, for measurement only (BENCHMARKS.md Round 6):
 * bundles src/main.ts and everything it loads into one CommonJS file, loads the broker's
 * modules into a `node --build-snapshot` heap, and writes the blob for this Node binary.
 *
 *   npx tsx bench/startup-snapshot.ts [--node PATH]
 *   npx tsx bench/startup-bench.ts 10 --bin bin/skiff.js --bin=--snapshot-blob=dist/snapshot/skiff-<node version>.blob
 *
 * (startup-bench runs `node <bin> start ...`, and `node --snapshot-blob=B start ...` runs the
 * snapshot's main with `start ...` as its arguments.) Not how `skiff start` runs: the blob
 * only works when given on the node command line and only with the Node that built it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { REPO } from './lib/brokers.js';

const { values } = parseArgs({ options: { node: { type: 'string' } } });
const node = values.node === undefined ? process.execPath : resolve(values.node);
const outdir = join(REPO, 'dist/snapshot');
mkdirSync(outdir, { recursive: true });
const script = join(outdir, 'skiff.cjs');
await build({
  absWorkingDir: REPO,
  entryPoints: ['bench/lib/snapshot-entry.ts'],
  outfile: script,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['@node-rs/crc32', 'snappy', 'lz4-napi', 'fzstd', 'yaml', 're2js'],
  // A CommonJS file has no import.meta. The URL names a file beside the script that is not the
  // script itself, so src/main.ts does not take itself for the entry point while the snapshot
  // is built; package.json and node_modules are found from it as from dist/bundle.
  define: { 'import.meta.url': '__skiffModuleUrl' },
  banner: { js: `var __skiffModuleUrl = ${JSON.stringify(`file://${join(outdir, 'module.cjs')}`)};` },
  logLevel: 'error',
});
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const blob = join(outdir, `skiff-${version}.blob`);
execFileSync(node, ['--snapshot-blob', blob, '--build-snapshot', script], { cwd: outdir, stdio: ['ignore', 'ignore', 'pipe'] });
process.stdout.write(`${blob}\n`);
