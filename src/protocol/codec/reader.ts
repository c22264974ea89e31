import { DecodeError } from './errors.js';
import { uuidFromBytes } from './uuid.js';

// ignoreBOM keeps a leading U+FEFF as Kafka does, so a round trip does not change the bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A cursor over a Buffer. Every read checks the bytes present first, so a declared
 * length is never trusted before it is compared to what arrived.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new DecodeError(`truncated: need ${n} bytes at ${at}, have ${this.end - at}`);
    }
    this.pos = at + n;
    return at;
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  uuid(): string {
    return uuidFromBytes(this.buf, this.need(16));
  }

  unsignedVarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf[this.need(1)]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new DecodeError('varint longer than 5 bytes');
  }

  varint(): number {
    const u = this.unsignedVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.need(1)]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        // Like Java's long arithmetic, a 10th byte's excess bits fall off the top.
        const u = BigInt.asUintN(64, result);
        return (u >> 1n) ^ -(u & 1n);
      }
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  /** A zigzag varint that must fit in an int64; fast path when it fits in 28 bits. */
  varlongAsNumber(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.buf[this.need(1)]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
    }
    this.pos = start;
    return Number(this.varlong());
  }

  private text(length: number): string {
    const at = this.need(length);
    const { buf } = this;
    // ASCII is by far the common case and decodes faster without the validating decoder.
    let ascii = true;
    for (let i = at; i < at + length; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return buf.toString('latin1', at, at + length);
    try {
      return utf8.decode(buf.subarray(at, at + length));
    } catch {
      throw new DecodeError(`invalid UTF-8 in string at ${at}`);
    }
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new DecodeError(`non-nullable string has length ${len}`);
    return this.text(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len !== -1) throw new DecodeError(`string length ${len}`);
      return null;
    }
    return this.text(len);
  }
  compactString(): string {
    const len = this.unsignedVarint() - 1;
    if (len < 0) throw new DecodeError('non-nullable compact string is null');
    return this.text(len);
  }
  compactNullableString(): string | null {
    const len = this.unsignedVarint() - 1;
    return len < 0 ? null : this.text(len);
  }

  /** A slice of the input, never a copy: callers that keep it keep the whole frame alive. */
  rawBytes(length: number): Buffer {
    const at = this.need(length);
    return this.buf.subarray(at, at + length);
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new DecodeError(`non-nullable bytes have length ${len}`);
    return this.rawBytes(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len !== -1) throw new DecodeError(`bytes length ${len}`);
      return null;
    }
    return this.rawBytes(len);
  }
  compactBytes(): Buffer {
    const len = this.unsignedVarint() - 1;
    if (len < 0) throw new DecodeError('non-nullable compact bytes are null');
    return this.rawBytes(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.unsignedVarint() - 1;
    return len < 0 ? null : this.rawBytes(len);
  }

  /**
   * An array count, checked against the bytes left: every element takes at least
   * `minElementSize` bytes, so a huge count cannot make us allocate before failing.
   */
  arrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n < 0) throw new DecodeError(`non-nullable array has length ${n}`);
    return this.checkCount(n, minElementSize);
  }
  nullableArrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n < 0) {
      if (n !== -1) throw new DecodeError(`array length ${n}`);
      return -1;
    }
    return this.checkCount(n, minElementSize);
  }
  compactArrayLength(minElementSize = 1): number {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new DecodeError('non-nullable compact array is null');
    return this.checkCount(n, minElementSize);
  }
  compactNullableArrayLength(minElementSize = 1): number {
    const n = this.unsignedVarint() - 1;
    return n < 0 ? -1 : this.checkCount(n, minElementSize);
  }

  private checkCount(n: number, minElementSize: number): number {
    if (n * minElementSize > this.end - this.pos) {
      throw new DecodeError(`array of ${n} cannot fit in ${this.end - this.pos} bytes`);
    }
    return n;
  }

  /** A reader over the next `length` bytes, advancing this one past them. */
  sub(length: number): Reader {
    const at = this.need(length);
    return new Reader(this.buf, at, at + length);
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new DecodeError(`${this.end - this.pos} trailing bytes after ${what}`);
    }
  }
}
