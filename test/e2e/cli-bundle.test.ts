/**
 * `skiff start` as users run it: the bundled CLI (bin/skiff.js over dist/bundle, rebuilt
 * here with scripts/bundle.ts so it matches the sources), every flag, and the messages for
 * the usual mistakes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
let tmp = '';

beforeAll(() => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts'], { cwd: root, stdio: 'inherit' });
  tmp = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  exited: Promise<number | null>;
  out(): string;
  err(): string;
  stop(): Promise<number | null>;
}

function skiff(args: string[]): Run {
  const env = { ...process.env };
  delete env.SKIFF_LOG_LEVEL;
  const child = spawn(process.execPath, ['bin/skiff.js', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exited,
    out: () => out,
    err: () => err,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts a broker; resolves with its JSON lines so far once it listens. */
async function started(args: string[]): Promise<{ run: Run; port: number; lines: () => Array<Record<string, unknown>> }> {
  const run = skiff(['start', '--log-format', 'json', ...args]);
  const lines = (): Array<Record<string, unknown>> =>
    run
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  let exited = false;
  void run.exited.then(() => (exited = true));
  for (;;) {
    const listening = lines().find((l) => String(l.msg).startsWith('Skiff listening'));
    if (listening !== undefined) return { run, port: listening.port as number, lines };
    if (exited) throw new Error(`skiff exited before listening: ${run.err()}${run.out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `waitForStart`: retry connecting while the broker may still be starting. */
async function partitionsOfNewTopic(port: number, waitForStart = false): Promise<number> {
  const retry = waitForStart ? { retries: 20, initialRetryTime: 100 } : undefined;
  const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'fresh' }] });
    return (await admin.fetchTopicMetadata({ topics: ['fresh'] })).topics[0]!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('skiff (bundled CLI)', () => {
  it('--help and --version', async () => {
    const help = skiff(['--help']);
    expect(await help.exited).toBe(0);
    for (const flag of ['--host', '--port', '--data-dir', '--memory', '--config', '--override', '--log-level', '--log-format', '--http-port']) {
      expect(help.out()).toContain(flag);
    }
    const version = skiff(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.out()).toBe(`skiff ${pkg.version}\n`);
  });

  it('start --host --port 0 --memory --log-level: listens, logs JSON lines, stops on SIGTERM', async () => {
    const { run, port, lines } = await started(['--host', '127.0.0.1', '--port', '0', '--memory', '--log-level', 'info']);
    const listening = lines().find((l) => String(l.msg).startsWith('Skiff listening'))!;
    expect(listening).toMatchObject({ host: '127.0.0.1', memory: true, dataDir: null, bootstrap: `127.0.0.1:${port}` });
    expect(await partitionsOfNewTopic(port)).toBe(1);
    expect(await run.stop()).toBe(0);
    expect(lines().at(-1)!.msg).toBe('stopped');
  });

  it('--data-dir keeps the data there and says how fetch sends it', async () => {
    const dir = join(tmp, 'data');
    const { run, lines } = await started(['--port', '0', '--data-dir', dir]);
    expect(lines().find((l) => String(l.msg).startsWith('Skiff listening'))!.dataDir).toBe(dir);
    expect(lines().some((l) => /^fetch (sends|reads) segment files/.test(String(l.msg)))).toBe(true);
    expect(await run.stop()).toBe(0);
    expect(readdirSync(dir)).toContain('meta.properties');
  });

  it('--log-level warn keeps warnings and leaves out the info lines', async () => {
    const port = await freePort();
    const run = skiff(['start', '--port', String(port), '--memory', '--log-level', 'warn', '--log-format', 'json', '--override', 'num.partitons=3']);
    // Serving requests means startup, and its info lines, are over.
    expect(await partitionsOfNewTopic(port, true)).toBe(1);
    expect(await run.stop()).toBe(0);
    const levels = run.out().trim().split('\n').map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels).toEqual([40]);
  });

  it('--log-format pretty prints the banner and readable lines', async () => {
    const run = skiff(['start', '--port', '0', '--memory', '--log-format', 'pretty', '--http-port', '0']);
    let exited = false;
    void run.exited.then(() => (exited = true));
    while (!run.out().includes('stop        Ctrl+C')) {
      if (exited) throw new Error(`skiff exited before its banner: ${run.err()}${run.out()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await run.stop()).toBe(0);
    const out = run.out();
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}Skiff listening on 127\.0\.0\.1:\d+ /m);
    expect(out).toContain(`Skiff ${pkg.version}`);
    expect(out).toContain('in memory (nothing is written to disk)');
    expect(out).toMatch(/--bootstrap-server 127\.0\.0\.1:\d+/);
    expect(out).toMatch(/ {2}console {5}http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).not.toContain('{"level"');
  });

  it('--config with nested YAML', async () => {
    const config = file('nested.yaml', 'num:\n  partitions: 3\nskiff:\n  memory: true\nlisteners: PLAINTEXT://127.0.0.1:0\n');
    const { run, port } = await started(['--config', config]);
    expect(await partitionsOfNewTopic(port)).toBe(3);
    expect(await run.stop()).toBe(0);
  });

  it('--config with flat properties-style YAML, and --override over it', async () => {
    const config = file('flat.yaml', 'num.partitions: 2\nskiff.memory: true\nlog.retention.ms: 60000\n');
    const first = await started(['--config', config, '--port', '0']);
    expect(await partitionsOfNewTopic(first.port)).toBe(2);
    expect(await first.run.stop()).toBe(0);
    const second = await started(['--config', config, '--port', '0', '--override', 'num.partitions=5', '--override', 'log.retention.ms=1000']);
    expect(await partitionsOfNewTopic(second.port)).toBe(5);
    expect(await second.run.stop()).toBe(0);
  });

  it('--config with a misspelt key warns and starts', async () => {
    const config = file('typo.yaml', 'num.partitons: 3\nskiff.memory: true\n');
    const { run, lines } = await started(['--config', config, '--port', '0']);
    const warning = lines().find((l) => l.level === 40 && l.key === 'num.partitons');
    expect(warning).toMatchObject({ source: config });
    expect(String(warning!.msg)).toContain('unknown config key ignored: num.partitons');
    expect(await run.stop()).toBe(0);
  });

  it('--config with a wrongly typed value exits non-zero naming key, type and value', async () => {
    const config = file('typed.yaml', 'num.partitions: many\nskiff.memory: true\n');
    const run = skiff(['start', '--config', config, '--port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.err()).toBe(`skiff: config num.partitions (from ${config}): expected int (a 32-bit integer), got "many" (string)\n`);
  });

  it('--config naming a missing file, or one that is not YAML', async () => {
    const missing = skiff(['start', '--config', join(tmp, 'nope.yaml'), '--port', '0']);
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toContain(`cannot read config file ${join(tmp, 'nope.yaml')}`);
    const broken = file('broken.yaml', 'num.partitions: [3\n');
    const bad = skiff(['start', '--config', broken, '--port', '0']);
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain(`config file ${broken} is not valid YAML`);
  });

  it('explains an unknown option, a port in use and a data dir it cannot write', async () => {
    const typo = skiff(['start', '--prot', '9092']);
    expect(await typo.exited).toBe(1);
    expect(typo.err()).toBe('skiff: unknown option --prot\nhint: did you mean --port? `skiff --help` lists the options\n');

    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const busy = (holder.address() as { port: number }).port;
    try {
      const inUse = skiff(['start', '--memory', '--port', String(busy)]);
      expect(await inUse.exited).toBe(1);
      expect(inUse.err()).toBe(`skiff: 127.0.0.1:${busy} is already in use (another Skiff or Kafka running?)\nhint: --port 0 picks a free port; --port N chooses another\n`);
    } finally {
      holder.close();
    }

    const blocked = file('a-file', 'x');
    const noDir = skiff(['start', '--port', '0', '--data-dir', join(blocked, 'data')]);
    expect(await noDir.exited).toBe(1);
    expect(noDir.err()).toMatch(/^skiff: data directory .*a-file\/data is not writable: ENOTDIR.*\nhint: --data-dir DIR names a writable folder; --memory keeps nothing on disk\n$/);
  });
});
