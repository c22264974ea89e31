/**
 * Kafka's Uuid is 16 bytes on the wire; in code we use Kafka's own text form
 * (URL-safe base64 without padding, 22 characters) so that ids compare with ===.
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidToBytes(uuid: string, out: Buffer, offset: number): void {
  const bytes = Buffer.from(uuid, 'base64url');
  if (bytes.length !== 16) throw new RangeError(`not a Kafka uuid: ${uuid}`);
  bytes.copy(out, offset);
}

export function uuidFromBytes(buf: Buffer, offset: number): string {
  return buf.toString('base64url', offset, offset + 16);
}

export function randomUuid(): string {
  const bytes = Buffer.alloc(16);
  globalThis.crypto.getRandomValues(bytes);
  // Kafka never hands out the zero uuid or the "metadata topic" uuid (all zero but the last bit).
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('base64url');
}
