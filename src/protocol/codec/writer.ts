import { EncodeError } from './errors.js';
import type { FileRegion } from './file-region.js';
import { uuidToBytes } from './uuid.js';

/**
 * Writes into a buffer sized up front by the generated size functions, so a message
 * is written once with no growing or copying. `finish()` checks the size was right.
 */
export class Writer {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  static alloc(size: number): Writer {
    return new Writer(Buffer.allocUnsafe(size));
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new EncodeError(`size mismatch: computed ${this.buf.length}, wrote ${this.pos}`);
    }
    return this.buf;
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }
  int8(v: number): void {
    this.pos = this.buf.writeInt8(v, this.pos);
  }
  int16(v: number): void {
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }
  uint16(v: number): void {
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }
  int32(v: number): void {
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }
  uint32(v: number): void {
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }
  int64(v: bigint): void {
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }
  float64(v: number): void {
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }
  uuid(v: string): void {
    uuidToBytes(v, this.buf, this.pos);
    this.pos += 16;
  }

  unsignedVarint(v: number): void {
    let u = v >>> 0;
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
  }
  varint(v: number): void {
    this.unsignedVarint((v << 1) ^ (v >> 31));
  }
  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  private text(v: string, byteLength: number): void {
    this.pos += this.buf.write(v, this.pos, byteLength, 'utf8');
  }
  string(v: string): void {
    const len = Buffer.byteLength(v);
    if (len > 0x7fff) throw new EncodeError(`string of ${len} bytes is too long`);
    this.int16(len);
    this.text(v, len);
  }
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }
  compactString(v: string): void {
    const len = Buffer.byteLength(v);
    this.unsignedVarint(len + 1);
    this.text(v, len);
  }
  compactNullableString(v: string | null): void {
    if (v === null) this.unsignedVarint(0);
    else this.compactString(v);
  }

  rawBytes(v: Uint8Array): void {
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.rawBytes(v);
  }
  nullableBytes(v: Uint8Array | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }
  compactBytes(v: Uint8Array): void {
    this.unsignedVarint(v.length + 1);
    this.rawBytes(v);
  }
  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.unsignedVarint(0);
    else this.compactBytes(v);
  }

  /** Stored batches; a subclass may pass large slices through instead of copying them. */
  protected recordsBody(v: RecordsData): void {
    if (Buffer.isBuffer(v)) this.rawBytes(v);
    else {
      for (const b of v) {
        // A file region only exists as a chunk of its own (ChunkWriter); there are no bytes to copy.
        if (!Buffer.isBuffer(b)) throw new EncodeError('a file region can only be written by a ChunkWriter');
        this.rawBytes(b);
      }
    }
  }
  records(v: RecordsData): void {
    this.int32(recordsLength(v));
    this.recordsBody(v);
  }
  nullableRecords(v: RecordsData | null): void {
    if (v === null) this.int32(-1);
    else this.records(v);
  }
  compactRecords(v: RecordsData): void {
    this.unsignedVarint(recordsLength(v) + 1);
    this.recordsBody(v);
  }
  compactNullableRecords(v: RecordsData | null): void {
    if (v === null) this.unsignedVarint(0);
    else this.compactRecords(v);
  }
}

export function sizeOfUnsignedVarint(v: number): number {
  let u = v >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}
export function sizeOfVarint(v: number): number {
  return sizeOfUnsignedVarint((v << 1) ^ (v >> 31));
}
export function sizeOfVarlong(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}
export function sizeOfString(v: string): number {
  return 2 + Buffer.byteLength(v);
}
export function sizeOfNullableString(v: string | null): number {
  return v === null ? 2 : sizeOfString(v);
}
export function sizeOfCompactString(v: string): number {
  const len = Buffer.byteLength(v);
  return sizeOfUnsignedVarint(len + 1) + len;
}
export function sizeOfCompactNullableString(v: string | null): number {
  return v === null ? 1 : sizeOfCompactString(v);
}
export function sizeOfBytes(v: Uint8Array): number {
  return 4 + v.length;
}
export function sizeOfNullableBytes(v: Uint8Array | null): number {
  return v === null ? 4 : 4 + v.length;
}
export function sizeOfCompactBytes(v: Uint8Array): number {
  return sizeOfUnsignedVarint(v.length + 1) + v.length;
}
export function sizeOfCompactNullableBytes(v: Uint8Array | null): number {
  return v === null ? 1 : sizeOfCompactBytes(v);
}

/** A stored batch slice: bytes in memory, or a region of a segment file sent with sendfile. */
export type RecordSlice = Buffer | FileRegion;

/** Record batches to write: one buffer, or stored batch slices written back to back. */
export type RecordsData = Buffer | readonly RecordSlice[];

export function recordsLength(v: RecordsData): number {
  if (Buffer.isBuffer(v)) return v.length;
  let n = 0;
  for (const b of v) n += b.length;
  return n;
}
export function sizeOfRecords(v: RecordsData): number {
  return 4 + recordsLength(v);
}
export function sizeOfNullableRecords(v: RecordsData | null): number {
  return v === null ? 4 : sizeOfRecords(v);
}
export function sizeOfCompactRecords(v: RecordsData): number {
  const len = recordsLength(v);
  return sizeOfUnsignedVarint(len + 1) + len;
}
export function sizeOfCompactNullableRecords(v: RecordsData | null): number {
  return v === null ? 1 : sizeOfCompactRecords(v);
}
