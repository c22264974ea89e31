/**
 * The broker's startup path loads the generated codec module of each API it serves and no
 * other: handlers carry their codec, and API_CODECS (every API) is for tools and tests. A
 * static walk of the relative imports (dynamic ones included) from src/main.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    expect(loaded).toContain('server/start.ts');
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

  it('gives every handler the codec of its own API', () => {
    for (const [apiKey, h] of HANDLERS) expect(h.codec.apiKey).toBe(apiKey);
  });
});
