import { describe, expect, it } from 'vitest';
import {
  GROWTH_END,
  GROWTH_START,
  growthChartSpec,
  growthSection,
  growthStamp,
  growthTable,
  spliceGrowth,
  xLabel,
  type GrowthMeta,
  type GrowthPoint,
} from '../../../bench/lib/growth-report.js';

const ok = (p: Omit<GrowthPoint, 'ok'>): GrowthPoint => ({ ...p, ok: true });

// Shaped like a growth.json of a run with Kafka beside: Kafka could not create 100,000 partitions.
const POINTS: GrowthPoint[] = [
  ok({ broker: 'skiff', axis: 'partitions', x: 1, op: 'produce', mb_s: 76.5, cpu_s_per_gib: 4.83, idle_rss_mb: 59.4, peak_rss_mb: 88.8, topic_ready_s: 0.02 }),
  ok({ broker: 'kafka', axis: 'partitions', x: 1, op: 'produce', mb_s: 25.5, cpu_s_per_gib: 23.62, idle_rss_mb: 319.7, peak_rss_mb: 357.7, topic_ready_s: 0.4 }),
  ok({ broker: 'skiff', axis: 'partitions', x: 1, op: 'fetch', mb_s: 200, cpu_s_per_gib: 2.5, peak_rss_mb: 90.1 }),
  ok({ broker: 'kafka', axis: 'partitions', x: 1, op: 'fetch', mb_s: 100, cpu_s_per_gib: 5, peak_rss_mb: 360 }),
  ok({ broker: 'skiff', axis: 'partitions', x: 100_000, op: 'produce', mb_s: 0.5, cpu_s_per_gib: 900, idle_rss_mb: 60, peak_rss_mb: 900, topic_ready_s: 30 }),
  { broker: 'kafka', axis: 'partitions', x: 100_000, op: 'produce', ok: false, error: 'exit 1: franz-bench: context deadline exceeded', idle_rss_mb: 320, topic_ready_s: 250 },
  ok({ broker: 'skiff', axis: 'partitions', x: 100_000, op: 'fetch', mb_s: 1.5, cpu_s_per_gib: 300, peak_rss_mb: 950 }),
  // A figure sampled before a point failed is not drawn either.
  { broker: 'kafka', axis: 'partitions', x: 100_000, op: 'fetch', ok: false, error: 'not run: the produce before it failed', peak_rss_mb: 700 },
  ok({ broker: 'skiff', axis: 'sizes', x: 1_048_576, op: 'produce', mb_s: 400, cpu_s_per_gib: 1.2, idle_rss_mb: 60, peak_rss_mb: 120 }),
];

const META: GrowthMeta = {
  generated: '2026-12-05T04:00:00.000Z',
  commit: 'commit abc1234',
  machine: '2 x Test CPU, Node v20.20.2',
  load: ['9.10 8.00 7.00', '10.20 9.00 8.00'],
  records: 200_000,
  sizeBytes: 128 * 2 ** 20,
  messageMaxBytes: 2_097_152,
  duration_s: 612,
};

describe('growth report', () => {
  it('labels record sizes in binary units and counts with separators', () => {
    expect(xLabel('sizes', 100)).toBe('100 B');
    expect(xLabel('sizes', 16_384)).toBe('16 KiB');
    expect(xLabel('sizes', 1_048_576)).toBe('1 MiB');
    expect(xLabel('partitions', 100_000)).toBe('100,000');
  });

  it('sets both brokers side by side with the ratio of the measured MB/s', () => {
    const rows = growthTable(POINTS).split('\n');
    expect(rows[0]).toContain('MB/s (skiff / kafka)');
    expect(rows).toContain('| partitions | 1 | produce | 76.5 / 25.5 | 3.00x | 4.83 / 23.62 | 88.8 / 357.7 | 59.4 / 319.7 | 0.02 / 0.40 |');
    expect(rows).toContain('| partitions | 1 | fetch | 200.0 / 100.0 | 2.00x | 2.50 / 5.00 | 90.1 / 360.0 | — / — | — / — |');
  });

  it('keeps a failed point as a row that says failed, with what it measured and its reason below the table', () => {
    const table = growthTable(POINTS);
    expect(table).toContain('| partitions | 100,000 | produce | 0.5 / failed | — | 900.00 / — | 900.0 / — | 60.0 / 320.0 | 30.00 / 250.00 |');
    expect(table).toContain('- kafka, partitions 100,000, produce: exit 1: franz-bench: context deadline exceeded');
    expect(table).toContain('- kafka, partitions 100,000, fetch: not run: the produce before it failed');
  });

  it('shows a point only one broker ran with a dash for the other', () => {
    expect(growthTable(POINTS)).toContain('| sizes | 1 MiB | produce | 400.0 / — | — | 1.20 / — |');
  });

  it('has one column of figures per broker run, without a ratio, when only Skiff ran', () => {
    const table = growthTable(POINTS.filter((p) => p.broker === 'skiff'));
    expect(table.split('\n')[0]).toBe('| axis | x | operation | MB/s (skiff) | broker CPU s/GiB | peak RSS MB | idle RSS MB | topic ready, s |');
    expect(table).toContain('| partitions | 1 | produce | 76.5 | 4.83 | 88.8 | 59.4 | 0.02 |');
    expect(table).not.toContain('Failed points');
  });

  it('draws only measured values of the axis, and names the failed points in the subtitle', () => {
    const spec = growthChartSpec('partitions', POINTS, growthStamp(META)) as {
      data: { values: Array<{ broker: string; op: string; x: number; measure: string; value: number }> };
      title: { subtitle: string[] };
    };
    const values = spec.data.values;
    // 6 measured points of the axis × 3 measures; nothing from the sizes axis, nothing for Kafka at 100,000.
    expect(values).toHaveLength(18);
    expect(values.filter((v) => v.broker === 'kafka' && v.x === 100_000)).toEqual([]);
    expect(values).toContainEqual({ broker: 'skiff', op: 'fetch', x: 100_000, measure: 'broker CPU s per GiB', value: 300 });
    expect(spec.title.subtitle).toContain('commit abc1234');
    expect(spec.title.subtitle.at(-1)).toBe('failed, not drawn: kafka 100,000 produce, kafka 100,000 fetch');
  });

  it('stamps commit, machine and load on the section, and replaces only what is between the markers', () => {
    const section = growthSection(META, POINTS, { partitions: 'bench/results/growth-partitions.svg' });
    expect(section.startsWith(GROWTH_START)).toBe(true);
    expect(section.endsWith(GROWTH_END)).toBe(true);
    expect(section).toContain('commit abc1234; 2 x Test CPU, Node v20.20.2; load 9.10 8.00 7.00 → 10.20 9.00 8.00');
    expect(section).toContain('![partitions of the topic](bench/results/growth-partitions.svg)');
    const doc = `# B\n\nbefore\n\n${GROWTH_START}\nold table\n${GROWTH_END}\n\nafter\n`;
    const out = spliceGrowth(doc, section);
    expect(out).not.toContain('old table');
    expect(out).toBe(`# B\n\nbefore\n\n${section}\n\nafter\n`);
    expect(spliceGrowth(out, section)).toBe(out);
    expect(spliceGrowth('# B\n', section)).toBe(`# B\n\n## Growth curves\n\n${section}\n`);
    expect(section).not.toContain('earlier run');
    const merged = growthSection({ ...META, merged: { measured: 'skiff connections 10', earlier: 'commit def5678; load 1 → 2' } }, POINTS, {});
    expect(merged).toContain('; measured in that run: skiff connections 10; the other points from an earlier run: commit def5678; load 1 → 2.');
  });
});
