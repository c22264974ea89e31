import { describe, expect, it } from 'vitest';
import { INTERNAL_PRINCIPAL } from '../../../src/security/authorizer.js';
import pino from 'pino';
import { FaultError, FaultTable, parseFault } from '../../../src/server/faults.js';
import { plaintextConnection } from '../../support/connection-context.js';
import { defineHandler, type HandlerRegistry, loadedEntry, type RequestContext } from '../../../src/server/handler.js';

const logger = pino({ level: 'silent' });
const ctx = {} as RequestContext;

function registry(calls: string[]): HandlerRegistry {
  const h = defineHandler<string, string>({
    apiKey: 3,
    minVersion: 0,
    maxVersion: 0,
    codec: undefined as never,
    handle: (req) => {
      calls.push(req);
      return `ok ${req}`;
    },
    errorResponse: (_req, code) => `error ${code}`,
  });
  return new Map([[3, loadedEntry(h)]]);
}

describe('fault table', () => {
  it('answers an API key with an error code a given number of times, then clears the fault', async () => {
    const faults = new FaultTable(logger);
    const calls: string[] = [];
    const h = await faults.wrap(registry(calls), 1).get(3)!.load();
    faults.add({ kind: 'error', broker: 1, apiKey: 3, errorCode: 7, count: 2 });
    expect(await h.handle('a', ctx)).toBe('error 7');
    expect(await h.handle('b', ctx)).toBe('error 7');
    expect(await h.handle('c', ctx)).toBe('ok c');
    expect(calls).toEqual(['c']);
    expect(faults.list()).toEqual([]);
  });

  it('fires a ratio fault for that share of requests only, and only on its broker', async () => {
    let n = 0;
    const faults = new FaultTable(logger, () => (n++ % 4) / 4);
    const calls: string[] = [];
    const other = await faults.wrap(registry(calls), 2).get(3)!.load();
    const h = await faults.wrap(registry(calls), 1).get(3)!.load();
    faults.add({ kind: 'error', broker: 1, apiKey: 3, errorCode: 6, ratio: 0.5 });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await h.handle(String(i), ctx));
    expect(answers.filter((a) => a === 'error 6')).toHaveLength(4);
    expect(await other.handle('x', ctx)).toBe('ok x');
  });

  it('applies a dropped request and then closes the connection instead of answering', async () => {
    const faults = new FaultTable(logger);
    const calls: string[] = [];
    const h = await faults.wrap(registry(calls), 1).get(3)!.load();
    faults.add({ kind: 'drop', broker: 1, apiKey: 3, count: 1 });
    await expect(h.handle('a', ctx)).rejects.toThrow('dropped');
    expect(calls).toEqual(['a']);
  });

  it('closes a connection once its responses pass the byte budget, counted per connection', async () => {
    const faults = new FaultTable(logger);
    const dispatch = faults.wrapDispatch(() => ({ kind: 'response', chunks: [Buffer.alloc(40)] }), 1);
    const [a, b] = [plaintextConnection(1, INTERNAL_PRINCIPAL), plaintextConnection(2, INTERNAL_PRINCIPAL)];
    expect((await dispatch(Buffer.alloc(0), a)).kind).toBe('response');
    faults.add({ kind: 'close-after', broker: 1, bytes: 100 });
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push((await dispatch(Buffer.alloc(0), a)).kind);
    expect(kinds).toEqual(['response', 'response', 'close']);
    expect((await dispatch(Buffer.alloc(0), b)).kind).toBe('response');
    expect(faults.list()[0]!.applied).toBe(1);
    expect(() => parseFault({ kind: 'close-after', broker: 1 }, [1])).toThrow('bytes');
  });

  it('isolates both directions between two brokers, or one broker from all', () => {
    const faults = new FaultTable(logger);
    const f = faults.add({ kind: 'isolate', broker: 1, peer: 2 });
    expect([faults.isolated(1, 2), faults.isolated(2, 1), faults.isolated(1, 3)]).toEqual([true, true, false]);
    faults.clear(f.id);
    faults.add({ kind: 'isolate', broker: 3 });
    expect([faults.isolated(1, 2), faults.isolated(1, 3), faults.isolated(3, 2)]).toEqual([false, true, true]);
  });

  it('checks a fault given as JSON, naming the bad field', () => {
    expect(() => parseFault({ kind: 'error', broker: 1, apiKey: 0 }, [1])).toThrow(FaultError);
    expect(() => parseFault({ kind: 'latency', broker: 9, ms: 5 }, [1])).toThrow('no broker 9');
    expect(() => parseFault({ kind: 'nope', broker: 1 }, [1])).toThrow('kind must be');
    expect(parseFault({ kind: 'latency', broker: 1, ms: 5 }, [1])).toEqual({ kind: 'latency', broker: 1, ms: 5, apiKey: undefined });
  });
});
