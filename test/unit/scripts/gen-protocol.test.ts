import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, kebab } from '../../../scripts/gen-protocol.js';

const ROOT = join(import.meta.dirname, '../../..');
const OUT = join(ROOT, 'src/protocol/generated');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(relative(OUT, p));
  }
  return out.sort();
}

describe('kebab', () => {
  it.each([
    ['Produce', 'produce'],
    ['ApiVersions', 'api-versions'],
    ['DescribeUserScramCredentials', 'describe-user-scram-credentials'],
    ['KRaftVersionRecord', 'k-raft-version-record'],
    ['LeaderAndIsr', 'leader-and-isr'],
    ['ConsumerGroupHeartbeat', 'consumer-group-heartbeat'],
    ['OffsetForLeaderEpoch', 'offset-for-leader-epoch'],
    ['SaslAuthenticate', 'sasl-authenticate'],
    ['AddRaftVoter', 'add-raft-voter'],
    ['Fetch2Snapshot', 'fetch2-snapshot'],
    ['ACLBinding', 'acl-binding'],
  ])('%s -> %s', (name, want) => {
    expect(kebab(name)).toBe(want);
  });
});

describe('the committed generated code is fresh', () => {
  const files = generate(join(ROOT, 'schemas'), OUT);

  it('generates the same set of files as are on disk', () => {
    expect([...files.keys()].sort()).toEqual(listFiles(OUT));
    expect(files.has('000-produce.ts')).toBe(true);
    expect(files.has('050-describe-user-scram-credentials.ts')).toBe(true);
    expect(files.has('data/k-raft-version-record.ts')).toBe(true);
  });

  it('every file matches what the generator prints (run `npx tsx scripts/gen-protocol.ts` if not)', () => {
    const stale: string[] = [];
    for (const [name, text] of files) {
      let onDisk = '';
      try {
        onDisk = readFileSync(join(OUT, name), 'utf8');
      } catch {
        onDisk = '<missing>';
      }
      if (onDisk !== text) stale.push(name);
    }
    expect(stale).toEqual([]);
  });
});
