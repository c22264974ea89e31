import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { DataDirLockedError, lockDataDir } from '../../../src/storage/data-dir-lock.js';
import { LOCK_FILE } from '../../../src/storage/file-names.js';
import { spawnBroker } from '../../support/broker-process.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-lock-'));
  dirs.push(dir);
  return dir;
}

describe('data dir lock', () => {
  it('holds the pid in .lock, refuses a second holder in this process, and frees the dir on release', async () => {
    const dir = await tempDir();
    const lock = await lockDataDir(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
    await lock.release();
    await expect(readFile(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    await (await lockDataDir(dir)).release();
  });

  it('refuses a lock held by another live process, naming the directory', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(`data directory ${dir} is in use by another broker (pid ${process.ppid}`);
  });

  it('takes over a lock whose process is gone, or an empty one', async () => {
    const dir = await tempDir();
    // Far above any pid_max: no such process.
    await writeFile(join(dir, LOCK_FILE), '2000000000\n');
    const lock = await lockDataDir(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await writeFile(join(dir, LOCK_FILE), '');
    await (await lockDataDir(dir)).release();
  });

  it('a second broker on the same dir, in this process or another, refuses to start; after kill -9 the dir is usable', async () => {
    const dir = await tempDir();
    const first = await startBroker({ dataDir: dir, logLevel: 'silent' });
    try {
      await expect(startBroker({ dataDir: dir, logLevel: 'silent' })).rejects.toThrow(`data directory ${dir} is in use`);
    } finally {
      await first.close();
    }

    const child = await spawnBroker(['--port', '0', '--data-dir', dir]);
    try {
      await expect(startBroker({ dataDir: dir, logLevel: 'silent' })).rejects.toThrow(`pid ${child.child.pid}`);
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    const again = await startBroker({ dataDir: dir, logLevel: 'silent' });
    await again.close();
  }, 30_000);
});
