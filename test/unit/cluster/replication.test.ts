/**
 * Replication in a virtual cluster, through real requests: the high watermark is the lowest
 * log end of the ISR, acks=all waits for it, a follower cut off from its leader leaves the ISR
 * after replica.lag.time.max.ms and returns when caught up, min.insync.replicas refuses writes,
 * a stopped leader is replaced from the ISR, a restarted broker catches up from its data dir,
 * and after an unclean election the old leader truncates what the new one never had.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, FixtureError, type RunningCluster } from '../../../src/index.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';

let cluster: RunningCluster | undefined;
let dir: string | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

const records = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
const values = (rs: Array<{ value: Buffer | null }>) => rs.map((r) => r.value!.toString());
const state = (c: RunningCluster, topic: string, p = 0) => c.controller.partition(topic, p)!;

describe('virtual cluster replication', () => {
  it('holds the high watermark at the slowest in-sync follower, then drops a lagging follower from the ISR and takes it back once caught up', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.lag.time.max.ms': 400, 'replica.fetch.wait.max.ms': 50 } });
    await cluster.createTopic('t', { partitions: 1, replicationFactor: 3 });
    const s = state(cluster, 't');
    await cluster.produce('t', records(0, 3));
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await until('every replica has the first records', () => s.replicas.every((r) => cluster!.partitionLog(r, 't', 0)!.logEndOffset === 3n));

    const fault = cluster.addFault({ kind: 'isolate', broker: follower, peer: s.leader });
    const acked = cluster.produce('t', records(3, 2));
    const leaderLog = cluster.partitionLog(s.leader, 't', 0)!;
    await until('the leader appended', () => leaderLog.logEndOffset === 5n);
    // The isolated follower is still in the ISR: nothing past its log end is visible.
    expect(leaderLog.highWatermark).toBe(3n);
    expect(values(await cluster.consume('t'))).toEqual(['v0', 'v1', 'v2']);

    // After replica.lag.time.max.ms it leaves the ISR, and the write is acknowledged.
    expect((await acked).map((r) => r.offset)).toEqual([3n, 4n]);
    expect(state(cluster, 't').isr).not.toContain(follower);
    expect(state(cluster, 't').isr).toHaveLength(2);
    expect(leaderLog.highWatermark).toBe(5n);

    cluster.clearFault(fault.id);
    await until('the follower rejoined the ISR', () => state(cluster!, 't').isr.includes(follower));
    expect(cluster.partitionLog(follower, 't', 0)!.logEndOffset).toBe(5n);
    expect(values(await cluster.consume('t'))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('refuses acks=all below min.insync.replicas and moves leadership to an in-sync replica when the leader stops', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 50 } });
    await cluster.createTopic('m', { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    await cluster.produce('m', records(0, 2));
    const first = structuredClone(state(cluster, 'm'));
    const [leader, ...others] = [first.leader, ...first.replicas.filter((r) => r !== first.leader)];
    await until('ISR complete', () => state(cluster!, 'm').isr.length === 3);

    await cluster.stopBroker(leader!);
    const after = structuredClone(state(cluster, 'm'));
    expect(after.leader).toBe(first.replicas.find((r) => r !== leader));
    expect(after.leaderEpoch).toBe(first.leaderEpoch + 1);
    expect(after.isr).not.toContain(leader);
    await cluster.produce('m', records(2, 1));

    await cluster.stopBroker(after.leader);
    const last = state(cluster, 'm');
    expect(last.isr).toEqual([others.find((r) => r !== after.leader)]);
    const err = await cluster.produce('m', records(3, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FixtureError);
    expect((err as FixtureError).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);

    await cluster.startBroker(leader!);
    await until('back to two in sync', () => state(cluster!, 'm').isr.length === 2);
    await cluster.produce('m', records(3, 1));
    expect(values(await cluster.consume('m'))).toEqual(['v0', 'v1', 'v2', 'v3']);
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below min.insync.replicas under an acks=all write', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.lag.time.max.ms': 300, 'replica.fetch.wait.max.ms': 50 } });
    await cluster.createTopic('a', { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    await cluster.produce('a', records(0, 1));
    await until('ISR complete', () => state(cluster!, 'a').isr.length === 3);
    cluster.addFault({ kind: 'isolate', broker: state(cluster, 'a').leader });
    const err = await cluster.produce('a', records(1, 1)).catch((e: unknown) => e);
    expect((err as FixtureError).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(state(cluster, 'a').isr).toHaveLength(1);
  });

  it('gives a partition back to its preferred replica once that one is in sync again', async () => {
    cluster = await startBroker({ brokers: 2, config: { 'replica.fetch.wait.max.ms': 20, 'auto.leader.rebalance.enable': false } });
    await cluster.createTopic('p', { partitions: 1, replicationFactor: 2 });
    const preferred = state(cluster, 'p').replicas[0]!;
    expect(state(cluster, 'p').leader).toBe(preferred);
    await cluster.stopBroker(preferred);
    await cluster.produce('p', records(0, 2));
    await cluster.startBroker(preferred);
    expect(state(cluster, 'p').leader).not.toBe(preferred);
    await until('back in sync', () => state(cluster!, 'p').isr.includes(preferred));
    expect(cluster.controller.electPreferredLeaders()).toBe(1);
    expect(state(cluster, 'p').leader).toBe(preferred);
    await cluster.produce('p', records(2, 1));
    expect(values(await cluster.consume('p'))).toEqual(['v0', 'v1', 'v2']);
    expect(cluster.controller.electPreferredLeaders()).toBe(0);
  });

  it('restarts a stopped broker from its data dir and catches it up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cluster-'));
    cluster = await startBroker({ brokers: 3, dataDir: dir, config: { 'replica.fetch.wait.max.ms': 50 } });
    await cluster.createTopic('d', { partitions: 2, replicationFactor: 3 });
    await cluster.produce('d', records(0, 5));
    const s = state(cluster, 'd');
    const stopped = s.replicas.find((r) => r !== s.leader)!;
    await until('replicated', () => cluster!.partitionLog(stopped, 'd', 0)?.logEndOffset === 5n);
    await cluster.stopBroker(stopped);
    await cluster.produce('d', records(5, 5));
    await cluster.startBroker(stopped);
    const log = cluster.partitionLog(stopped, 'd', 0)!;
    await until('caught up', () => log.logEndOffset === 10n && state(cluster!, 'd').isr.includes(stopped));
    expect(log.dir).toBe('d-0');
  });

  it('truncates the old leader to the new leader\'s log after an unclean election', async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cluster-'));
    cluster = await startBroker({ brokers: 2, dataDir: dir, config: { 'replica.lag.time.max.ms': 200, 'replica.fetch.wait.max.ms': 50 } });
    await cluster.createTopic('u', { partitions: 1, replicationFactor: 2, configs: { 'unclean.leader.election.enable': 'true' } });
    await cluster.produce('u', records(0, 2));
    const { leader, replicas } = state(cluster, 'u');
    const follower = replicas.find((r) => r !== leader)!;
    await until('replicated', () => cluster!.partitionLog(follower, 'u', 0)?.logEndOffset === 2n);

    // Cut off, the follower leaves the ISR; the leader alone acknowledges two more records.
    cluster.addFault({ kind: 'isolate', broker: follower });
    await cluster.produce('u', records(2, 2));
    expect(state(cluster, 'u').isr).toEqual([leader]);

    // The leader goes: only the out-of-sync follower is left, and unclean election lets it lead.
    await cluster.stopBroker(leader);
    expect(state(cluster, 'u').leader).toBe(follower);
    await cluster.produce('u', records(10, 3));
    for (const f of cluster.faults()) cluster.clearFault(f.id);

    await cluster.startBroker(leader);
    const old = cluster.partitionLog(leader, 'u', 0)!;
    await until('the old leader follows the new log', () => old.logEndOffset === 5n && state(cluster!, 'u').isr.length === 2);
    const fromOld = await old.read(0n, 1 << 20, { toLogEnd: true });
    const fromNew = await cluster.partitionLog(follower, 'u', 0)!.read(0n, 1 << 20, { toLogEnd: true });
    expect(Buffer.concat(fromOld.records)).toEqual(Buffer.concat(fromNew.records));
    expect(values(await cluster.consume('u'))).toEqual(['v0', 'v1', 'v10', 'v11', 'v12']);
  });
});
