/** The open file a region's bytes live in. */
export interface RegionSource {
  readonly fd: number;
  /** True once the file was closed: its fd number may already name another file. */
  readonly closed: boolean;
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
