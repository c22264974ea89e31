import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchHeader } from '../../src/protocol/records/record-batch.js';
import { spawnBroker } from '../support/broker-process.js';
import { RawClient } from '../support/raw-client.js';
import { fetchPartition } from '../support/fetch-all.js';

const PARTITIONS = 3;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every .index entry must point at the start of a batch that holds its offset. */
function checkIndexes(partitionDir: string): number {
  let entries = 0;
  for (const f of readdirSync(partitionDir).filter((n) => n.endsWith('.index'))) {
    const base = BigInt(f.slice(0, 20));
    const index = readFileSync(join(partitionDir, f));
    const log = readFileSync(join(partitionDir, f.replace('.index', '.log')));
    for (let at = 0; at + 8 <= index.length; at += 8) {
      const offset = base + BigInt(index.readInt32BE(at));
      const position = index.readInt32BE(at + 4);
      expect(position).toBeLessThan(log.length);
      const h = new BatchHeader(log, position);
      expect(h.magic).toBe(2);
      expect(h.baseOffset <= offset && offset <= h.lastOffset).toBe(true);
      entries++;
    }
  }
  return entries;
}

describe('kill -9 while producing with acks=-1', () => {
  it('keeps every acknowledged record, with contiguous offsets and valid indexes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
    dirs.push(dataDir);
    const first = await spawnBroker(['--port', '0', '--data-dir', dataDir, '--override', `num.partitions=${PARTITIONS}`, '--override', 'log.segment.bytes=262144']);
    const kafka = new Kafka({ brokers: [first.bootstrap], clientId: 'crash', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();

    const acked = new Map<string, string>(); // "partition:offset" -> value
    let seq = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const values = Array.from({ length: 20 }, () => `v${seq++}-${'x'.repeat(200)}`);
        const partition = seq % PARTITIONS;
        try {
          const [meta] = await producer.send({ topic: 'crash', acks: -1, messages: values.map((value) => ({ value, partition })) });
          const base = BigInt(meta!.baseOffset!);
          values.forEach((v, i) => acked.set(`${meta!.partition}:${base + BigInt(i)}`, v));
        } catch {
          return; // the broker is gone
        }
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(loops);
    await producer.disconnect().catch(() => {});
    expect(acked.size).toBeGreaterThan(1000);

    const second = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    try {
      const client = await RawClient.connect('127.0.0.1', second.port);
      let found = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const { records, highWatermark } = await fetchPartition(client, 'crash', p);
        records.forEach((r, i) => expect(r.offset).toBe(BigInt(i)));
        expect(highWatermark).toBe(BigInt(records.length));
        const byOffset = new Map(records.map((r) => [r.offset, r.value!.toString()]));
        for (const [key, value] of acked) {
          const [part, offset] = key.split(':');
          if (Number(part) !== p) continue;
          expect(byOffset.get(BigInt(offset!))).toBe(value);
          found++;
        }
        expect(checkIndexes(join(dataDir, `crash-${p}`))).toBeGreaterThan(0);
      }
      expect(found).toBe(acked.size);
      await client.close();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 60_000);
});
