/**
 * Imports Kafka's JSON message specs (JSON with comments) into the project's own schema
 * files. Only structure is kept: the upstream `about` texts and comments stay behind, so
 * the project builds from schemas/ alone.
 *
 *   tsx scripts/import-schemas.ts <out dir> <label>=<newer specs dir> <label>=<older specs dir>
 *
 * The newer specs are Kafka's current ones; the older ones still carry the versions Kafka 4
 * dropped, which Skiff keeps serving: a message in both is merged (scripts/schema-merge.ts).
 * Each written schema names its sources and their versions in `source`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVersions, mergeSchemas, versionsToKeep } from './schema-merge.js';
import { isEmpty, parseVersions } from './gen/versions.js';

const FOLDERS = ['client', 'group-coordinator', 'share-coordinator', 'transaction-coordinator', 'storage'];

const MESSAGE_KEYS = [
  'apiKey', 'type', 'listeners', 'name', 'validVersions', 'deprecatedVersions',
  'flexibleVersions', 'latestVersionUnstable', 'fields', 'commonStructs',
] as const;
const STRUCT_KEYS = ['name', 'versions', 'fields'] as const;
const FIELD_KEYS = [
  'name', 'type', 'versions', 'nullableVersions', 'taggedVersions', 'tag', 'flexibleVersions',
  'default', 'ignorable', 'mapKey', 'entityType', 'zeroCopy', 'fields',
] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Removes `//` comments outside strings; the specs carry license headers and notes that way. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

function pick(obj: Record<string, Json>, keys: readonly string[], where: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(obj)) {
    if (k !== 'about' && !keys.includes(k)) throw new Error(`${where}: unexpected key ${k}`);
  }
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k]!;
  return out;
}

function cleanField(f: Record<string, Json>, where: string): Record<string, Json> {
  const out = pick(f, FIELD_KEYS, `${where}.${String(f.name)}`);
  if (Array.isArray(f.fields)) {
    out.fields = f.fields.map((x) => cleanField(x as Record<string, Json>, `${where}.${String(f.name)}`));
  }
  return out;
}

export function cleanSchema(raw: Record<string, Json>, where: string): Record<string, Json> {
  const out = pick(raw, MESSAGE_KEYS, where);
  if (Array.isArray(raw.fields)) out.fields = raw.fields.map((f) => cleanField(f as Record<string, Json>, where));
  if (Array.isArray(raw.commonStructs)) {
    out.commonStructs = raw.commonStructs.map((s) => {
      const struct = s as Record<string, Json>;
      const cs = pick(struct, STRUCT_KEYS, `${where}.${String(struct.name)}`);
      cs.fields = (struct.fields as Json[]).map((f) => cleanField(f as Record<string, Json>, where));
      return cs;
    });
  }
  return out;
}

function readSpec(dir: string, file: string): Record<string, Json> {
  return cleanSchema(JSON.parse(stripJsonComments(readFileSync(join(dir, file), 'utf8'))) as Record<string, Json>, file);
}

/** A request or response is the same message when its API key is, even renamed (key 74). */
function identity(schema: Record<string, Json>, file: string): string {
  return schema.type === 'request' || schema.type === 'response' ? `${String(schema.type)}:${String(schema.apiKey)}` : file;
}

export interface Source { label: string; dir: string }

/** One folder's schemas: file name to schema, with `source` naming where its versions came from. */
export function importFolder(newer: Source, older: Source, folder: string): Map<string, Record<string, Json>> {
  const load = (s: Source): Map<string, [string, Record<string, Json>]> => {
    const dir = join(s.dir, folder);
    const out = new Map<string, [string, Record<string, Json>]>();
    if (!existsSync(dir)) return out;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const schema = readSpec(dir, file);
      out.set(identity(schema, file), [file, schema]);
    }
    return out;
  };
  const newSchemas = load(newer);
  const oldSchemas = load(older);
  // An older release's unstable latest version was never served to clients by default
  // (a request marks it; its response shares the API key), so it is not worth keeping.
  for (const [, [, req]] of oldSchemas) {
    if (req.latestVersionUnstable !== true) continue;
    for (const type of ['request', 'response']) {
      const entry = oldSchemas.get(`${type}:${String(req.apiKey)}`);
      if (!entry) continue;
      const v = parseVersions(entry[1].validVersions as string);
      entry[1] = { ...entry[1], validVersions: formatVersions({ min: v.min, max: v.max - 1 }) };
      delete entry[1].latestVersionUnstable;
    }
  }
  const result = new Map<string, Record<string, Json>>();
  for (const [id, [file, schema]] of newSchemas) {
    const old = oldSchemas.get(id)?.[1];
    const source: Record<string, Json> = {};
    let merged = schema;
    if (old) {
      const { keep, from } = versionsToKeep(old, schema);
      merged = mergeSchemas(old, schema, `${folder}/${file}`);
      if (!isEmpty(from)) source[newer.label] = schema.validVersions!;
      if (!isEmpty(keep)) source[older.label] = formatVersions(keep);
    } else {
      source[newer.label] = schema.validVersions!;
    }
    result.set(file, { source, ...merged });
  }
  for (const [id, [file, schema]] of oldSchemas) {
    if (!newSchemas.has(id)) result.set(file, { source: { [older.label]: schema.validVersions! }, ...schema });
  }
  return new Map([...result].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const USAGE = 'usage: import-schemas <out dir> <label>=<newer specs dir> <label>=<older specs dir>';

function parseSource(arg: string | undefined): Source {
  const m = /^([^=]+)=(.+)$/.exec(arg ?? '');
  if (!m) throw new Error(USAGE);
  return { label: m[1]!, dir: m[2]! };
}

function main(): void {
  const [dst, newArg, oldArg] = process.argv.slice(2);
  const newer = parseSource(newArg);
  const older = parseSource(oldArg);
  if (!dst) throw new Error(USAGE);
  for (const folder of FOLDERS) {
    const outDir = join(dst, folder);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const [file, schema] of importFolder(newer, older, folder)) {
      writeFileSync(join(outDir, file), JSON.stringify(schema, null, 2) + '\n');
    }
  }
  for (const f of ['errors.tsv', 'LICENSE', 'NOTICE']) copyFileSync(join(newer.dir, f), join(dst, f));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
