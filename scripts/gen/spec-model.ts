/**
 * The schema model: Kafka's JSON message specs resolved into structs, fields and
 * version ranges, with TypeScript names chosen. The printer works only from this model.
 */
import { type VersionRange, parseVersions, intersect, isEmpty, NO_VERSIONS } from './versions.js';

export type PrimitiveName =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'records' | 'uuid';

export type TypeModel =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'array'; element: TypeModel }
  | { kind: 'struct'; struct: StructModel };

export interface FieldModel {
  specName: string;
  name: string;
  type: TypeModel;
  /** Versions in which the field exists (for tagged fields: in which it may be tagged). */
  versions: VersionRange;
  nullableVersions: VersionRange;
  taggedVersions: VersionRange;
  tag: number | undefined;
  /** Overrides the message's flexible versions for this one field. */
  flexibleVersions: VersionRange | undefined;
  /** The default as given in the spec, or undefined for the type's natural default. */
  defaultText: string | undefined;
  ignorable: boolean;
  mapKey: boolean;
  entityType: string | undefined;
}

export interface StructModel {
  specName: string;
  /** The TypeScript type name (prefixed where two messages of one module share a name). */
  typeName: string;
  fields: FieldModel[];
}

export interface MessageModel {
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey: number | undefined;
  listeners: string[];
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  deprecatedVersions: VersionRange;
  latestVersionUnstable: boolean;
  root: StructModel;
  /** Every struct the message uses, root excluded, in order of first appearance. */
  structs: StructModel[];
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string; // upstream specs spell some tags as strings ("tag": "0")
  flexibleVersions?: string;
  default?: string | number | boolean | null;
  ignorable?: boolean;
  mapKey?: boolean;
  entityType?: string;
  fields?: RawField[];
}

export interface RawSchema {
  apiKey?: number;
  type: string;
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions?: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: Array<{ name: string; versions?: string; fields: RawField[] }>;
}

const PRIMITIVES = new Set<string>([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid',
]);

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function buildMessage(raw: RawSchema): MessageModel {
  const validVersions = parseVersions(raw.validVersions);
  const structs = new Map<string, StructModel>();
  const order: StructModel[] = [];
  const common = new Map((raw.commonStructs ?? []).map((s) => [s.name, s]));

  const resolveType = (typeText: string, inline: RawField[] | undefined, where: string): TypeModel => {
    if (typeText.startsWith('[]')) {
      return { kind: 'array', element: resolveType(typeText.slice(2), inline, where) };
    }
    if (PRIMITIVES.has(typeText)) {
      if (inline) throw new Error(`${where}: primitive ${typeText} with fields`);
      return { kind: 'primitive', name: typeText as PrimitiveName };
    }
    const existing = structs.get(typeText);
    if (existing) {
      if (inline) throw new Error(`${where}: struct ${typeText} defined twice`);
      return { kind: 'struct', struct: existing };
    }
    const fieldsRaw = inline ?? common.get(typeText)?.fields;
    if (!fieldsRaw) throw new Error(`${where}: unknown type ${typeText}`);
    const struct: StructModel = { specName: typeText, typeName: typeText, fields: [] };
    structs.set(typeText, struct);
    order.push(struct);
    struct.fields = fieldsRaw.map((f) => buildField(f, `${where}.${typeText}`));
    return { kind: 'struct', struct };
  };

  const buildField = (f: RawField, where: string): FieldModel => {
    const taggedVersions = parseVersions(f.taggedVersions);
    const versions = parseVersions(f.versions, taggedVersions);
    if (isEmpty(versions)) throw new Error(`${where}.${f.name}: no versions`);
    if (!isEmpty(taggedVersions) && (taggedVersions.min !== versions.min || taggedVersions.max !== versions.max)) {
      throw new Error(`${where}.${f.name}: a field tagged in only some of its versions is not supported`);
    }
    if (!isEmpty(taggedVersions) && f.tag === undefined) throw new Error(`${where}.${f.name}: tagged without tag`);
    return {
      specName: f.name,
      name: camelCase(f.name),
      type: resolveType(f.type, f.fields, where),
      versions,
      nullableVersions: parseVersions(f.nullableVersions),
      taggedVersions,
      tag: f.tag === undefined ? undefined : Number(f.tag),
      flexibleVersions: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions),
      defaultText: f.default === undefined ? undefined : String(f.default),
      ignorable: f.ignorable === true,
      mapKey: f.mapKey === true,
      entityType: f.entityType,
    };
  };

  const root: StructModel = { specName: raw.name, typeName: raw.name, fields: [] };
  root.fields = raw.fields.map((f) => buildField(f, raw.name));
  // Kafka 4 marks the records of its coordinators' logs "coordinator-key"/"-value" and the
  // tiered-storage records "metadata" (their apiKey is the record type); they encode as any
  // other data message.
  const type = ['coordinator-key', 'coordinator-value', 'metadata'].includes(raw.type) ? 'data' : raw.type;
  if (!['request', 'response', 'header', 'data'].includes(type)) throw new Error(`${raw.name}: type ${raw.type}`);
  return {
    name: raw.name,
    type: type as MessageModel['type'],
    apiKey: raw.apiKey,
    listeners: raw.listeners ?? [],
    validVersions,
    flexibleVersions: intersect(parseVersions(raw.flexibleVersions ?? 'none'), validVersions),
    deprecatedVersions: raw.deprecatedVersions ? parseVersions(raw.deprecatedVersions) : NO_VERSIONS,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root,
    structs: order,
  };
}

/**
 * Gives every struct a TypeScript name unique within one generated module: a struct
 * name used by two of the module's messages is prefixed with its message's name.
 */
export function assignTypeNames(messages: MessageModel[]): void {
  const count = new Map<string, number>();
  const taken = new Set(messages.map((m) => m.name));
  for (const m of messages) for (const s of m.structs) count.set(s.specName, (count.get(s.specName) ?? 0) + 1);
  for (const m of messages) {
    for (const s of m.structs) {
      const clash = (count.get(s.specName) ?? 0) > 1 || taken.has(s.specName);
      s.typeName = clash ? `${m.name}${s.specName}` : s.specName;
    }
  }
}
