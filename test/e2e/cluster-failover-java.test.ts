/**
 * The Java client against a 3-broker virtual cluster: Kafka's own VerifiableProducer
 * (kafka-clients, idempotent, acks=all) sends records while one broker is stopped and started
 * again through the HTTP fault API; every record it reports acknowledged must then be stored
 * once, at the offset it was told, in order. Needs Java and Kafka's jars (test/compat/kafka/
 * kafka.sh fetch, or KAFKA_CACHE naming them); skipped without.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';

const KAFKA_SH = resolve('test/compat/kafka/kafka.sh');
const cache = process.env['KAFKA_CACHE'] ?? resolve('.cache/kafka/4.3.1');
const available = existsSync(join(cache, 'libs')) && existsSync('/usr/bin/java');

interface ProducerEvent {
  name: string;
  partition?: number;
  offset?: number;
  value?: string;
}

describe.skipIf(!available)('virtual cluster failover with the Java client', () => {
  it('stores every record VerifiableProducer got acknowledged once, at its offset, across a broker stop and start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-java-failover-'));
    const cluster = await startBroker({ brokers: 3, httpPort: 0, dataDir: dir, config: { 'replica.fetch.wait.max.ms': 50 } });
    try {
      await cluster.createTopic('java', { partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
      const props = join(dir, 'producer.properties');
      await writeFile(props, 'enable.idempotence=true\nacks=all\nretries=2147483647\ndelivery.timeout.ms=60000\n');
      const victim = cluster.controller.partition('java', 0)!.leader;
      const child = spawn(KAFKA_SH, ['tool', 'kafka-run-class', 'org.apache.kafka.tools.VerifiableProducer', '--bootstrap-server', cluster.bootstrapServers, '--topic', 'java', '--max-messages', '2000', '--throughput', '1000', '--acks', '-1', '--command-config', props], {
        env: { ...process.env, KAFKA_CACHE: cache },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      // Stop the leader of partition 0 once records flow, start it again a little later.
      const api = (path: string) => fetch(new URL(path, cluster.httpUrl), { method: 'POST' }).then((r) => r.json() as Promise<{ alive: boolean }>);
      while (!out.includes('producer_send_success') && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect((await api(`brokers/${victim}/stop`)).alive).toBe(false);
      await new Promise((r) => setTimeout(r, 500));
      expect((await api(`brokers/${victim}/start`)).alive).toBe(true);
      expect(await exited).toBe(0);

      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProducerEvent);
      const acked = events.filter((e) => e.name === 'producer_send_success');
      expect(acked).toHaveLength(2000);
      for (let p = 0; p < 3; p++) {
        const stored = await cluster.consume('java', { partition: p });
        const values = stored.map((r) => r.value!.toString());
        expect(new Set(values).size).toBe(values.length);
        const mine = acked.filter((e) => e.partition === p);
        expect(values.filter((v) => mine.some((e) => e.value === v))).toEqual(mine.map((e) => e.value));
        const byOffset = new Map(stored.map((r) => [r.offset, r.value!.toString()]));
        for (const e of mine) expect(byOffset.get(BigInt(e.offset!))).toBe(e.value);
      }
    } finally {
      await cluster.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
