/**
 * Imports Kafka's JSON message specs (JSON with comments) into the project's own schema
 * files. Only structure is kept: the upstream `about` texts and comments stay behind, so
 * the project builds from schemas/ alone.
 *
 *   tsx scripts/import-schemas.ts <kafka-message-specs dir> <out dir>
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const FOLDERS = ['client', 'group-coordinator', 'transaction-coordinator', 'storage'];

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

function main(): void {
  const [src, dst] = process.argv.slice(2);
  if (!src || !dst) throw new Error('usage: import-schemas <kafka-message-specs dir> <out dir>');
  for (const folder of FOLDERS) {
    const outDir = join(dst, folder);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const file of readdirSync(join(src, folder)).filter((f) => f.endsWith('.json')).sort()) {
      const raw = JSON.parse(stripJsonComments(readFileSync(join(src, folder, file), 'utf8'))) as Record<string, Json>;
      writeFileSync(join(outDir, file), JSON.stringify(cleanSchema(raw, file), null, 2) + '\n');
    }
  }
  copyFileSync(join(src, 'errors.tsv'), join(dst, 'errors.tsv'));
  copyFileSync(join(src, 'LICENSE'), join(dst, 'LICENSE'));
  copyFileSync(join(src, 'NOTICE'), join(dst, 'NOTICE'));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
