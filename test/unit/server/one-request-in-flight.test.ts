/**
 * Kafka processes one request at a time per connection (its SocketServer mutes a channel from
 * reading a request until the response is sent), so a request sees every effect of the requests
 * sent before it on the same connection, even when the client does not wait for their answers.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type CreateTopicsResponse, defaultCreatableTopic, defaultCreateTopicsRequest } from '../../../src/protocol/generated/019-create-topics.js';
import { type ProduceResponse, defaultProduceRequest } from '../../../src/protocol/generated/000-produce.js';
import { type ListOffsetsResponse, defaultListOffsetsPartition, defaultListOffsetsRequest, defaultListOffsetsTopic } from '../../../src/protocol/generated/002-list-offsets.js';
import { buildBatch } from '../../../src/protocol/records/records.js';
import { type Harness, openHarness } from '../../support/admin-fixture.js';

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A disk-backed broker, where creating a topic waits on the file system. */
async function openDiskHarness(): Promise<Harness> {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-one-in-flight-')));
  return openHarness({ dataDir: dir });
}

function createTopics(name: string) {
  return h!.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    ...defaultCreateTopicsRequest(),
    timeoutMs: 5000,
    topics: [{ ...defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1 }],
  });
}

function produceBody(topic: string, acks: number, value: string) {
  const records = buildBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from(value) }] });
  return { ...defaultProduceRequest(), acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

describe('one request in flight per connection', () => {
  it('a Produce pipelined behind the CreateTopics of its topic succeeds', async () => {
    h = await openDiskHarness();
    // Handlers loaded first, so that loading them does not order the two requests by itself.
    await createTopics('warm-up');
    await h.client.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('warm-up', -1, 'v'));
    const client = h.client;
    const [created, produced] = client.together(() => [createTopics('pipelined'), client.request<ProduceResponse>(ApiKey.Produce, 9, produceBody('pipelined', -1, 'v'))] as const);
    expect((await created).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p = (await produced).responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.baseOffset).toBe(0n);
  });

  it('acks=0 produces pipelined behind CreateTopics are all applied before a later ListOffsets', async () => {
    h = await openDiskHarness();
    const client = h.client;
    const [created, offsets] = client.together(() => {
      const created = createTopics('pipelined-acks0');
      for (let i = 0; i < 20; i++) client.send(ApiKey.Produce, 9, produceBody('pipelined-acks0', 0, `v${i}`));
      const offsets = client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
        ...defaultListOffsetsRequest(),
        topics: [{ ...defaultListOffsetsTopic(), name: 'pipelined-acks0', partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }] }],
      });
      return [created, offsets] as const;
    });
    expect((await created).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p = (await offsets).topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.offset).toBe(20n);
  });
});
