import { describe, expect, it } from 'vitest';
import { parsePartitionDirName, parseSegmentFileName, segmentFileName } from '../../../src/storage/file-names.js';
import {
  formatLeaderEpochCheckpoint,
  formatOffsetCheckpoint,
  parseLeaderEpochCheckpoint,
  parseOffsetCheckpoint,
  parsePartitionMetadata,
} from '../../../src/storage/checkpoint-files.js';
import { OffsetIndex } from '../../../src/storage/offset-index.js';
import { TimeIndex } from '../../../src/storage/time-index.js';
import { segmentsToDelete } from '../../../src/storage/retention.js';
import { LeaderEpochCache } from '../../../src/storage/leader-epoch-cache.js';
import { logConfigFromTopicConfigs, resolveLogConfig } from '../../../src/storage/log-config.js';

describe('file names', () => {
  it('pads base offsets to 20 digits and parses them back', () => {
    expect(segmentFileName(0n, '.log')).toBe('00000000000000000000.log');
    expect(segmentFileName(368769n, '.timeindex')).toBe('00000000000000368769.timeindex');
    expect(parseSegmentFileName('00000000000000368769.index')).toEqual({ baseOffset: 368769n, suffix: '.index' });
    expect(parseSegmentFileName('00000000000000368769.snapshot')).toBeUndefined();
    expect(parseSegmentFileName('0.log')).toBeUndefined();
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(parsePartitionDirName('recovery-point-offset-checkpoint')).toBeUndefined();
    expect(parsePartitionDirName('-1')).toBeUndefined();
  });
});

describe('checkpoint files', () => {
  it('round-trips Kafka text formats', () => {
    const text = formatOffsetCheckpoint([
      { topic: 'a-b', partition: 3, offset: 42n },
      { topic: 'c', partition: 0, offset: 0n },
    ]);
    expect(text).toBe('0\n2\na-b 3 42\nc 0 0\n');
    expect(parseOffsetCheckpoint(text)).toEqual(new Map([['a-b-3', 42n], ['c-0', 0n]]));
    expect(parseOffsetCheckpoint('0\n3\na 1 2\n')).toBeUndefined();
    expect(formatLeaderEpochCheckpoint([{ epoch: 0, startOffset: 0n }, { epoch: 4, startOffset: 99n }])).toBe('0\n2\n0 0\n4 99\n');
    expect(parseLeaderEpochCheckpoint('0\n1\n7 12\n')).toEqual([{ epoch: 7, startOffset: 12n }]);
    expect(parsePartitionMetadata('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n')).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(parsePartitionMetadata('version: 1\ntopic_id: x\n')).toBeUndefined();
  });
});

describe('indexes', () => {
  it('offset index finds the entry at or below an offset, in file form', () => {
    const idx = new OffsetIndex(100n);
    for (let i = 0; i < 200; i++) idx.append(100n + BigInt(i * 10 + 9), i * 4096 + 7);
    expect(idx.lookup(99n)).toBe(0);
    expect(idx.lookup(108n)).toBe(0);
    expect(idx.lookup(109n)).toBe(7);
    expect(idx.lookup(125n)).toBe(4096 + 7);
    expect(idx.lookup(10_000n)).toBe(199 * 4096 + 7);
    const bytes = idx.bytes();
    expect(bytes.length).toBe(1600);
    expect(bytes.readInt32BE(8)).toBe(19);
    expect(bytes.readInt32BE(12)).toBe(4103);
    const back = new OffsetIndex(100n, Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
    expect(back.entries).toBe(200);
    expect(back.takeUnwritten()).toBeUndefined();
    expect(back.isSane(200 * 4096)).toBe(true);
    expect(back.isSane(100 * 4096)).toBe(false);
  });

  it('time index keeps timestamps rising and looks up by time', () => {
    const idx = new TimeIndex(0n);
    expect(idx.maybeAppend(100n, 5n)).toBe(true);
    expect(idx.maybeAppend(100n, 9n)).toBe(false);
    expect(idx.maybeAppend(90n, 9n)).toBe(false);
    expect(idx.maybeAppend(200n, 20n)).toBe(true);
    expect(idx.lookup(50n)).toBe(0n);
    expect(idx.lookup(150n)).toBe(5n);
    expect(idx.lookup(200n)).toBe(20n);
    expect(idx.takeUnwritten()!.length).toBe(24);
    expect(idx.takeUnwritten()).toBeUndefined();
    expect(idx.isSane(21n)).toBe(true);
    expect(idx.isSane(20n)).toBe(false);
  });
});

describe('retention rules', () => {
  const segs = [
    { baseOffset: 0n, size: 100, maxTimestamp: 1000n },
    { baseOffset: 10n, size: 100, maxTimestamp: 2000n },
    { baseOffset: 20n, size: 100, maxTimestamp: 3000n },
    { baseOffset: 30n, size: 50, maxTimestamp: 4000n },
  ];
  it('deletes prefixes of closed segments only', () => {
    const base = { retentionMs: -1, retentionBytes: -1, logStartOffset: 0n, nowMs: 0 };
    expect(segmentsToDelete(segs, base)).toEqual({ count: 0, reason: undefined });
    expect(segmentsToDelete(segs, { ...base, retentionMs: 1500, nowMs: 4000 })).toEqual({ count: 2, reason: 'retention-ms' });
    expect(segmentsToDelete(segs, { ...base, retentionMs: 0, nowMs: 1e9 }).count).toBe(3);
    expect(segmentsToDelete(segs, { ...base, retentionBytes: 150 })).toEqual({ count: 2, reason: 'retention-bytes' });
    expect(segmentsToDelete(segs, { ...base, retentionBytes: 151 }).count).toBe(1);
    expect(segmentsToDelete(segs, { ...base, logStartOffset: 20n })).toEqual({ count: 2, reason: 'log-start-offset' });
    expect(segmentsToDelete(segs, { ...base, logStartOffset: 19n }).count).toBe(1);
  });
});

describe('leader epoch cache', () => {
  it('assigns, truncates from both ends', () => {
    const c = new LeaderEpochCache();
    expect(c.assign(1, 0n)).toBe(true);
    expect(c.assign(1, 5n)).toBe(false);
    c.assign(3, 10n);
    c.assign(4, 20n);
    expect(c.truncateFromStart(12n)).toBe(true);
    expect(c.entries).toEqual([{ epoch: 3, startOffset: 12n }, { epoch: 4, startOffset: 20n }]);
    expect(c.truncateFromEnd(20n)).toBe(true);
    expect(c.endOffsetFor(9, 30n)).toEqual({ epoch: 3, endOffset: 30n });
  });
});

describe('log config', () => {
  it('maps Kafka names and keeps defaults', () => {
    const cfg = resolveLogConfig(logConfigFromTopicConfigs({ 'segment.bytes': '2048', 'message.timestamp.type': 'LogAppendTime', 'x.y': 'z' }));
    expect(cfg.segmentBytes).toBe(2048);
    expect(cfg.messageTimestampType).toBe('LogAppendTime');
    expect(cfg.indexIntervalBytes).toBe(4096);
    expect(cfg.retentionMs).toBe(604_800_000);
    expect(() => logConfigFromTopicConfigs({ 'retention.ms': 'soon' })).toThrow(RangeError);
  });
});
