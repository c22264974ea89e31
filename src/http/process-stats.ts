/**
 * Process gauges for /metrics under the names Prometheus client libraries use (process_*,
 * nodejs_*): CPU, memory, event-loop delay and garbage collection. The event-loop and GC
 * observers run only while the HTTP server does.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import type { PrometheusText } from './prometheus-text.js';

const GC_BUCKETS_S = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class ProcessStats {
  readonly #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #gc = new Map<string, { buckets: Float64Array; sum: number }>();
  readonly #observer: PerformanceObserver;
  readonly #startSeconds = Math.round(Date.now() / 1000 - process.uptime());

  constructor() {
    this.#loop.enable();
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'other';
        let h = this.#gc.get(kind);
        if (h === undefined) this.#gc.set(kind, (h = { buckets: new Float64Array(GC_BUCKETS_S.length + 1), sum: 0 }));
        const s = entry.duration / 1000;
        let i = 0;
        while (i < GC_BUCKETS_S.length && s > GC_BUCKETS_S[i]!) i++;
        h.buckets[i]!++;
        h.sum += s;
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  write(out: PrometheusText): void {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    out.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.').sample('process_cpu_seconds_total', undefined, (cpu.user + cpu.system) / 1e6);
    out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.').sample('process_resident_memory_bytes', undefined, mem.rss);
    out.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.').sample('process_start_time_seconds', undefined, this.#startSeconds);
    out.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.').sample('nodejs_heap_size_used_bytes', undefined, mem.heapUsed);
    out.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved, in bytes.').sample('nodejs_heap_size_total_bytes', undefined, mem.heapTotal);
    out.family('nodejs_external_memory_bytes', 'gauge', 'Memory of buffers and other objects outside the V8 heap, in bytes.').sample('nodejs_external_memory_bytes', undefined, mem.external);
    // Part of the external memory; with RSS beside it, tells buffers from the allocator's own keep.
    out.family('nodejs_array_buffers_bytes', 'gauge', 'Memory of ArrayBuffers and Buffers, in bytes.').sample('nodejs_array_buffers_bytes', undefined, mem.arrayBuffers);
    const loop = this.#loop;
    const seconds = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    out.family('nodejs_eventloop_lag_seconds', 'gauge', 'Event-loop delay since the previous scrape, by statistic.');
    out.sample('nodejs_eventloop_lag_seconds', { stat: 'mean' }, seconds(loop.mean));
    out.sample('nodejs_eventloop_lag_seconds', { stat: 'p50' }, seconds(loop.percentile(50)));
    out.sample('nodejs_eventloop_lag_seconds', { stat: 'p99' }, seconds(loop.percentile(99)));
    out.sample('nodejs_eventloop_lag_seconds', { stat: 'max' }, seconds(loop.max));
    loop.reset();
    out.family('nodejs_gc_duration_seconds', 'histogram', 'Garbage collection pauses by kind, in seconds.');
    for (const [kind, h] of this.#gc) out.histogram('nodejs_gc_duration_seconds', { kind }, GC_BUCKETS_S, h.buckets, h.sum);
  }

  close(): void {
    this.#loop.disable();
    this.#observer.disconnect();
  }
}
