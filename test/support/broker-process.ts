/**
 * A broker in a child process, for tests that must kill it (kill -9) or restart it the
 * way a user does. It runs the TypeScript sources through tsx, so no build is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface BrokerProcess {
  child: ChildProcess;
  port: number;
  bootstrap: string;
  /** Everything the broker wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnBroker(args: string[], timeoutMs = 20_000): Promise<BrokerProcess> {
  const env = { ...process.env, SKIFF_LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = out.split('\n').find((l) => l.includes('Skiff listening on'));
    if (line) {
      const { port } = JSON.parse(line) as { port: number };
      return { child, port, bootstrap: `127.0.0.1:${port}`, output: () => out, exited };
    }
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`broker did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
