import { describe, expect, it } from 'vitest';
import { cleanSchema, stripJsonComments } from '../../../scripts/import-schemas.js';

type Json = Parameters<typeof cleanSchema>[0];

describe('stripJsonComments', () => {
  it('removes line comments, keeping line structure', () => {
    const text = '// license\n{\n  "a": 1, // trailing\n  // whole line\n  "b": 2\n}\n';
    const out = stripJsonComments(text);
    expect(JSON.parse(out)).toEqual({ a: 1, b: 2 });
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(out).not.toContain('license');
  });

  it('keeps // inside strings, including after escaped quotes', () => {
    const text = '{ "url": "http://kafka.apache.org", "q": "say \\"//hi\\"", "bs": "c:\\\\", "x": "//" } // gone';
    expect(JSON.parse(stripJsonComments(text))).toEqual({ url: 'http://kafka.apache.org', q: 'say "//hi"', bs: 'c:\\', x: '//' });
  });

  it('leaves a lone slash and text without comments alone', () => {
    expect(stripJsonComments('{"a": "1/2"}')).toBe('{"a": "1/2"}');
    expect(stripJsonComments('[1, 2]')).toBe('[1, 2]');
  });

  it('strips a comment at the end of input with no newline', () => {
    expect(JSON.parse(stripJsonComments('{"a":1}// end'))).toEqual({ a: 1 });
  });
});

describe('cleanSchema', () => {
  const raw: Json = {
    apiKey: 18,
    type: 'request',
    listeners: ['broker'],
    name: 'ApiVersionsRequest',
    validVersions: '0-4',
    flexibleVersions: '3+',
    about: 'top-level about',
    fields: [
      { name: 'ClientSoftwareName', type: 'string', versions: '3+', ignorable: true, about: 'the name' },
      {
        name: 'Items', type: '[]Item', versions: '0+', about: 'nested',
        fields: [{ name: 'Id', type: 'int32', versions: '0+', about: 'deep', mapKey: true }],
      },
    ],
    commonStructs: [{ name: 'Common', versions: '0+', about: 'struct about', fields: [{ name: 'X', type: 'int8', versions: '0+', about: 'x' }] }],
  };

  it('drops every about and keeps the structure', () => {
    const out = cleanSchema(raw, 'ApiVersionsRequest.json');
    expect(JSON.stringify(out)).not.toContain('about');
    expect(out).toEqual({
      apiKey: 18,
      type: 'request',
      listeners: ['broker'],
      name: 'ApiVersionsRequest',
      validVersions: '0-4',
      flexibleVersions: '3+',
      fields: [
        { name: 'ClientSoftwareName', type: 'string', versions: '3+', ignorable: true },
        { name: 'Items', type: '[]Item', versions: '0+', fields: [{ name: 'Id', type: 'int32', versions: '0+', mapKey: true }] },
      ],
      commonStructs: [{ name: 'Common', versions: '0+', fields: [{ name: 'X', type: 'int8', versions: '0+' }] }],
    });
  });

  it('writes keys in a fixed order whatever the input order', () => {
    const out = cleanSchema({ fields: [], validVersions: '0', name: 'N', type: 'data' }, 'f');
    expect(Object.keys(out)).toEqual(['type', 'name', 'validVersions', 'fields']);
  });

  it('rejects unknown keys wherever they are, naming the place', () => {
    expect(() => cleanSchema({ ...raw, surprise: 1 }, 'F.json')).toThrow('F.json: unexpected key surprise');
    const badField = { ...raw, fields: [{ name: 'A', type: 'int8', versions: '0+', wat: true }] };
    expect(() => cleanSchema(badField as Json, 'F.json')).toThrow('F.json.A: unexpected key wat');
    const badNested = { ...raw, fields: [{ name: 'A', type: '[]B', versions: '0+', fields: [{ name: 'C', type: 'int8', versions: '0+', odd: 1 }] }] };
    expect(() => cleanSchema(badNested as Json, 'F.json')).toThrow('F.json.A.C: unexpected key odd');
    const badStruct = { ...raw, commonStructs: [{ name: 'S', fields: [], extra: 'x' }] };
    expect(() => cleanSchema(badStruct as Json, 'F.json')).toThrow('F.json.S: unexpected key extra');
  });
});
