/**
 * Prints TypeScript codecs for the structs of one message: an interface, and
 * read/size/write/default/isDefault functions that take the version at run time.
 * Sizing also validates (null where not nullable, non-default values in versions that
 * cannot carry them), so writing never has to.
 */
import type { FieldModel, MessageModel, StructModel, TypeModel } from './spec-model.js';
import { type VersionRange, intersect, isEmpty, versionCondition } from './versions.js';

const FIXED_SIZE: Record<string, number> = {
  bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
};

class Lines {
  readonly out: string[] = [];
  private depth = 0;
  line(s = ''): this {
    this.out.push(s === '' ? '' : '  '.repeat(this.depth) + s);
    return this;
  }
  open(s: string): this {
    this.line(s);
    this.depth++;
    return this;
  }
  close(s = '}'): this {
    this.depth--;
    return this.line(s);
  }
  /** Closes one block and opens the next at the same depth: `} else {`. */
  mid(s: string): this {
    this.depth--;
    this.line(s);
    this.depth++;
    return this;
  }
  toString(): string {
    return this.out.join('\n');
  }
}

function choose(cond: string, a: string, b: string): string {
  if (cond === 'true') return a;
  if (cond === 'false') return b;
  return `(${cond} ? ${a} : ${b})`;
}

export class MessagePrinter {
  private readonly valid: VersionRange;
  private readonly hasFlex: boolean;
  private readonly flexCond: string;

  constructor(private readonly msg: MessageModel) {
    this.valid = msg.validVersions;
    this.hasFlex = !isEmpty(msg.flexibleVersions);
    this.flexCond = versionCondition(msg.flexibleVersions, this.valid);
  }

  /** All structs of the message, nested ones first, root last. */
  print(): string {
    const parts = [...this.msg.structs, this.msg.root].map((s) => this.printStruct(s));
    return parts.join('\n');
  }

  private recordsType(): string {
    return this.msg.type === 'response' ? 'RecordsData' : 'Buffer';
  }

  private baseType(t: TypeModel): string {
    switch (t.kind) {
      case 'array':
        return `${this.baseType(t.element)}[]`;
      case 'struct':
        return t.struct.typeName;
      case 'primitive':
        switch (t.name) {
          case 'bool': return 'boolean';
          case 'int64': return 'bigint';
          case 'string': case 'uuid': return 'string';
          case 'bytes': return 'Buffer';
          case 'records': return this.recordsType();
          default: return 'number';
        }
    }
  }

  private fieldVersions(f: FieldModel): VersionRange {
    return intersect(f.versions, this.valid);
  }

  /** "true", "false" or a run-time condition: is the field nullable in this version. */
  private nullCond(f: FieldModel): string {
    const within = this.fieldVersions(f);
    if (isEmpty(within)) return 'false';
    return versionCondition(intersect(f.nullableVersions, within), within);
  }

  private isNullable(f: FieldModel): boolean {
    return !isEmpty(intersect(f.nullableVersions, this.fieldVersions(f)));
  }

  private fieldType(f: FieldModel): string {
    return this.baseType(f.type) + (this.isNullable(f) ? ' | null' : '');
  }

  private flex(f: FieldModel): string {
    if (f.flexibleVersions) return versionCondition(intersect(f.flexibleVersions, this.msg.flexibleVersions), this.valid);
    return this.hasFlex ? 'flex' : 'false';
  }

  private defaultExpr(f: FieldModel): string {
    const d = f.defaultText;
    const t = f.type;
    if (d === 'null') {
      if (!this.isNullable(f)) throw new Error(`${this.msg.name}.${f.specName}: null default but not nullable`);
      return 'null';
    }
    if (t.kind === 'array') return '[]';
    if (t.kind === 'struct') return `default${t.struct.typeName}()`;
    switch (t.name) {
      case 'bool':
        return d === undefined ? 'false' : String(d === 'true');
      case 'int64':
        return d === undefined ? '0n' : `${BigInt(d)}n`;
      case 'string':
        return JSON.stringify(d ?? '');
      case 'uuid':
        return 'ZERO_UUID';
      case 'bytes':
        return 'EMPTY_BUFFER';
      case 'records':
        return this.isNullable(f) ? 'null' : 'EMPTY_BUFFER';
      default: {
        const n = d === undefined ? 0 : Number(d);
        if (!Number.isFinite(n)) throw new Error(`${this.msg.name}.${f.specName}: default ${d}`);
        return String(n);
      }
    }
  }

  private isDefaultExpr(f: FieldModel, x: string): string {
    const d = this.defaultExpr(f);
    if (d === 'null') return `${x} === null`;
    const t = f.type;
    const nullable = this.isNullable(f);
    const guard = nullable ? `${x} !== null && ` : '';
    if (t.kind === 'array') return `${guard}${x}.length === 0`;
    if (t.kind === 'struct') return `${guard}isDefault${t.struct.typeName}(${x})`;
    if (t.name === 'bytes' || t.name === 'records') return `${guard}recordsLength(${x}) === 0`;
    return `${x} === ${d}`;
  }

  // ---- reading ----

  private readPrimitive(name: string, nullCond: string, flex: string, r: string): string {
    switch (name) {
      case 'string':
        return choose(nullCond, choose(flex, `${r}.compactNullableString()`, `${r}.nullableString()`),
          choose(flex, `${r}.compactString()`, `${r}.string()`));
      case 'bytes':
      case 'records':
        return choose(nullCond, choose(flex, `${r}.compactNullableBytes()`, `${r}.nullableBytes()`),
          choose(flex, `${r}.compactBytes()`, `${r}.bytes()`));
      default:
        return `${r}.${name}()`;
    }
  }

  private readElement(t: TypeModel, flex: string, r: string): string {
    if (t.kind === 'struct') return `read${t.struct.typeName}(${r}, version)`;
    if (t.kind === 'array') throw new Error(`${this.msg.name}: nested arrays`);
    return this.readPrimitive(t.name, 'false', flex, r);
  }

  private minElementSize(t: TypeModel): number {
    if (t.kind === 'primitive') return FIXED_SIZE[t.name] ?? 1;
    return 1;
  }

  private readField(L: Lines, f: FieldModel, target: string, r: string): void {
    const flex = this.flex(f);
    const nullCond = this.nullCond(f);
    if (f.type.kind !== 'array') {
      L.line(`${target} = ${f.type.kind === 'struct' ? this.readStruct(f, nullCond, r) : this.readPrimitive(f.type.name, nullCond, flex, r)};`);
      return;
    }
    const el = f.type.element;
    const m = this.minElementSize(el);
    const len = choose(nullCond, choose(flex, `${r}.compactNullableArrayLength(${m})`, `${r}.nullableArrayLength(${m})`),
      choose(flex, `${r}.compactArrayLength(${m})`, `${r}.arrayLength(${m})`));
    L.open('{');
    L.line(`const n = ${len};`);
    const fill = (Lx: Lines) => {
      Lx.line(`const a: ${this.baseType(el)}[] = [];`);
      Lx.line(`for (let i = 0; i < n; i++) a.push(${this.readElement(el, flex, r)});`);
      Lx.line(`${target} = a;`);
    };
    if (nullCond === 'false') fill(L);
    else {
      L.line(`if (n < 0) ${target} = null;`);
      L.open('else {');
      fill(L);
      L.close();
    }
    L.close();
  }

  private readStruct(f: FieldModel, nullCond: string, r: string): string {
    if (f.type.kind !== 'struct') throw new Error('not a struct');
    const read = `read${f.type.struct.typeName}(${r}, version)`;
    // A nullable struct is prefixed by an int8: -1 for null, 1 for present.
    const nullableRead = `(${r}.int8() < 0 ? null : ${read})`;
    return choose(nullCond, nullableRead, read);
  }

  // ---- sizing ----

  private sizePrimitive(name: string, x: string, nullCond: string, flex: string): string {
    const fixed = FIXED_SIZE[name];
    if (fixed !== undefined) return String(fixed);
    const kind = name === 'string' ? 'String' : name === 'records' ? 'Records' : 'Bytes';
    return choose(nullCond, choose(flex, `sizeOfCompactNullable${kind}(${x})`, `sizeOfNullable${kind}(${x})`),
      choose(flex, `sizeOfCompact${kind}(${x}!)`, `sizeOf${kind}(${x}!)`));
  }

  private sizeField(L: Lines, f: FieldModel, x: string, acc: string): void {
    const flex = this.flex(f);
    const nullCond = this.nullCond(f);
    if (this.isNullable(f) && nullCond !== 'true') {
      L.line(`if (${x} === null && !(${nullCond})) throw new EncodeError('${this.msg.name}: ${f.name} cannot be null at version ' + version);`);
    }
    const t = f.type;
    if (t.kind === 'primitive') {
      L.line(`${acc} += ${this.sizePrimitive(t.name, x, nullCond, flex)};`);
      return;
    }
    if (t.kind === 'struct') {
      const s = `size${t.struct.typeName}(${x}, version)`;
      if (this.isNullable(f)) L.line(`${acc} += ${x} === null ? 1 : 1 + size${t.struct.typeName}(${x}, version);`);
      else L.line(`${acc} += ${s};`);
      return;
    }
    const el = t.element;
    const nullSize = choose(flex, '1', '4');
    const lenSize = choose(flex, `sizeOfUnsignedVarint(${x}.length + 1)`, '4');
    const body = (Lx: Lines) => {
      Lx.line(`${acc} += ${lenSize};`);
      const fixed = el.kind === 'primitive' ? FIXED_SIZE[el.name] : undefined;
      if (fixed !== undefined) Lx.line(`${acc} += ${x}.length * ${fixed};`);
      else if (el.kind === 'struct') Lx.line(`for (const e of ${x}) ${acc} += size${el.struct.typeName}(e, version);`);
      else if (el.kind === 'primitive') Lx.line(`for (const e of ${x}) ${acc} += ${this.sizePrimitive(el.name, 'e', 'false', flex)};`);
    };
    if (this.isNullable(f)) {
      L.line(`if (${x} === null) ${acc} += ${nullSize};`);
      L.open('else {');
      body(L);
      L.close();
    } else body(L);
  }

  // ---- writing ----

  private writePrimitive(name: string, x: string, nullCond: string, flex: string): string {
    const fixed = FIXED_SIZE[name];
    if (fixed !== undefined) return `w.${name}(${x});`;
    const kind = name === 'string' ? 'String' : name === 'records' ? 'Records' : 'Bytes';
    const lc = kind.toLowerCase();
    return choose(nullCond, choose(flex, `w.compactNullable${kind}(${x})`, `w.nullable${kind}(${x})`),
      choose(flex, `w.compact${kind}(${x}!)`, `w.${lc}(${x}!)`)) + ';';
  }

  private writeField(L: Lines, f: FieldModel, x: string): void {
    const flex = this.flex(f);
    const nullCond = this.nullCond(f);
    const t = f.type;
    if (t.kind === 'primitive') {
      L.line(this.writePrimitive(t.name, x, nullCond, flex));
      return;
    }
    if (t.kind === 'struct') {
      if (this.isNullable(f)) {
        L.line(`if (${x} === null) w.int8(-1);`);
        L.line(`else { w.int8(1); write${t.struct.typeName}(w, ${x}, version); }`);
      } else L.line(`write${t.struct.typeName}(w, ${x}, version);`);
      return;
    }
    const el = t.element;
    const elWrite =
      el.kind === 'struct' ? `write${el.struct.typeName}(w, e, version);` : el.kind === 'primitive' ? this.writePrimitive(el.name, 'e', 'false', flex) : '';
    const body = (Lx: Lines) => {
      Lx.line(flex === 'true' ? `w.unsignedVarint(${x}.length + 1);` : flex === 'false' ? `w.int32(${x}.length);` : `if (${flex}) w.unsignedVarint(${x}.length + 1); else w.int32(${x}.length);`);
      Lx.line(`for (const e of ${x}) ${elWrite}`);
    };
    if (this.isNullable(f)) {
      L.line(`if (${x} === null) ${flex === 'true' ? 'w.unsignedVarint(0);' : flex === 'false' ? 'w.int32(-1);' : `{ if (${flex}) w.unsignedVarint(0); else w.int32(-1); }`}`);
      L.open('else {');
      body(L);
      L.close();
    } else body(L);
  }

  // ---- structs ----

  private printStruct(s: StructModel): string {
    const L = new Lines();
    const regular = s.fields.filter((f) => isEmpty(f.taggedVersions));
    const tagged = s.fields.filter((f) => !isEmpty(f.taggedVersions)).sort((a, b) => a.tag! - b.tag!);
    const T = s.typeName;
    const flexLine = this.hasFlex ? `const flex = ${this.flexCond};` : '';
    const presentCond = (f: FieldModel) => versionCondition(f.versions, this.valid);

    // interface
    L.open(`export interface ${T} {`);
    for (const f of s.fields) L.line(`${f.name}: ${this.fieldType(f)};`);
    if (this.hasFlex) L.line('unknownTaggedFields?: TaggedField[];');
    L.close();
    L.line();

    // defaults
    L.open(`export function default${T}(): ${T} {`);
    L.open('return {');
    for (const f of s.fields) L.line(`${f.name}: ${this.defaultExpr(f)},`);
    L.close('};');
    L.close();
    L.line();
    L.open(`export function isDefault${T}(v: ${T}): boolean {`);
    const checks = s.fields.map((f) => `(${this.isDefaultExpr(f, `v.${f.name}`)})`);
    if (this.hasFlex) checks.push('!v.unknownTaggedFields?.length');
    L.line(`return ${checks.length ? checks.join(' &&\n    ') : 'true'};`);
    L.close();
    L.line();

    // read
    L.open(`export function read${T}(r: Reader, version: number): ${T} {`);
    if (this.hasFlex) L.line(flexLine);
    // Locals carry a leading underscore so that no field name can clash with a parameter or keyword.
    for (const f of s.fields) L.line(`let _${f.name}: ${this.fieldType(f)} = ${this.defaultExpr(f)};`);
    for (const f of regular) {
      const c = presentCond(f);
      if (c === 'false') continue;
      if (c === 'true') this.readField(L, f, `_${f.name}`, 'r');
      else {
        L.open(`if (${c}) {`);
        this.readField(L, f, `_${f.name}`, 'r');
        L.close();
      }
    }
    if (this.hasFlex) {
      L.line('let unknownTaggedFields: TaggedField[] | undefined;');
      L.open(`if (${this.hasFlex ? 'flex' : 'false'}) {`);
      L.line('const count = r.unsignedVarint();');
      L.open('for (let i = 0; i < count; i++) {');
      L.line('const tag = r.unsignedVarint();');
      L.line('const t = r.sub(r.unsignedVarint());');
      tagged.forEach((f, i) => {
        const c = presentCond(f);
        const test = `if (tag === ${f.tag}${c === 'true' ? '' : ` && ${c}`}) {`;
        if (i === 0) L.open(test);
        else L.mid(`} else ${test}`);
        this.readField(L, f, `_${f.name}`, 't');
        L.line(`t.expectEnd('tagged field ${f.name}');`);
      });
      if (tagged.length) {
        L.mid('} else {');
        L.line('(unknownTaggedFields ??= []).push({ tag, data: t.rawBytes(t.remaining) });');
        L.close();
      } else {
        L.line('(unknownTaggedFields ??= []).push({ tag, data: t.rawBytes(t.remaining) });');
      }
      L.close();
      L.close();
    }
    L.open('return {');
    for (const f of s.fields) L.line(`${f.name}: _${f.name},`);
    if (this.hasFlex) L.line('unknownTaggedFields,');
    L.close('};');
    L.close();
    L.line();

    // size
    L.open(`export function size${T}(v: ${T}, version: number): number {`);
    if (this.hasFlex) L.line(flexLine);
    L.line('let size = 0;');
    const absentCheck = (f: FieldModel, c: string) => {
      if (f.ignorable) return;
      L.line(`${c === 'false' ? '' : `else `}if (!(${this.isDefaultExpr(f, `v.${f.name}`)})) throw new EncodeError('${this.msg.name}: ${f.name} cannot be carried at version ' + version);`);
    };
    for (const f of regular) {
      const c = presentCond(f);
      if (c === 'false') {
        absentCheck(f, c);
        continue;
      }
      if (c === 'true') this.sizeField(L, f, `v.${f.name}`, 'size');
      else {
        L.open(`if (${c}) {`);
        this.sizeField(L, f, `v.${f.name}`, 'size');
        L.close();
        absentCheck(f, c);
      }
    }
    if (this.hasFlex) {
      L.open('if (flex) {');
      L.line('let tagCount = 0;');
      for (const f of tagged) {
        const c = presentCond(f);
        L.open(`if (${c === 'true' ? '' : `${c} && `}!(${this.isDefaultExpr(f, `v.${f.name}`)})) {`);
        L.line('let s = 0;');
        this.sizeField(L, f, `v.${f.name}`, 's');
        L.line(`tagCount++;`);
        L.line(`size += ${sizeOfVarintConst(f.tag!)} + sizeOfUnsignedVarint(s) + s;`);
        L.close();
        if (c !== 'true') absentCheck(f, c);
      }
      L.line('const unknown = v.unknownTaggedFields;');
      L.open('if (unknown) {');
      L.line('tagCount += unknown.length;');
      L.line('for (const t of unknown) size += sizeOfUnsignedVarint(t.tag) + sizeOfUnsignedVarint(t.data.length) + t.data.length;');
      L.close();
      L.line('size += sizeOfUnsignedVarint(tagCount);');
      L.close();
      L.line(`else if (v.unknownTaggedFields?.length) throw new EncodeError('${this.msg.name}: tagged fields cannot be carried at version ' + version);`);
      for (const f of tagged.filter((x) => !x.ignorable)) {
        L.line(`else if (!(${this.isDefaultExpr(f, `v.${f.name}`)})) throw new EncodeError('${this.msg.name}: ${f.name} cannot be carried at version ' + version);`);
      }
    }
    L.line('return size;');
    L.close();
    L.line();

    // write
    L.open(`export function write${T}(w: Writer, v: ${T}, version: number): void {`);
    if (this.hasFlex) L.line(flexLine);
    for (const f of regular) {
      const c = presentCond(f);
      if (c === 'false') continue;
      if (c === 'true') this.writeField(L, f, `v.${f.name}`);
      else {
        L.open(`if (${c}) {`);
        this.writeField(L, f, `v.${f.name}`);
        L.close();
      }
    }
    if (this.hasFlex) {
      L.open('if (flex) {');
      L.line('const unknown = v.unknownTaggedFields ?? NO_TAGGED_FIELDS;');
      for (const f of tagged) {
        const c = presentCond(f);
        L.line(`const has${f.tag} = ${c === 'true' ? '' : `${c} && `}!(${this.isDefaultExpr(f, `v.${f.name}`)});`);
      }
      L.line(`w.unsignedVarint(unknown.length${tagged.map((f) => ` + (has${f.tag} ? 1 : 0)`).join('')});`);
      L.line('let u = 0;');
      for (const f of tagged) {
        L.line(`u = writeTaggedFieldsBefore(w, unknown, u, ${f.tag});`);
        L.open(`if (has${f.tag}) {`);
        L.line('let s = 0;');
        this.sizeField(L, f, `v.${f.name}`, 's');
        L.line(`w.unsignedVarint(${f.tag});`);
        L.line('w.unsignedVarint(s);');
        this.writeField(L, f, `v.${f.name}`);
        L.close();
      }
      L.line('writeTaggedFieldsBefore(w, unknown, u, Infinity);');
      L.close();
    }
    L.close();
    return L.toString() + '\n';
  }
}

function sizeOfVarintConst(n: number): number {
  let size = 1;
  for (let v = n >>> 7; v > 0; v >>>= 7) size++;
  return size;
}
