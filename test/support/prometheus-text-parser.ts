/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on
 * anything the format does not allow instead of skipping it. Checked: metric and label name
 * syntax, label value escapes, sample values, one HELP and TYPE per family and before its
 * samples, a family's samples kept together, no series twice, counters not negative, and
 * histograms well formed (le on every bucket, cumulative counts, +Inf bucket equal to _count).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class ExpositionError extends Error {}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new ExpositionError('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const seenSeries = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (m === null) return; // an ordinary comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!)) throw new ExpositionError(`bad metric name: ${where}`);
      const family = familyFor(name!, where);
      if (kind === 'HELP') {
        if (family.help !== undefined) throw new ExpositionError(`second HELP: ${where}`);
        family.help = unescapeHelp(rest, where);
      } else {
        if (!TYPES.has(rest)) throw new ExpositionError(`bad type: ${where}`);
        if (family.samples.length > 0) throw new ExpositionError(`TYPE after samples: ${where}`);
        if ((family as { typed?: boolean }).typed) throw new ExpositionError(`second TYPE: ${where}`);
        (family as { typed?: boolean }).typed = true;
        family.type = rest as Family['type'];
      }
      return;
    }
    const sample = parseSample(line, where);
    const family = familyFor(familyName(sample.name), where);
    checkSampleName(family, sample.name, where);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (seenSeries.has(key)) throw new ExpositionError(`series given twice: ${where}`);
    seenSeries.add(key);
    if (family.type === 'counter' && sample.value < 0) throw new ExpositionError(`negative counter: ${where}`);
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;

  function familyFor(name: string, where: string): Family {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
    if (f !== current) {
      if (closed.has(name)) throw new ExpositionError(`lines of ${name} are not together: ${where}`);
      if (current !== undefined) closed.add(current.name);
      current = f;
    }
    return f;
  }

  /** The family a sample belongs to: a histogram's _bucket/_sum/_count go to the declared base name. */
  function familyName(sampleName: string): string {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (!sampleName.endsWith(suffix)) continue;
      const base = sampleName.slice(0, -suffix.length);
      const f = families.get(base);
      if (f !== undefined && (f.type === 'histogram' || f.type === 'summary')) return base;
    }
    return sampleName;
  }
}

function checkSampleName(family: Family, name: string, where: string): void {
  if (family.type === 'histogram') {
    if (![`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name)) throw new ExpositionError(`not a histogram sample: ${where}`);
  } else if (family.type !== 'summary' && name !== family.name) {
    throw new ExpositionError(`sample outside its family: ${where}`);
  }
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
  if (m === null) throw new ExpositionError(`bad sample: ${where}`);
  const name = m[1]!;
  let at = name.length;
  const labels: Record<string, string> = {};
  if (m[2] !== undefined) {
    at++;
    for (;;) {
      if (line[at] === '}') {
        at++;
        break;
      }
      const lm = /^([^=]*)="/.exec(line.slice(at));
      if (lm === null) throw new ExpositionError(`bad label: ${where}`);
      const labelName = lm[1]!;
      if (!LABEL_NAME.test(labelName)) throw new ExpositionError(`bad label name ${labelName}: ${where}`);
      if (Object.hasOwn(labels, labelName)) throw new ExpositionError(`label ${labelName} twice: ${where}`);
      at += lm[0].length;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) throw new ExpositionError(`unterminated label value: ${where}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[at + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ExpositionError(`bad escape in label value: ${where}`);
          at += 2;
        } else {
          value += c;
          at++;
        }
      }
      labels[labelName] = value;
      at++;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw new ExpositionError(`expected , or } after a label: ${where}`);
    }
  }
  const rest = line.slice(at);
  const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (vm === null) throw new ExpositionError(`bad value part: ${where}`);
  return { name, labels, value: parseValue(vm[1]!, where) };
}

function parseValue(text: string, where: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new ExpositionError(`bad value ${text}: ${where}`);
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new ExpositionError(`bad escape in HELP: ${where}`);
  });
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    let h = series.get(key);
    if (h === undefined) series.set(key, (h = { buckets: [] }));
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new ExpositionError(`${f.name}: bucket without le`);
      h.buckets.push([parseValue(le, `${f.name} le`), s.value]);
    } else if (le !== undefined) {
      throw new ExpositionError(`${f.name}: le on ${s.name}`);
    } else if (s.name.endsWith('_count')) h.count = s.value;
    else h.sum = s.value;
  }
  for (const [key, h] of series) {
    if (h.count === undefined || h.sum === undefined) throw new ExpositionError(`${f.name}${key}: _count or _sum missing`);
    const sorted = [...h.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.at(-1)?.[0] !== Infinity) throw new ExpositionError(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![1]) throw new ExpositionError(`${f.name}${key}: buckets not cumulative`);
    if (sorted.at(-1)![1] !== h.count) throw new ExpositionError(`${f.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
export function valueOf(families: Map<string, Family>, family: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(family);
  const matches = f?.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? [];
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

/** Sum over the samples of `name` whose labels include `labels`. */
export function sumOf(families: Map<string, Family>, family: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of families.get(family)?.samples ?? []) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}
