/**
 * Merges two cleaned schemas of one message: a newer Kafka release's and an older one's that
 * still carries versions the newer release dropped (KIP-896). Versions the newer schema covers
 * come from it alone; versions below its minimum come from the older schema alone, so the
 * codecs for those old versions read and write exactly what they did before the merge.
 */
import { type VersionRange, parseVersions, isEmpty, intersect, NO_VERSIONS } from './gen/versions.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, Json>;

export function formatVersions(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

/**
 * The union of `older` clipped to `keep` (the versions only the older schema has) and `newer`
 * clipped to `from` (the newer schema's versions); the two parts must touch, since a field
 * or flag that disappears and comes back cannot be written as one range.
 */
function joinRanges(older: VersionRange, newer: VersionRange, keep: VersionRange, from: VersionRange, where: string): VersionRange {
  const a = intersect(older, keep);
  const b = intersect(newer, from);
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  if (a.max + 1 !== b.min) throw new Error(`${where}: versions ${formatVersions(a)} and ${formatVersions(b)} do not join`);
  return { min: a.min, max: b.max };
}

const RANGE_KEYS = ['versions', 'nullableVersions', 'taggedVersions'] as const;
const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

/** A field's range; a tagged field without `versions` exists in its tagged versions. */
function rangeOf(f: Obj | undefined, key: (typeof RANGE_KEYS)[number]): VersionRange {
  if (!f) return NO_VERSIONS;
  const fallback = key === 'versions' ? parseVersions(f.taggedVersions as string | undefined) : NO_VERSIONS;
  return parseVersions(f[key] as string | undefined, fallback);
}

function mergeField(older: Obj | undefined, newer: Obj | undefined, keep: VersionRange, from: VersionRange, where: string): Obj | undefined {
  const name = String((newer ?? older)!.name);
  const here = `${where}.${name}`;
  const out: Obj = { ...(newer ?? older)! };
  for (const key of RANGE_KEYS) {
    const r = joinRanges(rangeOf(older, key), rangeOf(newer, key), keep, from, `${here} ${key}`);
    if (key === 'versions' && isEmpty(r)) return undefined;
    if (!isEmpty(r)) out[key] = formatVersions(r);
    else delete out[key];
  }
  if (older && !newer) {
    const o = rangeOf(older, 'versions');
    if (o.max >= from.min) throw new Error(`${here}: in the older schema up to ${formatVersions(o)}, missing from the newer one`);
  }
  if (older && newer) {
    // A struct may be renamed (its fields are merged below); anything else must stay as it was.
    const isArray = (t: Json | undefined): boolean => String(t).startsWith('[]');
    const isStruct = (t: Json | undefined): boolean => !PRIMITIVES.has(String(t).replace(/^\[\]/, ''));
    const renamedStruct = isStruct(older.type) && isStruct(newer.type) && isArray(older.type) === isArray(newer.type);
    if (older.type !== newer.type && !renamedStruct) throw new Error(`${here}: type ${String(older.type)} became ${String(newer.type)}`);
    for (const key of ['tag', 'default', 'flexibleVersions', 'mapKey'] as const) {
      if (JSON.stringify(older[key]) !== JSON.stringify(newer[key])) {
        throw new Error(`${here}: ${key} ${JSON.stringify(older[key])} became ${JSON.stringify(newer[key])}`);
      }
    }
  }
  const oldFields = older?.fields as Obj[] | undefined;
  const newFields = newer?.fields as Obj[] | undefined;
  if (oldFields || newFields) out.fields = mergeFields(oldFields ?? [], newFields ?? [], keep, from, here);
  return out;
}

/**
 * The newer schema's fields in its order, each older-only field placed right after the field
 * it followed in the older schema: wire order is field order, so fields both schemas share
 * must appear in the same order in both.
 */
function mergeFields(older: Obj[], newer: Obj[], keep: VersionRange, from: VersionRange, where: string): Obj[] {
  const newNames = newer.map((f) => String(f.name));
  const shared = older.map((f) => String(f.name)).filter((n) => newNames.includes(n));
  const sharedInNewOrder = newNames.filter((n) => shared.includes(n));
  if (shared.join() !== sharedInNewOrder.join()) throw new Error(`${where}: fields ${shared.join(', ')} reordered`);
  const order: Array<[Obj | undefined, Obj | undefined]> = newer.map((f) => [older.find((o) => o.name === f.name), f]);
  let at = 0; // where the next older-only field goes
  for (const f of older) {
    const i = order.findIndex(([, n]) => n?.name === f.name);
    if (i >= 0) at = i + 1;
    else order.splice(at++, 0, [f, undefined]);
  }
  return order.map(([o, n]) => mergeField(o, n, keep, from, where)).filter((f): f is Obj => f !== undefined);
}

/** The newer schema's versions, and the older-only versions below them (none if it has none). */
export function versionsToKeep(older: Obj, newer: Obj): { keep: VersionRange; from: VersionRange } {
  const from = parseVersions(newer.validVersions as string);
  const old = parseVersions(older.validVersions as string);
  if (isEmpty(old)) return { keep: NO_VERSIONS, from };
  if (isEmpty(from)) return { keep: old, from };
  return { keep: intersect(old, { min: 0, max: from.min - 1 }), from };
}

export function mergeSchemas(older: Obj, newer: Obj, where: string): Obj {
  const { keep, from: valid } = versionsToKeep(older, newer);
  if (isEmpty(keep)) return newer;
  if (isEmpty(valid)) return older;
  // Open-ended: a newer range such as "3+" stays open, as Kafka writes it.
  const from = { min: valid.min, max: Infinity };
  if (older.type !== newer.type || older.apiKey !== newer.apiKey) throw new Error(`${where}: type or apiKey differs`);
  const flexOld = parseVersions((older.flexibleVersions as string | undefined) ?? 'none');
  const flexNew = parseVersions((newer.flexibleVersions as string | undefined) ?? 'none');
  const flexible = joinRanges(flexOld, flexNew, keep, from, `${where} flexibleVersions`);
  const out: Obj = { ...newer };
  out.validVersions = formatVersions({ min: keep.min, max: valid.max });
  out.flexibleVersions = formatVersions(flexible);
  if (newer.deprecatedVersions === undefined && older.deprecatedVersions !== undefined) {
    const dep = intersect(parseVersions(older.deprecatedVersions as string), keep);
    if (!isEmpty(dep)) out.deprecatedVersions = formatVersions(dep);
  }
  out.fields = mergeFields(older.fields as Obj[], newer.fields as Obj[], keep, from, where);
  const oldStructs = (older.commonStructs as Obj[] | undefined) ?? [];
  const newStructs = (newer.commonStructs as Obj[] | undefined) ?? [];
  if (oldStructs.length || newStructs.length) {
    const names = [...newStructs.map((s) => s.name), ...oldStructs.map((s) => s.name).filter((n) => !newStructs.some((s) => s.name === n))];
    out.commonStructs = names.map((name) => {
      const o = oldStructs.find((s) => s.name === name);
      const n = newStructs.find((s) => s.name === name);
      const s: Obj = { ...(n ?? o)! };
      s.fields = mergeFields((o?.fields as Obj[] | undefined) ?? [], (n?.fields as Obj[] | undefined) ?? [], keep, from, `${where}.${String(name)}`);
      return s;
    });
  }
  // Keep the key order of a cleaned schema.
  const ordered: Obj = {};
  for (const k of Object.keys(newer)) ordered[k] = out[k]!;
  for (const k of Object.keys(out)) if (!(k in ordered)) ordered[k] = out[k]!;
  return ordered;
}
