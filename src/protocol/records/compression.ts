import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { DecodeError, EncodeError } from '../codec/errors.js';
import { Compression, type CompressionType } from './record-batch.js';
import { zstdStoredFrame } from './zstd-frame.js';

// The codecs of a RecordBatch's records section, in the exact framings the Java client
// writes and reads: gzip (one member), snappy in xerial's stream framing, LZ4 in the
// standard frame format, zstd frames (with or without the content size in the header).

// The native addons load on first use (about 8 MB of RSS and 20 ms of startup together),
// so a broker whose clients never compress never maps them. snappy and lz4-napi ship
// prebuilt binaries per platform through npm; zstd is Node's own where it has one.
const require = createRequire(import.meta.url);
let snappyAddon: typeof import('snappy') | undefined;
let lz4Addon: typeof import('lz4-napi') | undefined;
let fzstdModule: typeof import('fzstd') | undefined;
const native = {
  get snappy(): typeof import('snappy') {
    return (snappyAddon ??= require('snappy') as typeof import('snappy'));
  },
  get lz4(): typeof import('lz4-napi') {
    return (lz4Addon ??= require('lz4-napi') as typeof import('lz4-napi'));
  },
  /** Pure-JS zstd decoder, for Node versions whose zlib has no zstd. */
  get fzstd(): typeof import('fzstd') {
    return (fzstdModule ??= require('fzstd') as typeof import('fzstd'));
  },
};

interface ZlibZstd {
  zstdCompressSync(data: Buffer): Buffer;
  zstdDecompressSync(data: Buffer, opts: { maxOutputLength: number }): Buffer;
  zstdDecompress(data: Buffer, opts: { maxOutputLength: number; chunkSize: number }, cb: (e: Error | null, out: Buffer) => void): void;
}
/** zlib's zstd (Node >= 22.15 / 23.8), else undefined: bench/zstd-bench.ts compares them. */
const zlibZstd: ZlibZstd | undefined =
  typeof (zlib as Partial<ZlibZstd>).zstdCompressSync === 'function' && process.env['SKIFF_ZSTD_PURE'] !== '1'
    ? (zlib as unknown as ZlibZstd)
    : undefined;

/**
 * Default cap on a decompressed records section. A batch is at most a few MiB on the
 * wire, but codecs reach ratios of 250:1 (LZ4) to 1000:1 (gzip, zstd), so without a cap a
 * 100 MiB request could ask for tens of GiB.
 */
export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

export interface DecompressOptions {
  /** Output larger than this is rejected with DecodeError before it is allocated where possible. */
  maxSize?: number;
  /**
   * Accept the LZ4 frame header checksum that Kafka before 0.10 computed over the magic
   * too (KIP-57). Only message format v0/v1 can carry it; v2 batches must not.
   */
  lz4LegacyHeaderChecksum?: boolean;
}

export function compress(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return zlib.gzipSync(data);
    case Compression.snappy:
      return xerialCompress(data);
    case Compression.lz4:
      // lz4_flex's defaults (independent blocks, no checksums, 256 KiB blocks, FLG 0x60
      // BD 0x50) are within what KafkaLZ4BlockInputStream reads.
      return native.lz4.compressFrameSync(data);
    case Compression.zstd:
      // The one-shot frame records the content size; Java's zstd-jni reads both kinds.
      return zstdCompress(data);
    default:
      throw new EncodeError(`unknown compression type ${String(type)}`);
  }
}

export function decompress(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Buffer {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_DECOMPRESSED;
  switch (type) {
    case Compression.none:
      if (data.length > maxSize) throw tooLarge(data.length, maxSize);
      return data;
    case Compression.gzip:
      return gunzip(data, maxSize);
    case Compression.snappy:
      return isXerial(data) ? xerialDecompress(data, maxSize) : snappyRaw(data, 0, data.length, maxSize);
    case Compression.lz4:
      return lz4Decompress(data, maxSize, opts.lz4LegacyHeaderChecksum ?? false);
    case Compression.zstd:
      return zstdDecompress(data, maxSize);
    default:
      throw new DecodeError(`unknown compression type ${String(type)}`);
  }
}

/**
 * Decompresses on the libuv pool where that pays: gzip, and zstd where Node's zlib has it,
 * through zlib's asynchronous calls. Undefined for the codecs that stay on the calling thread:
 * snappy and lz4 decompress at over 1 GB/s, so a pool hand-off saves the event loop little
 * and costs the process more (bench/validation-offload-bench.ts); fzstd is JavaScript.
 * Fails with the same DecodeError messages as `decompress`.
 */
export function decompressOffThread(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Promise<Buffer> | undefined {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_DECOMPRESSED;
  const zopts = { maxOutputLength: Math.max(1, maxSize), chunkSize: OFF_THREAD_CHUNK_BYTES };
  switch (type) {
    case Compression.gzip:
      return zlibAsync((cb) => zlib.gunzip(data, zopts, cb), 'gzip', maxSize);
    case Compression.zstd:
      if (zlibZstd === undefined || data.length === 0) return undefined;
      return zlibAsync((cb) => zlibZstd.zstdDecompress(data, zopts, cb), 'zstd', maxSize);
    default:
      return undefined;
  }
}

/**
 * Output per pass of an asynchronous zlib call: each pass is a round trip between the pool and
 * the event loop, so zlib's default of 16 KiB made a 1 MiB batch dozens of them (process CPU
 * +26% in the broker); 256 KiB brought it to or below the synchronous call's
 * (bench/validation-offload-bench.ts).
 */
const OFF_THREAD_CHUNK_BYTES = 256 * 1024;

function zlibAsync(start: (cb: (e: Error | null, out: Buffer) => void) => void, codec: string, maxSize: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    start((e, out) => {
      if (e === null) return resolve(out);
      reject(zlibError(codec, e, maxSize));
    });
  });
}

function tooLarge(size: number, max: number): DecodeError {
  return new DecodeError(`decompressed size ${size} exceeds the limit of ${max} bytes`);
}

/** A zlib failure, synchronous or not: output past `maxOutputLength` is the size cap's error. */
function zlibError(codec: string, e: unknown, maxSize: number): DecodeError {
  if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return new DecodeError(`${codec}: decompressed size exceeds the limit of ${maxSize} bytes`);
  return nativeError(codec, e);
}

function nativeError(codec: string, e: unknown): DecodeError {
  if (e instanceof DecodeError) return e;
  return new DecodeError(`${codec}: ${e instanceof Error ? e.message : String(e)}`);
}

// ---- gzip ----

function gunzip(data: Buffer, maxSize: number): Buffer {
  try {
    return zlib.gunzipSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (e) {
    throw zlibError('gzip', e, maxSize);
  }
}

// ---- snappy, raw and xerial-framed ----

/** 0x82 "SNAPPY" 0x00: the start of a xerial snappy-java stream. */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size, which Kafka's producer uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** Compresses as snappy-java's SnappyOutputStream does: header, then length-prefixed blocks. */
export function xerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_SIZE) {
    const block = native.snappy.compressSync(data.subarray(at, Math.min(data.length, at + XERIAL_BLOCK_SIZE)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function xerialDecompress(data: Buffer, maxSize: number): Buffer {
  // The version ints are not checked: snappy-java only ever wrote 1/1 and readers ignore them.
  const blocks: Array<[number, number]> = [];
  let total = 0;
  let at = XERIAL_HEADER_SIZE;
  while (at < data.length) {
    if (at + 4 > data.length) throw new DecodeError('xerial snappy: truncated block length');
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > data.length) {
      throw new DecodeError(`xerial snappy: block of ${len} bytes at ${at} overruns ${data.length}`);
    }
    // Checked per block, before anything is decompressed, from the declared sizes.
    total += snappyRawLength(data, at, at + len);
    if (total > maxSize) throw tooLarge(total, maxSize);
    blocks.push([at, at + len]);
    at += len;
  }
  // One block (a producer batch under 32 KiB) needs no second buffer.
  if (blocks.length === 1) return snappyRaw(data, blocks[0]![0], blocks[0]![1], maxSize);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const [start, end] of blocks) {
    const part = snappyRaw(data, start, end, maxSize);
    part.copy(out, pos);
    pos += part.length;
  }
  return out;
}

/** The uncompressed length a raw snappy block declares in its varint preamble. */
function snappyRawLength(data: Buffer, start: number, end: number): number {
  let result = 0;
  for (let shift = 0, i = start; shift < 35; shift += 7, i++) {
    if (i >= end) throw new DecodeError('snappy: truncated length preamble');
    const b = data[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) break;
      return result;
    }
  }
  throw new DecodeError('snappy: bad length preamble');
}

function snappyRaw(data: Buffer, start: number, end: number, maxSize: number): Buffer {
  const declared = snappyRawLength(data, start, end);
  if (declared > maxSize) throw tooLarge(declared, maxSize);
  let out: Buffer;
  try {
    out = native.snappy.uncompressSync(data.subarray(start, end), { asBuffer: true }) as Buffer;
  } catch (e) {
    throw nativeError('snappy', e);
  }
  if (out.length !== declared) throw new DecodeError('snappy: output length differs from preamble');
  return out;
}

// ---- LZ4 frame ----

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function lz4Decompress(data: Buffer, maxSize: number, legacyChecksum: boolean): Buffer {
  // Frames are walked here and each block decompressed on its own, so the output is
  // counted exactly as it grows and a bomb stops at the limit, one block (at most 4 MiB)
  // past it at worst. Checksums of blocks and content are not verified, as Kafka's
  // KafkaLZ4BlockInputStream does not either; the batch CRC covers the bytes anyway.
  const out: Buffer[] = [];
  let total = 0;
  let at = 0;
  while (at < data.length) {
    if (at + 7 > data.length) throw new DecodeError('lz4: truncated frame header');
    if (data.readUInt32LE(at) !== LZ4_MAGIC) throw new DecodeError('lz4: bad frame magic');
    const flg = data[at + 4]!;
    const bd = data[at + 5]!;
    if (flg >> 6 !== 1) throw new DecodeError(`lz4: unsupported frame version ${flg >> 6}`);
    if ((flg & 0x20) === 0) throw new DecodeError('lz4: dependent blocks are not supported');
    if (flg & 0x01) throw new DecodeError('lz4: dictionary ids are not supported');
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7]!;
    if (blockMax === 0) throw new DecodeError('lz4: bad block size id');
    const descEnd = at + 6 + (flg & 0x08 ? 8 : 0);
    if (descEnd + 1 > data.length) throw new DecodeError('lz4: truncated frame header');
    const hc = data[descEnd]!;
    if (hc !== ((xxh32(data, at + 4, descEnd) >>> 8) & 0xff)) {
      // KIP-57: before 0.10 Kafka hashed the magic too; v0/v1 message sets may carry that.
      const kip57 = (xxh32(data, at, descEnd) >>> 8) & 0xff;
      if (!legacyChecksum || hc !== kip57) throw new DecodeError('lz4: frame header checksum mismatch');
    }
    at = descEnd + 1;
    for (;;) {
      if (at + 4 > data.length) throw new DecodeError('lz4: truncated block');
      const word = data.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new DecodeError(`lz4: block of ${size} bytes exceeds ${blockMax}`);
      if (at + size > data.length) throw new DecodeError('lz4: truncated block');
      const block = data.subarray(at, at + size);
      let plain: Buffer;
      if (word & 0x80000000) {
        plain = block;
      } else {
        // lz4-napi's block API takes the output size as a 4-byte prefix; it is only an
        // allocation hint, so the block maximum serves and the real length comes back.
        const framed = Buffer.allocUnsafe(4 + size);
        framed.writeUInt32LE(blockMax, 0);
        block.copy(framed, 4);
        try {
          plain = native.lz4.uncompressSync(framed);
        } catch (e) {
          throw nativeError('lz4', e);
        }
        if (plain.length > blockMax) throw new DecodeError('lz4: block larger than its frame allows');
      }
      total += plain.length;
      if (total > maxSize) throw tooLarge(total, maxSize);
      out.push(plain);
      at += size + (flg & 0x10 ? 4 : 0);
    }
    if (flg & 0x04) at += 4;
    if (at > data.length) throw new DecodeError('lz4: truncated frame');
  }
  if (data.length === 0) throw new DecodeError('lz4: empty input');
  if (out.length === 0) return Buffer.alloc(0);
  // A stored (uncompressed) block is a view of the input: copied, so the result owns its bytes.
  if (out.length === 1) return out[0]!.buffer === data.buffer ? Buffer.from(out[0]!) : out[0]!;
  return Buffer.concat(out, total);
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** xxHash32 with seed 0 over buf[start, end): the LZ4 frame header checksum. */
export function xxh32(buf: Buffer, start: number, end: number): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2 | 0;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (; i + 16 <= end; i += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(buf.readUInt32LE(i), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(buf.readUInt32LE(i + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(buf.readUInt32LE(i + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(buf.readUInt32LE(i + 12), P2)) | 0, 13), P1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5 | 0;
  }
  h = (h + (end - start)) | 0;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(rotl((h + Math.imul(buf.readUInt32LE(i), P3)) | 0, 17), P4);
  }
  for (; i < end; i++) {
    h = Math.imul(rotl((h + Math.imul(buf[i]!, P5)) | 0, 11), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---- zstd ----

function zstdCompress(data: Buffer): Buffer {
  // zlib's default level is 3, zstd's and Kafka's default. Without it, a frame of stored
  // blocks: readable everywhere, just not smaller.
  return zlibZstd !== undefined ? zlibZstd.zstdCompressSync(data) : zstdStoredFrame(data);
}

function zstdDecompress(data: Buffer, maxSize: number): Buffer {
  if (data.length === 0) throw new DecodeError('zstd: empty input');
  if (zlibZstd !== undefined) {
    try {
      return zlibZstd.zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxSize) });
    } catch (e) {
      throw zlibError('zstd', e, maxSize);
    }
  }
  // Streaming, whether or not the frame header has the content size (Java's
  // ZstdOutputStream leaves it out): blocks arrive one at a time, so output stops growing at
  // the limit. fzstd reads one frame per stream, so back-to-back frames are walked here.
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const stream = new native.fzstd.Decompress((chunk, final) => {
    total += chunk.length;
    if (total > maxSize) throw tooLarge(total, maxSize);
    if (chunk.length > 0) chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    stream.push(data, true);
  } catch (e) {
    throw nativeError('zstd', e);
  }
  if (!ended) throw new DecodeError('zstd: truncated frame');
  return Buffer.concat(chunks, total);
}
