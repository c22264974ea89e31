/**
 * Requests that create the same topic or partitions at the same moment, on a disk-backed
 * broker: the logs are made before the topic is registered, so without a claim on the name two
 * creations would make (and roll back) the same partition folders under each other.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/codec/uuid.js';
import { type CreateTopicsResponse, defaultCreatableTopic, defaultCreateTopicsRequest } from '../../../src/protocol/generated/019-create-topics.js';
import { type CreatePartitionsResponse, defaultCreatePartitionsRequest } from '../../../src/protocol/generated/037-create-partitions.js';
import { type MetadataResponse, defaultMetadataRequest } from '../../../src/protocol/generated/003-metadata.js';
import { RawClient } from '../../support/raw-client.js';
import { createTopic, type Harness, openHarness } from '../../support/admin-fixture.js';

const CLIENTS = 6;
let dir: string;
let h: Harness;
let clients: RawClient[];

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-concurrent-create-')));
  h = await openHarness({ dataDir: dir, config: { 'num.partitions': 8 } });
  clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(h.broker.host, h.broker.port)));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

function metadata(client: RawClient, name: string) {
  return client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    ...defaultMetadataRequest(),
    allowAutoTopicCreation: true,
    topics: [{ name, topicId: ZERO_UUID }],
  });
}

describe('concurrent creation', () => {
  it('Metadata requests auto-creating one topic at once all get the same topic', async () => {
    const answers = await Promise.all(clients.map((c) => metadata(c, 'auto-race')));
    for (const res of answers) {
      expect(res.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(res.topics[0]!.partitions).toHaveLength(8);
    }
    expect(new Set(answers.map((res) => res.topics[0]!.topicId)).size).toBe(1);
  });

  it('CreateTopics of one name at once: one creates it, the others get TOPIC_ALREADY_EXISTS', async () => {
    const answers = await Promise.all(
      clients.map((c) =>
        c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
          ...defaultCreateTopicsRequest(),
          timeoutMs: 5000,
          topics: [{ ...defaultCreatableTopic(), name: 'create-race', numPartitions: 8, replicationFactor: 1 }],
        }),
      ),
    );
    const codes = answers.map((res) => res.topics[0]!.errorCode).sort((a, b) => a - b);
    expect(codes).toEqual([ErrorCode.NONE, ...Array(CLIENTS - 1).fill(ErrorCode.TOPIC_ALREADY_EXISTS)]);
    expect((await metadata(clients[0]!, 'create-race')).topics[0]!.partitions).toHaveLength(8);
  });

  it('CreatePartitions to one count at once: one grows the topic, the others find it grown', async () => {
    await createTopic(h.client, 'grow-race', 2);
    const answers = await Promise.all(
      clients.map((c) =>
        c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
          ...defaultCreatePartitionsRequest(),
          timeoutMs: 5000,
          topics: [{ name: 'grow-race', count: 6, assignments: null }],
        }),
      ),
    );
    const codes = answers.map((res) => res.results[0]!.errorCode).sort((a, b) => a - b);
    expect(codes).toEqual([ErrorCode.NONE, ...Array(CLIENTS - 1).fill(ErrorCode.INVALID_PARTITIONS)]);
    expect((await metadata(clients[0]!, 'grow-race')).topics[0]!.partitions).toHaveLength(6);
  });
});
