/**
 * A restart succeeds on any data dir the broker wrote, whatever else is in it: stray files,
 * empty or foreign folders, half-deleted topics, cleaner temp files, torn checkpoints.
 */
import { cp, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { type FetchResponse, defaultFetchPartition, defaultFetchRequest, defaultFetchTopic } from '../../../src/protocol/generated/001-fetch.js';
import { createTopic, produceBatch } from '../../support/admin-fixture.js';
import { RawClient } from '../../support/raw-client.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function withBroker<T>(dataDir: string, run: (client: RawClient) => Promise<T>): Promise<T> {
  const broker = await startBroker({ dataDir, logLevel: 'silent' });
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    return await run(client);
  } finally {
    await client.close();
    await broker.close();
  }
}

async function fetchState(client: RawClient, topic: string, partition: number): Promise<{ error: number; hw: bigint }> {
  const res = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    topics: [{ ...defaultFetchTopic(), topic, partitions: [{ ...defaultFetchPartition(), partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = res.responses[0]!.partitions[0]!;
  return { error: p.errorCode, hw: p.highWatermark };
}

describe('restart on odd data dir content', () => {
  it('starts, keeps the data of registered topics, and sets unregistered partition folders aside', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-odd-'));
    dirs.push(dir);
    await withBroker(dir, async (client) => {
      await createTopic(client, 'kept', 2);
      await createTopic(client, 'emptied', 1);
      await produceBatch(client, 'kept', 0, [1n, 2n, 3n]);
    });

    // Stray files and folders that are not partitions.
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await mkdir(join(dir, 'not-a-partition'));
    await mkdir(join(dir, 'lost+found'));
    await writeFile(join(dir, 'skiff-topics.json.tmp'), '{ half');
    // A partition folder of no registered topic (a creation or deletion cut short), with records.
    await cp(join(dir, 'kept-0'), join(dir, 'ghost-0'), { recursive: true });
    await mkdir(join(dir, 'kept-7'));
    // A registered partition whose folder lost every file.
    await rm(join(dir, 'emptied-0'), { recursive: true });
    await mkdir(join(dir, 'emptied-0'));
    // Kafka's half-deleted topic folders.
    await mkdir(join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete'));
    await writeFile(join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete', '00000000000000000000.log'), Buffer.alloc(10));
    // Cleaner and swap left-overs, and stray files inside a live partition.
    await writeFile(join(dir, 'kept-1', '00000000000000000000.log.cleaned'), Buffer.alloc(50, 7));
    await writeFile(join(dir, 'kept-1', '00000000000000000000.index.cleaned'), Buffer.alloc(0));
    await writeFile(join(dir, 'kept-1', '00000000000000000099.log.swap'), Buffer.alloc(0));
    await writeFile(join(dir, 'kept-1', '00000000000000000042.log.deleted'), Buffer.alloc(5));
    await writeFile(join(dir, 'kept-1', 'README'), 'x');
    await mkdir(join(dir, 'kept-1', 'subdir'));
    // Torn checkpoints.
    await writeFile(join(dir, 'recovery-point-offset-checkpoint'), '0\n3\nkept 0');
    await writeFile(join(dir, 'log-start-offset-checkpoint'), 'garbage');
    await writeFile(join(dir, 'kept-1', 'leader-epoch-checkpoint'), '0\n1\nnot numbers');
    await writeFile(join(dir, 'kept-1', 'partition.metadata'), '');

    await withBroker(dir, async (client) => {
      expect(await fetchState(client, 'kept', 0)).toEqual({ error: 0, hw: 3n });
      expect((await fetchState(client, 'kept', 1)).error).toBe(0);
      expect((await fetchState(client, 'emptied', 0)).error).toBe(0);
      // The name of the set-aside log is free, and a new topic of that name starts empty.
      await createTopic(client, 'ghost', 1);
      expect(await fetchState(client, 'ghost', 0)).toEqual({ error: 0, hw: 0n });
    });
    const names = await readdir(dir);
    expect(names.some((n) => n.startsWith('ghost-0.') && n.endsWith('-stray'))).toBe(true);
    expect(names.some((n) => n.startsWith('kept-7.') && n.endsWith('-stray'))).toBe(true);

    // And once more on what that run left.
    await withBroker(dir, async (client) => {
      expect(await fetchState(client, 'kept', 0)).toEqual({ error: 0, hw: 3n });
    });
  });
});
