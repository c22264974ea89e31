import { EncodeError } from './errors.js';
import { type RecordsData, Writer } from './writer.js';

/** Slices at least this large are passed through by reference rather than copied. */
export const PASS_THROUGH_MIN = 1024;

/**
 * A Writer whose output is a list of chunks: the encoded fields, with large stored batch
 * slices passed through by reference, so a fetch response is written without copying
 * the record bytes. `inlineSize` is the total size minus the bytes of passed-through slices.
 */
export class ChunkWriter extends Writer {
  readonly #out: Buffer[] = [];
  #segmentStart = 0;

  constructor(inlineSize: number) {
    super(Buffer.allocUnsafe(inlineSize));
  }

  /** Bytes in `v` that `recordsBody` will pass through, to size the inline buffer. */
  static passThroughBytes(v: RecordsData | null): number {
    if (v === null) return 0;
    if (Buffer.isBuffer(v)) return v.length >= PASS_THROUGH_MIN ? v.length : 0;
    let n = 0;
    for (const b of v as readonly Buffer[]) if (b.length >= PASS_THROUGH_MIN) n += b.length;
    return n;
  }

  protected override recordsBody(v: RecordsData): void {
    const slices = Buffer.isBuffer(v) ? [v] : (v as readonly Buffer[]);
    for (const b of slices) {
      if (b.length < PASS_THROUGH_MIN) {
        this.rawBytes(b);
        continue;
      }
      if (this.pos > this.#segmentStart) this.#out.push(this.buf.subarray(this.#segmentStart, this.pos));
      this.#out.push(b);
      this.#segmentStart = this.pos;
    }
  }

  chunks(): Buffer[] {
    if (this.pos !== this.buf.length) {
      throw new EncodeError(`size mismatch: inline ${this.buf.length}, wrote ${this.pos}`);
    }
    if (this.pos > this.#segmentStart) this.#out.push(this.buf.subarray(this.#segmentStart, this.pos));
    this.#segmentStart = this.pos;
    return this.#out;
  }
}
