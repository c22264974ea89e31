/** `skiff group list|describe|reset-offsets|delete`: the kafka-consumer-groups tasks. */
import { codec as describeGroupsCodec, type DescribedGroup } from '../protocol/generated/015-describe-groups.js';
import { codec as listGroupsCodec, type ListedGroup } from '../protocol/generated/016-list-groups.js';
import { codec as deleteGroupsCodec } from '../protocol/generated/042-delete-groups.js';
import { check, errorName, KafkaError, UsageError, type Cluster, type Connection } from './client.js';
import { oneSubcommand, stringList, type CommandGroup, type Context, type Flags } from './command.js';
import { decodeAssignment } from './group-member.js';
import { commitOffsets, EARLIEST, fetchCommitted, LATEST, listOffsets, tpKey, type TopicPartitions } from './offsets.js';
import { printJson, printTable } from './output.js';

const GROUP_ID_NOT_FOUND = 69;
const NON_EMPTY_GROUP = 68;
const SUBCOMMANDS = ['list', 'describe', 'reset-offsets', 'delete'] as const;

export const groupCommand: CommandGroup = {
  name: 'group',
  summary: 'list, describe (with lag), reset offsets of and delete consumer groups',
  usage: `Usage: skiff group list
       skiff group describe GROUP ...
       skiff group reset-offsets GROUP (--topic T[:P,P...] ... | --all-topics) TARGET [--execute]
       skiff group delete GROUP ...

describe shows each partition's committed offset, log end offset, lag and owner.

reset-offsets TARGET is one of:
  --to-earliest            the partitions' log start offsets
  --to-latest              the partitions' log end offsets
  --to-offset N            offset N (kept within the partition's offsets)
  --to-datetime TIME       the first offset at or after TIME (ISO 8601, e.g. 2024-01-31T12:00:00.000Z)
It only works on a group with no active members, and only prints the new offsets (a dry
run) unless --execute is given, like kafka-consumer-groups.
`,
  options: {
    topic: { type: 'string', multiple: true },
    'all-topics': { type: 'boolean' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    'to-offset': { type: 'string' },
    'to-datetime': { type: 'string' },
    execute: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  async run(ctx, args, flags) {
    const [sub, rest] = oneSubcommand(args, SUBCOMMANDS, 'group');
    if (sub === 'list') {
      if (rest.length > 0) throw new UsageError(`group list: unexpected argument "${rest[0]}"`);
      return list(ctx);
    }
    if (rest.length === 0) throw new UsageError(`group ${sub}: name a group`);
    if (sub === 'describe') return describe(ctx, rest);
    if (sub === 'delete') return remove(ctx, rest);
    if (rest.length !== 1) throw new UsageError('group reset-offsets: name exactly one group');
    return resetOffsets(ctx, rest[0]!, flags);
  },
};

/** The partitions named by tpKey keys. */
function fromKeys(keys: Iterable<string>): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const key of keys) {
    const [topic, p] = key.split('\u0000') as [string, string];
    out.set(topic, [...(out.get(topic) ?? []), Number(p)]);
  }
  return out;
}

function sorted(tps: TopicPartitions): Array<{ topic: string; partition: number }> {
  return [...tps]
    .flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })))
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

async function list(ctx: Context): Promise<void> {
  const cluster = await ctx.cluster();
  // Each broker lists the groups it coordinates.
  const answers = await Promise.all(
    (await cluster.allNodes()).map((conn) => conn.request(listGroupsCodec, () => ({ statesFilter: [], typesFilter: [] }))),
  );
  const groups: ListedGroup[] = [];
  for (const res of answers) {
    check(res.errorCode, 'listing groups');
    groups.push(...res.groups);
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  const rows = groups.map((g) => ({ group: g.groupId, state: g.groupState || null, protocolType: g.protocolType, type: g.groupType || null }));
  if (ctx.json) return printJson(rows);
  printTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows.map((r) => [r.group, r.state, r.protocolType || '-']));
}

async function describeGroup(conn: Connection, groupId: string): Promise<DescribedGroup> {
  const res = await conn.request(describeGroupsCodec, () => ({ groups: [groupId], includeAuthorizedOperations: false }));
  const g = res.groups[0]!;
  // From v6 a missing group comes with GROUP_ID_NOT_FOUND; before, as Dead without error.
  if (g.errorCode === GROUP_ID_NOT_FOUND) return { ...g, errorCode: 0, groupState: 'Dead' };
  check(g.errorCode, `describing group ${groupId}`);
  return g;
}

interface Owner {
  memberId: string;
  clientId: string;
  host: string;
}

async function describe(ctx: Context, groupIds: string[]): Promise<void> {
  const cluster = await ctx.cluster();
  const out = [];
  for (const groupId of groupIds) {
    const coordinator = await cluster.coordinator(groupId);
    const g = await describeGroup(coordinator, groupId);
    const committed = await fetchCommitted(coordinator, groupId, null);
    if (g.groupState === 'Dead' && committed.size === 0) throw new KafkaError(GROUP_ID_NOT_FOUND, `group ${groupId}`);
    const owners = new Map<string, Owner>();
    if (g.protocolType === 'consumer') {
      for (const m of g.members) {
        for (const tp of decodeAssignment(m.memberAssignment).assignedPartitions) {
          for (const p of tp.partitions) owners.set(tpKey(tp.topic, p), { memberId: m.memberId, clientId: m.clientId, host: m.clientHost });
        }
      }
    }
    const tps = fromKeys(new Set([...committed.keys(), ...owners.keys()]));
    const ends = tps.size > 0 ? await listOffsets(cluster, tps, LATEST) : new Map<string, bigint>();
    const partitions = sorted(tps).map(({ topic, partition }) => {
        const key = tpKey(topic, partition);
        const c = committed.get(key) ?? -1n;
        const end = ends.get(key)!;
        const owner = owners.get(key);
        return {
          topic,
          partition,
          currentOffset: c >= 0n ? c : null,
          logEndOffset: end,
          lag: c >= 0n ? end - c : null,
          consumerId: owner?.memberId ?? null,
          host: owner?.host ?? null,
          clientId: owner?.clientId ?? null,
        };
      });
    out.push({ group: groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members: g.members.length, partitions });
  }
  if (ctx.json) return printJson(out);
  out.forEach((d, i) => {
    if (i > 0) process.stdout.write('\n');
    process.stdout.write(`Group: ${d.group}  State: ${d.state}  Members: ${d.members}  Protocol: ${d.protocol || '-'}\n`);
    printTable(
      ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      d.partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag, p.consumerId, p.host, p.clientId]),
    );
  });
}

type Target = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'datetime'; timestamp: bigint };

function parseTarget(flags: Flags): Target {
  const targets: Target[] = [];
  if (flags['to-earliest']) targets.push({ kind: 'earliest' });
  if (flags['to-latest']) targets.push({ kind: 'latest' });
  if (flags['to-offset'] !== undefined) {
    const t = flags['to-offset'] as string;
    if (!/^\d+$/.test(t)) throw new UsageError(`--to-offset expects an offset, got "${t}"`);
    targets.push({ kind: 'offset', offset: BigInt(t) });
  }
  if (flags['to-datetime'] !== undefined) {
    const t = flags['to-datetime'] as string;
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw new UsageError(`--to-datetime expects an ISO 8601 time such as 2024-01-31T12:00:00.000Z, got "${t}"`);
    targets.push({ kind: 'datetime', timestamp: BigInt(ms) });
  }
  if (targets.length !== 1) throw new UsageError('group reset-offsets: give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime');
  return targets[0]!;
}

/** --topic T or T:0,1,2 (repeatable), or --all-topics: the group's committed partitions. */
async function resetScope(cluster: Cluster, flags: Flags, committed: Map<string, bigint>): Promise<TopicPartitions> {
  const topics = stringList(flags, 'topic');
  if ((topics.length > 0) === (flags['all-topics'] === true)) throw new UsageError('group reset-offsets: give --topic T (repeatable) or --all-topics');
  if (flags['all-topics']) return fromKeys(committed.keys());
  const scope: TopicPartitions = new Map();
  for (const spec of topics) {
    const colon = spec.lastIndexOf(':');
    const topic = colon < 0 ? spec : spec.slice(0, colon);
    const t = await cluster.topic(topic);
    const existing = t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
    let partitions = existing;
    if (colon >= 0) {
      partitions = spec.slice(colon + 1).split(',').map((p) => {
        if (!/^\d+$/.test(p)) throw new UsageError(`--topic expects TOPIC or TOPIC:P,P..., got "${spec}"`);
        if (!existing.includes(Number(p))) throw new KafkaError(3, `partition ${topic}-${p}`);
        return Number(p);
      });
    }
    scope.set(topic, [...new Set([...(scope.get(topic) ?? []), ...partitions])]);
  }
  return scope;
}

async function resetOffsets(ctx: Context, groupId: string, flags: Flags): Promise<void> {
  const target = parseTarget(flags);
  if (flags.execute && flags['dry-run']) throw new UsageError('group reset-offsets: --execute and --dry-run exclude each other');
  const cluster = await ctx.cluster();
  const coordinator = await cluster.coordinator(groupId);
  const g = await describeGroup(coordinator, groupId);
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead') {
    throw new Error(`offsets can only be reset when group ${groupId} is inactive, but its state is ${g.groupState}`);
  }
  const committed = await fetchCommitted(coordinator, groupId, null);
  const scope = await resetScope(cluster, flags, committed);
  const earliest = await listOffsets(cluster, scope, EARLIEST);
  const latest = await listOffsets(cluster, scope, LATEST);
  const atTime = target.kind === 'datetime' ? await listOffsets(cluster, scope, target.timestamp) : undefined;
  const plan = sorted(scope).map(({ topic, partition }) => {
      const key = tpKey(topic, partition);
      const lo = earliest.get(key)!;
      const hi = latest.get(key)!;
      let offset: bigint;
      if (target.kind === 'earliest') offset = lo;
      else if (target.kind === 'latest') offset = hi;
      else if (target.kind === 'offset') offset = target.offset < lo ? lo : target.offset > hi ? hi : target.offset;
      else offset = atTime!.get(key)! >= 0n ? atTime!.get(key)! : hi;
      return { topic, partition, offset };
    });
  if (flags.execute) await commitOffsets(coordinator, groupId, plan);
  if (ctx.json) return printJson({ group: groupId, executed: flags.execute === true, partitions: plan.map((p) => ({ topic: p.topic, partition: p.partition, newOffset: p.offset })) });
  printTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [groupId, p.topic, p.partition, p.offset]));
  if (!flags.execute) process.stderr.write('Dry run: nothing was committed. Add --execute to reset the offsets.\n');
}

async function remove(ctx: Context, groupIds: string[]): Promise<void> {
  const cluster = await ctx.cluster();
  const results: Array<{ group: string; errorCode: number }> = [];
  for (const groupId of groupIds) {
    const coordinator = await cluster.coordinator(groupId);
    const res = await coordinator.request(deleteGroupsCodec, () => ({ groupsNames: [groupId] }));
    results.push({ group: groupId, errorCode: res.results[0]!.errorCode });
  }
  if (ctx.json) printJson(results.map((r) => ({ group: r.group, error: r.errorCode === 0 ? null : errorName(r.errorCode) })));
  else for (const r of results) if (r.errorCode === 0) process.stdout.write(`Deleted group ${r.group}.\n`);
  const failed = results.find((r) => r.errorCode !== 0);
  if (failed) {
    const hint = failed.errorCode === NON_EMPTY_GROUP ? 'the group has active members' : undefined;
    check(failed.errorCode, `deleting group ${failed.group}`, hint);
  }
}
