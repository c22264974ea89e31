import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The data directory cannot be created or written; `code` is the system error (EACCES, EROFS, ...). */
export class DataDirError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
    detail: string,
  ) {
    super(`data directory ${dir} is not writable: ${detail}`);
    this.name = 'DataDirError';
  }
}

/**
 * Creates the data directory if needed and proves it writable before anything else touches
 * it, so a bad --data-dir fails at startup with one clear error rather than midway through
 * recovery. Missing levels are made one at a time: Node's recursive mkdir never returns on
 * some pseudo file systems (/proc).
 */
export async function prepareDataDir(dir: string): Promise<void> {
  const missing: string[] = [];
  try {
    for (let d = dir; ; d = dirname(d)) {
      const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (st !== undefined) {
        if (!st.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
        break;
      }
      missing.push(d);
      if (dirname(d) === d) break;
    }
    for (const d of missing.reverse()) await mkdir(d);
    const probe = join(dir, `.skiff-write-check-${process.pid}`);
    await (await open(probe, 'w')).close();
    await unlink(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DataDirError(dir, err.code ?? 'EIO', err.message);
  }
}
