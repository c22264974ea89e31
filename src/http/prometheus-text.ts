/**
 * Writes the Prometheus text exposition format (version 0.0.4): one HELP and TYPE line per
 * family, then its samples, label values escaped as the format requires.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string | number>>;

interface Family {
  lines: string[];
}

export class PrometheusText {
  readonly #families: Map<string, Family>;
  /** Families this writer started: each once per writer. */
  readonly #written = new Set<string>();
  #current: Family | undefined;

  /**
   * `labels` go on every sample this writer makes; writers made by labelled() share the
   * families, so that each family keeps one HELP and TYPE line and all its samples together
   * (the brokers of a virtual cluster, one `broker` label each).
   */
  constructor(
    private readonly labels: Labels = {},
    families?: Map<string, Family>,
  ) {
    this.#families = families ?? new Map();
  }

  labelled(labels: Labels): PrometheusText {
    return new PrometheusText({ ...this.labels, ...labels }, this.#families);
  }

  /** Starts a family; its samples must follow before the next family starts. */
  family(name: string, type: MetricType, help: string): this {
    if (this.#written.has(name)) throw new Error(`metric family ${name} written twice`);
    this.#written.add(name);
    let f = this.#families.get(name);
    if (f === undefined) {
      f = { lines: [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`] };
      this.#families.set(name, f);
    }
    this.#current = f;
    return this;
  }

  sample(name: string, labels: Labels | undefined, value: number): this {
    if (this.#current === undefined) throw new Error(`sample ${name} outside a family`);
    this.#current.lines.push(`${name}${formatLabels({ ...this.labels, ...labels })} ${formatValue(value)}`);
    return this;
  }

  /** A histogram's _bucket (cumulative, ending with +Inf), _sum and _count samples from per-bucket counts. */
  histogram(name: string, labels: Labels, bounds: readonly number[], perBucket: ArrayLike<number>, sum: number): this {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += perBucket[i]!;
      this.sample(`${name}_bucket`, { ...labels, le: i < bounds.length ? formatValue(bounds[i]!) : '+Inf' }, cumulative);
    }
    this.sample(`${name}_sum`, labels, sum);
    this.sample(`${name}_count`, labels, cumulative);
    return this;
  }

  toString(): string {
    const lines = [...this.#families.values()].flatMap((f) => f.lines);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabelValue(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
