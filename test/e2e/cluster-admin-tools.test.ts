/**
 * Kafka's own admin tools against a 3-broker virtual cluster: kafka-leader-election gives a
 * partition back to its preferred replica, and kafka-reassign-partitions --execute moves a
 * partition's replicas, --verify reports it complete once the new replica caught up. Needs
 * Java and Kafka's jars (test/compat/kafka/kafka.sh fetch, or KAFKA_CACHE naming them);
 * skipped without.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../src/index.js';

const KAFKA_SH = resolve('test/compat/kafka/kafka.sh');
const cache = process.env['KAFKA_CACHE'] ?? resolve('.cache/kafka/4.3.1');
const available = existsSync(join(cache, 'libs')) && existsSync('/usr/bin/java');
const run = promisify(execFile);

let cluster: RunningCluster;
let dir: string;

async function tool(name: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(KAFKA_SH, ['tool', name, '--bootstrap-server', cluster.bootstrapServers, ...args], { env: { ...process.env, KAFKA_CACHE: cache }, timeout: 60_000 });
  return stdout;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

describe.skipIf(!available)("Kafka's admin tools on a virtual cluster", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cluster-tools-'));
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20, 'auto.leader.rebalance.enable': false } });
  });
  afterAll(async () => {
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('kafka-leader-election moves leadership back to the preferred replica', async () => {
    await cluster.createTopic('elect', { partitions: 1, replicationFactor: 3 });
    const { replicas } = cluster.controller.partition('elect', 0)!;
    const preferred = replicas[0]!;
    await cluster.stopBroker(preferred);
    await cluster.startBroker(preferred);
    await until('the preferred replica is in sync again', () => cluster.controller.partition('elect', 0)!.isr.includes(preferred));
    expect(cluster.controller.partition('elect', 0)!.leader).not.toBe(preferred);

    const out = await tool('kafka-leader-election', '--election-type', 'PREFERRED', '--topic', 'elect', '--partition', '0');
    expect(out).toContain('Successfully completed leader election (PREFERRED) for partitions elect-0');
    expect(cluster.controller.partition('elect', 0)!.leader).toBe(preferred);
    const again = await tool('kafka-leader-election', '--election-type', 'PREFERRED', '--topic', 'elect', '--partition', '0');
    expect(again).toContain('Valid replica already elected for partitions elect-0');
    // Every partition: only those that needed an election are answered, none now.
    expect(await tool('kafka-leader-election', '--election-type', 'PREFERRED', '--all-topic-partitions')).not.toContain('elect-0');
  }, 120_000);

  it('kafka-reassign-partitions --execute moves a replica and --verify sees it complete', async () => {
    await cluster.createTopic('moved', { partitions: 1, replicationFactor: 2 });
    await cluster.produce('moved', Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })));
    const before = cluster.controller.partition('moved', 0)!.replicas;
    const outsider = cluster.controller.brokers().map((b) => b.id).find((id) => !before.includes(id))!;
    const target = [outsider, before[1]!];
    const plan = join(dir, 'plan.json');
    await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'moved', partition: 0, replicas: target, log_dirs: ['any', 'any'] }] }));

    const executed = await tool('kafka-reassign-partitions', '--execute', '--reassignment-json-file', plan);
    expect(executed).toContain('Successfully started partition reassignment for moved-0');
    await until('the reassignment completed', () => cluster.controller.partition('moved', 0)!.adding === undefined);
    const verified = await tool('kafka-reassign-partitions', '--verify', '--reassignment-json-file', plan);
    expect(verified).toContain('Reassignment of partition moved-0 is completed.');
    expect(cluster.controller.partition('moved', 0)!.replicas).toEqual(target);
    expect(cluster.partitionLog(outsider, 'moved', 0)!.logEndOffset).toBe(20n);
    expect(cluster.partitionLog(before[0]!, 'moved', 0)).toBeUndefined();
  }, 120_000);
});
