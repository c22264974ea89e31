/**
 * skiff-cli: the `skiff topic|produce|consume|group|cluster` commands against Apache Kafka
 * and against Skiff. Each scenario runs the bundled CLI as a user would and reduces what it
 * printed (--json) and its exit status to what both brokers must agree on.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bootstrap, runScenarios, sleep } from '../lib/harness.js';

const BIN = fileURLToPath(new URL('../../../bin/skiff.js', import.meta.url));
const pkg = (await import('../../../package.json', { with: { type: 'json' } })).default as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function skiff(args: string[], input = ''): Run {
  const r = spawnSync(process.execPath, [BIN, args[0]!, '-b', bootstrap, ...args.slice(1)], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], input?: string): string {
  const r = skiff(args, input);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

const json = (args: string[], input?: string): any => JSON.parse(ok([...args, '--json'], input));
const jsonLines = (args: string[]): any[] =>
  ok([...args, '--json'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

/** Exit status and the Kafka error name (or the first words) of a failing command. */
function failure(args: string[], input?: string): { code: number | null; error: string } {
  const r = skiff(args, input);
  const name = /\b[A-Z][A-Z_]{4,}\b/.exec(r.stderr)?.[0];
  return { code: r.code, error: name ?? r.stderr.split('\n')[0]!.replace(/^skiff \w+: /, '').slice(0, 60) };
}

/**
 * Kafka learns about a new topic's leaders asynchronously: wait until describe shows them,
 * then a little longer (see kafkajs/FINDINGS.md), so produce does not race the creation.
 */
async function createTopic(name: string, ...flags: string[]): Promise<void> {
  ok(['topic', 'create', name, ...flags]);
  for (let i = 0; i < 100; i++) {
    const r = skiff(['topic', 'describe', name, '--json']);
    if (r.code === 0 && (JSON.parse(r.stdout) as any[])[0].partitions.every((p: any) => p.leader >= 0)) {
      await sleep(300);
      return;
    }
    await sleep(100);
  }
  throw new Error(`topic ${name} has no leaders`);
}

/** Config changes go through Kafka's metadata log: poll describe until `pred` holds. */
async function describeUntil(name: string, pred: (d: any) => boolean): Promise<any> {
  let d: any;
  for (let i = 0; i < 50; i++) {
    d = json(['topic', 'describe', name])[0];
    if (pred(d)) return d;
    await sleep(100);
  }
  return d;
}

const records = (rs: any[]) => rs.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers }));

await runScenarios({
  client: 'skiff-cli',
  versions: { skiff: pkg.version },
  timeoutMs: 60_000,
  scenarios: {
    'cluster-info': async () => {
      const info = json(['cluster', 'info']);
      const used = Object.fromEntries(
        info.apis
          .filter((a: any) => ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'DescribeGroups', 'ListGroups', 'CreateTopics', 'DeleteTopics', 'DescribeConfigs', 'IncrementalAlterConfigs', 'DeleteGroups'].includes(a.name))
          .map((a: any) => [a.name, a.used]),
      );
      return {
        brokers: info.brokers.length,
        controllerIsABroker: info.brokers.some((b: any) => b.id === info.controller),
        clusterIdLength: info.clusterId.length,
        used,
      };
    },

    'topic-admin': async () => {
      await createTopic('cli-admin', '--partitions', '3', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy=compact');
      const again = failure(['topic', 'create', 'cli-admin']);
      const listed = json(['topic', 'list', '--exclude-internal']).includes('cli-admin');
      const d1 = json(['topic', 'describe', 'cli-admin'])[0];
      ok(['topic', 'alter-config', 'cli-admin', '--config', 'retention.ms=7200000', '--delete-config', 'cleanup.policy']);
      const d2 = await describeUntil('cli-admin', (d) => d.configs['retention.ms'] === '7200000' && !('cleanup.policy' in d.configs));
      const badConfig = failure(['topic', 'alter-config', 'cli-admin', '--config', 'no.such.config=1']);
      ok(['topic', 'delete', 'cli-admin']);
      await sleep(500);
      const deleteAgain = failure(['topic', 'delete', 'cli-admin']);
      const shape = (d: any) => ({ partitions: d.partitions.map((p: any) => [p.partition, p.replicas.length, p.isr.length, p.leader >= 0]), configs: d.configs, internal: d.internal });
      return { again, listed, before: shape(d1), after: shape(d2), badConfig, deleteAgain };
    },

    'produce-consume-codecs': async () => {
      await createTopic('cli-codecs', '--partitions', '4');
      const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
      const sent = [];
      for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        const lines = keys.map((k) => `${k}\t${codec}:${k}`).join('\n');
        sent.push(json(['produce', 'cli-codecs', '--key-separator', '\t', '--header', `codec=${codec}`, '--compression', codec], `${lines}\n`));
      }
      const got = jsonLines(['consume', 'cli-codecs', '--from', 'beginning', '--exit']);
      return { sent, records: records(got) };
    },

    'consume-positions': async () => {
      await createTopic('cli-positions', '--partitions', '2');
      ok(['produce', 'cli-positions', '--partition', '1'], 'a\nb\nc\n');
      await sleep(50);
      const between = Date.now();
      await sleep(50);
      ok(['produce', 'cli-positions', '--partition', '1'], 'd\ne\n');
      ok(['produce', 'cli-positions', '--partition', '0', '--acks', '1'], 'zero\n');
      return {
        fromOffset: ok(['consume', 'cli-positions', '--partition', '1', '--from', '3', '--exit']),
        fromTimestamp: ok(['consume', 'cli-positions', '--partition', '1', '--from', `@${between}`, '--exit']),
        fromEnd: ok(['consume', 'cli-positions', '--from', 'end', '--exit']),
        count: ok(['consume', 'cli-positions', '--partition', '1', '--from', 'beginning', '--count', '2']),
        format: ok(['consume', 'cli-positions', '--from', 'beginning', '--exit', '--format', '%t/%p/%o/%k/%s/%K/%S|']),
      };
    },

    'acks-zero': async () => {
      await createTopic('cli-acks0');
      ok(['produce', 'cli-acks0', '--acks', '0'], Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n'));
      let got = '';
      for (let i = 0; i < 50 && got.split('\n').length < 21; i++) {
        got = ok(['consume', 'cli-acks0', '--from', 'beginning', '--exit']);
        await sleep(100);
      }
      return got;
    },

    'group-lag-reset': async () => {
      await createTopic('cli-group', '--partitions', '2');
      ok(['produce', 'cli-group', '--partition', '0'], 'a\nb\nc\n');
      ok(['produce', 'cli-group', '--partition', '1'], 'x\n');
      const first = ok(['consume', 'cli-group', '--group', 'cli-g', '--from', 'beginning', '--exit', '--format', '%p%s ']).trim().split(' ').sort();
      const second = ok(['consume', 'cli-group', '--group', 'cli-g', '--from', 'beginning', '--exit']);
      ok(['produce', 'cli-group', '--partition', '0'], 'd\ne\n');
      const described = json(['group', 'describe', 'cli-g'])[0];
      const listed = json(['group', 'list']).find((g: any) => g.group === 'cli-g');
      const dry = json(['group', 'reset-offsets', 'cli-g', '--topic', 'cli-group', '--to-earliest']);
      const afterDry = json(['group', 'describe', 'cli-g'])[0].partitions.map((p: any) => p.currentOffset);
      const clamped = json(['group', 'reset-offsets', 'cli-g', '--topic', 'cli-group:0', '--to-offset', '99', '--execute']);
      const executed = json(['group', 'reset-offsets', 'cli-g', '--all-topics', '--to-offset', '1', '--execute']);
      const third = ok(['consume', 'cli-group', '--group', 'cli-g', '--exit', '--format', '%p%s ']);
      const deleted = ok(['group', 'delete', 'cli-g']);
      const gone = failure(['group', 'describe', 'cli-g']);
      return {
        first,
        second,
        described: { state: described.state, protocolType: described.protocolType, partitions: described.partitions.map((p: any) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag, p.consumerId]) },
        listed: listed && { state: listed.state, protocolType: listed.protocolType },
        dry,
        afterDry,
        clamped,
        executed,
        third,
        deleted,
        gone,
      };
    },

    'errors': async () => ({
      unknownTopic: failure(['consume', 'cli-nowhere', '--exit']),
      unknownPartition: (await createTopic('cli-errors'), failure(['consume', 'cli-errors', '--partition', '3', '--exit'])),
      badCompression: failure(['produce', 'cli-errors', '--compression', 'brotli']),
      noSeparator: failure(['produce', 'cli-errors', '--key-separator', ':'], 'no separator\n'),
      unknownGroupDelete: failure(['group', 'delete', 'cli-no-group']),
      invalidTopicName: failure(['topic', 'create', 'bad/name']),
      tooManyReplicas: failure(['topic', 'create', 'cli-rf', '--replication-factor', '3']),
    }),
  },
});
