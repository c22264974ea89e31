/** The file a region's bytes live in. */
export interface RegionSource {
  /**
   * The file's descriptor, kept open (and naming this file) until release(); rejects when
   * the file was closed or removed since the region was planned.
   */
  acquire(): Promise<number>;
  release(): void;
  /** Reads `into.length` bytes at `position` synchronously (batch headers); fewer at the end, throws when the file is gone. */
  peekSync(position: number, into: Buffer): number;
}

/**
 * Stored bytes that go from a segment file to the socket without entering memory
 * (sendfile): a fetch response carries these in place of record slices, the encoder
 * passes them through by length, and the connection sends them.
 */
export class FileRegion {
  constructor(
    readonly source: RegionSource,
    readonly position: number,
    readonly length: number,
  ) {}
}
