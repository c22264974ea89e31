/**
 * The cleaner's key map: for each key in the dirty part of a log, the offset of its latest
 * record. Like Kafka's SkimpyOffsetMap it stores a 128-bit hash of the key instead of the key,
 * in one fixed block of memory (24 bytes a slot: 16 of hash, 8 of offset), so its size is
 * known before a cleaning starts and a log with more keys than fit is cleaned in several rounds.
 * Kafka hashes with MD5; here MurmurHash3 x86_128 (seeded per map), which is far cheaper in JS
 * and just as unlikely to collide by accident (neither is safe against keys crafted to collide).
 */
export const BYTES_PER_ENTRY = 24;

const scratch = new Int32Array(4);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

/** MurmurHash3 x86_128 of buf[start, end), into `out` (four int32 words). */
export function murmur3x86x128(buf: Uint8Array, start: number, end: number, seed: number, out: Int32Array = scratch): Int32Array {
  const len = end - start;
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  const blocksEnd = start + (len & ~15);
  let i = start;
  for (; i < blocksEnd; i += 16) {
    let k1 = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    let k2 = buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
    let k3 = buf[i + 8]! | (buf[i + 9]! << 8) | (buf[i + 10]! << 16) | (buf[i + 11]! << 24);
    let k4 = buf[i + 12]! | (buf[i + 13]! << 8) | (buf[i + 14]! << 16) | (buf[i + 15]! << 24);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  const rem = len & 15;
  if (rem > 12) {
    if (rem >= 15) k4 ^= buf[i + 14]! << 16;
    if (rem >= 14) k4 ^= buf[i + 13]! << 8;
    k4 ^= buf[i + 12]!;
    h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  }
  if (rem > 8) {
    if (rem >= 12) k3 ^= buf[i + 11]! << 24;
    if (rem >= 11) k3 ^= buf[i + 10]! << 16;
    if (rem >= 10) k3 ^= buf[i + 9]! << 8;
    k3 ^= buf[i + 8]!;
    h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  }
  if (rem > 4) {
    if (rem >= 8) k2 ^= buf[i + 7]! << 24;
    if (rem >= 7) k2 ^= buf[i + 6]! << 16;
    if (rem >= 6) k2 ^= buf[i + 5]! << 8;
    k2 ^= buf[i + 4]!;
    h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  }
  if (rem > 0) {
    if (rem >= 4) k1 ^= buf[i + 3]! << 24;
    if (rem >= 3) k1 ^= buf[i + 2]! << 16;
    if (rem >= 2) k1 ^= buf[i + 1]! << 8;
    k1 ^= buf[i]!;
    h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
  return out;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** The largest prime at most `n` (at least 2), so double-hashing probes visit every slot. */
function primeAtMost(n: number): number {
  let p = Math.max(2, Math.floor(n));
  while (p > 2 && !isPrime(p)) p--;
  return p;
}

/** A hash table of key hash -> offset in a fixed block of memory; no deletes, as Kafka's. */
export class KeyOffsetMap {
  readonly slots: number;
  /**
   * One 24-byte slot per entry, hash and offset side by side so a probe touches one cache line:
   * int32 words 6i..6i+3 are the hash, double 3i+2 the offset (exact below 2^53; -1 empty).
   */
  readonly #hashes: Int32Array;
  readonly #offsets: Float64Array;
  readonly #seed: number;
  #entries = 0;
  #latest = -1;
  #lookups = 0;
  #probes = 0;

  /** A map using at most `memoryBytes` (at least two slots). */
  constructor(memoryBytes: number, seed = (Math.random() * 0x100000000) | 0) {
    this.slots = primeAtMost(memoryBytes / BYTES_PER_ENTRY);
    const block = new ArrayBuffer(this.slots * BYTES_PER_ENTRY);
    this.#hashes = new Int32Array(block);
    this.#offsets = new Float64Array(block);
    this.#clearOffsets();
    this.#seed = seed;
  }

  get memoryBytes(): number {
    return this.slots * BYTES_PER_ENTRY;
  }

  /** Keys stored. */
  get size(): number {
    return this.#entries;
  }

  /** The latest offset put (or fast-forwarded to); -1 when empty. */
  get latestOffset(): number {
    return this.#latest;
  }

  updateLatestOffset(offset: number): void {
    this.#latest = offset;
  }

  get utilization(): number {
    return this.#entries / this.slots;
  }

  /** Average probes per lookup (1 is perfect). */
  get probesPerLookup(): number {
    return this.#lookups === 0 ? 0 : this.#probes / this.#lookups;
  }

  /** Records `offset` as the latest for the key buf[start, end). Throws when the map is full. */
  put(buf: Uint8Array, start: number, end: number, offset: number): void {
    const slot = this.#find(buf, start, end);
    if (this.#offsets[slot * 3 + 2] === -1) {
      if (this.#entries >= this.slots - 1) throw new RangeError(`key map is full (${this.#entries} keys)`);
      this.#entries++;
      const h = slot * 6;
      this.#hashes[h] = scratch[0]!;
      this.#hashes[h + 1] = scratch[1]!;
      this.#hashes[h + 2] = scratch[2]!;
      this.#hashes[h + 3] = scratch[3]!;
    }
    this.#offsets[slot * 3 + 2] = offset;
    this.#latest = offset;
  }

  /** The latest offset of the key buf[start, end), or -1 when it is not in the map. */
  get(buf: Uint8Array, start: number, end: number): number {
    return this.#offsets[this.#find(buf, start, end) * 3 + 2]!;
  }

  #clearOffsets(): void {
    const offsets = this.#offsets;
    for (let i = 2; i < offsets.length; i += 3) offsets[i] = -1;
  }

  clear(): void {
    this.#clearOffsets();
    this.#entries = 0;
    this.#latest = -1;
    this.#lookups = 0;
    this.#probes = 0;
  }

  /** The slot holding the key's hash, or the empty slot where it would go (hash left in scratch). */
  #find(buf: Uint8Array, start: number, end: number): number {
    const h = murmur3x86x128(buf, start, end, this.#seed);
    const a = h[0]!;
    const b = h[1]!;
    const c = h[2]!;
    const d = h[3]!;
    const slots = this.slots;
    let slot = (a >>> 0) % slots;
    const step = 1 + ((b >>> 0) % (slots - 1 || 1));
    const hashes = this.#hashes;
    const offsets = this.#offsets;
    this.#lookups++;
    for (;;) {
      this.#probes++;
      if (offsets[slot * 3 + 2] === -1) return slot;
      const at = slot * 6;
      if (hashes[at] === a && hashes[at + 1] === b && hashes[at + 2] === c && hashes[at + 3] === d) return slot;
      slot += step;
      if (slot >= slots) slot -= slots;
    }
  }
}
