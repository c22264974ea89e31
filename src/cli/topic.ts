/** `skiff topic create|list|describe|alter-config|delete`: the kafka-topics / kafka-configs tasks. */
import { codec as createTopicsCodec } from '../protocol/generated/019-create-topics.js';
import { codec as deleteTopicsCodec } from '../protocol/generated/020-delete-topics.js';
import { codec as describeConfigsCodec } from '../protocol/generated/032-describe-configs.js';
import { codec as alterConfigsCodec } from '../protocol/generated/044-incremental-alter-configs.js';
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { check, errorName, UsageError, type Cluster } from './client.js';
import { intFlag, keyValues, oneSubcommand, stringList, type CommandGroup, type Context, type Flags } from './command.js';
import { printJson, printTable } from './output.js';

const TOPIC_RESOURCE = 2;
/** DescribeConfigs configSource: a dynamic per-topic override. */
const DYNAMIC_TOPIC_CONFIG = 1;
const SET = 0;
const DELETE = 1;
const TIMEOUT_MS = 30_000;

const SUBCOMMANDS = ['create', 'list', 'describe', 'alter-config', 'delete'] as const;

export const topicCommand: CommandGroup = {
  name: 'topic',
  summary: 'create, list, describe, reconfigure and delete topics',
  usage: `Usage: skiff topic create TOPIC [--partitions N] [--replication-factor N] [--config K=V ...]
       skiff topic list [--exclude-internal]
       skiff topic describe [TOPIC ...]
       skiff topic alter-config TOPIC [--config K=V ...] [--delete-config K ...]
       skiff topic delete TOPIC ...

  --partitions N          partition count (default: the broker's num.partitions)
  --replication-factor N  replicas per partition (default: the broker's default.replication.factor)
  --config K=V            a topic config (retention.ms, cleanup.policy, ...); repeatable
  --delete-config K       remove a topic config override; repeatable
  --exclude-internal      leave out internal topics (__consumer_offsets, ...)

describe shows partitions with leaders, replicas and in-sync replicas, and the topic's
config overrides; without TOPIC it describes every topic.
`,
  options: {
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    config: { type: 'string', multiple: true },
    'delete-config': { type: 'string', multiple: true },
    'exclude-internal': { type: 'boolean' },
  },
  async run(ctx, args, flags) {
    const [sub, rest] = oneSubcommand(args, SUBCOMMANDS, 'topic');
    switch (sub) {
      case 'create':
        return create(ctx, one(rest, sub), flags);
      case 'list':
        noArgs(rest, sub);
        return list(ctx, flags);
      case 'describe':
        return describe(ctx, rest);
      case 'alter-config':
        return alterConfig(ctx, one(rest, sub), flags);
      case 'delete':
        if (rest.length === 0) throw new UsageError('topic delete: name at least one topic');
        return remove(ctx, rest);
    }
  },
};

function one(rest: string[], sub: string): string {
  if (rest.length !== 1) throw new UsageError(`topic ${sub}: expects exactly one topic name`);
  return rest[0]!;
}

function noArgs(rest: string[], sub: string): void {
  if (rest.length > 0) throw new UsageError(`topic ${sub}: unexpected argument "${rest[0]}"`);
}

async function create(ctx: Context, name: string, flags: Flags): Promise<void> {
  const partitions = intFlag(flags, 'partitions', 1, -1)!;
  const replicationFactor = intFlag(flags, 'replication-factor', 1, -1)!;
  if (replicationFactor > 32_767) throw new UsageError('--replication-factor is at most 32767');
  const configs = keyValues(flags, 'config').map(([k, v]) => ({ name: k, value: v }));
  const cluster = await ctx.cluster();
  const res = await cluster.bootstrap.request(createTopicsCodec, (v) => {
    // Broker-chosen defaults (-1) need v4 (KIP-464); older brokers need explicit values.
    if (v < 4 && (partitions < 0 || replicationFactor < 0)) throw new UsageError('this broker needs --partitions and --replication-factor');
    return { topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs }], timeoutMs: TIMEOUT_MS, validateOnly: false };
  });
  const t = res.topics[0]!;
  check(t.errorCode, `creating topic ${name}`, t.errorMessage);
  if (ctx.json) printJson({ topic: name, partitions: t.numPartitions, replicationFactor: t.replicationFactor });
  else process.stdout.write(`Created topic ${name}.\n`);
}

async function list(ctx: Context, flags: Flags): Promise<void> {
  const res = await (await ctx.cluster()).metadata(null);
  const names = res.topics
    .filter((t) => !(flags['exclude-internal'] && t.isInternal))
    .map((t) => t.name!)
    .sort();
  if (ctx.json) printJson(names);
  else for (const n of names) process.stdout.write(`${n}\n`);
}

/** Per topic: its dynamic config overrides, as kafka-topics --describe shows them. */
async function topicConfigs(cluster: Cluster, topics: string[]): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  if (topics.length === 0) return out;
  const res = await cluster.bootstrap.request(describeConfigsCodec, () => ({
    resources: topics.map((t) => ({ resourceType: TOPIC_RESOURCE, resourceName: t, configurationKeys: null })),
    includeSynonyms: false,
    includeDocumentation: false,
  }));
  for (const r of res.results) {
    check(r.errorCode, `describing the configs of topic ${r.resourceName}`, r.errorMessage);
    const configs: Record<string, string | null> = {};
    for (const c of r.configs) if (c.configSource === DYNAMIC_TOPIC_CONFIG) configs[c.name] = c.isSensitive ? null : c.value;
    out.set(r.resourceName, configs);
  }
  return out;
}

async function describe(ctx: Context, names: string[]): Promise<void> {
  const cluster = await ctx.cluster();
  const res = await cluster.metadata(names.length > 0 ? names : null);
  const topics = res.topics.slice().sort((a, b) => (a.name! < b.name! ? -1 : 1));
  for (const t of topics) check(t.errorCode, `topic ${t.name}`);
  const configs = await topicConfigs(cluster, topics.map((t) => t.name!));
  const described = topics.map((t) => ({
    topic: t.name!,
    topicId: t.topicId === ZERO_UUID ? null : t.topicId,
    internal: t.isInternal,
    partitions: t.partitions
      .slice()
      .sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, error: p.errorCode === 0 ? null : p.errorCode })),
    configs: configs.get(t.name!) ?? {},
  }));
  if (ctx.json) return printJson(described);
  described.forEach((d, i) => {
    if (i > 0) process.stdout.write('\n');
    const rf = d.partitions[0]?.replicas.length ?? 0;
    const cfg = Object.entries(d.configs).map(([k, v]) => `${k}=${v ?? '(sensitive)'}`).join(',');
    process.stdout.write(`Topic: ${d.topic}  TopicId: ${d.topicId ?? '-'}  PartitionCount: ${d.partitions.length}  ReplicationFactor: ${rf}  Configs: ${cfg}\n`);
    printTable(
      ['PARTITION', 'LEADER', 'REPLICAS', 'ISR'],
      d.partitions.map((p) => [p.partition, p.leader < 0 ? 'none' : p.leader, p.replicas.join(','), p.isr.join(',')]),
    );
  });
}

async function alterConfig(ctx: Context, name: string, flags: Flags): Promise<void> {
  const set = keyValues(flags, 'config').map(([k, v]) => ({ name: k, configOperation: SET, value: v }));
  const del = stringList(flags, 'delete-config').map((k) => ({ name: k, configOperation: DELETE, value: null }));
  if (set.length + del.length === 0) throw new UsageError('topic alter-config: give --config K=V or --delete-config K');
  const cluster = await ctx.cluster();
  const res = await cluster.bootstrap.request(alterConfigsCodec, () => ({
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs: [...set, ...del] }],
    validateOnly: false,
  }));
  const r = res.responses[0]!;
  check(r.errorCode, `altering the configs of topic ${name}`, r.errorMessage);
  if (ctx.json) printJson({ topic: name, set: Object.fromEntries(set.map((c) => [c.name, c.value])), deleted: del.map((c) => c.name) });
  else process.stdout.write(`Updated the configs of topic ${name}.\n`);
}

async function remove(ctx: Context, names: string[]): Promise<void> {
  const cluster = await ctx.cluster();
  const res = await cluster.bootstrap.request(deleteTopicsCodec, (v) => ({
    topics: v >= 6 ? names.map((name) => ({ name, topicId: ZERO_UUID })) : [],
    topicNames: v < 6 ? names : [],
    timeoutMs: TIMEOUT_MS,
  }));
  const failed = res.responses.filter((r) => r.errorCode !== 0);
  if (ctx.json) printJson(res.responses.map((r) => ({ topic: r.name, error: r.errorCode === 0 ? null : errorName(r.errorCode) })));
  else for (const r of res.responses) if (r.errorCode === 0) process.stdout.write(`Deleted topic ${r.name}.\n`);
  const f = failed[0];
  if (f) check(f.errorCode, `deleting topic ${f.name}`, f.errorMessage);
}
