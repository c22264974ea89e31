/** `skiff cluster info`: brokers, controller, cluster id and the API versions in use. */
import { API_INFO } from '../protocol/generated/api-keys.js';
import { oneSubcommand, type CommandGroup } from './command.js';
import { UsageError, type Connection } from './client.js';
import { printJson, printTable } from './output.js';

export const clusterCommand: CommandGroup = {
  name: 'cluster',
  summary: 'brokers, controller, cluster id and API versions',
  usage: `Usage: skiff cluster info

Shows the cluster id, the controller, every broker, and for each API the bootstrap broker
serves: its version range and the version this CLI uses (the highest both support).
`,
  options: {},
  async run(ctx, args) {
    const [, rest] = oneSubcommand(args, ['info'], 'cluster');
    if (rest.length > 0) throw new UsageError(`cluster info: unexpected argument "${rest[0]}"`);
    const cluster = await ctx.cluster();
    const md = await cluster.metadata([]);
    const brokers = md.brokers.slice().sort((a, b) => a.nodeId - b.nodeId);
    const apis = apiSummary(cluster.bootstrap);
    const info = {
      clusterId: md.clusterId,
      controller: md.controllerId,
      brokers: brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      apis,
    };
    if (ctx.json) return printJson(info);
    process.stdout.write(`Cluster ID: ${info.clusterId ?? '-'}\nController: ${info.controller < 0 ? 'unknown' : info.controller}\n\n`);
    printTable(['BROKER', 'HOST', 'PORT', 'RACK'], info.brokers.map((b) => [b.id, b.host, b.port, b.rack]));
    const usable = apis.filter((a) => a.used !== null).length;
    process.stdout.write(`\n${apis.length} APIs served by ${cluster.bootstrap.address}, ${usable} with a version in common with this CLI:\n`);
    printTable(['API', 'KEY', 'BROKER', 'USED'], apis.map((a) => [a.name, a.key, `${a.min}-${a.max}`, a.used ?? '-']));
  },
};

function apiSummary(conn: Connection): Array<{ key: number; name: string; min: number; max: number; used: number | null }> {
  return [...conn.versions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([key, r]) => {
      let used: number | null = null;
      try {
        used = conn.version(key);
      } catch {
        // No version in common, or an API this CLI's codecs do not know.
      }
      return { key, name: API_INFO.get(key)?.name ?? `api-${key}`, min: r.min, max: r.max, used };
    });
}
