/**
 * The broker's startup path loads the generated codec module of each API it serves and no
 * other: handlers carry their codec, and API_CODECS (every API) is for tools and tests. A
 * static walk of the relative imports (dynamic ones included) from src/main.ts.
 *
 * The CLI runs a bundle of that graph (scripts/bundle.ts); it must keep the early bind ahead
 * of loading the logger and the broker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../../scripts/bundle.js';
import { HANDLERS } from '../../../src/server/registry.js';

const SRC = join(import.meta.dirname, '../../../src');
// `import type` / `export type` are erased; everything else (`import { type X }` included,
// under verbatimModuleSyntax) loads the module.
const IMPORT = /(?:^|[\n;])\s*(?:import|export)\s+(?!type[\s{])(?:[^'";]*?\sfrom\s+)?'(\.{1,2}\/[^']+)'|\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      todo.push(resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')));
    }
  }
  return new Set([...seen].map((f) => relative(SRC, f)));
}

describe('modules loaded at startup', () => {
  const loaded = reachable(join(SRC, 'main.ts'));

  it('walks the real graph', () => {
    expect(loaded).toContain('launch.ts');
    expect(loaded).toContain('server/dispatch.ts');
    expect(loaded).toContain('protocol/generated/018-api-versions.ts');
  });

  it('does not include API_CODECS', () => {
    expect(loaded).not.toContain('protocol/generated/api-codecs.ts');
  });

  it('includes the codec modules of the registered APIs only', () => {
    const apiKeys = [...loaded].flatMap((f) => /^protocol\/generated\/(\d{3})-/.exec(f)?.[1] ?? []).map(Number);
    expect(apiKeys.sort((a, b) => a - b)).toEqual([...HANDLERS.keys()].sort((a, b) => a - b));
  });

  it('gives every handler the codec of its own API', async () => {
    for (const [apiKey, entry] of HANDLERS) expect((await entry.load()).codec.apiKey).toBe(apiKey);
  });
});

describe('the bundled CLI (dist/bundle)', () => {
  let meta: Metafile;
  let outdir: string;
  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'skiff-bundle-'));
    meta = (await build({ ...bundleOptions(outdir), metafile: true, sourcemap: false, write: false })).metafile!;
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** Chunks loaded with `from`: those chunks and their static imports, transitively. */
  function staticChunks(from: string[]): string[] {
    const seen = new Set<string>();
    const todo = [...from];
    while (todo.length > 0) {
      const name = todo.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const imp of outputOf(name).imports) {
        if (imp.kind === 'import-statement' && !imp.external) todo.push(relative(outdir, imp.path));
      }
    }
    return [...seen];
  }

  /** Inputs of every chunk loaded before main() runs: main.js and its static imports, transitively. */
  function staticInputs(): string[] {
    return staticChunks(['main.js']).flatMap((name) => Object.keys(outputOf(name).inputs));
  }

  function outputOf(name: string): Metafile['outputs'][string] {
    return Object.entries(meta.outputs).find(([path]) => relative(outdir, path) === name)![1];
  }

  /** The chunk that holds `input`. */
  function chunkOf(input: string): string {
    return relative(outdir, Object.entries(meta.outputs).find(([, out]) => input in out.inputs)![0]);
  }

  it('loads the listener before main() runs', () => {
    expect(staticInputs()).toContain('src/server/listener.ts');
  });

  it('a plaintext broker does not load node:tls (only a TLS listener imports it)', () => {
    const loaded = staticChunks(['main.js', chunkOf('src/launch.ts'), chunkOf('src/broker.ts')]);
    const tls = loaded.filter((name) => outputOf(name).imports.some((imp) => imp.kind === 'import-statement' && imp.path === 'node:tls'));
    expect(tls).toEqual([]);
  });

  it('does not load node:dns for a broker without host names in max.connections.per.ip.overrides', () => {
    const loaded = staticChunks(['main.js', chunkOf('src/launch.ts'), chunkOf('src/broker.ts')]);
    const dns = loaded.filter((name) => outputOf(name).imports.some((imp) => imp.kind === 'import-statement' && imp.path.startsWith('node:dns')));
    expect(dns).toEqual([]);
  });

  /** Every chunk the broker loads before its first answer: main, launch, broker, the logger. */
  function brokerStartupChunks(): string[] {
    return staticChunks(['main.js', chunkOf('src/launch.ts'), chunkOf('src/broker.ts'), chunkOf('src/log.ts')]);
  }

  it('loads the handler of ApiVersions and no other before the first request (the others load on their first request)', () => {
    const early = brokerStartupChunks().flatMap((name) => Object.keys(outputOf(name).inputs));
    expect(early.filter((f) => f.startsWith('src/server/handlers/'))).toEqual(['src/server/handlers/018-api-versions.ts']);
    // The other codecs stay in their handlers' chunks (and the embedded fixtures' and the replica
    // fetcher's, loaded on first use too); the SASL authenticator answers 17 and 36 itself.
    const codecs = early.flatMap((f) => /^src\/protocol\/generated\/(\d{3})-/.exec(f)?.[1] ?? []).map(Number);
    expect(codecs.sort((a, b) => a - b)).toEqual([17, 18, 36]);
  });

  it('loads the share and streams groups (managers, record codecs) and the log cleaner\'s cleaning on first use, not before the first answer', () => {
    const early = brokerStartupChunks().flatMap((name) => Object.keys(outputOf(name).inputs));
    const lazy = [
      /^src\/coordinator\/group\/(share|streams)-group-(manager|records)\.ts$/,
      /^src\/protocol\/generated\/group-coordinator\/(share|streams)-group-/,
      /^src\/storage\/cleaner\/(cleaner|offset-map|records)\.ts$/,
    ];
    expect(early.filter((f) => lazy.some((re) => re.test(f)))).toEqual([]);
    // They are in the bundle: loaded on the first request or replayed record of their type, and the first cleaning.
    const bundled = Object.values(meta.outputs).flatMap((out) => Object.keys(out.inputs));
    expect(bundled).toEqual(expect.arrayContaining(['src/coordinator/group/share-group-manager.ts', 'src/coordinator/group/streams-group-manager.ts', 'src/storage/cleaner/cleaner.ts']));
  });

  it('keeps the broker in few chunks although every handler is an entry point of its own', () => {
    expect(brokerStartupChunks().length).toBeLessThan(30);
  });

  it('loads neither the broker nor pino before main() runs', () => {
    const early = staticInputs();
    expect(early).not.toContain('src/broker.ts');
    expect(early).not.toContain('src/server/registry.ts');
    expect(early.filter((f) => f.startsWith('src/storage/'))).toEqual([]);
    expect(early.filter((f) => f.includes('node_modules/'))).toEqual([]);
  });
});
