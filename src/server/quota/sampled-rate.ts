/**
 * A rate over a sliding window of samples, as Kafka's metrics Rate with a SampledStat:
 * `samples` samples of `sampleMs` each (quota.window.num, quota.window.size.seconds); the
 * rate is what the kept samples hold divided by the time they span, counted as at least
 * samples - 1 full windows so that a new client cannot burst on a short span.
 */
export class SampledRate {
  readonly #samples: Array<{ start: number; value: number }> = [];

  constructor(
    readonly sampleMs: number,
    readonly samples: number,
  ) {}

  record(value: number, now: number): void {
    this.#purge(now);
    const last = this.#samples.at(-1);
    if (last && now - last.start < this.sampleMs) last.value += value;
    else this.#samples.push({ start: now, value });
  }

  /** Per second. */
  measure(now: number): number {
    this.#purge(now);
    let total = 0;
    for (const s of this.#samples) total += s.value;
    return total / (this.windowMs(now) / 1000);
  }

  /** The time the rate is measured over. */
  windowMs(now: number): number {
    const oldest = this.#samples[0]?.start ?? now;
    let elapsed = now - oldest;
    const fullWindows = Math.floor(elapsed / this.sampleMs);
    if (fullWindows < this.samples - 1) elapsed += (this.samples - 1 - fullWindows) * this.sampleMs;
    return elapsed;
  }

  /** The last time anything was recorded, or -Infinity. */
  get lastRecordMs(): number {
    return this.#samples.at(-1)?.start ?? -Infinity;
  }

  #purge(now: number): void {
    const horizon = now - this.samples * this.sampleMs;
    while (this.#samples.length > 0 && this.#samples[0]!.start + this.sampleMs <= horizon) this.#samples.shift();
  }
}
