/**
 * Fuzzes every generated decoder (API key x version x request/response): truncations of
 * valid encodings, random byte mutations and random garbage must either decode or throw
 * DecodeError, never anything else, and a declared length or count must be checked
 * against the bytes present before anything is allocated from it.
 *
 * Seeded and sized to run in a few seconds; go bigger with
 *   FUZZ_RUNS=5 FUZZ_MUTATIONS=200 FUZZ_SEED=123 npx vitest run test/fuzz
 * FUZZ_ALL_VERSIONS=0 samples versions instead of running all of them.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DecodeError } from '../../src/protocol/codec/errors.js';
import { Reader } from '../../src/protocol/codec/reader.js';
import { readRequestFrame } from '../../src/protocol/frame.js';
import { API_CODECS } from '../../src/protocol/generated/api-codecs.js';
import { API_INFO, ApiKey } from '../../src/protocol/generated/api-keys.js';
import { loadSchema, messageArbitrary, schemaFiles } from '../support/schema-arbitrary.js';
import { prng as rng } from '../support/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2);
const MUTATIONS = Number(process.env.FUZZ_MUTATIONS ?? 25);
const GARBAGE = Number(process.env.FUZZ_GARBAGE ?? 6);
const ALL_VERSIONS = process.env.FUZZ_ALL_VERSIONS !== '0';
/**
 * Reads a decode may make per input byte (plus a constant): every read but a zero-length one
 * consumes a byte, so more means something looped on a bogus count. Counted, not timed.
 */
const READS_PER_BYTE = 4;

type Decode = (r: Reader, version: number) => unknown;
type Encode = (v: unknown, version: number) => Buffer;


let maxAlloc = 0;
let reads = 0;
const spies: Array<{ mockRestore(): void }> = [];
beforeAll(() => {
  // Every bounds-checked read goes through Reader's private need().
  const proto = Reader.prototype as unknown as { need(n: number): number };
  const need = proto.need;
  spies.push(vi.spyOn(proto, 'need').mockImplementation(function (this: unknown, n: number) {
    reads++;
    return need.call(this, n);
  }));
  // Every Buffer allocation a decoder makes is recorded: none may exceed the input size.
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const orig = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer;
    spies.push(vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
      maxAlloc = Math.max(maxAlloc, size);
      return orig(size, ...rest);
    }) as never));
  }
});
afterAll(() => {
  for (const s of spies) s.mockRestore();
});

interface Outcome {
  ok: boolean;
  /** The unexpected error, if decoding threw anything but DecodeError. */
  bad?: unknown;
}

/** Decodes `bytes`; anything but success or DecodeError, too many reads or a big allocation is reported. */
function tryDecode(decode: Decode, bytes: Buffer, version: number): Outcome {
  maxAlloc = 0;
  reads = 0;
  let out: Outcome;
  try {
    decode(new Reader(bytes), version);
    out = { ok: true };
  } catch (e) {
    out = e instanceof DecodeError ? { ok: false } : { ok: false, bad: e };
  }
  if (reads > READS_PER_BYTE * bytes.length + 64) out = { ok: out.ok, bad: new Error(`decode of ${bytes.length} bytes made ${reads} reads`) };
  if (maxAlloc > bytes.length + 64) out = { ok: out.ok, bad: new Error(`decode of ${bytes.length} bytes allocated ${maxAlloc}`) };
  return out;
}

function describeFailure(what: string, bytes: Buffer, bad: unknown): string {
  const e = bad as Error;
  return `${what}: ${e?.name}: ${e?.message}\n  input ${bytes.toString('hex').slice(0, 400)}`;
}

const requests = schemaFiles('client').filter((f) => f.endsWith('Request.json'));

function versionsToRun(min: number, max: number, flexMin: number, r: () => number): number[] {
  if (ALL_VERSIONS || max - min < 4) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const set = new Set([min, max, min + Math.floor(r() * (max - min + 1))]);
  if (flexMin >= 0) set.add(flexMin);
  return [...set].sort((a, b) => a - b);
}

/** Huge counts and lengths, written over the input at a position: int32, int16 and varint forms. */
const HUGE: Buffer[] = [
  Buffer.from([0x7f, 0xff, 0xff, 0xff]),
  Buffer.from([0x7f, 0xff]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]),
  Buffer.from([0xff, 0xff, 0xff, 0xfe]), // -2 as int32
  Buffer.from([0xff, 0xfe]), // -2 as int16
];

function mutate(bytes: Buffer, r: () => number): Buffer {
  const b = Buffer.from(bytes);
  const kind = Math.floor(r() * 5);
  const at = Math.floor(r() * Math.max(1, b.length));
  switch (kind) {
    case 0: // flip bits in a few bytes
      for (let i = 0, n = 1 + Math.floor(r() * 3); i < n && b.length; i++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
      return b;
    case 1: // a random byte
      if (b.length) b[at] = Math.floor(r() * 256);
      return b;
    case 2: { // a huge count or length
      const h = HUGE[Math.floor(r() * HUGE.length)]!;
      return Buffer.concat([b.subarray(0, at), h, b.subarray(Math.min(b.length, at + h.length))]);
    }
    case 3: // drop a byte
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    default: // insert a byte
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256)]), b.subarray(at)]);
  }
}

function garbage(r: () => number): Buffer {
  const n = Math.floor(r() * 64);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r() < 0.3 ? (r() < 0.5 ? 0xff : 0) : Math.floor(r() * 256);
  return b;
}

let totalTruncations = 0;

describe('the harness itself', () => {
  it('flags other error types, big allocations and runaway reads', () => {
    expect(tryDecode(() => null, Buffer.alloc(4), 0)).toEqual({ ok: true });
    expect(tryDecode((r) => r.int32(), Buffer.alloc(2), 0)).toEqual({ ok: false });
    expect(tryDecode(() => { throw new TypeError('x'); }, Buffer.alloc(4), 0).bad).toBeInstanceOf(TypeError);
    expect(tryDecode(() => new Array(-1), Buffer.alloc(4), 0).bad).toBeInstanceOf(RangeError);
    expect(String(tryDecode(() => Buffer.alloc(1 << 20), Buffer.alloc(4), 0).bad)).toMatch(/allocated 1048576/);
    const spin = (r: Reader) => { for (let i = 0; i < 1000; i++) r.rawBytes(0); };
    expect(String(tryDecode(spin, Buffer.alloc(4), 0).bad)).toMatch(/made 1000 reads/);
  });
});

describe('decoders never throw anything but DecodeError', () => {
  it('covers every API key', () => {
    expect(requests.length).toBe(API_CODECS.size);
  });

  let apiIndex = 0;
  for (const file of requests) {
    const seedBase = SEED + 1000 * apiIndex++;
    for (const kind of ['request', 'response'] as const) {
      const schema = loadSchema('client', kind === 'request' ? file : file.replace('Request.json', 'Response.json'));
      const apiKey = schema.apiKey!;
      it(`${schema.name}`, () => {
        const codec = API_CODECS.get(apiKey)!;
        const decode: Decode = kind === 'request' ? codec.decodeRequest : codec.decodeResponse;
        const encode = (kind === 'request' ? codec.encodeRequest : codec.encodeResponse) as Encode;
        const r = rng(seedBase + (kind === 'request' ? 0 : 500));
        const { min, max } = schema.validVersions;
        const flexMin = API_INFO.get(apiKey)!.flexibleMinVersion;
        const failures: string[] = [];
        let truncations = 0;
        for (const version of versionsToRun(min, max, flexMin, r)) {
          const values = fc.sample(messageArbitrary(schema, version), { seed: seedBase + version, numRuns: RUNS });
          for (const value of values) {
            const bytes = encode(value, version);
            const whole = tryDecode(decode, bytes, version);
            expect(whole.ok, `v${version} valid encoding`).toBe(true);
            // (a) every truncation point: the decoder takes the same path as for the whole
            // message until the bytes run out, so every proper prefix must fail, with DecodeError.
            for (let cut = 0; cut < bytes.length; cut++) {
              const prefix = bytes.subarray(0, cut);
              const o = tryDecode(decode, prefix, version);
              truncations++;
              if (o.bad || o.ok) failures.push(describeFailure(`v${version} truncated at ${cut}/${bytes.length}${o.ok ? ' decoded' : ''}`, prefix, o.bad ?? new Error('decoded a truncated message')));
            }
            // (b) random mutations
            for (let i = 0; i < MUTATIONS; i++) {
              const m = mutate(bytes, r);
              const o = tryDecode(decode, m, version);
              if (o.bad) failures.push(describeFailure(`v${version} mutation ${i}`, m, o.bad));
            }
            // a huge count or length at every position
            for (let at = 0; at < bytes.length; at++) {
              const h = HUGE[at % HUGE.length]!;
              const m = Buffer.concat([bytes.subarray(0, at), h, bytes.subarray(at + h.length)]);
              const o = tryDecode(decode, m, version);
              if (o.bad) failures.push(describeFailure(`v${version} huge value at ${at}`, m, o.bad));
            }
          }
          // (c) random garbage
          for (let i = 0; i < GARBAGE; i++) {
            const g = garbage(r);
            const o = tryDecode(decode, g, version);
            if (o.bad) failures.push(describeFailure(`v${version} garbage ${i}`, g, o.bad));
          }
          if (failures.length > 5) break;
        }
        expect(failures.slice(0, 5)).toEqual([]);
        totalTruncations += truncations;
      });
    }
  }

  it('tried a meaningful number of truncations', () => {
    expect(totalTruncations).toBeGreaterThan(10_000);
  });
});

describe('declared counts and lengths are checked before anything is allocated', () => {
  const decodeReq = (apiKey: number, version: number, body: Buffer) => () => API_CODECS.get(apiKey)!.decodeRequest(new Reader(body), version);

  it('an int32 array count of 2^31-1 in 10 bytes fails fast (MetadataRequest v1)', () => {
    const body = Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(6)]);
    expect(decodeReq(ApiKey.Metadata, 1, body)).toThrow(DecodeError);
    reads = 0;
    expect(decodeReq(ApiKey.Metadata, 1, body)).toThrow(/array of 2147483647 cannot fit in 6 bytes/);
    expect(reads).toBe(1); // the count itself, and nothing after it
  });

  it('a compact array count of 2^32-2 fails fast (MetadataRequest v12, flexible)', () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.alloc(5)]);
    expect(decodeReq(ApiKey.Metadata, 12, body)).toThrow(DecodeError);
  });

  it('a nested count inside an element fails fast (ProduceRequest v3: topics[0].partitions count)', () => {
    // transactionalId null, acks, timeout, one topic "t", partitions count 2^31-1
    const body = Buffer.from([0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x7f, 0xff, 0xff, 0xff, 0, 0]);
    expect(decodeReq(ApiKey.Produce, 3, body)).toThrow(/array of 2147483647 cannot fit/);
  });

  it('a records length of 2^31-1 fails without allocating (ProduceRequest v3)', () => {
    const body = Buffer.from([0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    maxAlloc = 0;
    expect(decodeReq(ApiKey.Produce, 3, body)).toThrow(DecodeError);
    expect(maxAlloc).toBeLessThan(1024);
  });

  it('a tagged-field count of 2^32-1 fails fast (ApiVersionsRequest v3)', () => {
    const body = Buffer.from([0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00]);
    reads = 0;
    expect(decodeReq(ApiKey.ApiVersions, 3, body)).toThrow(DecodeError);
    expect(reads).toBeLessThanOrEqual(2 * body.length); // byte by byte through the varint, then the fields
  });

  it('a tagged field whose size runs past the end fails (ApiVersionsRequest v3)', () => {
    const body = Buffer.from([0x01, 0x01, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(decodeReq(ApiKey.ApiVersions, 3, body)).toThrow(/truncated/);
  });

  it('an unknown version is a DecodeError, not a crash', () => {
    expect(decodeReq(ApiKey.Metadata, 99, Buffer.alloc(10))).toThrow(DecodeError);
    expect(decodeReq(ApiKey.Metadata, -1, Buffer.alloc(10))).toThrow(DecodeError);
  });
});

describe('readRequestFrame on garbage', () => {
  /** Reads a frame and, when its key and version are known, decodes the body too. */
  function readFrame(frame: Buffer): Outcome {
    maxAlloc = 0;
    try {
      const { header, body } = readRequestFrame(frame);
      const codec = API_CODECS.get(header.requestApiKey);
      if (codec) codec.decodeRequest(body, header.requestApiVersion);
      return { ok: true };
    } catch (e) {
      return e instanceof DecodeError ? { ok: false } : { ok: false, bad: e };
    }
  }

  it('short frames are a DecodeError', () => {
    for (let n = 0; n < 8; n++) expect(() => readRequestFrame(Buffer.alloc(n, 0xff))).toThrow(DecodeError);
  });

  it('a header whose client id runs past the end is a DecodeError', () => {
    const f = Buffer.from([0x00, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x10, 0x61]);
    expect(() => readRequestFrame(f)).toThrow(DecodeError);
  });

  it('an unknown api key still reads a v1 header', () => {
    const f = Buffer.from([0x7f, 0x00, 0x00, 0x00, 0, 0, 0, 9, 0xff, 0xff, 0xaa]);
    const { header, headerVersion, body } = readRequestFrame(f);
    expect(header).toMatchObject({ requestApiKey: 0x7f00, requestApiVersion: 0, correlationId: 9, clientId: null });
    expect(headerVersion).toBe(1);
    expect(body.remaining).toBe(1);
  });

  it('random frames, and random bodies behind valid headers, decode or throw DecodeError', () => {
    const r = rng(SEED ^ 0x5eed);
    const keys = [...API_INFO.values()];
    const failures: string[] = [];
    const n = 3000 * RUNS;
    for (let i = 0; i < n; i++) {
      let frame = garbage(r);
      if (i % 2 === 0) {
        // a plausible header: real api key, a version around the valid range
        const info = keys[Math.floor(r() * keys.length)]!;
        const head = Buffer.alloc(10);
        head.writeInt16BE(info.apiKey, 0);
        head.writeInt16BE(info.minVersion + Math.floor(r() * (info.maxVersion - info.minVersion + 2)), 2);
        head.writeInt32BE(i, 4);
        head.writeInt16BE(r() < 0.5 ? -1 : 0, 8);
        const flexible = info.flexibleMinVersion >= 0 && head.readInt16BE(2) >= info.flexibleMinVersion;
        frame = Buffer.concat([head, flexible ? Buffer.from([0]) : Buffer.alloc(0), frame]);
      }
      const o = readFrame(frame);
      if (o.bad) failures.push(describeFailure(`frame ${i}`, frame, o.bad));
      if (maxAlloc > frame.length + 64) failures.push(`frame ${i} allocated ${maxAlloc}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});
