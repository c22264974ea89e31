/**
 * Kills the broker in the middle of a cleaning, at every store operation in turn (the one that
 * dies may be a torn append), and checks what a restart finds: each range of offsets that a
 * segment held is exactly as before the cleaning or exactly as after it, never in between.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSegmentStore } from '../../../src/storage/file-store.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { MemorySegmentStore } from '../../../src/storage/memory-store.js';
import type { FileLike, SegmentStore } from '../../../src/storage/store.js';
import { allRecords, keyedBatch, latestPerKey, readAll, type KV, type ReadBatch } from './cleaner-fixture.js';
import { silent } from './store-modes.js';

class Killed extends Error {}

/** A store that dies at its `crashAt`-th mutating operation; an append dying there is torn. */
class FaultyStore implements SegmentStore {
  ops = 0;
  crashAt = Infinity;
  dead = false;
  constructor(readonly inner: SegmentStore) {}

  step(what: string): void {
    if (this.dead) throw new Killed('dead');
    if (++this.ops >= this.crashAt) {
      this.dead = true;
      throw new Killed(`killed at ${what}`);
    }
  }
  alive(): void {
    if (this.dead) throw new Killed('dead');
  }
  async open(path: string): Promise<FileLike> {
    this.step(`open ${path}`);
    return new FaultyFile(await this.inner.open(path), this);
  }
  async list(dir: string): Promise<string[]> {
    this.alive();
    return this.inner.list(dir);
  }
  async delete(path: string): Promise<void> {
    this.step(`delete ${path}`);
    return this.inner.delete(path);
  }
  async readWhole(path: string): Promise<Buffer | undefined> {
    this.alive();
    return this.inner.readWhole(path);
  }
  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    this.step(`writeAtomic ${path}`);
    return this.inner.writeAtomic(path, data);
  }
  async rename(from: string, to: string): Promise<void> {
    this.step(`rename ${from} -> ${to}`);
    return this.inner.rename(from, to);
  }
}

class FaultyFile implements FileLike {
  constructor(
    private readonly inner: FileLike,
    private readonly store: FaultyStore,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  async append(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      this.store.step('append');
    } catch (e) {
      // A torn write: half of the bytes made it.
      const all = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
      if (this.store.ops === this.store.crashAt && all.length > 1) await this.inner.append([all.subarray(0, all.length >> 1)]);
      throw e;
    }
    return this.inner.append(chunks);
  }
  async read(position: number, length: number): Promise<Buffer> {
    this.store.alive();
    return this.inner.read(position, length);
  }
  async truncate(size: number): Promise<void> {
    this.store.step('truncate');
    return this.inner.truncate(size);
  }
  async flush(): Promise<void> {
    this.store.step('flush');
    return this.inner.flush();
  }
  async close(): Promise<void> {
    return this.inner.close();
  }
}

const NOW = 1_700_000_100_000;

async function openManager(store: SegmentStore, config: Partial<LogConfig>): Promise<LogManager> {
  return LogManager.open({
    store,
    logger: silent,
    schedulerIntervalMs: 0,
    clock: () => NOW,
    configFor: () => config,
    cleaner: { fileDeleteDelayMs: 0, ioBufferSize: 4096 },
  });
}

/** Six segments of updates over 40 keys, some deleted; closed cleanly. Returns the segment bases. */
async function build(store: SegmentStore, config: Partial<LogConfig>): Promise<bigint[]> {
  const m = await openManager(store, config);
  const log = await m.createPartition('t', 0, { config });
  let n = 0;
  for (let seg = 0; seg < 6; seg++) {
    for (let b = 0; b < 12; b++) {
      const recs: KV[] = [];
      for (let i = 0; i < 10; i++, n++) recs.push({ key: `k${(n * 7) % 40}`, value: n % 37 === 0 ? null : `v${n}` });
      await log.append(keyedBatch(recs, { timestamp: 1_700_000_000_000 + n }));
    }
    await log.roll();
  }
  const bases = log.segmentInfo().map((s) => s.baseOffset);
  await m.close();
  return bases;
}

async function snapshot(store: SegmentStore, config: Partial<LogConfig>): Promise<ReadBatch[]> {
  const m = await openManager(store, config);
  const batches = await readAll(m.get('t', 0)!);
  await m.close();
  return batches;
}

function inRange(batches: ReadBatch[], from: bigint, to: bigint): string {
  return batches
    .filter((b) => b.baseOffset >= from && b.baseOffset < to)
    .map((b) => b.bytes.toString('hex'))
    .join('|');
}

const stores: Array<[string, () => { store: SegmentStore; cleanup: () => void }]> = [
  ['memory', () => ({ store: new MemorySegmentStore(), cleanup: () => undefined })],
  [
    'file',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'skiff-cleaner-crash-'));
      return { store: new FileSegmentStore(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  ],
];

describe.each(stores)('a broker killed while cleaning (%s store)', (storeName, makeStore) => {
  // One group (every segment fits one cleaned segment) and several groups of two.
  const layouts: Array<[string, Partial<LogConfig>]> = [
    ['one swap', { compact: true, delete: false, segmentBytes: 1 << 20, indexIntervalBytes: 256 }],
    ['three swaps', { compact: true, delete: false, segmentBytes: 1 << 20, indexIntervalBytes: 256 }],
  ];

  it.each(layouts)('comes back before or after the cleaning (%s)', async (layout, config) => {
    // Reference: the log before, and after an uninterrupted cleaning.
    const ref = makeStore();
    const bases = await build(ref.store, config);
    // The segments are ~7 KB; "three swaps" sizes groups to two segments each.
    const sizes = await (async () => {
      const m = await openManager(ref.store, config);
      const info = m.get('t', 0)!.segmentInfo();
      await m.close();
      return info.map((s) => s.size);
    })();
    const cfg: Partial<LogConfig> = layout === 'three swaps' ? { ...config, segmentBytes: Math.max(...sizes) * 2 + 100 } : config;
    const before = await snapshot(ref.store, cfg);
    {
      const m = await openManager(ref.store, cfg);
      const stats = await m.cleaner.cleanLog(m.get('t', 0)!, { force: true, nowMs: NOW });
      expect(stats!.segmentsOut, `sizes ${sizes.join(',')} -> ${stats!.segmentsIn}`).toBe(layout === 'three swaps' ? 3 : 1);
      await m.close();
    }
    const after = await snapshot(ref.store, cfg);
    ref.cleanup();
    expect(after.length).toBeLessThan(before.length);
    const table = latestPerKey(allRecords(before));
    expect(latestPerKey(allRecords(after))).toEqual(table);
    const ranges = bases.map((b, i) => [b, bases[i + 1] ?? 1n << 62n] as const);

    let completed = false;
    let mixed = 0;
    let finishedByRecovery = 0;
    let crashes = 0;
    const step = storeName === 'file' ? 2 : 1;
    for (let crashAt = 1; !completed && crashAt < 500; crashAt += step) {
      const fx = makeStore();
      try {
        await build(fx.store, config);
        const faulty = new FaultyStore(fx.store);
        const m = await openManager(faulty, cfg);
        faulty.crashAt = faulty.ops + crashAt;
        let error: unknown;
        try {
          await m.cleaner.cleanLog(m.get('t', 0)!, { force: true, nowMs: NOW });
        } catch (e) {
          error = e;
        }
        if (!faulty.dead) {
          completed = true;
          expect(error).toBeUndefined();
          faulty.crashAt = Infinity;
          await m.close();
        }
        // Restart on the same files; the dead broker is never closed.
        const found = await snapshot(fx.store, cfg);
        let sawBefore = false;
        let sawAfter = false;
        for (const [from, to] of ranges) {
          const got = inRange(found, from, to);
          const b = inRange(before, from, to);
          const a = inRange(after, from, to);
          if (got === a && got !== b) sawAfter = true;
          else if (got === b && got !== a) sawBefore = true;
          else if (got !== a) throw new Error(`crash at op ${crashAt}: offsets [${from}, ${to}) are neither before nor after the cleaning`);
        }
        if (sawBefore && sawAfter) mixed++;
        if (!completed && sawAfter && !sawBefore) finishedByRecovery++;
        if (!completed && sawBefore && !sawAfter) crashes++;
        if (layout === 'one swap') expect(sawBefore && sawAfter).toBe(false);
        expect(latestPerKey(allRecords(found))).toEqual(table);
        if (completed) expect(found.map((x) => x.bytes.toString('hex'))).toEqual(after.map((x) => x.bytes.toString('hex')));
      } finally {
        fx.cleanup();
      }
    }
    expect(completed).toBe(true);
    // Crashes before the commit point left the old log; crashes after it were finished on restart.
    expect(crashes).toBeGreaterThan(3);
    expect(finishedByRecovery).toBeGreaterThan(0);
    // With several swaps, a crash between two of them leaves some groups cleaned.
    if (layout === 'three swaps') expect(mixed).toBeGreaterThan(0);
  }, 300_000);
});
