/**
 * The client commands of the skiff CLI (topic, produce, consume, group, cluster): a
 * kafka-topics / kcat-like tool that works against any Kafka cluster, built on the
 * project's own codecs. src/main.ts hands over argv when its first word is one of these.
 *
 * At the top with the entry points: a client of src/protocol, it uses none of the broker's
 * own layers (only storage's DataDirError, for startup hints).
 */
import { parseArgs } from 'node:util';
import { Cluster, UsageError } from './client.js';
import { clusterCommand } from './cluster.js';
import type { CommandGroup, Context } from './command.js';
import { consumeCommand } from './consume.js';
import { groupCommand } from './group.js';
import { produceCommand } from './produce.js';
import { topicCommand } from './topic.js';

const GROUPS: readonly CommandGroup[] = [topicCommand, produceCommand, consumeCommand, groupCommand, clusterCommand];

const GLOBAL_OPTIONS = {
  'bootstrap-server': { type: 'string', short: 'b' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Exit statuses: 1 for a broker or connection error, 2 for bad command-line input. */
export async function runClientCommand(argv: readonly string[]): Promise<number> {
  const group = GROUPS.find((g) => g.name === argv[0])!;
  // A reader that goes away (`| head`) ends the command quietly, as for other Unix tools.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let cluster: Promise<Cluster> | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      options: { ...GLOBAL_OPTIONS, ...group.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${group.usage}\nGlobal options: -b/--bootstrap-server HOST:PORT (default 127.0.0.1:9092), --json\n`);
      return 0;
    }
    const bootstrap = (values['bootstrap-server'] as string | undefined) ?? '127.0.0.1:9092';
    const ctx: Context = {
      json: values.json === true,
      cluster: () => (cluster ??= Cluster.connect(bootstrap)),
    };
    await group.run(ctx, positionals, values);
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const usage = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`skiff ${group.name}: ${(err as Error).message}\n`);
    if (usage) process.stderr.write(`Run "skiff ${group.name} --help" for usage.\n`);
    return usage ? 2 : 1;
  } finally {
    if (cluster) await cluster.then((c) => c.close(), () => {});
  }
}
