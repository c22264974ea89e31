/** `skiff produce TOPIC`: lines from stdin become records, like kafka-console-producer and kcat -P. */
import { ZERO_UUID } from '../protocol/codec/uuid.js';
import { createInterface } from 'node:readline';
import { codec as produceCodec } from '../protocol/generated/000-produce.js';
import { ERROR_INFO } from '../protocol/generated/errors.js';
import { Compression, type CompressionType } from '../protocol/records/record-batch.js';
import { buildBatch, type RecordInput } from '../protocol/records/records.js';
import { check, KafkaError, UsageError, type Cluster } from './client.js';
import { intFlag, keyValues, type CommandGroup, type Flags } from './command.js';
import { partitionForKey } from './murmur2.js';
import { printJson } from './output.js';

/** The last Produce version that names topics (v13 sends ids). */
const PRODUCE_BY_NAME_MAX = 12;

/** A partition's batch is sent once it holds this many records or bytes (below message.max.bytes, 1 MiB by default). */
const BATCH_RECORDS = 1000;
const BATCH_BYTES = 512 * 1024;
/** Keyed records spread over many partitions: all batches go out once they hold this much. */
const PENDING_BYTES = 32 * 1024 * 1024;
const PRODUCE_TIMEOUT_MS = 30_000;
const SEND_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;

export const produceCommand: CommandGroup = {
  name: 'produce',
  summary: 'send lines from stdin as records',
  usage: `Usage: skiff produce TOPIC [options] < lines

Each line of stdin is one record's value (UTF-8).

  --key-separator SEP   split each line at the first SEP into key and value
  --header K=V          add a header to every record; repeatable
  --partition N         send every record to partition N (default: keyed records by
                        murmur2 of the key as Kafka's producer does, others to one
                        partition per batch, like Kafka's sticky partitioner)
  --compression TYPE    none, gzip, snappy, lz4 or zstd (default none)
  --acks ACKS           all (-1), 1 or 0 (default all)

With --json it prints, at the end, the records sent and the first and last offset per partition.
`,
  options: {
    'key-separator': { type: 'string' },
    header: { type: 'string', multiple: true },
    partition: { type: 'string' },
    compression: { type: 'string' },
    acks: { type: 'string' },
  },
  async run(ctx, args, flags) {
    if (args.length !== 1) throw new UsageError('produce: expects exactly one topic name');
    const opts = parseOptions(flags);
    const producer = new Producer(await ctx.cluster(), args[0]!, opts);
    await producer.init();
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      let key: Buffer | null = null;
      let value = line;
      if (opts.keySeparator !== undefined) {
        const at = line.indexOf(opts.keySeparator);
        if (at < 0) throw new UsageError(`line ${lineNo} has no key separator "${opts.keySeparator}"`);
        key = Buffer.from(line.slice(0, at));
        value = line.slice(at + opts.keySeparator.length);
      }
      await producer.add(key, Buffer.from(value));
    }
    await producer.flushAll();
    if (ctx.json) printJson(producer.summary());
  },
};

interface ProduceOptions {
  keySeparator: string | undefined;
  headers: Array<{ key: string; value: Buffer }>;
  partition: number | undefined;
  compression: CompressionType;
  acks: number;
}

function parseOptions(flags: Flags): ProduceOptions {
  const compressionName = (flags.compression as string | undefined) ?? 'none';
  if (!Object.hasOwn(Compression, compressionName)) throw new UsageError(`--compression must be one of ${Object.keys(Compression).join(', ')}, got "${compressionName}"`);
  const acksText = (flags.acks as string | undefined) ?? 'all';
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (![-1, 0, 1].includes(acks) || !/^(all|-1|0|1)$/.test(acksText)) throw new UsageError(`--acks must be all, -1, 0 or 1, got "${acksText}"`);
  const sep = flags['key-separator'] as string | undefined;
  if (sep === '') throw new UsageError('--key-separator must not be empty');
  return {
    keySeparator: sep,
    headers: keyValues(flags, 'header').map(([key, value]) => ({ key, value: Buffer.from(value) })),
    partition: intFlag(flags, 'partition', 0),
    compression: Compression[compressionName as keyof typeof Compression],
    acks,
  };
}

interface Pending {
  records: RecordInput[];
  bytes: number;
  firstTimestamp: number;
}

class Producer {
  #partitions = 0;
  #leaders = new Map<number, number>();
  #pending = new Map<number, Pending>();
  #pendingBytes = 0;
  #sticky = -1;
  #sent = 0;
  #offsets = new Map<number, { first: bigint; last: bigint; records: number }>();

  constructor(
    readonly cluster: Cluster,
    readonly topic: string,
    readonly opts: ProduceOptions,
  ) {}

  /** Reads the topic's partitions and leaders (auto-creating it where the broker allows that). */
  async init(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const md = await this.cluster.metadata([this.topic], true);
      const t = md.topics.find((x) => x.name === this.topic);
      const code = t ? t.errorCode : 3;
      // LEADER_NOT_AVAILABLE: the topic is being created right now.
      if (code === 5 && attempt < SEND_ATTEMPTS) {
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      check(code, `topic ${this.topic}`);
      this.#partitions = t!.partitions.length;
      this.#leaders = new Map(t!.partitions.map((p) => [p.partitionIndex, p.leaderId]));
      break;
    }
    if (this.opts.partition !== undefined && this.opts.partition >= this.#partitions) {
      throw new UsageError(`--partition ${this.opts.partition}: topic ${this.topic} has ${this.#partitions} partitions`);
    }
  }

  #choosePartition(key: Buffer | null): number {
    if (this.opts.partition !== undefined) return this.opts.partition;
    if (key !== null) return partitionForKey(key, this.#partitions);
    if (this.#sticky < 0) this.#sticky = Math.floor(Math.random() * this.#partitions);
    return this.#sticky;
  }

  async add(key: Buffer | null, value: Buffer): Promise<void> {
    const partition = this.#choosePartition(key);
    const now = Date.now();
    let p = this.#pending.get(partition);
    if (!p) this.#pending.set(partition, (p = { records: [], bytes: 0, firstTimestamp: now }));
    p.records.push({ key, value, headers: this.opts.headers, timestampDelta: now - p.firstTimestamp });
    const size = value.length + (key?.length ?? 0);
    p.bytes += size;
    this.#pendingBytes += size;
    if (this.#pendingBytes >= PENDING_BYTES) {
      await this.flushAll();
    } else if (p.records.length >= BATCH_RECORDS || p.bytes >= BATCH_BYTES) {
      if (partition === this.#sticky) this.#sticky = -1;
      await this.#send([partition]);
    }
  }

  async flushAll(): Promise<void> {
    await this.#send([...this.#pending.keys()]);
  }

  /** Sends the pending batches of `partitions`, one Produce request per leader. */
  async #send(partitions: number[]): Promise<void> {
    let todo = new Map(partitions.map((p) => [p, this.#pending.get(p)!]));
    for (const [p, batch] of todo) {
      this.#pending.delete(p);
      this.#pendingBytes -= batch.bytes;
    }
    for (let attempt = 1; todo.size > 0; attempt++) {
      const byLeader = new Map<number, number[]>();
      for (const p of todo.keys()) {
        const leader = this.#leaders.get(p) ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      const failed = new Map<number, { batch: Pending; error: KafkaError }>();
      await Promise.all(
        [...byLeader].map(async ([leader, parts]) => {
          const errors = await this.#sendToLeader(leader, parts.map((p) => [p, todo.get(p)!] as const));
          for (const [p, error] of errors) failed.set(p, { batch: todo.get(p)!, error });
        }),
      );
      if (failed.size === 0) return;
      const first = [...failed.values()][0]!.error;
      if (attempt >= SEND_ATTEMPTS || ![...failed.values()].every((f) => ERROR_INFO.get(f.error.errorCode)?.retriable)) throw first;
      await sleep(RETRY_DELAY_MS);
      await this.init(); // leaders may have moved
      todo = new Map([...failed].map(([p, f]) => [p, f.batch]));
    }
  }

  async #sendToLeader(leader: number, batches: ReadonlyArray<readonly [number, Pending]>): Promise<Map<number, KafkaError>> {
    const errors = new Map<number, KafkaError>();
    if (leader < 0) {
      for (const [p] of batches) errors.set(p, new KafkaError(5, `partition ${this.topic}-${p}`));
      return errors;
    }
    const conn = await this.cluster.node(leader);
    const build = () => ({
      transactionalId: null,
      acks: this.opts.acks,
      timeoutMs: PRODUCE_TIMEOUT_MS,
      topicData: [
        {
          name: this.topic,
          topicId: ZERO_UUID,
          partitionData: batches.map(([p, b]) => ({
            index: p,
            records: buildBatch({ records: b.records, baseTimestamp: BigInt(b.firstTimestamp), compression: this.opts.compression }),
          })),
        },
      ],
    });
    if (this.opts.acks === 0) {
      conn.sendOnly(produceCodec, build, PRODUCE_BY_NAME_MAX);
      for (const [p, b] of batches) this.#record(p, -1n, b.records.length);
      return errors;
    }
    const res = await conn.request(produceCodec, build, PRODUCE_BY_NAME_MAX);
    for (const pr of res.responses.flatMap((t) => t.partitionResponses)) {
      const b = batches.find(([p]) => p === pr.index)![1];
      if (pr.errorCode !== 0) errors.set(pr.index, new KafkaError(pr.errorCode, `producing to ${this.topic}-${pr.index}`, pr.errorMessage ?? pr.recordErrors[0]?.batchIndexErrorMessage));
      else this.#record(pr.index, pr.baseOffset, b.records.length);
    }
    return errors;
  }

  #record(partition: number, baseOffset: bigint, count: number): void {
    this.#sent += count;
    const o = this.#offsets.get(partition);
    const last = baseOffset < 0n ? -1n : baseOffset + BigInt(count - 1);
    if (o) {
      o.last = last;
      o.records += count;
    } else {
      this.#offsets.set(partition, { first: baseOffset, last, records: count });
    }
  }

  summary(): unknown {
    return {
      topic: this.topic,
      records: this.#sent,
      partitions: [...this.#offsets].sort(([a], [b]) => a - b).map(([partition, o]) => ({ partition, records: o.records, firstOffset: o.first, lastOffset: o.last })),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
