/**
 * kcat-style output format strings for consumed records: %t topic, %p partition, %o offset,
 * %k key, %s value, %v value (alias), %K key length, %S value length, %T timestamp (ms),
 * %h headers as k=v,k2=v2, %% a percent sign; \n \t \r \\ escapes. Null keys and values
 * print as nothing (their length as -1).
 */
import type { RecordHeader } from '../protocol/records/records.js';
import { UsageError } from './client.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

type Part = string | ((r: ConsumedRecord) => string);

const TOKENS: Record<string, (r: ConsumedRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => r.key?.toString('utf8') ?? '',
  s: (r) => r.value?.toString('utf8') ?? '',
  v: (r) => r.value?.toString('utf8') ?? '',
  K: (r) => String(r.key?.length ?? -1),
  S: (r) => String(r.value?.length ?? -1),
  T: (r) => String(r.timestamp),
  h: (r) => r.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`).join(','),
};
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** Compiles a format string once; throws UsageError on an unknown %x. */
export function compileFormat(format: string): (r: ConsumedRecord) => string {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '%' && next !== undefined) {
      i++;
      if (next === '%') {
        text += '%';
        continue;
      }
      const fn = TOKENS[next];
      if (!fn) throw new UsageError(`unknown format token %${next} (known: ${Object.keys(TOKENS).map((t) => `%${t}`).join(' ')} %%)`);
      if (text) parts.push(text);
      text = '';
      parts.push(fn);
    } else if (c === '\\' && next !== undefined && ESCAPES[next] !== undefined) {
      i++;
      text += ESCAPES[next];
    } else {
      text += c;
    }
  }
  if (text) parts.push(text);
  return (r) => parts.map((p) => (typeof p === 'string' ? p : p(r))).join('');
}

/** The --json form of a record: key, value and header values as UTF-8 text (null stays null). */
export function recordJson(r: ConsumedRecord): Record<string, unknown> {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.toString('utf8') ?? null,
    value: r.value?.toString('utf8') ?? null,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value?.toString('utf8') ?? null })),
  };
}
