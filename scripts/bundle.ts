/**
 * Bundles the CLI (src/main.ts and everything it loads) into dist/bundle/, which bin/skiff.js
 * runs, and the embedded API (src/index.ts, `startBroker`) beside it, sharing chunks. Run by
 * `make build` after tsc, whose dist/src supplies the type declarations; the npm package
 * ships the bundle and those, not dist/src's JavaScript (half the package's size).
 *
 * Why: Node 20's ESM loader resolves, reads, compiles and links each module on its own, and
 * the CJS loader stats its way through pino's files and package.json lookups; for Skiff's
 * ~150 modules plus pino that was most of the startup CPU. A few chunks instead: first
 * ApiVersions answered ~60 ms sooner, ~90 ms less CPU, ~10 MB less idle RSS
 * (bench/startup-bench.ts).
 *
 * Splitting keeps the early bind first: main's own chunk holds the CLI and the listener, and
 * every `import()` in src/main.ts (logger, config, broker) stays a chunk of its own, loaded
 * after the socket is bound, as with the unbundled modules (test/unit/server/startup-modules.test.ts).
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Each handler but ApiVersions' is loaded on its API's first request (src/server/registry.ts),
 * so each is an entry point of its own to esbuild, which puts every module in a chunk per set of
 * entry points reaching it: the broker's modules, reached by the broker and by different sets of
 * handlers, came out as ~50 chunks loaded at startup instead of ~20 (2 MB less idle RSS with
 * fewer). A handler only ever runs in a broker whose modules are loaded, so making each handler
 * import src/broker.ts as well costs nothing at run time and gives the broker's modules one set
 * of entry points again; what only a handler uses (its codec) stays in that handler's chunk.
 */
const handlersShareBrokerChunks: Plugin = {
  name: 'handlers-share-broker-chunks',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]server[\\/]handlers[\\/]\d{3}-[^\\/]+\.ts$/ }, (args) => {
      if (args.path.endsWith('018-api-versions.ts')) return undefined;
      return { contents: `${readFileSync(args.path, 'utf8')}\nimport '../../broker.js';\n`, loader: 'ts' };
    });
    // The same for the broker's other parts loaded on first use (share and streams groups, the
    // log cleaner's cleaning): only ever loaded by a running broker.
    b.onLoad({ filter: /[\\/]src[\\/](coordinator[\\/]group[\\/](share|streams)-group-(manager|records)|storage[\\/]cleaner[\\/]cleaner)\.ts$/ }, (args) => {
      const broker = relative(dirname(args.path), `${ROOT}src/broker.js`).replaceAll('\\', '/');
      return { contents: `${readFileSync(args.path, 'utf8')}\nimport '${broker}';\n`, loader: 'ts' };
    });
  },
};

export function bundleOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: ['src/main.ts', 'src/index.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Native addons are found through node_modules at run time, as from dist/src. yaml too:
    // bundled, its CommonJS build reached `await import('yaml')` without named exports
    // ("parse is not a function"); Node's own loader gives them. re2js is required on first use
    // (src/coordinator/group/consumer-group-manager.ts): bundled, its source would be parsed at
    // startup all the same.
    external: ['@node-rs/crc32', 'snappy', 'lz4-napi', 'fzstd', 'yaml', 're2js'],
    plugins: [handlersShareBrokerChunks],
    // pino and its dependencies are CommonJS and call require() for Node built-ins; in an ESM
    // chunk that needs a real require. esbuild renames any top-level `require` of Skiff's own
    // (compression.ts has one) so it cannot clash with this one.
    banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    // Not minified: stack traces in logs stay readable (minifying saved ~1 MB of idle RSS and
    // no measurable time). In a checkout `node --enable-source-maps` maps them back to src/;
    // the npm package leaves the maps out (src/ is not in it).
    sourcemap: 'linked',
    logLevel: 'warning',
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = `${ROOT}dist/bundle`;
  rmSync(outdir, { recursive: true, force: true });
  await build(bundleOptions(outdir));
}
