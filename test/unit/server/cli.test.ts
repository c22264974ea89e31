import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = (await import('../../../package.json', { with: { type: 'json' } })).default as { version: string };

function withoutLogLevel(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SKIFF_LOG_LEVEL;
  return env;
}

function runCli(args: string[]) {
  // Same as `npx tsx src/main.ts`, minus npx's own start-up time.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: root,
    env: withoutLogLevel(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return { child, exited, out: () => stdout, err: () => stderr, done: () => done };
}

const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('skiff CLI', () => {
  it('start --port 0 --memory logs one listening line, accepts connections, and exits 0 on SIGTERM', async () => {
    const run = runCli(['start', '--port', '0', '--memory']);
    const deadline = Date.now() + 15_000;
    while (!run.out().includes('Skiff listening on')) {
      if (run.done() || Date.now() > deadline) throw new Error(`no listening line; stderr: ${run.err()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const startup = lines(run.out());
    // The listening line comes last and only once. (Exactly one info line in all is checked in
    // start.test.ts with a fake runtime; the real runtime's own startup lines are its business.)
    const listening = startup.at(-1);
    expect(startup.filter((l) => String(l.msg).startsWith('Skiff listening')).length).toBe(1);
    expect(listening!.level).toBe(30);
    const port = listening!.port as number;
    expect(port).toBeGreaterThan(0);
    expect(listening!.msg).toBe(`Skiff listening on 127.0.0.1:${port}`);
    expect(listening!.memory).toBe(true);

    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });

    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);
    // Lines without a component are the CLI's own; storage and others add theirs.
    const messages = lines(run.out())
      .filter((l) => l.component === undefined)
      .map((l) => l.msg);
    expect(messages).toEqual([`Skiff listening on 127.0.0.1:${port}`, 'shutting down', 'stopped']);
  });

  it('prints the package version', async () => {
    const run = runCli(['--version']);
    expect((await run.exited).code).toBe(0);
    expect(run.out()).toBe(`skiff ${pkg.version}\n`);
  });

  it('fails with a message naming the key, type and value for a bad setting', async () => {
    const run = runCli(['start', '--memory', '--override', 'num.partitions=many']);
    expect((await run.exited).code).toBe(1);
    expect(run.err()).toBe(
      'skiff: config num.partitions (from --override): expected int (a 32-bit integer), got "many" (string)\n',
    );
  });

  it('refuses to start with a security setting it cannot honour, naming the key', async () => {
    const run = runCli(['start', '--memory', '--override', 'listeners=SASL_PLAINTEXT://127.0.0.1:0']);
    expect((await run.exited).code).toBe(1);
    expect(run.err()).toBe(
      'skiff: config sasl.enabled.mechanisms: listener SASL_PLAINTEXT needs SASL mechanisms Skiff serves (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER); GSSAPI is not one\n',
    );
  });

  it('rejects an unknown command with usage', async () => {
    const run = runCli(['serve']);
    expect((await run.exited).code).toBe(1);
    expect(run.err()).toMatch(/unknown command "serve"[\s\S]*Usage: skiff start/);
  });
});
