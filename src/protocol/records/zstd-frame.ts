// A zstd frame of stored (raw) blocks: valid zstd that any decoder reads, with no
// compression. Only the fallback where Node has no zstd encoder (before 22.15 / 23.8) uses
// it, so a broker there can still write a zstd topic (log compaction rewrites batches) without
// a compiled dependency.

/** The largest block zstd allows (128 KiB); the window is declared as large. */
const BLOCK_MAX = 128 * 1024;

/** Magic 0xFD2FB528, then the frame header: no content size, no checksum, no dictionary; window 2^17. */
const HEADER = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);

export function zstdStoredFrame(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK_MAX));
  const out = Buffer.allocUnsafe(HEADER.length + blocks * 3 + data.length);
  HEADER.copy(out, 0);
  let pos = HEADER.length;
  for (let i = 0; i < blocks; i++) {
    const start = i * BLOCK_MAX;
    const size = Math.min(BLOCK_MAX, data.length - start);
    const last = i === blocks - 1 ? 1 : 0;
    // Block header, 3 bytes little-endian: last flag, type 0 (raw), size.
    out.writeUIntLE(last | (size << 3), pos, 3);
    pos += 3;
    data.copy(out, pos, start, start + size);
    pos += size;
  }
  return out;
}
