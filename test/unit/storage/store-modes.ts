/** Runs the same storage tests on real files and on the in-memory store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FileSegmentStore } from '../../../src/storage/file-store.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import type { SegmentStore } from '../../../src/storage/store.js';

export const silent = pino({ level: 'silent' });

export interface StoreFixture {
  store: SegmentStore;
  /** The folder for file stores, undefined in memory. */
  root: string | undefined;
  cleanup(): void;
}

export const storeModes: Array<[string, () => StoreFixture]> = [
  [
    'file',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'skiff-storage-'));
      return { store: new FileSegmentStore(root), root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  ],
  ['memory', () => ({ store: new MemorySegmentStore(), root: undefined, cleanup: () => undefined })],
];
