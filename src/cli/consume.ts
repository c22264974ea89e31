/** `skiff consume TOPIC`: prints records like kcat -C and kafka-console-consumer. */
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { codec as fetchCodec, type FetchResponse } from '../protocol/generated/001-fetch.js';
import { Attribute, batches } from '../protocol/records/record-batch.js';
import { iterateRecords } from '../protocol/records/records.js';
import { check, KafkaError, UsageError, type Cluster } from './client.js';
import { intFlag, stringList, type CommandGroup, type Flags } from './command.js';
import { compileFormat, recordJson, type ConsumedRecord } from './format.js';
import { GroupMember } from './group-member.js';
import { commitOffsets, EARLIEST, fetchCommitted, LATEST, listOffsets, tpKey, type TopicPartitions } from './offsets.js';
import { toJson } from './output.js';

const MAX_WAIT_MS = 500;
const MAX_BYTES = 50 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
const AUTO_COMMIT_INTERVAL_MS = 5_000;
/** Errors after which fresh metadata (a new leader) lets the fetch go on. */
const REFRESH_METADATA = new Set([3, 5, 6, 74, 100]);
const OFFSET_OUT_OF_RANGE = 1;
/** ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS. */
const GENERATION_ENDED = new Set([22, 25, 27]);

export const consumeCommand: CommandGroup = {
  name: 'consume',
  summary: 'print records of a topic',
  usage: `Usage: skiff consume TOPIC [options]

  --from WHERE        beginning, end, an offset N, or @TIMESTAMP_MS (default end); with
                      --group it applies to partitions without a committed offset
  --partition N       read only partition N; repeatable (default: every partition)
  --group G           join consumer group G (classic protocol), read its assigned
                      partitions from the committed offsets, commit as it goes and at exit
  --format FMT        kcat-style output per record (default "%s\\n"): %t topic,
                      %p partition, %o offset, %k key, %s or %v value, %K/%S key/value
                      length, %T timestamp, %h headers (k=v,...), %%; \\n \\t escapes
  --json              one JSON object per record instead of --format
  --exit              stop at the end of the partitions (their high watermark)
  --count N           stop after N records
`,
  options: {
    from: { type: 'string' },
    partition: { type: 'string', multiple: true },
    group: { type: 'string' },
    format: { type: 'string' },
    exit: { type: 'boolean' },
    count: { type: 'string' },
  },
  async run(ctx, args, flags) {
    if (args.length !== 1) throw new UsageError('consume: expects exactly one topic name');
    const topic = args[0]!;
    const opts = parseOptions(flags);
    const print = ctx.json ? (r: ConsumedRecord) => `${toJson(recordJson(r))}\n` : compileFormat(opts.format);
    const consumer = new Consumer(await ctx.cluster(), topic, opts, print);
    await consumer.run();
  },
};

type From = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; timestamp: bigint };

interface ConsumeOptions {
  from: From;
  partitions: number[] | undefined;
  group: string | undefined;
  format: string;
  exit: boolean;
  count: number | undefined;
}

function parseFrom(text: string): From {
  if (text === 'beginning') return { kind: 'beginning' };
  if (text === 'end') return { kind: 'end' };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  if (/^@\d+$/.test(text)) return { kind: 'timestamp', timestamp: BigInt(text.slice(1)) };
  throw new UsageError(`--from expects beginning, end, an offset or @TIMESTAMP_MS, got "${text}"`);
}

function parseOptions(flags: Flags): ConsumeOptions {
  const partitions = stringList(flags, 'partition').map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--partition expects a partition number, got "${p}"`);
    return Number(p);
  });
  const group = flags.group as string | undefined;
  if (group !== undefined && partitions.length > 0) throw new UsageError('--group and --partition cannot be combined: the group assigns partitions');
  if (group === '') throw new UsageError('--group must not be empty');
  return {
    from: parseFrom((flags.from as string | undefined) ?? 'end'),
    partitions: partitions.length > 0 ? [...new Set(partitions)] : undefined,
    group,
    format: (flags.format as string | undefined) ?? '%s\\n',
    exit: flags.exit === true,
    count: intFlag(flags, 'count', 1),
  };
}

interface Position {
  partition: number;
  offset: bigint;
  /** The high watermark from the last fetch; undefined before the first. */
  highWatermark?: bigint;
}

class Consumer {
  #positions = new Map<number, Position>();
  #leaders = new Map<number, number>();
  #topicId = ZERO_UUID;
  #printed = 0;
  #stopping = false;
  #member: GroupMember | undefined;
  #lastCommit = Date.now();

  constructor(
    readonly cluster: Cluster,
    readonly topic: string,
    readonly opts: ConsumeOptions,
    readonly print: (r: ConsumedRecord) => string,
  ) {}

  async run(): Promise<void> {
    const stop = (): void => void (this.#stopping = true);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await this.#refreshMetadata();
      if (this.opts.group !== undefined) {
        this.#member = await GroupMember.create(this.cluster, this.opts.group, [this.topic]);
        await this.#assign(await this.#member.join());
      } else {
        const all = [...this.#leaders.keys()].sort((a, b) => a - b);
        for (const p of this.opts.partitions ?? []) if (!this.#leaders.has(p)) throw new KafkaError(3, `partition ${this.topic}-${p}`);
        await this.#assign(new Map([[this.topic, this.opts.partitions ?? all]]));
      }
      while (!this.#stopping && !this.#done()) {
        if (this.#member?.rejoinNeeded) {
          await this.#commit(true);
          await this.#assign(await this.#member.join());
          continue;
        }
        await this.#fetchOnce();
        if (this.#member && Date.now() - this.#lastCommit >= AUTO_COMMIT_INTERVAL_MS) await this.#commit();
      }
      if (this.#member) {
        await this.#commit();
        await this.#member.leave();
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }

  #done(): boolean {
    if (this.opts.count !== undefined && this.#printed >= this.opts.count) return true;
    if (!this.opts.exit) return false;
    for (const p of this.#positions.values()) if (p.highWatermark === undefined || p.offset < p.highWatermark) return false;
    return true;
  }

  async #refreshMetadata(): Promise<void> {
    const t = await this.cluster.topic(this.topic);
    this.#topicId = t.topicId;
    this.#leaders = new Map(t.partitions.map((p) => [p.partitionIndex, p.leaderId]));
  }

  /** Start positions: the group's committed offsets, else --from. */
  async #assign(assigned: TopicPartitions): Promise<void> {
    const partitions = (assigned.get(this.topic) ?? []).slice().sort((a, b) => a - b);
    this.#positions = new Map();
    if (partitions.length === 0) return;
    const committed = this.#member ? await fetchCommitted(this.#member.coordinator, this.#member.groupId, new Map([[this.topic, partitions]])) : new Map<string, bigint>();
    const missing = partitions.filter((p) => (committed.get(tpKey(this.topic, p)) ?? -1n) < 0n);
    const start = await this.#startOffsets(missing);
    for (const p of partitions) {
      const c = committed.get(tpKey(this.topic, p)) ?? -1n;
      this.#positions.set(p, { partition: p, offset: c >= 0n ? c : start.get(p)! });
    }
  }

  async #startOffsets(partitions: number[], from = this.opts.from): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    if (partitions.length === 0) return out;
    if (from.kind === 'offset') {
      for (const p of partitions) out.set(p, from.offset);
      return out;
    }
    const ts = from.kind === 'beginning' ? EARLIEST : from.kind === 'end' ? LATEST : from.timestamp;
    const found = await listOffsets(this.cluster, new Map([[this.topic, partitions]]), ts);
    const needEnd = partitions.filter((p) => found.get(tpKey(this.topic, p))! < 0n);
    // No record at or after the timestamp: start at the end, as Kafka's consumer does.
    const ends = needEnd.length > 0 ? await listOffsets(this.cluster, new Map([[this.topic, needEnd]]), LATEST) : new Map<string, bigint>();
    for (const p of partitions) {
      const o = found.get(tpKey(this.topic, p))!;
      out.set(p, o >= 0n ? o : ends.get(tpKey(this.topic, p))!);
    }
    return out;
  }

  /** One fetch round: a request to every leader of an assigned partition, in parallel. */
  async #fetchOnce(): Promise<void> {
    if (this.#positions.size === 0) {
      // Nothing assigned (more group members than partitions): wait for a rebalance.
      await new Promise((r) => setTimeout(r, MAX_WAIT_MS));
      return;
    }
    const byLeader = new Map<number, Position[]>();
    for (const pos of this.#positions.values()) {
      const leader = this.#leaders.get(pos.partition) ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), pos]);
    }
    let refresh = false;
    await Promise.all(
      [...byLeader].map(async ([leader, positions]) => {
        if (leader < 0) {
          refresh = true;
          return;
        }
        const res = await this.#fetch(leader, positions);
        check(res.errorCode, `fetching from ${this.topic}`);
        for (const t of res.responses) {
          for (const pd of t.partitions) {
            const pos = this.#positions.get(pd.partitionIndex);
            if (!pos) continue;
            if (REFRESH_METADATA.has(pd.errorCode)) {
              refresh = true;
              continue;
            }
            if (pd.errorCode === OFFSET_OUT_OF_RANGE) {
              const reset = this.opts.from.kind === 'beginning' ? this.opts.from : ({ kind: 'end' } as const);
              pos.offset = (await this.#startOffsets([pos.partition], reset)).get(pos.partition)!;
              continue;
            }
            check(pd.errorCode, `fetching ${this.topic}-${pd.partitionIndex}`);
            pos.highWatermark = pd.highWatermark;
            if (pd.records) await this.#emit(pos, pd.records as Buffer);
          }
        }
      }),
    );
    if (refresh) {
      await new Promise((r) => setTimeout(r, 200));
      await this.#refreshMetadata();
    }
  }

  #fetch(leader: number, positions: Position[]): Promise<FetchResponse> {
    return this.cluster.node(leader).then((conn) =>
      conn.request(
        fetchCodec,
        (v) => ({
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: MAX_BYTES,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: v < 13 ? this.topic : '',
              topicId: v >= 13 ? this.#topicId : ZERO_UUID,
              partitions: positions.map((p) => ({
                partition: p.partition,
                currentLeaderEpoch: -1,
                fetchOffset: p.offset,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: PARTITION_MAX_BYTES,
                replicaDirectoryId: ZERO_UUID,
                highWatermark: 0x7fffffffffffffffn, // Kafka's default: not a replica
              })),
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        }),
        // Topic ids in Fetch (v13+) need the id from Metadata v10+.
        this.#topicId === ZERO_UUID ? 12 : undefined,
      ),
    );
  }

  /** Prints the records at or after the position and moves the position past the batches. */
  async #emit(pos: Position, data: Buffer): Promise<void> {
    for (const { header, at } of batches(data)) {
      if (header.magic !== 2) throw new Error(`${this.topic}-${pos.partition}: message format v${header.magic} is not supported`);
      const next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      if (next <= pos.offset) continue;
      if (!header.isControl) {
        const logAppendTime = (header.attributes & Attribute.timestampTypeLogAppend) !== 0;
        for (const rec of iterateRecords(data, at)) {
          const offset = header.baseOffset + BigInt(rec.offsetDelta);
          if (offset < pos.offset) continue;
          if (this.opts.count !== undefined && this.#printed >= this.opts.count) return;
          const timestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp + BigInt(rec.timestampDelta);
          await write(this.print({ topic: this.topic, partition: pos.partition, offset, timestamp, key: rec.key, value: rec.value, headers: rec.headers }));
          this.#printed++;
          pos.offset = offset + 1n;
        }
      }
      pos.offset = next;
    }
  }

  /**
   * Commits the positions. Before a rejoin the group may already have moved on to a new
   * generation; that commit is then refused and, as in Kafka's consumer, the new owner
   * resumes from the last accepted commit.
   */
  async #commit(beforeRejoin = false): Promise<void> {
    if (!this.#member) return;
    this.#lastCommit = Date.now();
    const commits = [...this.#positions.values()].map((p) => ({ topic: this.topic, partition: p.partition, offset: p.offset }));
    try {
      await commitOffsets(this.#member.coordinator, this.#member.groupId, commits, this.#member.generationId, this.#member.memberId);
    } catch (err) {
      if (!(beforeRejoin && err instanceof KafkaError && GENERATION_ENDED.has(err.errorCode))) throw err;
    }
  }
}

/** Writes to stdout, waiting when the pipe is full so a slow reader bounds memory. */
function write(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
