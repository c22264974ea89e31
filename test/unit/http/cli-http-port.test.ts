/** `skiff start --http-port`: the log names the console's URL, which serves /ready; a bad port stops startup. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnBroker } from '../../support/broker-process.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('skiff start --http-port', () => {
  it('logs the URL of the HTTP server, which answers /ready and /metrics', async () => {
    const broker = await spawnBroker(['--memory', '--port', '0', '--http-port', '0']);
    try {
      const line = broker
        .output()
        .split('\n')
        .find((l) => l.includes('"component":"http"'));
      const { url } = JSON.parse(line!) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(Number(new URL(url).port)).not.toBe(broker.port);
      expect((await fetch(new URL('ready', url))).status).toBe(200);
      expect(await (await fetch(new URL('metrics', url))).text()).toContain('# TYPE kafka_server_brokertopicmetrics_bytesin_total counter');
    } finally {
      broker.child.kill('SIGTERM');
      await broker.exited;
    }
  });

  it('refuses a port that is not one', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start', '--memory', '--http-port', 'eighty'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--http-port expects 0-65535, got "eighty"');
  });
});
