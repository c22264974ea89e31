/**
 * `skiff start` keeps V8's optimising compiler (TurboFan) off while the broker's chunks load
 * (src/main.ts) and turns it on again before the broker serves: nothing is optimised before
 * the listening line, and a broker under requests is optimised again. Read from V8's own
 * --trace-opt lines of the bundled CLI (built here, as scripts/bundle.ts builds dist/bundle).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../../scripts/bundle.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { RawClient } from '../../support/raw-client.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Node 20 names the target TURBOFAN, Node 24 TURBOFAN_JS.
const OPTIMISED = /\(target TURBOFAN(_JS)?\)/;

describe('the optimising compiler around startup', () => {
  let outdir: string;
  beforeAll(async () => {
    // Inside the checkout, so that the bundle's external packages resolve from node_modules.
    mkdirSync(join(root, '.cache'), { recursive: true });
    outdir = mkdtempSync(join(root, '.cache', 'test-bundle-'));
    await build({ ...bundleOptions(outdir), sourcemap: false });
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is off while the broker loads, and on once it serves', async () => {
    const script = `import { main } from ${JSON.stringify(join(outdir, 'main.js'))}; await main(['start', '--port', '0', '--memory', '--log-format', 'json']);`;
    const child = spawn(process.execPath, ['--trace-opt', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      while (!/Skiff listening on 127\.0\.0\.1:\d+/.test(out)) {
        if (child.exitCode !== null) throw new Error(`exited before listening: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const beforeListening = out.slice(0, out.indexOf('Skiff listening'));
      expect(beforeListening.split('\n').filter((l) => OPTIMISED.test(l))).toEqual([]);
      const port = Number(/Skiff listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const client = await RawClient.connect('127.0.0.1', port);
      try {
        // Enough requests for the request path to become hot.
        for (let i = 0; i < 200 && !OPTIMISED.test(out.slice(beforeListening.length)); i++) {
          await Promise.all(Array.from({ length: 50 }, () => client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })));
        }
      } finally {
        await client.close();
      }
      expect(out.slice(beforeListening.length)).toMatch(OPTIMISED);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
