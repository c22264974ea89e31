/**
 * The layers of src/, lowest first: a module may import its own layer and those below it,
 * never one above. `make deps-check` prints the folder graph and fails on a broken rule.
 * Files directly under src/ are nodes of their own (errors.ts and log.ts sit low, broker.ts and
 * the entry points at the top); type-only imports count like any other.
 */
const LAYERS = [
  // Wire codecs and record formats: no I/O, nothing from above.
  ['src/protocol/'],
  // Every Kafka error code's exception; imports only the generated code table.
  ['src/errors.ts'],
  ['src/log.ts', 'src/log-pretty.ts', 'src/log-levels.ts', 'src/config.ts', 'src/config/', 'src/metrics/'],
  // Partition logs over a local log over segments and index files.
  ['src/storage/'],
  // TLS contexts, SASL mechanisms, SCRAM credentials and the ACL authorizer.
  ['src/security/'],
  // Topics and their partitions' logs.
  ['src/cluster/'],
  // Group and transaction coordinators over their internal topics.
  ['src/coordinator/'],
  // Request handling (dispatch, one handler per API, services.ts) and the network listener.
  ['src/server/'],
  // Other ways in: the HTTP console and metrics, the embedded fixtures.
  ['src/http/', 'src/embedded/'],
  // Assembly and entry points.
  ['src/broker.ts', 'src/launch.ts', 'src/virtual-cluster.ts', 'src/index.ts', 'src/main.ts', 'src/cli/', 'src/testcontainers/'],
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (paths) => `^(${paths.map((p) => escape(p) + (p.endsWith('/') ? '' : '$')).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer[0].replace(/^src\//, '').replace(/[/.]ts$|\/$/, '')}`,
  comment: `${layer.join(', ')} must not import a higher layer (see LAYERS in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: pattern(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'two folders that import each other, directly or around a loop',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'modules that import each other, directly or around a loop (type imports too)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'in-a-layer',
      comment: 'every module under src/ belongs to a layer: add a new folder or top-level file to LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: pattern(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'errors-is-a-leaf',
      comment: 'src/errors.ts may import only the generated error code table',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { pathNot: '^src/protocol/generated/errors\\.ts$' },
    },
    {
      name: 'protocol-has-no-io',
      comment: 'codecs take and return buffers; files and sockets belong to storage and server',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|tls|http|https|dgram|child_process|worker_threads)$' },
    },
    {
      name: 'storage-through-its-index',
      comment: 'the rest of the code reaches storage through src/storage/index.ts only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: { path: '^src/storage/', pathNot: '^src/storage/index\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve to a file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
