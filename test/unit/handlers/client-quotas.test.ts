/** DescribeClientQuotas and AlterClientQuotas: validation, filters, validateOnly, persistence across a restart. */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AlterClientQuotasResponse } from '../../../src/protocol/generated/049-alter-client-quotas.js';
import type { DescribeClientQuotasResponse } from '../../../src/protocol/generated/048-describe-client-quotas.js';
import { openHarness } from '../../support/admin-fixture.js';
import type { RawClient } from '../../support/raw-client.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const user = (name: string | null) => ({ entityType: 'user', entityName: name });
const client = (name: string | null) => ({ entityType: 'client-id', entityName: name });
const op = (key: string, value: number, remove = false) => ({ key, value, remove });

function alter(c: RawClient, entries: Array<{ entity: unknown[]; ops: unknown[] }>, validateOnly = false) {
  return c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, { validateOnly, entries });
}

function describeQuotas(c: RawClient, components: Array<{ entityType: string; matchType: number; match: string | null }>, strict = false) {
  return c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, { components, strict });
}

describe('client quotas', () => {
  it('sets, filters and removes quotas; validateOnly changes nothing', async () => {
    const h = await openHarness();
    try {
      const set = await alter(h.client, [
        { entity: [user('alice')], ops: [op('producer_byte_rate', 1024)] },
        { entity: [user('alice'), client('app')], ops: [op('consumer_byte_rate', 2048), op('request_percentage', 12.5)] },
        { entity: [client(null)], ops: [op('producer_byte_rate', 99)] },
      ]);
      expect(set.entries.map((e) => e.errorCode)).toEqual([0, 0, 0]);
      expect(set.entries[1]!.entity).toEqual([client('app'), user('alice')]);
      await alter(h.client, [{ entity: [user('alice')], ops: [op('producer_byte_rate', 1)] }], true);

      const all = await describeQuotas(h.client, []);
      expect(all.entries).toHaveLength(3);
      const alice = await describeQuotas(h.client, [{ entityType: 'user', matchType: 0, match: 'alice' }], true);
      expect(alice.entries).toEqual([{ entity: [user('alice')], values: [{ key: 'producer_byte_rate', value: 1024 }] }]);
      const defaults = await describeQuotas(h.client, [{ entityType: 'client-id', matchType: 1, match: null }]);
      expect(defaults.entries).toEqual([{ entity: [client(null)], values: [{ key: 'producer_byte_rate', value: 99 }] }]);
      const anyClient = await describeQuotas(h.client, [{ entityType: 'client-id', matchType: 2, match: null }]);
      expect(anyClient.entries).toHaveLength(2);

      await alter(h.client, [{ entity: [user('alice')], ops: [op('producer_byte_rate', 0, true)] }]);
      const after = await describeQuotas(h.client, [{ entityType: 'user', matchType: 0, match: 'alice' }], true);
      expect(after.entries).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('refuses what Kafka refuses, with its messages', async () => {
    const h = await openHarness();
    try {
      const res = await alter(h.client, [
        { entity: [], ops: [op('producer_byte_rate', 1)] },
        { entity: [user('')], ops: [op('producer_byte_rate', 1)] },
        { entity: [user('bob')], ops: [op('producer_byte_rate', 1.5)] },
        { entity: [user('carol')], ops: [op('request_percentage', 0)] },
        { entity: [{ entityType: 'ip', entityName: '127.0.0.1' }], ops: [op('producer_byte_rate', 5)] },
      ]);
      expect(res.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual([
        [ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity'],
        [ErrorCode.INVALID_REQUEST, 'Empty user not supported'],
        [ErrorCode.INVALID_REQUEST, 'producer_byte_rate cannot be a fractional value.'],
        [ErrorCode.INVALID_REQUEST, 'Quota request_percentage must be greater than 0'],
        [ErrorCode.INVALID_REQUEST, 'Invalid configuration key producer_byte_rate'],
      ]);
      const twice = await alter(h.client, [
        { entity: [user('dave')], ops: [op('producer_byte_rate', 5)] },
        { entity: [user('dave')], ops: [op('consumer_byte_rate', 5)] },
      ]);
      expect(twice.entries).toEqual([
        { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Ignoring duplicate entity ClientQuotaEntity(entries={user=dave})', entity: [user('dave')] },
      ]);
      expect((await describeQuotas(h.client, [])).entries).toEqual([]);
      const bad = await describeQuotas(h.client, [
        { entityType: 'user', matchType: 2, match: null },
        { entityType: 'user', matchType: 2, match: null },
      ]);
      expect([bad.errorCode, bad.errorMessage, bad.entries]).toEqual([ErrorCode.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.', null]);
    } finally {
      await h.close();
    }
  });

  it('keeps quotas across a restart', async () => {
    const dataDir = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-quotas-')));
    dirs.push(dataDir);
    const first = await openHarness({ dataDir });
    await alter(first.client, [{ entity: [user(null), client('app')], ops: [op('consumer_byte_rate', 4096)] }]);
    await first.close();
    const second = await openHarness({ dataDir });
    try {
      const res = await describeQuotas(second.client, []);
      expect(res.entries).toEqual([{ entity: [client('app'), user(null)], values: [{ key: 'consumer_byte_rate', value: 4096 }] }]);
    } finally {
      await second.close();
    }
  });
});
