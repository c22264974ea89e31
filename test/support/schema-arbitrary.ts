/**
 * Builds fast-check arbitraries for any message at any version straight from the
 * schema model, independently of the generated code: fields present in the version get
 * random values, absent ones the schema's default.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMessage, type FieldModel, type MessageModel, type RawSchema, type StructModel, type TypeModel } from '../../scripts/gen/spec-model.js';
import { includes, isEmpty } from '../../scripts/gen/versions.js';

export const SCHEMA_DIR = join(import.meta.dirname, '../../schemas');

export function loadSchema(folder: string, file: string): MessageModel {
  return buildMessage(JSON.parse(readFileSync(join(SCHEMA_DIR, folder, file), 'utf8')) as RawSchema);
}

export function schemaFiles(folder: string): string[] {
  return readdirSync(join(SCHEMA_DIR, folder)).filter((f) => f.endsWith('.json')).sort();
}

const ZERO_UUID = Buffer.alloc(16).toString('base64url');

function isFlexible(m: MessageModel, f: FieldModel, version: number): boolean {
  return includes(f.flexibleVersions ?? m.flexibleVersions, version) && includes(m.flexibleVersions, version);
}

export function defaultValue(f: FieldModel): unknown {
  const d = f.defaultText;
  if (d === 'null') return null;
  const t = f.type;
  if (t.kind === 'array') return [];
  if (t.kind === 'struct') return defaultStruct(t.struct);
  switch (t.name) {
    case 'bool': return d === 'true';
    case 'int64': return d === undefined ? 0n : BigInt(d);
    case 'string': return d ?? '';
    case 'uuid': return ZERO_UUID;
    case 'bytes': return Buffer.alloc(0);
    case 'records': return isEmpty(f.nullableVersions) ? Buffer.alloc(0) : null;
    default: return d === undefined ? 0 : Number(d);
  }
}

export function defaultStruct(s: StructModel): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of s.fields) o[f.name] = defaultValue(f);
  return o;
}

function primitive(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'bool': return fc.boolean();
    case 'int8': return fc.integer({ min: -128, max: 127 });
    case 'int16': return fc.integer({ min: -32768, max: 32767 });
    case 'uint16': return fc.integer({ min: 0, max: 65535 });
    case 'int32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32': return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64': return fc.double();
    case 'string': return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'uuid': return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'bytes':
    case 'records': return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    default: throw new Error(`no arbitrary for ${name}`);
  }
}

export function messageArbitrary(m: MessageModel, version: number, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(m, m.root, version, depth);
}

function typeArbitrary(m: MessageModel, t: TypeModel, version: number, depth: number): fc.Arbitrary<unknown> {
  if (t.kind === 'primitive') return primitive(t.name);
  if (t.kind === 'struct') return structArbitrary(m, t.struct, version, depth + 1);
  return fc.array(typeArbitrary(m, t.element, version, depth), { maxLength: depth > 2 ? 1 : 3 });
}

function structArbitrary(m: MessageModel, s: StructModel, version: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) {
    if (!includes(f.versions, version)) {
      parts[f.name] = fc.constant(null).map(() => defaultValue(f));
      continue;
    }
    let arb = typeArbitrary(m, f.type, version, depth);
    if (includes(f.nullableVersions, version)) arb = fc.option(arb, { nil: null, freq: 4 });
    parts[f.name] = arb;
  }
  const flexible = includes(m.flexibleVersions, version);
  const knownTags = new Set(s.fields.filter((f) => !isEmpty(f.taggedVersions)).map((f) => f.tag!));
  const unknownTags = flexible
    ? fc.uniqueArray(fc.integer({ min: 0, max: 300 }).filter((t) => !knownTags.has(t)), { maxLength: 2 })
        .chain((tags) => fc.tuple(...tags.sort((a, b) => a - b).map((tag) => fc.uint8Array({ maxLength: 6 }).map((d) => ({ tag, data: Buffer.from(d) })))))
    : fc.constant([]);
  return fc.record({ fields: fc.record(parts), unknown: unknownTags }).map(({ fields, unknown }) => {
    const o: Record<string, unknown> = { ...fields };
    if (unknown.length) o.unknownTaggedFields = unknown;
    return o;
  });
}

export { isFlexible };
