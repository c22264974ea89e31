import { EncodeError } from './errors.js';
import { FileRegion } from './file-region.js';
import { type RecordsData, type RecordSlice, Writer } from './writer.js';

/** A response body as written: encoded bytes, stored slices passed by reference, file regions. */
export type Chunk = Buffer | FileRegion;

/** Slices at least this large are passed through by reference rather than copied. */
export const PASS_THROUGH_MIN = 1024;

/**
 * A Writer whose output is a list of chunks: the encoded fields, with large stored batch
 * slices passed through by reference, so a fetch response is written without copying
 * the record bytes. `inlineSize` is the total size minus the bytes of passed-through slices.
 */
export class ChunkWriter extends Writer {
  readonly #out: Chunk[] = [];
  #segmentStart = 0;

  constructor(inlineSize: number) {
    super(Buffer.allocUnsafe(inlineSize));
  }

  /** Bytes in `v` that `recordsBody` will pass through, to size the inline buffer. */
  static passThroughBytes(v: RecordsData | null): number {
    if (v === null) return 0;
    if (Buffer.isBuffer(v)) return v.length >= PASS_THROUGH_MIN ? v.length : 0;
    let n = 0;
    for (const b of v) if (b.length >= PASS_THROUGH_MIN || b instanceof FileRegion) n += b.length;
    return n;
  }

  protected override recordsBody(v: RecordsData): void {
    const slices: readonly RecordSlice[] = Buffer.isBuffer(v) ? [v] : v;
    for (const b of slices) {
      if (Buffer.isBuffer(b) && b.length < PASS_THROUGH_MIN) {
        this.rawBytes(b);
        continue;
      }
      if (this.pos > this.#segmentStart) this.#out.push(this.buf.subarray(this.#segmentStart, this.pos));
      this.#out.push(b);
      this.#segmentStart = this.pos;
    }
  }

  chunks(): Chunk[] {
    if (this.pos !== this.buf.length) {
      throw new EncodeError(`size mismatch: inline ${this.buf.length}, wrote ${this.pos}`);
    }
    if (this.pos > this.#segmentStart) this.#out.push(this.buf.subarray(this.#segmentStart, this.pos));
    this.#segmentStart = this.pos;
    return this.#out;
  }
}
