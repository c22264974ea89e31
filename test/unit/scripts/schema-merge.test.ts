import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSchemas } from '../../../scripts/schema-merge.js';
import { importFolder } from '../../../scripts/import-schemas.js';

type Obj = Parameters<typeof mergeSchemas>[0];

// An older release with v0-v5 and a newer one that dropped v0-v2, added v6 and a topic id
// that replaces the name from v6 on; shaped like Produce across KIP-896 and KIP-516.
const older: Obj = {
  apiKey: 0, type: 'request', name: 'R', validVersions: '0-5', flexibleVersions: '4+',
  fields: [
    { name: 'Acks', type: 'int16', versions: '0+' },
    { name: 'Legacy', type: 'int32', versions: '0-1' },
    { name: 'Topics', type: '[]Topic', versions: '0+', fields: [
      { name: 'Name', type: 'string', versions: '0+' },
      { name: 'Old', type: 'int8', versions: '0' },
      { name: 'Index', type: 'int32', versions: '0+' },
    ] },
    { name: 'Tag', type: 'int32', versions: '4+', taggedVersions: '4+', tag: 0 },
  ],
};
const newer: Obj = {
  apiKey: 0, type: 'request', name: 'R', validVersions: '3-6', flexibleVersions: '4+',
  fields: [
    { name: 'Acks', type: 'int16', versions: '0+' },
    { name: 'Topics', type: '[]Topic', versions: '0+', fields: [
      { name: 'Name', type: 'string', versions: '0-5' },
      { name: 'TopicId', type: 'uuid', versions: '6+' },
      { name: 'Index', type: 'int32', versions: '0+' },
    ] },
    { name: 'Tag', type: 'int32', versions: '4+', taggedVersions: '4+', tag: 0 },
    { name: 'Extra', type: 'int8', versions: '6+', nullableVersions: '6+' },
  ],
};

describe('mergeSchemas', () => {
  it('keeps the older versions below the newer minimum, and the newer schema above it', () => {
    expect(mergeSchemas(older, newer, 'R')).toEqual({
      apiKey: 0, type: 'request', name: 'R', validVersions: '0-6', flexibleVersions: '4+',
      fields: [
        { name: 'Acks', type: 'int16', versions: '0+' },
        { name: 'Legacy', type: 'int32', versions: '0-1' },
        { name: 'Topics', type: '[]Topic', versions: '0+', fields: [
          { name: 'Name', type: 'string', versions: '0-5' },
          { name: 'Old', type: 'int8', versions: '0' },
          { name: 'TopicId', type: 'uuid', versions: '6+' },
          { name: 'Index', type: 'int32', versions: '0+' },
        ] },
        { name: 'Tag', type: 'int32', versions: '4+', taggedVersions: '4+', tag: 0 },
        { name: 'Extra', type: 'int8', versions: '6+', nullableVersions: '6+' },
      ],
    });
  });

  it('takes the newer schema alone when it covers every older version', () => {
    const same = { ...older, validVersions: '3-5' };
    expect(mergeSchemas(same, newer, 'R')).toBe(newer);
  });

  it('takes the older schema alone when the newer one has no versions left', () => {
    expect(mergeSchemas(older, { ...newer, validVersions: 'none' }, 'R')).toBe(older);
  });

  it('refuses what it cannot write as one schema, naming the place', () => {
    const retyped = { ...newer, fields: [{ name: 'Acks', type: 'int32', versions: '0+' }] };
    expect(() => mergeSchemas(older, retyped, 'R')).toThrow('R.Acks: type int16 became int32');
    const gap = { ...newer, fields: [(newer.fields as Obj[])[0]!, { name: 'Legacy', type: 'int32', versions: '5+' }, ...(newer.fields as Obj[]).slice(1)] };
    expect(() => mergeSchemas(older, gap, 'R')).toThrow('R.Legacy versions: versions 0-1 and 5+ do not join');
    const renamed = { ...older, fields: [...(older.fields as Obj[]), { name: 'Gone', type: 'int8', versions: '0+' }] };
    expect(() => mergeSchemas(renamed, newer, 'R')).toThrow('R.Gone: in the older schema up to 0+, missing from the newer one');
    const reordered = { ...newer, fields: [...(newer.fields as Obj[])].reverse() };
    expect(() => mergeSchemas(older, reordered, 'R')).toThrow('reordered');
    const retagged = { ...newer, fields: (newer.fields as Obj[]).map((f) => (f.name === 'Tag' ? { ...f, tag: 1 } : f)) };
    expect(() => mergeSchemas(older, retagged, 'R')).toThrow('R.Tag: tag 0 became 1');
  });
});

describe('importFolder', () => {
  function specs(files: Record<string, Obj>): string {
    const dir = mkdtempSync(join(tmpdir(), 'specs-'));
    mkdirSync(join(dir, 'client'));
    for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, 'client', name), `// license\n${JSON.stringify(schema)}\n`);
    return dir;
  }

  it('matches requests by API key across a rename, and names the source of each version range', () => {
    const oldDir = specs({
      'ListOldRequest.json': { apiKey: 74, type: 'request', name: 'ListOldRequest', validVersions: '0', fields: [] },
      'GoneRequest.json': { apiKey: 4, type: 'request', name: 'GoneRequest', validVersions: '0-7', fields: [] },
      'RRequest.json': older,
    });
    const newDir = specs({
      'ListNewRequest.json': { apiKey: 74, type: 'request', name: 'ListNewRequest', validVersions: '0-1', fields: [] },
      'RRequest.json': newer,
    });
    const out = importFolder({ label: 'new', dir: newDir }, { label: 'old', dir: oldDir }, 'client');
    expect([...out.keys()]).toEqual(['GoneRequest.json', 'ListNewRequest.json', 'RRequest.json']);
    expect(out.get('ListNewRequest.json')).toMatchObject({ source: { new: '0-1' }, name: 'ListNewRequest' });
    expect(out.get('GoneRequest.json')).toMatchObject({ source: { old: '0-7' }, validVersions: '0-7' });
    expect(out.get('RRequest.json')).toMatchObject({ source: { new: '3-6', old: '0-2' }, validVersions: '0-6' });
  });

  it('drops an older unstable latest version from a request and its response', () => {
    const oldDir = specs({
      'SRequest.json': { apiKey: 78, type: 'request', name: 'SRequest', validVersions: '0', latestVersionUnstable: true, fields: [{ name: 'A', type: 'int8', versions: '0+' }] },
      'SResponse.json': { apiKey: 78, type: 'response', name: 'SResponse', validVersions: '0', fields: [{ name: 'A', type: 'int8', versions: '0+' }] },
    });
    const newDir = specs({
      'SRequest.json': { apiKey: 78, type: 'request', name: 'SRequest', validVersions: '1', fields: [{ name: 'A', type: 'int8', versions: '1+', mapKey: true }] },
      'SResponse.json': { apiKey: 78, type: 'response', name: 'SResponse', validVersions: '1', fields: [{ name: 'A', type: 'int8', versions: '1+', mapKey: true }] },
    });
    const out = importFolder({ label: 'new', dir: newDir }, { label: 'old', dir: oldDir }, 'client');
    expect(out.get('SRequest.json')).toMatchObject({ source: { new: '1' }, validVersions: '1' });
    expect(out.get('SResponse.json')).toMatchObject({ source: { new: '1' }, validVersions: '1' });
  });
});
