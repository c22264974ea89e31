import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { segmentFileName } from '../../../src/storage/file-names.js';
import { describeBatches, makeBatch } from './batch-fixture.js';
import { silent, storeModes, type StoreFixture } from './store-modes.js';

const CONFIG: Partial<LogConfig> = { segmentBytes: 1500, indexIntervalBytes: 200 };

/** A seeded generator so a failing iteration can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(storeModes)('recovery on the %s store', (_name, makeStore) => {
  let fx: StoreFixture;
  beforeEach(() => {
    fx = makeStore();
  });
  afterEach(() => fx.cleanup());

  async function build(topic: string, batches: number): Promise<{ sent: Buffer[]; segments: bigint[] }> {
    const log = await PartitionLog.open({ store: fx.store, topic, partition: 0, config: CONFIG, logger: silent });
    const sent: Buffer[] = [];
    for (let i = 0; i < batches; i++) {
      const b = makeBatch({ records: 1 + (i % 4), valueSize: 10 + ((i * 37) % 90), tag: i, timestamp: 1000n + BigInt(i) });
      await log.append(b);
      sent.push(Buffer.from(b));
    }
    const segments = log.segmentInfo().map((s) => s.baseOffset);
    await log.close();
    return { sent, segments };
  }

  async function readEverything(log: PartitionLog): Promise<Buffer[]> {
    const out: Buffer[] = [];
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const r = await log.read(offset, 4096);
      const flat = Buffer.concat(r.records);
      let at = 0;
      for (const d of describeBatches(r.records)) {
        expect(d.base).toBe(offset);
        out.push(flat.subarray(at, at + d.size));
        at += d.size;
        offset = d.last + 1n;
      }
    }
    return out;
  }

  it('survives 100 random truncations, garbage tails and bit flips of the last segment', async () => {
    const random = rng(42);
    for (let iter = 0; iter < 100; iter++) {
      const topic = `r${iter}`;
      const { sent, segments } = await build(topic, 30);
      const lastBase = segments.at(-1)!;
      const path = `${topic}-0/${segmentFileName(lastBase, '.log')}`;
      const file = await fx.store.open(path);
      const size = file.size;
      // Batches stored in the last segment, with their end positions in it.
      const firstInLast = sent.findIndex((_, i) => sent.slice(0, i + 1).reduce((n, b) => n + b.readInt32BE(23) + 1, 0) > Number(lastBase));
      const ends: number[] = [];
      let pos = 0;
      for (const b of sent.slice(firstInLast)) ends.push((pos += b.length));
      expect(pos).toBe(size);

      const kind = iter % 3;
      let damageAt: number;
      if (kind === 0) {
        damageAt = Math.floor(random() * size);
        await file.truncate(damageAt);
      } else if (kind === 1) {
        damageAt = Math.floor(random() * (size + 1));
        await file.truncate(damageAt);
        const junk = Buffer.alloc(1 + Math.floor(random() * 300));
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
        await file.append([junk]);
      } else {
        // A flip anywhere the CRC covers (or in the CRC itself) must cost exactly that batch.
        const victim = Math.floor(random() * ends.length);
        const start = victim === 0 ? 0 : ends[victim - 1]!;
        damageAt = start + 17 + Math.floor(random() * (ends[victim]! - start - 17));
        const bytes = await file.read(0, size);
        const copy = Buffer.from(bytes);
        copy[damageAt] = copy[damageAt]! ^ (1 << Math.floor(random() * 8));
        await file.truncate(0);
        await file.append([copy]);
        damageAt = start;
      }
      await file.close();

      const log = await PartitionLog.open({ store: fx.store, topic, partition: 0, config: CONFIG, logger: silent, clean: false });
      const keptInLast = ends.filter((e) => e <= damageAt).length;
      const expected = sent.slice(0, firstInLast + keptInLast);
      const got = await readEverything(log);
      expect(got.length, `iteration ${iter} kind ${kind} at ${damageAt}`).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(got[i]!.equals(expected[i]!)).toBe(true);
      const end = expected.reduce((n, b) => n + BigInt(b.readInt32BE(23) + 1), 0n);
      expect(log.logEndOffset).toBe(end);
      // The log takes appends right after what it kept.
      expect((await log.append(makeBatch())).baseOffset).toBe(end);
      await log.close();
    }
  });

  it('keeps an append made after recovering a garbage tail through a second restart', async () => {
    const { sent, segments } = await build('g', 30);
    const file = await fx.store.open(`g-0/${segmentFileName(segments.at(-1)!, '.log')}`);
    await file.append([Buffer.from('a torn write: not a record batch at all'.repeat(4))]);
    await file.close();
    const end = sent.reduce((n, b) => n + BigInt(b.readInt32BE(23) + 1), 0n);

    let log = await PartitionLog.open({ store: fx.store, topic: 'g', partition: 0, config: CONFIG, logger: silent, clean: false });
    expect(log.logEndOffset).toBe(end);
    const extra = makeBatch({ records: 2, valueSize: 20, tag: 999, timestamp: 5000n });
    expect((await log.append(extra)).baseOffset).toBe(end);
    const kept = Buffer.from(extra);
    await log.close();

    // A second recovery scan must find the append right after the kept batches, not behind garbage.
    log = await PartitionLog.open({ store: fx.store, topic: 'g', partition: 0, config: CONFIG, logger: silent, clean: false });
    expect(log.logEndOffset).toBe(end + 2n);
    const got = await readEverything(log);
    expect(got.length).toBe(sent.length + 1);
    for (let i = 0; i < sent.length; i++) expect(got[i]!.equals(sent[i]!)).toBe(true);
    expect(got.at(-1)!.equals(kept)).toBe(true);
    await log.close();
  });

  it('drops segments after a damaged middle one', async () => {
    const { sent, segments } = await build('m', 30);
    expect(segments.length).toBeGreaterThan(3);
    const file = await fx.store.open(`m-0/${segmentFileName(segments[1]!, '.log')}`);
    await file.truncate(file.size - 5);
    await file.close();
    const log = await PartitionLog.open({ store: fx.store, topic: 'm', partition: 0, config: CONFIG, logger: silent });
    expect(log.segmentInfo().map((s) => s.baseOffset)).toEqual(segments.slice(0, 2));
    const got = await readEverything(log);
    expect(got.length).toBeLessThan(sent.length);
    for (let i = 0; i < got.length; i++) expect(got[i]!.equals(sent[i]!)).toBe(true);
    await log.close();
  });

  it('rebuilds deleted indexes to the same bytes', async () => {
    const { segments } = await build('x', 40);
    const before = new Map<string, Buffer>();
    for (const base of segments) {
      for (const suffix of ['.index', '.timeindex'] as const) {
        const p = `x-0/${segmentFileName(base, suffix)}`;
        before.set(p, Buffer.from((await fx.store.readWhole(p))!));
        await fx.store.delete(p);
      }
    }
    expect([...before.values()].some((b) => b.length > 0)).toBe(true);
    const log = await PartitionLog.open({ store: fx.store, topic: 'x', partition: 0, config: CONFIG, logger: silent, clean: true });
    expect((await readEverything(log)).length).toBe(40);
    await log.close();
    for (const [p, bytes] of before) expect((await fx.store.readWhole(p))!.toString('hex'), p).toBe(bytes.toString('hex'));
  });

  it('trusts segments below the recovery point and scans the rest', async () => {
    const { segments } = await build('c', 30);
    // A CRC-covered byte flipped in the first segment is only noticed by a scan.
    const path = `c-0/${segmentFileName(segments[0]!, '.log')}`;
    const f = await fx.store.open(path);
    const bytes = Buffer.from(await f.read(0, f.size));
    bytes[70] = bytes[70]! ^ 0xff;
    await f.truncate(0);
    await f.append([bytes]);
    await f.close();

    const clean = await PartitionLog.open({ store: fx.store, topic: 'c', partition: 0, config: CONFIG, logger: silent, clean: true });
    expect(clean.segmentInfo().length).toBe(segments.length);
    await clean.close();
    const pastIt = await PartitionLog.open({
      store: fx.store,
      topic: 'c',
      partition: 0,
      config: CONFIG,
      logger: silent,
      recoveryPoint: segments[1]!,
    });
    expect(pastIt.segmentInfo().length).toBe(segments.length);
    await pastIt.close();
    const full = await PartitionLog.open({ store: fx.store, topic: 'c', partition: 0, config: CONFIG, logger: silent, recoveryPoint: 0n });
    expect(full.segmentInfo().length).toBe(1);
    expect(full.logEndOffset).toBe(0n);
    await full.close();
  });

  it('recovers an active segment whose index points past its end even after a clean shutdown', async () => {
    const { segments } = await build('s', 30);
    const last = segments.at(-1)!;
    const f = await fx.store.open(`s-0/${segmentFileName(last, '.log')}`);
    const size = f.size;
    await f.truncate(Math.floor(size / 3));
    await f.close();
    const log = await PartitionLog.open({ store: fx.store, topic: 's', partition: 0, config: CONFIG, logger: silent, clean: true });
    const got = await readEverything(log);
    expect(got.length).toBeGreaterThan(0);
    expect(log.logEndOffset).toBeGreaterThanOrEqual(last);
    await log.close();
  });
});
