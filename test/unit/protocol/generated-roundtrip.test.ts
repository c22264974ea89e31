import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { EncodeError } from '../../../src/protocol/codec/errors.js';
import { API_CODECS } from '../../../src/protocol/generated/api-codecs.js';
import { API_INFO } from '../../../src/protocol/generated/api-keys.js';
import { loadSchema, messageArbitrary, schemaFiles, defaultValue } from '../../support/schema-arbitrary.js';
import { includes } from '../../../scripts/gen/versions.js';

type Codec = { encode: (v: unknown, version: number) => Buffer; size: (v: unknown, version: number) => number; decode: (r: Reader, version: number) => unknown };

const requests = schemaFiles('client').filter((f) => f.endsWith('Request.json'));
const RUNS = Number(process.env.ROUNDTRIP_RUNS ?? 15);

function codecFor(apiKey: number, kind: 'request' | 'response'): Codec {
  const c = API_CODECS.get(apiKey)!;
  return kind === 'request'
    ? { encode: c.encodeRequest as Codec['encode'], size: c.sizeRequest as Codec['size'], decode: c.decodeRequest }
    : { encode: c.encodeResponse as Codec['encode'], size: c.sizeResponse as Codec['size'], decode: c.decodeResponse };
}

describe('generated codecs round-trip every API key, version and direction', () => {
  it('covers every request schema', () => {
    expect(API_CODECS.size).toBe(requests.length);
    expect(API_INFO.size).toBe(requests.length);
  });

  for (const file of requests) {
    for (const kind of ['request', 'response'] as const) {
      const schema = loadSchema('client', kind === 'request' ? file : file.replace('Request.json', 'Response.json'));
      const { min, max } = schema.validVersions;
      it(`${schema.name} v${min}-v${max}`, () => {
        const codec = codecFor(schema.apiKey!, kind);
        for (let version = min; version <= max; version++) {
          fc.assert(
            fc.property(messageArbitrary(schema, version), (value) => {
              const bytes = codec.encode(value, version);
              expect(codec.size(value, version)).toBe(bytes.length);
              const r = new Reader(bytes);
              const back = codec.decode(r, version);
              expect(r.remaining).toBe(0);
              expect(back).toEqual(value);
            }),
            { numRuns: RUNS },
          );
        }
      });
    }
  }
});

describe('a value a version cannot carry is an error, not a silent drop', () => {
  // Every top-level field absent from some version: a non-default value there must throw,
  // unless the schema marks it ignorable (then Kafka drops it, and so do we).
  for (const file of requests) {
    const schema = loadSchema('client', file);
    const { min, max } = schema.validVersions;
    const codec = codecFor(schema.apiKey!, 'request');
    const candidates = schema.root.fields.filter((f) => f.type.kind === 'primitive' && f.type.name !== 'records');
    for (const f of candidates) {
      const absentIn: number[] = [];
      for (let v = min; v <= max; v++) if (!includes(f.versions, v)) absentIn.push(v);
      if (absentIn.length === 0) continue;
      it(`${schema.name}.${f.name} at v${absentIn[0]}`, () => {
        const value: Record<string, unknown> = {};
        for (const g of schema.root.fields) value[g.name] = defaultValue(g);
        const nonDefault = nonDefaultFor(f.type.kind === 'primitive' ? f.type.name : '', value[f.name]);
        value[f.name] = nonDefault;
        const version = absentIn[0]!;
        if (f.ignorable) {
          const back = codec.decode(new Reader(codec.encode(value, version)), version) as Record<string, unknown>;
          expect(back[f.name]).toEqual(defaultValue(f));
        } else {
          expect(() => codec.encode(value, version)).toThrow(EncodeError);
        }
      });
    }
  }
});

function nonDefaultFor(type: string, current: unknown): unknown {
  switch (type) {
    case 'bool': return !current;
    case 'int64': return (current as bigint) + 7n;
    case 'string': return current === 'x' ? 'y' : 'x';
    case 'uuid': return Buffer.alloc(16, 3).toString('base64url');
    case 'bytes': return Buffer.from([1, 2, 3]);
    default: return (current as number) + 7;
  }
}
