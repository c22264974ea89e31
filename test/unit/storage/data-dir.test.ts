import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirError, prepareDataDir } from '../../../src/storage/data-dir.js';

describe('prepareDataDir', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'skiff-datadir-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates missing levels and leaves no probe file behind', async () => {
    const dir = join(root, 'a', 'b', 'c');
    await prepareDataDir(dir);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a path below a file', async () => {
    writeFileSync(join(root, 'file'), 'x');
    const err = await prepareDataDir(join(root, 'file', 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe('ENOTDIR');
    expect((err as DataDirError).message).toContain(`data directory ${join(root, 'file', 'data')} is not writable`);
  });

  it.runIf(process.platform === 'linux')('fails on a pseudo file system instead of hanging', async () => {
    await expect(prepareDataDir('/proc/skiff-no-such-dir/data')).rejects.toBeInstanceOf(DataDirError);
  });
});
