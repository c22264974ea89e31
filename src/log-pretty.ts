/**
 * A small human format for Skiff's log lines on a terminal: `12:00:01.234 INFO  message
 * key=value ...`, errors with their stack. It reads the JSON lines pino writes, so
 * what is logged stays the same in both formats; JSON lines remain the default off a terminal.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, { label: string; color: string }> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '36' },
  30: { label: 'INFO ', color: '32' },
  40: { label: 'WARN ', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '35' },
};

/** Fields every line carries or that the line's layout already shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'version', 'pid', 'hostname', 'err']);

export function formatPrettyLine(json: string, color: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const paint = (code: string, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const level = LEVELS[rec.level as number] ?? { label: String(rec.level).padEnd(5), color: '0' };
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 23) : '';
  const fields = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  let line = `${paint('90', time)} ${paint(level.color, level.label)} ${String(rec.msg ?? '')}`;
  if (fields.length > 0) line += ` ${paint('90', fields.join(' '))}`;
  const err = rec.err as { message?: string; stack?: string } | undefined;
  if (err !== undefined) {
    const text = err.stack ?? err.message ?? JSON.stringify(err);
    line += text
      .split('\n')
      .map((l) => `\n    ${l.trim()}`)
      .join('');
  }
  return `${line}\n`;
}

/** A pino destination that writes the human format to `out`. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const color = out.isTTY === true && process.env['NO_COLOR'] === undefined;
  return { write: (line: string) => void out.write(formatPrettyLine(line, color)) };
}
