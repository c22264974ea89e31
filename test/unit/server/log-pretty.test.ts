import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { formatPrettyLine } from '../../../src/log-pretty.js';

/** Lines a real pino logger writes, formatted as on a terminal without colour. */
function prettyLines(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const out: string[] = [];
  const logger = createLogger({ level: 'info', base: { version: '9.9.9' }, destination: { write: (l: string) => void out.push(formatPrettyLine(l, false)) } });
  log(logger);
  return out;
}

describe('formatPrettyLine', () => {
  it('shows time, level, message and the fields that matter', () => {
    const [line] = prettyLines((l) => l.child({ component: 'storage' }).warn({ topic: 'orders', partitions: [0, 1] }, 'slow flush'));
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  slow flush component=storage topic=orders partitions=\[0,1\]\n$/);
    expect(line).not.toContain('9.9.9');
  });

  it('prints an error with its stack, indented', () => {
    const [line] = prettyLines((l) => l.error({ err: new Error('disk on fire') }, 'flush failed'));
    expect(line).toMatch(/ERROR flush failed\n {4}Error: disk on fire\n {4}at /);
  });

  it('passes through what is not JSON, and colours only when asked', () => {
    expect(formatPrettyLine('plain text', false)).toBe('plain text\n');
    expect(formatPrettyLine('{"level":30,"time":"2026-01-01T00:00:00.000Z","msg":"hi"}', true)).toContain('\x1b[32mINFO \x1b[0m');
  });
});
