/**
 * The data dir's `.lock` file, as Kafka keeps one in every log dir, so that two brokers never
 * write the same logs. Kafka holds an OS lock (FileChannel.tryLock); Node has no portable
 * flock, so the file holds the owner's pid instead: a lock whose process is gone (a crash,
 * kill -9) is stale and taken over, one whose process is alive refuses the second broker.
 * Brokers inside one process are told apart by the set of directories this process holds.
 */
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LOCK_FILE } from './file-names.js';


export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super(
      `data directory ${dir} is in use by another broker (pid ${ownerPid}${ownerPid === process.pid ? ', this process' : ''}, ` +
        `see ${join(dir, LOCK_FILE)}); stop it or choose another log.dirs`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** Directories locked by brokers of this process. */
const heldHere = new Set<string>();

export interface DataDirLock {
  readonly dir: string;
  /** Removes the lock file; idempotent. */
  release(): Promise<void>;
}

export async function lockDataDir(dirPath: string): Promise<DataDirLock> {
  const dir = resolve(dirPath);
  if (heldHere.has(dir)) throw new DataDirLockedError(dir, process.pid);
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  // Twice at most: once more after removing a stale lock.
  for (let attempt = 0; ; attempt++) {
    if (await createWithPid(path)) break;
    const owner = await readOwner(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new DataDirLockedError(dir, owner);
    if (attempt > 0) throw new Error(`cannot take over the stale lock ${path}`);
    // Left by a process that is gone, or by an earlier one with our pid (a restarted container).
    await unlink(path).catch(ignoreMissing);
  }
  heldHere.add(dir);
  let released = false;
  return {
    dir,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(dir);
      // Only our own lock: a broker that started after a forced takeover keeps its file.
      if ((await readOwner(path)) === process.pid) await unlink(path).catch(ignoreMissing);
    },
  };
}

/**
 * Creates the lock file already holding our pid, or returns false when it exists: written
 * aside and hard-linked into place, so nobody ever reads a lock file without its pid.
 */
async function createWithPid(path: string): Promise<boolean> {
  const aside = `${path}.${process.pid}`;
  await writeFile(aside, `${process.pid}\n`);
  try {
    await link(aside, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(aside).catch(ignoreMissing);
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
