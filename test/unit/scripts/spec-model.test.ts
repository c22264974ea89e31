import { describe, expect, it } from 'vitest';
import { buildMessage, type RawSchema } from '../../../scripts/gen/spec-model.js';
import { loadSchema } from '../../support/schema-arbitrary.js';

describe('buildMessage', () => {
  it('tags are numbers even where the spec spells them as strings (BrokerHeartbeatRequest "tag": "0")', () => {
    const m = loadSchema('client', 'BrokerHeartbeatRequest.json');
    const f = m.root.fields.find((x) => x.specName === 'OfflineLogDirs')!;
    expect(f.tag).toBe(0);
    for (const g of m.root.fields) if (g.tag !== undefined) expect(typeof g.tag).toBe('number');
  });

  it('reads versions, nullability and tags of a small schema', () => {
    const raw: RawSchema = {
      type: 'data', name: 'Small', validVersions: '0-3', flexibleVersions: '2+',
      fields: [
        { name: 'A', type: 'int32', versions: '0+' },
        { name: 'B', type: 'string', versions: '1+', nullableVersions: '1+', default: 'null' },
        { name: 'C', type: '[]Item', versions: '2+', taggedVersions: '2+', tag: 3, fields: [{ name: 'X', type: 'int8', versions: '0+' }] },
      ],
    };
    const m = buildMessage(raw);
    expect(m.validVersions).toEqual({ min: 0, max: 3 });
    expect(m.flexibleVersions).toEqual({ min: 2, max: 3 });
    expect(m.root.fields.map((f) => f.name)).toEqual(['a', 'b', 'c']);
    expect(m.root.fields[1]!.nullableVersions).toEqual({ min: 1, max: Infinity });
    expect(m.root.fields[1]!.defaultText).toBe('null');
    expect(m.root.fields[2]!.tag).toBe(3);
    expect(m.structs.map((s) => s.typeName)).toEqual(['Item']);
  });

  it('rejects a field tagged in only some of its versions, and a tagged field without a tag', () => {
    const base = { type: 'data', name: 'S', validVersions: '0-3', flexibleVersions: '0+' };
    expect(() => buildMessage({ ...base, fields: [{ name: 'A', type: 'int8', versions: '0+', taggedVersions: '2+', tag: 0 }] })).toThrow(/tagged in only some/);
    expect(() => buildMessage({ ...base, fields: [{ name: 'A', type: 'int8', versions: '0+', taggedVersions: '0+' }] })).toThrow(/tagged without tag/);
  });
});
