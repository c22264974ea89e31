import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summariseProfile } from '../../../bench/profile-summary.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-profile-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A bundle chunk whose first line maps to src/server/connection.ts line 1 ("AAAA").
const bundle = join(dir, 'dist/bundle');
mkdirSync(bundle, { recursive: true });
writeFileSync(join(bundle, 'chunk.js'), 'function read() {}\n');
writeFileSync(join(bundle, 'chunk.js.map'), JSON.stringify({ version: 3, sources: ['../../src/server/connection.ts'], names: [], mappings: 'AAAA' }));

const frame = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 } });
// Samples 1 ms apart from t = 1,000,000 µs: startup work, then load (reads, GC, idle), then shutdown work.
const profileFile = join(dir, 'p.cpuprofile');
writeFileSync(
  profileFile,
  JSON.stringify({
    nodes: [frame(1, '(root)'), frame(2, 'compileSourceTextModule', 'node:internal/modules/esm/utils'), frame(3, 'read', pathToFileURL(join(bundle, 'chunk.js')).href), frame(4, '(garbage collector)'), frame(5, '(idle)')],
    startTime: 1_000_000,
    samples: [2, 2, 2, 3, 3, 3, 4, 5, 5, 2],
    timeDeltas: Array(10).fill(1000),
  }),
);

describe('summariseProfile', () => {
  it('counts only the samples inside the window, and names bundle frames by their source file', () => {
    const s = summariseProfile(profileFile, 10, { fromUs: 1_003_500, toUs: 1_009_500 });
    expect(s.sampledMs).toBe(6);
    expect(s.busyMs).toBe(4);
    expect(s.gcMs).toBe(1);
    expect(s.functions).toEqual([
      ['read  src/server/connection.ts:1', 3],
      ['(garbage collector)  ', 1],
    ]);
    expect(s.files[0]).toEqual(['src/server/connection.ts', 3]);
  });

  it('counts the whole profile without a window', () => {
    const s = summariseProfile(profileFile);
    expect(s.busyMs).toBe(8);
    expect(s.functions[0]).toEqual(['compileSourceTextModule  node:internal/modules/esm/utils:1', 4]);
  });
});
