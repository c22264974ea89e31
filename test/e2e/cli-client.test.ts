/**
 * The client commands through the bundled CLI (bin/skiff.js, written by `make build`)
 * against an in-process broker: what a user types, what they see, and the exit status.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/cli/murmur2.js';
import { startBroker } from '../../src/index.js';
import type { RunningBroker } from '../../src/launch.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${root}bin/skiff.js`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let broker: RunningBroker;

function start(args: string[], stdin?: string) {
  // The test broker unless the arguments name another (the last -b wins).
  const argv = args[0]!.startsWith('-') ? args : [args[0]!, '-b', broker.bootstrap, ...args.slice(1)];
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, out: () => stdout };
}

const skiff = (args: string[], stdin?: string): Promise<Run> => start(args, stdin).done;

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await skiff(args, stdin);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const json = async <T = any>(args: string[], stdin?: string): Promise<T> => JSON.parse(await ok([...args, '--json'], stdin)) as T;
const jsonLines = async (args: string[]): Promise<any[]> =>
  (await ok([...args, '--json']))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  if (!existsSync(`${root}dist/bundle/main.js`)) throw new Error('dist/bundle is missing: run `make build` first');
  broker = await startBroker({ memory: true, config: { 'num.partitions': 1 } });
});
afterAll(() => broker?.close());

describe('skiff cluster info', () => {
  it('shows the broker, the cluster id and the negotiated API versions', async () => {
    const info = await json(['cluster', 'info']);
    expect(info.brokers).toEqual([{ id: 1, host: '127.0.0.1', port: broker.port, rack: null }]);
    expect(info.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(info.controller).toBe(1);
    const produce = info.apis.find((a: any) => a.name === 'Produce');
    expect(produce.used).toBe(Math.min(produce.max, 13));
    const text = await ok(['cluster', 'info']);
    expect(text).toMatch(/^BROKER +HOST +PORT +RACK$/m);
    expect(text).toMatch(new RegExp(`^1 +127\\.0\\.0\\.1 +${broker.port} +-$`, 'm'));
  });

  it('says why when nothing listens, with exit status 1', async () => {
    const r = await skiff(['cluster', 'info', '-b', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to 127.0.0.1:1');
  });
});

describe('skiff topic', () => {
  it('creates, lists, describes, reconfigures and deletes a topic', async () => {
    expect(await ok(['topic', 'create', 'life', '--partitions', '3', '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact'])).toBe('Created topic life.\n');
    expect(await json(['topic', 'list'])).toContain('life');
    const [d] = await json(['topic', 'describe', 'life']);
    expect(d.partitions.map((p: any) => [p.partition, p.leader, p.replicas, p.isr])).toEqual([
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
      [2, 1, [1], [1]],
    ]);
    expect(d.configs).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '60000' });
    const text = await ok(['topic', 'describe', 'life']);
    expect(text).toContain('PartitionCount: 3  ReplicationFactor: 1  Configs: cleanup.policy=compact,retention.ms=60000');

    await ok(['topic', 'alter-config', 'life', '--config', 'retention.ms=1000', '--delete-config', 'cleanup.policy']);
    expect((await json(['topic', 'describe', 'life']))[0].configs).toEqual({ 'retention.ms': '1000' });

    expect(await ok(['topic', 'delete', 'life'])).toBe('Deleted topic life.\n');
    expect(await json(['topic', 'list'])).not.toContain('life');
  });

  it("reports Kafka's error names with exit status 1", async () => {
    await ok(['topic', 'create', 'twice']);
    const again = await skiff(['topic', 'create', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('TOPIC_ALREADY_EXISTS');
    const bad = await skiff(['topic', 'alter-config', 'twice', '--config', 'no.such.config=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_CONFIG');
    const missing = await skiff(['topic', 'delete', 'never-made']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('rejects bad arguments with exit status 2 and a pointer to --help', async () => {
    for (const args of [['topic', 'create', 'x', '--partitions', 'many'], ['topic', 'frobnicate'], ['topic', 'list', '--no-such-flag'], ['produce']]) {
      const r = await skiff(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Run "skiff \w+ --help" for usage/);
    }
  });
});

describe('skiff produce and consume', () => {
  it('puts keyed records on the partition murmur2 picks, with headers, under every compression', async () => {
    await ok(['topic', 'create', 'keyed', '--partitions', '4']);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const lines = keys.map((k) => `${k}:${compression}-${k}`).join('\n');
      const sent = await json(['produce', 'keyed', '--key-separator', ':', '--header', 'codec=' + compression, '--header', 'n=1', '--compression', compression], `${lines}\n`);
      expect(sent.records).toBe(5);
    }
    const got = await jsonLines(['consume', 'keyed', '--from', 'beginning', '--exit']);
    expect(got).toHaveLength(25);
    for (const r of got) {
      expect(r.partition).toBe(partitionForKey(Buffer.from(r.key), 4));
      const codec = r.value.split('-')[0];
      expect(r.value).toBe(`${codec}-${r.key}`);
      expect(r.headers).toEqual([
        { key: 'codec', value: codec },
        { key: 'n', value: '1' },
      ]);
    }
    // Per partition, offsets run 0.. in the order produced.
    for (let p = 0; p < 4; p++) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('starts from an offset, a timestamp or the end, reads chosen partitions, stops after --count', async () => {
    await ok(['topic', 'create', 'pos', '--partitions', '2']);
    await ok(['produce', 'pos', '--partition', '1'], 'a\nb\nc\n');
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await ok(['produce', 'pos', '--partition', '1'], 'd\ne\n');
    await ok(['produce', 'pos', '--partition', '0'], 'zero\n');

    expect(await ok(['consume', 'pos', '--partition', '1', '--from', '3', '--exit'])).toBe('d\ne\n');
    expect(await ok(['consume', 'pos', '--partition', '1', '--from', `@${before}`, '--exit'])).toBe('d\ne\n');
    expect(await ok(['consume', 'pos', '--partition', '1', '--from', 'end', '--exit'])).toBe('');
    expect(await ok(['consume', 'pos', '--partition', '1', '--from', 'beginning', '--count', '2'])).toBe('a\nb\n');
    expect(await ok(['consume', 'pos', '--from', 'beginning', '--exit', '--format', '%p:%o:%s|'])).toBe('0:0:zero|1:0:a|1:1:b|1:2:c|1:3:d|1:4:e|');
  });

  it('keeps a value with no separator whole and null keys as null', async () => {
    await ok(['topic', 'create', 'plain']);
    await ok(['produce', 'plain', '--acks', '1'], 'one two\n\nthree\n');
    const got = await jsonLines(['consume', 'plain', '--from', 'beginning', '--exit']);
    expect(got.map((r) => [r.key, r.value])).toEqual([
      [null, 'one two'],
      [null, ''],
      [null, 'three'],
    ]);
  });

  it('produces with acks=0 (no answer from the broker) and every record still arrives', async () => {
    await ok(['topic', 'create', 'fire']);
    await ok(['produce', 'fire', '--acks', '0'], Array.from({ length: 50 }, (_, i) => `m${i}`).join('\n'));
    // acks=0 gives no confirmation: wait until the log has them.
    let got = '';
    for (let i = 0; i < 50 && got.split('\n').length < 51; i++) got = await ok(['consume', 'fire', '--from', 'beginning', '--exit']);
    expect(got.split('\n').filter((l) => l !== '')).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('fails with UNKNOWN_TOPIC_OR_PARTITION for a missing topic or partition, exit status 1', async () => {
    const r = await skiff(['consume', 'nowhere', '--exit']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    await ok(['topic', 'create', 'one-part']);
    const p = await skiff(['consume', 'one-part', '--partition', '5', '--exit']);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await skiff(['produce', 'one-part', '--compression', 'brotli'])).code).toBe(2);
    expect((await skiff(['produce', 'one-part', '--key-separator', ':'], 'no separator here\n')).code).toBe(2);
  });
});

describe('skiff group', () => {
  it('consumes as a group, shows lag, resets offsets (dry run, then --execute) and deletes the group', async () => {
    await ok(['topic', 'create', 'work', '--partitions', '2']);
    await ok(['produce', 'work', '--partition', '0'], 'a\nb\nc\n');
    await ok(['produce', 'work', '--partition', '1'], 'x\n');

    const first = await ok(['consume', 'work', '--group', 'workers', '--from', 'beginning', '--exit', '--format', '%p%s ']);
    expect(first.trim().split(' ').sort()).toEqual(['0a', '0b', '0c', '1x']);
    // Committed: a second run has nothing left.
    expect(await ok(['consume', 'work', '--group', 'workers', '--from', 'beginning', '--exit'])).toBe('');

    await ok(['produce', 'work', '--partition', '0'], 'd\ne\n');
    const [g] = await json(['group', 'describe', 'workers']);
    expect(g.state).toBe('Empty');
    expect(g.partitions.map((p: any) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag])).toEqual([
      ['work', 0, 3, 5, 2],
      ['work', 1, 1, 1, 0],
    ]);
    expect(await ok(['group', 'describe', 'workers'])).toMatch(/^work +0 +3 +5 +2 +- +- +-$/m);
    expect((await json(['group', 'list'])).find((x: any) => x.group === 'workers')).toMatchObject({ state: 'Empty', protocolType: 'consumer' });

    const dry = await json(['group', 'reset-offsets', 'workers', '--topic', 'work', '--to-earliest']);
    expect(dry.executed).toBe(false);
    expect(dry.partitions.map((p: any) => p.newOffset)).toEqual([0, 0]);
    expect((await json(['group', 'describe', 'workers']))[0].partitions[0].currentOffset).toBe(3);

    await ok(['group', 'reset-offsets', 'workers', '--topic', 'work:0', '--to-offset', '99', '--execute']);
    expect((await json(['group', 'describe', 'workers']))[0].partitions[0].currentOffset).toBe(5); // kept within the log
    await ok(['group', 'reset-offsets', 'workers', '--all-topics', '--to-offset', '1', '--execute']);
    expect(await ok(['consume', 'work', '--group', 'workers', '--exit', '--format', '%p%s '])).toBe('0b 0c 0d 0e ');

    expect(await ok(['group', 'delete', 'workers'])).toBe('Deleted group workers.\n');
    const gone = await skiff(['group', 'describe', 'workers']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('GROUP_ID_NOT_FOUND');
  });

  it('refuses to reset or delete a group with an active member; the member commits and leaves on SIGINT', async () => {
    await ok(['topic', 'create', 'busy']);
    await ok(['produce', 'busy'], 'p\nq\n');
    const member = start(['consume', 'busy', '--group', 'busy-g', '--from', 'beginning']);
    while (!member.out().includes('q\n')) await new Promise((r) => setTimeout(r, 50));

    const [g] = await json(['group', 'describe', 'busy-g']);
    expect(g.state).toBe('Stable');
    expect(g.partitions[0].consumerId).toMatch(/^skiff-cli-/);
    const reset = await skiff(['group', 'reset-offsets', 'busy-g', '--all-topics', '--to-earliest', '--execute']);
    expect(reset.code).toBe(1);
    expect(reset.stderr).toContain('state is Stable');
    const del = await skiff(['group', 'delete', 'busy-g']);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('NON_EMPTY_GROUP');

    member.child.kill('SIGINT');
    expect((await member.done).code).toBe(0);
    const [after] = await json(['group', 'describe', 'busy-g']);
    expect(after.state).toBe('Empty');
    expect(after.partitions[0].currentOffset).toBe(2);
  });
});

describe('skiff consume --group with two members', () => {
  it('splits the partitions between them after a rebalance, and both print their share', async () => {
    await ok(['topic', 'create', 'shared', '--partitions', '2']);
    const a = start(['consume', 'shared', '--group', 'pair', '--from', 'beginning', '--format', '%p:%s\n']);
    await ok(['produce', 'shared', '--partition', '0'], 'a0\n');
    while (!a.out().includes('0:a0')) await new Promise((r) => setTimeout(r, 50));
    const b = start(['consume', 'shared', '--group', 'pair', '--from', 'beginning', '--format', '%p:%s\n']);
    let owners: string[] = [];
    while (new Set(owners).size !== 2) {
      await new Promise((r) => setTimeout(r, 200));
      const [g] = await json(['group', 'describe', 'pair']);
      owners = g.state === 'Stable' ? g.partitions.map((p: any) => p.consumerId).filter(Boolean) : [];
    }
    await ok(['produce', 'shared', '--partition', '0'], 'a1\n');
    await ok(['produce', 'shared', '--partition', '1'], 'b0\n');
    const all = () => (a.out() + b.out()).split('\n').filter((l) => l !== '').sort();
    while (all().length < 3) await new Promise((r) => setTimeout(r, 50));
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    expect([(await a.done).code, (await b.done).code]).toEqual([0, 0]);
    expect(all()).toEqual(['0:a0', '0:a1', '1:b0']);
    // Each printed only partitions it owned at the time: a1 and b0 went to different members.
    expect(a.out().includes('0:a1') !== b.out().includes('0:a1')).toBe(true);
    expect(a.out().includes('0:a1')).toBe(!a.out().includes('1:b0'));
  });
});

describe('skiff --help', () => {
  it('lists the client commands, and each command has its own help', async () => {
    expect(await ok(['--help'])).toMatch(/skiff consume +print records of a topic/);
    for (const cmd of ['topic', 'produce', 'consume', 'group', 'cluster']) expect(await ok([cmd, '--help'])).toContain(`Usage: skiff ${cmd}`);
  });
});
