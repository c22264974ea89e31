import { describe, expect, it } from 'vitest';
import {
  buildRows,
  cases,
  fmt,
  headline,
  machineStamp,
  markdownTable,
  RESULTS_END,
  RESULTS_START,
  resultsSection,
  spliceResults,
  targetRows,
  targetSummary,
  targetTable,
  type BrokerName,
  type BrokerResults,
  type RunMeta,
  type RunRecord,
} from '../../../bench/lib/report.js';

// Shaped like bench/results/runs.json of the 2026-11-21 `make bench` run: its plan and its
// per-run latency percentiles; the other figures are close to its medians. Only the cases the
// headline uses.
const PLAN = { runs: 3, startupRuns: 7, fetchMib: 1024, latencyRates: [1_000, 10_000, 50_000], e2eRate: 2_000, connections: 100, bigPartitions: 1000 };

function runs(broker: BrokerName, caseName: string, perRun: Record<string, number>[]): RunRecord[] {
  return perRun.map((values, i) => ({ broker, case: caseName, run: i + 1, ok: true, values, command: `client ${caseName} --bootstrap 127.0.0.1:9092` }));
}

function broker(
  name: BrokerName,
  f: { produce: number[]; produceCpu: number; fetch: number[]; p99: Record<number, number[]>; e2eP99: number[]; startup: number[]; rss: number[] },
): BrokerResults {
  return {
    startupMs: f.startup,
    connectMs: [],
    startupCpuMs: [],
    nodeBootMs: [],
    idleRssMb: f.rss,
    notes: [],
    apiKeys: [0, 1, 3, 18],
    runs: [
      ...runs(name, cases.produce('java', 100, '1', 6), f.produce.map((mb) => ({ mb_s: mb, records_s: mb * 1e4, peak_rss_mb: 170, cpu_s_per_gib: f.produceCpu }))),
      ...runs(name, cases.fetch('rdkafka', PLAN), f.fetch.map((mb) => ({ mb_s: mb, cpu_s_per_gib: 0.4, peak_rss_mb: 200 }))),
      ...Object.entries(f.p99).flatMap(([rate, p99s]) => runs(name, cases.latencyJava(Number(rate)), p99s.map((p99) => ({ p50_ms: 4, p99_ms: p99, p999_ms: p99 + 15, mb_s: 1 })))),
      ...runs(name, cases.latencyE2e(PLAN), f.e2eP99.map((p99) => ({ p50_ms: 0.17, p99_ms: p99, p999_ms: p99 * 2 }))),
    ],
  };
}

const skiff = broker('skiff', {
  produce: [28.8, 27.1, 30.2],
  produceCpu: 10.3,
  fetch: [537, 512, 560],
  p99: { 1000: [3, 2, 5], 10000: [22, 19, 32], 50000: [9, 8, 12] },
  e2eP99: [14.1, 14.8, 10.4],
  startup: [140, 150, 160],
  rss: [53.2],
});
const kafka = broker('kafka', {
  produce: [17.9, 16.2, 19.0],
  produceCpu: 41.9,
  fetch: [186, 170, 190],
  p99: { 1000: [6, 4, 4], 10000: [16, 42, 40], 50000: [30, 25, 41] },
  e2eP99: [160.1, 11.2, 17.7],
  startup: [2363],
  rss: [324],
});

const META: RunMeta = {
  generated: '2026-11-21T16:21:02.843Z',
  smoke: false,
  duration_s: 581,
  kafka_version: '4.3.1',
  python_client: 'confluent-kafka 2.16.1, librdkafka 2.16.0',
  commit: { sha: '882d01d0c0ffee00000000000000000000000000', dirty: true },
  machine: {
    cpu_model: 'AMD EPYC',
    cores: 2,
    memory: '24 GiB',
    kernel: 'Linux 6.18.44',
    node: 'v20.20.2',
    java: 'openjdk version "17.0.15"',
    loadavg_at_start: '1.03 0.72 1.20',
    loadavg_at_end: '2.50 2.82 2.12',
  },
  plan: PLAN,
  headline_case: 'test',
};

function tableRow(md: string, label: string): string[] | undefined {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
  return line?.split('|').map((c) => c.trim());
}

describe('bench report', () => {
  it('fills the latency table with the medians summary.json reports', () => {
    const md = markdownTable(buildRows(PLAN, skiff, kafka));
    const sk = headline(PLAN, skiff)!;
    const ka = headline(PLAN, kafka)!;
    expect(sk.p99_ms).toBe(22);
    expect(ka.p99_ms).toBe(40);
    expect(md).toContain('**latency**');
    expect(tableRow(md, 'produce (java) p99 @10000 rec/s')).toEqual(['', 'produce (java) p99 @10000 rec/s', 'ms', fmt(sk.p99_ms), fmt(ka.p99_ms), '0.55x', '≤0.5x', '']);
    expect(tableRow(md, 'end-to-end (rdkafka) p99 @2000 rec/s')?.slice(3, 5)).toEqual([fmt(sk.e2e_p99_ms), fmt(ka.e2e_p99_ms)]);
  });

  it('prints every headline figure of summary.json somewhere in the table', () => {
    const rows = buildRows(PLAN, skiff, kafka);
    for (const [name, res] of [
      ['skiff', skiff],
      ['kafka', kafka],
    ] as const) {
      const shown = new Set(rows.map((r) => r[name]).filter((v) => v !== null));
      for (const [key, value] of Object.entries(headline(PLAN, res)!)) {
        if (value === null) continue;
        expect(shown.has(value), `${name} ${key} = ${value}`).toBe(true);
      }
    }
  });

  it('shows the load generator\'s CPU per GiB beside the broker\'s, from the same runs', () => {
    const c = cases.produce('franz-go', 1024, '-1', 1);
    const withFranz: BrokerResults = {
      ...skiff,
      runs: [
        ...skiff.runs,
        ...runs('skiff', c, [
          { mb_s: 640, records_s: 625_000, client_cpu_s_per_gib: 0.8, cpu_s_per_gib: 1.3, broker_cpu_util: 0.9 },
          { mb_s: 600, records_s: 586_000, client_cpu_s_per_gib: 0.9, cpu_s_per_gib: 1.5, broker_cpu_util: 1.1 },
          { mb_s: 420, records_s: 410_000, client_cpu_s_per_gib: 1.0, cpu_s_per_gib: 1.9, broker_cpu_util: 1.0 },
        ]),
      ],
    };
    const md = markdownTable(buildRows(PLAN, withFranz, kafka));
    expect(md).toContain('**load generator**');
    expect(tableRow(md, 'franz-go 1024 B acks=-1 1 part.: client CPU per GiB')?.slice(3, 5)).toEqual(['0.90', '—']);
    expect(tableRow(md, 'franz-go 1024 B acks=-1 1 part.: broker CPU per GiB')?.slice(3, 5)).toEqual(['1.50', '—']);
    expect(tableRow(md, 'franz-go 1024 B acks=-1 1 part.')?.slice(2, 4)).toEqual(['MB/s', '600']);
  });

  it('sets Skiff\'s startup and idle RSS beside a bare Node measured in the same rounds', () => {
    const withBare: BrokerResults = { ...skiff, nodeBootMs: [60, 70, 90], nodeIdleRssMb: [39.4, 39.5, 39.6] };
    const md = markdownTable(buildRows(PLAN, withBare, kafka));
    expect(tableRow(md, 'for scale: bare node idle RSS')?.slice(3, 5)).toEqual(['39.5', '—']);
    // Medians: startup 150 - 70 ms; idle RSS 53.2 - 39.5 MB.
    expect(tableRow(md, "first ApiVersions answer − bare 'node -e 0' (medians)")?.slice(3, 5)).toEqual(['80.0', '—']);
    expect(tableRow(md, 'idle RSS − bare node idle RSS (medians)')?.slice(3, 5)).toEqual(['13.7', '—']);
    // Not recorded (an older runs.json): no row, rather than a made-up figure.
    expect(tableRow(markdownTable(buildRows(PLAN, skiff, kafka)), 'idle RSS − bare node idle RSS (medians)')).toBeUndefined();
  });

  it('stamps the commit, a dirty tree and the machine on the results section', () => {
    const section = resultsSection({ meta: META, results: { skiff, kafka }, micro: [], envNotes: [] });
    expect(section.startsWith(RESULTS_START)).toBe(true);
    expect(section.endsWith(RESULTS_END)).toBe(true);
    expect(section).toContain('commit 882d01d0c0ffee00000000000000000000000000 with uncommitted changes');
    expect(section).toContain('2 x AMD EPYC, 24 GiB RAM, Linux 6.18.44, Node v20.20.2');
    expect(section).toContain('at start 1.03 0.72 1.20, at end 2.50 2.82 2.12');
    expect(section).toContain('client latency java produce 100B acks=1 p6 @10000/s --bootstrap $BOOTSTRAP');
    const clean = resultsSection({ meta: { ...META, commit: { sha: 'abc', dirty: false } }, results: { skiff }, micro: [], envNotes: [] });
    expect(clean).toContain('from commit abc.');
    // A stamp written before the work it stamps (bench/stamp.ts) has no load at end.
    expect(machineStamp({ machine: { ...META.machine, loadavg_at_end: '' } })).toMatch(/Load average \(1, 5, 15 min\) at start 1\.03 0\.72 1\.20\.$/);
  });

  it('has a p50, p99 and p99.9 row per fixed latency rate, and the headline p99 of each', () => {
    const md = markdownTable(buildRows(PLAN, skiff, kafka));
    expect(tableRow(md, 'produce (java) p99 @1000 rec/s')?.slice(3, 7)).toEqual(['3.00', '4.00', '0.75x', '≤0.5x']);
    expect(tableRow(md, 'produce (java) p99 @50000 rec/s')?.slice(3, 7)).toEqual(['9.00', '30.0', '0.30x', '≤0.5x']);
    expect(tableRow(md, 'produce (java) p50 @50000 rec/s')?.slice(3, 5)).toEqual(['4.00', '4.00']);
    expect(headline(PLAN, skiff)).toMatchObject({ p99_ms_at_1000: 3, p99_ms_at_10000: 22, p99_ms_at_50000: 9 });
  });

  describe("franz-go's fixed-rate latency", () => {
    // Recorded in ms with microsecond resolution; shown and judged in µs. Both brokers at 10,000
    // rec/s (two of the four size/acks cases), Skiff alone at 1,000.
    const withFranz = (res: BrokerResults, p99s: number[], e2e: number[], alone = false): BrokerResults => ({
      ...res,
      runs: [
        ...res.runs,
        ...runs(res.runs[0]!.broker, cases.latencyFranz(100, '-1', 10_000), p99s.map((p99) => ({ p50_ms: 0.21, p99_ms: p99, p999_ms: p99 * 2, max_ms: 9.5 }))),
        ...runs(res.runs[0]!.broker, cases.latencyFranz(1024, '1', 10_000), p99s.map((p99) => ({ p50_ms: 0.3, p99_ms: p99 + 1, p999_ms: 3, max_ms: 4 }))),
        ...runs(res.runs[0]!.broker, cases.latencyFranzE2e(10_000), e2e.map((p99) => ({ p99_ms: 5, e2e_p50_ms: 0.4, e2e_p99_ms: p99, e2e_p999_ms: 2, e2e_max_ms: 3 }))),
        ...(alone ? runs(res.runs[0]!.broker, cases.latencyFranz(100, '-1', 1_000), [{ p99_ms: 0.35 }]) : []),
      ],
    });
    const sk = withFranz(skiff, [0.412, 0.388, 0.9], [0.61, 0.7, 0.65], true);
    const ka = withFranz(kafka, [1.25, 0.95, 1.1], [1.5, 1.4, 1.3]);

    it('judges the p99 target with the finer figures where a rate has them, one row per size and acks', () => {
      const lat = targetRows(PLAN, sk, ka).filter((r) => r.target === 'p99 produce latency');
      expect(lat.map((r) => r.case)).toEqual(['franz-go 100 B acks=-1 @1000 rec/s', 'franz-go 100 B acks=-1 @10000 rec/s', 'franz-go 1024 B acks=1 @10000 rec/s', 'java @50000 rec/s']);
      // Medians 0.412 against 1.1 ms: 412 against 1,100 µs (goal ≤ 550).
      expect(lat[1]).toMatchObject({ unit: 'µs', skiff: 412, kafka: 1100, met: true, result: 'met, 33% to spare' });
      expect(lat[2]).toMatchObject({ skiff: 1412, kafka: 2100, met: false, result: 'missed: Skiff needs −26% (≤ 1050 µs)' });
      expect(lat[0]).toMatchObject({ skiff: 350, kafka: null, met: null });
      expect(lat[3]).toMatchObject({ unit: 'ms', skiff: 9, kafka: 30 });
    });

    it('shows p50, p99, p99.9 and max in µs beside the Java rows, and the end-to-end figures', () => {
      const md = markdownTable(buildRows(PLAN, sk, ka));
      expect(md).toContain('**latency (franz-go, fixed rate, 1 partition)**');
      expect(tableRow(md, 'produce 100 B acks=-1 p99 @10000 rec/s')?.slice(2, 7)).toEqual(['µs', '412', '1100', '0.37x', '≤0.5x']);
      expect(tableRow(md, 'produce 100 B acks=-1 max @10000 rec/s')?.slice(2, 5)).toEqual(['µs', '9500', '9500']);
      expect(tableRow(md, 'end-to-end 100 B acks=-1 p99 @10000 rec/s')?.slice(2, 5)).toEqual(['µs', '650', '1400']);
      expect(tableRow(md, 'produce (java) p99 @10000 rec/s')?.slice(3, 5)).toEqual(['22.0', '40.0']);
      // Not recorded: no row.
      expect(tableRow(md, 'produce 1024 B acks=-1 p99 @10000 rec/s')).toBeUndefined();
      expect(headline(PLAN, sk)).toMatchObject({ franz_p99_us_at_10000: 412, franz_e2e_p99_us_at_10000: 650, franz_p99_us_at_50000: null });
      const shown = new Set(buildRows(PLAN, sk, ka).map((r) => r.skiff));
      expect(shown.has(412) && shown.has(650)).toBe(true);
    });
  });

  describe('target table', () => {
    const rows = targetRows(PLAN, skiff, kafka);
    const row = (target: string, label: string) => rows.find((r) => r.target === target && r.case === label);

    it('has a throughput and a CPU row for every produce and fetch case recorded, and nothing made up', () => {
      // The fixture records two matrix cases (java 100 B acks=1 6 part., rdkafka fetch).
      expect(rows.filter((r) => r.target === 'throughput').map((r) => r.case)).toEqual(['produce java 100 B acks=1 6 part.', 'fetch rdkafka 1024 MiB']);
      expect(rows.filter((r) => r.target === 'broker CPU per GiB').map((r) => r.case)).toEqual(['produce java 100 B acks=1 6 part.', 'fetch rdkafka 1024 MiB']);
      expect(rows.map((r) => r.target)).toEqual([
        'throughput',
        'throughput',
        'broker CPU per GiB',
        'broker CPU per GiB',
        'p99 produce latency',
        'p99 produce latency',
        'p99 produce latency',
        'first answer',
        'idle RSS',
      ]);
    });

    it('says met or missed, and by how much Skiff\'s own figure is off the goal', () => {
      // Medians: produce 28.8 against 17.9 MB/s (goal 26.85), fetch 537 against 186.
      expect(row('throughput', 'produce java 100 B acks=1 6 part.')).toMatchObject({ skiff: 28.8, kafka: 17.9, met: true, result: 'met, 7% to spare' });
      expect(row('throughput', 'fetch rdkafka 1024 MiB')?.met).toBe(true);
      // CPU per GiB 10.3 against 41.9 (goal ≤ 20.95); fetch 0.4 against 0.4.
      expect(row('broker CPU per GiB', 'produce java 100 B acks=1 6 part.')).toMatchObject({ met: true, result: 'met, 103% to spare' });
      expect(row('broker CPU per GiB', 'fetch rdkafka 1024 MiB')).toMatchObject({ ratio: 1, met: false, result: 'missed: Skiff needs −50% (≤ 0.20 s/GiB)' });
      // p99 medians: 3 against 4 ms, 22 against 40, 9 against 30.
      expect(row('p99 produce latency', 'java @1000 rec/s')).toMatchObject({ skiff: 3, kafka: 4, ratio: 0.75, met: false, result: 'missed: Skiff needs −33% (≤ 2.00 ms)' });
      expect(row('p99 produce latency', 'java @10000 rec/s')).toMatchObject({ met: false, result: 'missed: Skiff needs −9% (≤ 20.0 ms)' });
      expect(row('p99 produce latency', 'java @50000 rec/s')).toMatchObject({ met: true, result: 'met, 67% to spare' });
      // Idle RSS 53.2 MB against the 45 MB limit; Kafka's beside it for scale.
      expect(row('idle RSS', 'idle RSS, 3 s after readiness')).toMatchObject({ skiff: 53.2, kafka: 324, met: false, result: 'missed by 8.20 MB' });
      expect(targetSummary(rows)).toBe('4 of 9 target rows met, 4 missed, 1 without the figures they need.');
    });

    it('measures the first answer against the bare Node of the same rounds', () => {
      // Not recorded: no bare Node figures in the fixture.
      expect(row('first answer', "spawn → first ApiVersions answer − bare 'node -e 0' (medians)")).toMatchObject({ skiff: null, met: null });
      const withBare = targetRows(PLAN, { ...skiff, nodeBootMs: [60, 70, 90] }, kafka).find((r) => r.target === 'first answer');
      // Medians 150 − 70 ms against ≤ 20 ms.
      expect(withBare).toMatchObject({ skiff: 80, met: false, result: 'missed by 60.0 ms', goal: '≤ 20 ms' });
      const fast = targetRows(PLAN, { ...skiff, startupMs: [75, 80, 85], nodeBootMs: [60, 70, 90] }, kafka).find((r) => r.target === 'first answer');
      expect(fast).toMatchObject({ skiff: 10, met: true, result: 'met, 10.0 ms to spare' });
    });

    it('leaves the ratio targets open without Kafka (the smoke run) and still judges the absolute ones', () => {
      const smoke = targetRows(PLAN, skiff, undefined);
      expect(smoke.filter((r) => r.goal.endsWith('x Kafka')).every((r) => r.met === null && r.result === 'no Kafka figure in this run')).toBe(true);
      expect(smoke.find((r) => r.target === 'idle RSS')).toMatchObject({ kafka: null, ratio: null, met: false });
    });

    it('is printed in the results section with its summary', () => {
      const section = resultsSection({ meta: META, results: { skiff, kafka }, micro: [], envNotes: [] });
      expect(section).toContain(targetTable(rows));
      expect(section).toContain('4 of 9 target rows met');
      const line = section.split('\n').find((l) => l.startsWith('| p99 produce latency | java @10000 rec/s |'));
      expect(line?.split('|').map((c) => c.trim())).toEqual(['', 'p99 produce latency', 'java @10000 rec/s', 'ms', '22.0', '40.0', '0.55x', '≤ 0.5x Kafka', '**missed: Skiff needs −9% (≤ 20.0 ms)**', '']);
    });
  });

  it('replaces only the text between the markers', () => {
    const doc = `# Benchmarks\n\nprose before\n\n${RESULTS_START}\nold table\n${RESULTS_END}\n\nprose after\n`;
    const out = spliceResults(doc, `${RESULTS_START}\nnew table\n${RESULTS_END}`);
    expect(out).toBe(`# Benchmarks\n\nprose before\n\n${RESULTS_START}\nnew table\n${RESULTS_END}\n\nprose after\n`);
    expect(spliceResults('# B\n', 'S')).toBe('# B\n\nS\n');
  });
});
