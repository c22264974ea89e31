/**
 * A crash-stop on a virtual cluster: the crashed broker keeps its leaderships until
 * broker.session.timeout.ms fences it, loses its unflushed tail, recovers and catches up
 * when started again, with every acknowledged record kept. And followers follow the leader's
 * log start: one in sync moves its own, one away while it moved past its log end starts over
 * there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningCluster } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultDeleteRecordsRequest, type DeleteRecordsResponse } from '../../../src/protocol/generated/021-delete-records.js';
import { RawClient } from '../../support/raw-client.js';

let cluster: RunningCluster | undefined;
let dir: string | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

const records = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${from + i}` }));
const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);

describe('crash-stop on a virtual cluster', () => {
  it('fences a crashed leader only after the session timeout; it restarts without its unflushed tail and catches up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-crash-stop-'));
    cluster = await startBroker({ brokers: 3, dataDir: dir, config: { 'broker.session.timeout.ms': 400, 'replica.fetch.wait.max.ms': 20, 'replica.lag.time.max.ms': 10_000 } });
    const c = cluster;
    await c.createTopic('k', { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    await c.produce('k', records(0, 30));
    const { leader, leaderEpoch } = c.controller.partition('k', 0)!;
    await until('every replica has the records', () => c.brokers().every((b) => c.partitionLog(b.id, 'k', 0)?.logEndOffset === 30n));

    await c.crashBroker(leader);
    // Not fenced yet: still the leader as far as the controller knows, though nobody answers there.
    expect(c.controller.partition('k', 0)!.leader).toBe(leader);
    expect(c.brokers().find((b) => b.id === leader)).toMatchObject({ alive: true, running: false });
    await expect(c.produce('k', records(30, 1))).rejects.toThrow();

    await until('the crashed broker is fenced', () => c.controller.partition('k', 0)!.leader !== leader);
    expect(c.controller.broker(leader)!.alive).toBe(false);
    expect(c.controller.partition('k', 0)!.leaderEpoch).toBe(leaderEpoch + 1);
    expect(c.controller.partition('k', 0)!.isr).not.toContain(leader);
    await c.produce('k', records(30, 10));

    await c.startBroker(leader);
    await until('the restarted broker is back in the ISR', () => c.controller.partition('k', 0)!.isr.includes(leader));
    expect(c.partitionLog(leader, 'k', 0)!.logEndOffset).toBe(40n);
    expect((await c.consume('k')).map((r) => r.value!.toString())).toEqual(values(40));
  });

  it('restarts a crashed follower from a data dir its recovery truncated', async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-crash-stop-'));
    cluster = await startBroker({ brokers: 3, dataDir: dir, config: { 'broker.session.timeout.ms': 60_000, 'replica.fetch.wait.max.ms': 20 } });
    const c = cluster;
    await c.createTopic('f', { partitions: 1, replicationFactor: 3 });
    await c.produce('f', records(0, 20));
    const { replicas, leader } = c.controller.partition('f', 0)!;
    const follower = replicas.find((r) => r !== leader)!;
    await until('the follower has the records', () => c.partitionLog(follower, 'f', 0)?.logEndOffset === 20n);
    await c.crashBroker(follower);
    // Cut off from the leader until checked: what it has is what its recovery left.
    const cut = c.addFault({ kind: 'isolate', broker: follower });
    // Started again before its session ran out: the old incarnation is fenced first.
    await c.startBroker(follower);
    expect(c.controller.broker(follower)!.alive).toBe(true);
    // Nothing of it was flushed: recovery left less than it had, and it fetches the rest again.
    expect(c.partitionLog(follower, 'f', 0)!.logEndOffset).toBeLessThan(20n);
    c.clearFault(cut.id);
    await until('the follower caught up', () => c.partitionLog(follower, 'f', 0)?.logEndOffset === 20n && c.controller.partition('f', 0)!.isr.includes(follower));
    expect(c.controller.partition('f', 0)!.leader).toBe(leader);
  });

  it('starts a follower that was away while the log start moved past its log end at the leader\'s log start', async () => {
    cluster = await startBroker({ brokers: 3, config: { 'replica.fetch.wait.max.ms': 20, 'replica.lag.time.max.ms': 300, 'log.segment.bytes': 200 } });
    const c = cluster;
    await c.createTopic('d', { partitions: 1, replicationFactor: 3 });
    const { replicas, leader } = c.controller.partition('d', 0)!;
    const follower = replicas.find((r) => r !== leader)!;
    const cut = c.addFault({ kind: 'isolate', broker: follower });
    await c.produce('d', records(0, 40));
    expect(c.controller.partition('d', 0)!.isr).not.toContain(follower);
    expect(c.partitionLog(follower, 'd', 0)!.logEndOffset).toBe(0n);

    const b = c.controller.broker(leader)!;
    const client = await RawClient.connect(b.host, b.port);
    const res = await client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { ...defaultDeleteRecordsRequest(), timeoutMs: 5000, topics: [{ name: 'd', partitions: [{ partitionIndex: 0, offset: 25n }] }] });
    await client.close();
    expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 25n });
    // The follower in sync follows the leader's log start.
    const other = replicas.find((r) => r !== leader && r !== follower)!;
    await until('the in-sync follower moved its log start', () => c.partitionLog(other, 'd', 0)!.logStartOffset === 25n);

    c.clearFault(cut.id);
    await until('the follower rejoined the ISR', () => c.controller.partition('d', 0)!.isr.includes(follower));
    const log = c.partitionLog(follower, 'd', 0)!;
    expect(log.logStartOffset).toBe(25n);
    expect(log.logEndOffset).toBe(40n);
  });
});
