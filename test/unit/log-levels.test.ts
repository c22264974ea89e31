/** Runtime log levels per area: what a BROKER_LOGGER change does to the pino loggers. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { LoggerLevels } from '../../src/log-levels.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('LoggerLevels', () => {
  it('an area level reaches the loggers made from it; root moves the areas without their own', async () => {
    const { lines, logger } = capture();
    const levels = new LoggerLevels(logger);
    const storage = levels.child('storage');
    const partition = storage.child({ partition: 0 });
    const topics = levels.child('topics');
    partition.debug('hidden');
    levels.set('skiff.storage', 'DEBUG');
    partition.debug('shown');
    topics.debug('hidden too');
    levels.set('root', 'ERROR');
    topics.warn('hidden by root');
    partition.debug('still shown');
    levels.unset('skiff.storage');
    partition.warn('hidden again');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.msg)).toEqual(['shown', 'still shown']);
    expect(levels.list()).toEqual([
      { name: 'root', level: 'ERROR' },
      { name: 'skiff.storage', level: 'ERROR' },
      { name: 'skiff.topics', level: 'ERROR' },
    ]);
  });
});
